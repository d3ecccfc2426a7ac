package server

import (
	"context"
	"github.com/kubelab/kubelab/store"
	"net/http"
	"strings"
	"time"
)

// touch records a signed-in user's activity (at most every touchEvery) and
// shows it on their classes' dashboards.
func (s *Server) touch(u store.User) {
	now := time.Now()
	c := s.class
	c.mu.Lock()
	last := c.touched[u.ID]
	if now.Sub(last) < touchEvery {
		c.mu.Unlock()
		return
	}
	if len(c.touched) > 50_000 {
		clear(c.touched)
	}
	c.touched[u.ID] = now
	c.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
		defer cancel()
		if err := s.cfg.Store.TouchUser(ctx, u.ID); err != nil && s.ctx.Err() == nil {
			s.log.Warn("touch user", "err", err)
		}
		if u.Role == store.RoleLearner {
			s.publishToClasses(ctx, u.ID, map[string]any{"type": "activity", "user": u.ID, "at": now.UTC().Format(time.RFC3339)})
		}
	}()
}

// afterLearnerRequest tells the dashboards what a learner's request may
// have changed without a verdict: reading steps passed by opening a lab
// page, quiz answers.
func (s *Server) afterLearnerRequest(u store.User, r *http.Request) {
	if s.class.hub.empty() {
		return
	}
	switch {
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/labs/"):
		go s.publishRow(u.ID)
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/quizzes/"):
		go s.publishToClasses(s.ctx, u.ID, map[string]any{"type": "quiz", "user": u.ID})
	}
}
