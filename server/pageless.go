package server

import (
	"context"
	"time"

	"github.com/kubelab/kubelab/sandbox"
	"github.com/kubelab/kubelab/store"
)

// DefaultPageGrace is how long a student's sandbox keeps running in class
// mode after their last lab page closed (Config.PageGrace).
const DefaultPageGrace = 10 * time.Minute

// pageGrace is the configured grace, or the default.
func (s *Server) pageGrace() time.Duration {
	if s.cfg.PageGrace > 0 {
		return s.cfg.PageGrace
	}
	return DefaultPageGrace
}

// pageCountLocked is how many of the learner's own pages are open (an
// instructor's read-only views do not count); call with l.mu held.
func (l *learner) pageCountLocked() int {
	n := 0
	for c := range l.conns {
		if !c.viewer {
			n++
		}
	}
	return n
}

// stopPageless stops, in class mode, the sandboxes of students who have
// had no lab page open for the grace period, so accounts nobody looks at
// hold no capacity (their state is kept: the next page resumes it). It
// runs until the server closes.
func (s *Server) stopPageless() {
	grace := s.pageGrace()
	t := time.NewTicker(max(grace/4, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		ls := make([]*learner, 0, len(s.learners))
		for _, l := range s.learners {
			ls = append(ls, l)
		}
		s.mu.Unlock()
		for _, l := range ls {
			if l.user.Role != store.RoleLearner {
				continue
			}
			l.mu.Lock()
			idle := (l.state == sandbox.StateReady || l.state == sandbox.StateStarting) && !l.starting &&
				l.pageCountLocked() == 0 && time.Since(l.lastPage) > grace
			l.mu.Unlock()
			if !idle {
				continue
			}
			s.log.Info("sandbox stopped: no page open", "user", l.user.ID, "grace", grace)
			ctx, cancel := context.WithTimeout(s.ctx, time.Minute)
			s.stopStudentSandbox(ctx, l.user, "dash.sbx_nopage")
			cancel()
		}
	}
}
