package server

import (
	"github.com/kubelab/kubelab/sandbox"
)

// sandboxChanged is the provider's notice that a learner's sandbox was
// frozen, stopped or failed, whatever the backend: stopped by the provider
// (an instructor's stop, the idle timeout) or reported by the backend (a
// freeze, a crash, a cluster deleted behind its back); nothing polls. The
// learner's watcher and grader let go of it (a freeze is announced before
// the process stops, so no client is left waiting on a stopped API
// server) and the pages are told.
func (s *Server) sandboxChanged(name string, st sandbox.State) {
	s.mu.Lock()
	var l *learner
	for _, x := range s.learners {
		if x.name == name {
			l = x
			break
		}
	}
	s.mu.Unlock()
	if l == nil {
		return
	}
	l.mu.Lock()
	starting := l.starting
	l.mu.Unlock()
	if starting {
		return // a start is under way; it reports its own result
	}
	l.stopWatch()
	l.mu.Lock()
	l.state = st
	switch st {
	case sandbox.StateStopped:
		l.message = "stopped after a period of inactivity or by a restart; it resumes with your objects when you continue"
	case sandbox.StateFrozen:
		l.message = ""
	default:
		if status, err := s.cfg.Provider.Status(name); err == nil && status.Message != "" {
			l.message = status.Message
		} else {
			l.message = "the sandbox stopped unexpectedly; it comes back with your objects on your next action"
		}
	}
	l.mu.Unlock()
	l.broadcastState()
}
