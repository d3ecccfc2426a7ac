package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/kubelab/kubelab/store"
	"github.com/kubelab/kubelab/web"
)

// classList shows the instructor's classes and the form for a new one.
func (s *Server) classList(w http.ResponseWriter, r *http.Request) {
	s.renderClassList(w, r, http.StatusOK, "", "")
}

func (s *Server) renderClassList(w http.ResponseWriter, r *http.Request, code int, name, errKey string) {
	lg := lang(r)
	u := userOf(r)
	v := web.ClassListView{Page: s.publicPage(r, web.T(lg, "classes.title")), Name: name}
	if errKey != "" {
		v.Error = web.T(lg, errKey)
	}
	classes, err := s.cfg.Store.ClassesByInstructor(r.Context(), u.ID)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	for _, c := range classes {
		members, _ := s.cfg.Store.Members(r.Context(), c.ID)
		v.Classes = append(v.Classes, s.classSummary(r, c, len(members)))
	}
	s.render(w, r, code, web.ClassListPage(v))
}

func (s *Server) classSummary(r *http.Request, c store.Class, members int) web.ClassSummary {
	return web.ClassSummary{ID: c.ID, Name: c.Name, JoinCode: c.JoinCode, JoinURL: s.baseURL(r) + "/join/" + c.JoinCode,
		Closed: c.Closed(), Members: members, CreatedAt: c.CreatedAt, SeatLimit: c.SeatLimit}
}

// createClass makes a class for the instructor and opens its dashboard.
func (s *Server) createClass(w http.ResponseWriter, r *http.Request) {
	if !s.readForm(w, r, "") {
		return
	}
	raw := r.PostForm.Get("name")
	name := cleanName(raw, maxClassRunes)
	if name == "" {
		s.renderClassList(w, r, http.StatusBadRequest, raw, "classes.bad_name")
		return
	}
	seats, err := s.seatsForNewClass(r.Context())
	if errors.Is(err, errNoCapacity) {
		s.renderClassList(w, r, http.StatusConflict, raw, "classes.no_capacity")
		return
	}
	var c store.Class
	if err == nil {
		s.rewarm() // the warm loop looks again shortly after
		c, err = s.cfg.Store.CreateClass(r.Context(), userOf(r).ID, name)
	}
	if err == nil {
		s.rewarm() // the warm loop looks again shortly after
		err = s.cfg.Store.SetSeatLimit(r.Context(), c.ID, seats)
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	http.Redirect(w, r, "/class/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
}
