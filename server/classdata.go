package server

import (
	"context"
	"net/http"
	"strings"

	"github.com/kubelab/kubelab/store"
)

// classData is what a dashboard shows, read once per page or snapshot.
type classData struct {
	class     store.Class
	members   []store.Member
	progress  map[int64]map[string]store.StepProgress // user -> lab/step -> progress
	sandboxes map[int64]store.Sandbox
}

// ownedClassData is the data of the class of the URL if the signed-in
// instructor owns it; otherwise, or when it cannot be read, it answers
// and returns false.
func (s *Server) ownedClassData(w http.ResponseWriter, r *http.Request) (classData, bool) {
	c, ok := s.ownedClass(w, r)
	if !ok {
		return classData{}, false
	}
	d, err := s.loadClassData(r.Context(), c)
	if err != nil {
		s.internalError(w, r, err)
		return classData{}, false
	}
	return d, true
}

// forClassData is forClass for a handler of the class's data
// (ownedClassData).
func (s *Server) forClassData(h func(http.ResponseWriter, *http.Request, classData)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if d, ok := s.ownedClassData(w, r); ok {
			h(w, r, d)
		}
	}
}

func (s *Server) loadClassData(ctx context.Context, c store.Class) (classData, error) {
	d := classData{class: c, progress: map[int64]map[string]store.StepProgress{}}
	var err error
	if d.members, err = s.cfg.Store.Members(ctx, c.ID); err != nil {
		return d, err
	}
	rows, err := s.cfg.Store.ClassProgress(ctx, c.ID)
	if err != nil {
		return d, err
	}
	for _, p := range rows {
		m := d.progress[p.UserID]
		if m == nil {
			m = map[string]store.StepProgress{}
			d.progress[p.UserID] = m
		}
		m[p.LabID+"/"+p.StepID] = p
	}
	d.sandboxes, err = s.cfg.Store.ClassSandboxes(ctx, c.ID)
	return d, err
}

// sandboxOf is a student's sandbox state and its detail: the live one if
// the server holds the learner, else the last one recorded ("" if none).
func (s *Server) sandboxOf(userID int64, recorded map[int64]store.Sandbox) (string, string) {
	if l := s.peekLearner(userID); l != nil {
		st, msg, _, _ := l.snapshot()
		return string(st), msg
	}
	if sb, ok := recorded[userID]; ok {
		return string(sb.State), sb.Message
	}
	return "", ""
}

// cellOf is the state and message of one heat map cell: the learner's live
// verdict (both languages) when the server holds it, else the recorded one.
func (s *Server) cellOf(lg string, userID int64, lab, step string, p store.StepProgress, seen bool) (string, string) {
	if !seen {
		return "pending", ""
	}
	if p.Passed {
		return "passed", ""
	}
	if l := s.peekLearner(userID); l != nil {
		if v := l.lastVerdict(lab, step); v != nil && v.Passed == p.Passed {
			return "failed", strings.Join(v.Messages(lg), "; ")
		}
	}
	return "failed", p.LastMessage
}
