package server

import (
	"context"
	"net/http"
	"time"

	"github.com/kubelab/kubelab/store"
)

// recordActivity records the signed-in user's activity in class mode (at
// most every touchEvery) and shows a learner's on their classes'
// dashboards. It runs after authenticate.
func (s *Server) recordActivity(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u := userOf(r); s.class != nil && u.ID != 0 {
			s.touch(u)
		}
		next.ServeHTTP(w, r)
	})
}

// touch records u's activity unless it was recorded less than touchEvery
// ago, and publishes it.
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
			s.publishToClasses(ctx, u.ID, activityMsg{Type: "activity", User: u.ID, At: now.UTC().Format(time.RFC3339)})
		}
	}()
}
