package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/kubelab/kubelab/sandbox"
	"github.com/kubelab/kubelab/store"
	"github.com/kubelab/kubelab/web"
)

// studentPage is one student for their instructor.
func (s *Server) studentPage(w http.ResponseWriter, r *http.Request) {
	c, u, ok := s.classStudent(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	lg := lang(r)
	d, err := s.loadClassData(ctx, c)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	var member store.Member
	for _, m := range d.members {
		if m.UserID == u.ID {
			member = m
		}
	}
	cols := s.heatLabs(lg, labsAll, d)
	v := web.StudentView{Page: s.publicPage(r, u.DisplayName), Class: s.classSummary(r, c, len(d.members)), Labs: cols,
		Row: s.heatRow(lg, d, member, cols), JoinedAt: member.JoinedAt, Notice: notice(r)}
	if entries, err := s.cfg.Store.ConsoleHistory(ctx, u.ID, 200); err == nil {
		for i := len(entries) - 1; i >= 0; i-- {
			e := entries[i]
			v.Console = append(v.Console, web.ConsoleLine{Command: e.Command, ExitCode: e.ExitCode, Output: e.Output, At: e.StartedAt})
		}
	}
	if hints, err := s.cfg.Store.Hints(ctx, u.ID, 50); err == nil {
		for _, h := range hints {
			v.Hints = append(v.Hints, web.HintLine{Text: h.Text, At: h.CreatedAt, Read: !h.ReadAt.IsZero()})
		}
	}
	s.renderFresh(w, r, web.StudentPage(v))
}

// studentWS streams a student's cluster to their instructor read-only: the
// same snapshot and delta messages as the student's /ws, plus their sandbox
// states and verdicts. It never starts the sandbox and accepts no actions.
func (s *Server) studentWS(w http.ResponseWriter, r *http.Request) {
	_, u, ok := s.classStudent(w, r)
	if !ok {
		return
	}
	l := s.learnerFor(u)
	c := openStream(w, r, l, true)
	if c == nil {
		return
	}
	defer c.closeStream()
	// The instructor's view keeps a frozen sandbox awake (it never starts
	// a stopped one).
	release := s.cfg.Provider.Hold(l.name)
	defer release()
	if st, _, _, _ := l.snapshot(); st == sandbox.StateFrozen {
		l.ensure()
	}
	c.sendJSON(l.stateMessage())
	c.serveStream()
}

// studentActionRoutes are what an instructor does to one student (below
// /class/{class}/students/{student}).
func (s *Server) studentActionRoutes(r chi.Router) {
	r.Post("/reset", s.resetStudent)
	r.Post("/hint", s.hintStudent)
	r.Post("/remove", s.removeStudent)
	r.Post("/signout", s.signOutStudent)
}
