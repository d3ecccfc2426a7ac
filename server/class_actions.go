package server

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kubelab/kubelab/store"
)

// closeClass closes the class to new members.
func (s *Server) closeClass(w http.ResponseWriter, r *http.Request, c store.Class) {
	s.rewarm() // the warm loop looks again shortly after
	if err := s.cfg.Store.CloseClass(r.Context(), c.ID); err != nil {
		s.internalError(w, r, err)
		return
	}
	redirectTo(w, r, classPath(c.ID), "closed")
}

// forEachStudent runs f for each learner among members, four at a time,
// and returns when all are done.
func (s *Server) forEachStudent(ctx context.Context, members []store.Member, f func(u store.User)) {
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for _, m := range members {
		u, err := s.cfg.Store.UserByID(ctx, m.UserID)
		if err != nil || u.Role != store.RoleLearner {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			f(u)
		}()
	}
	wg.Wait()
}

// endSandboxes stops every sandbox of the class's students (a few at a
// time).
func (s *Server) endSandboxes(w http.ResponseWriter, r *http.Request, c store.Class) {
	members, err := s.cfg.Store.Members(r.Context(), c.ID)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, 2*time.Minute)
	defer cancel()
	s.forEachStudent(ctx, members, func(u store.User) { s.stopStudentSandbox(ctx, u, "dash.sbx_ended") })
	s.log.Info("class sandboxes ended", "class", c.ID, "students", len(members))
	redirectTo(w, r, classPath(c.ID), "ended")
}

// classActionRoutes are what an instructor does to a whole class (below
// /class/{class}).
func (s *Server) classActionRoutes(r chi.Router) {
	r.Post("/close", s.forClass(s.closeClass))
	r.Post("/end-sandboxes", s.forClass(s.endSandboxes))
	r.Post("/seats", s.forClass(s.setSeats))
	r.Post("/zones/{zone}", s.forClass(s.classZone))
}
