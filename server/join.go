package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/kubelab/kubelab/store"
	"github.com/kubelab/kubelab/web"
)

// joinPage shows the join form (the code filled in from /join/{code}).
func (s *Server) joinPage(w http.ResponseWriter, r *http.Request) {
	lg := lang(r)
	v := web.JoinView{Page: s.publicPage(r, web.T(lg, "join.title")), Code: store.NormalizeJoinCode(chi.URLParam(r, "code"))}
	q := r.URL.Query()
	switch {
	case q.Get("removed") != "":
		v.Notice = web.T(lg, "join.removed")
	case q.Get("bye") != "":
		v.Notice = web.T(lg, "join.bye")
	}
	if v.Code != "" {
		if c, err := s.cfg.Store.ClassByJoinCode(r.Context(), v.Code); err == nil {
			v.ClassName = c.Name
			if c.Closed() {
				v.Error = web.T(lg, "join.closed")
			}
		}
	}
	s.render(w, r, http.StatusOK, web.JoinPage(v))
}

// join makes the visitor a member of the class with the posted code: a new
// learner account with the posted name and a resume link, or the signed-in
// learner's own account.
func (s *Server) join(w http.ResponseWriter, r *http.Request) {
	if !s.readForm(w, r, "") {
		return
	}
	lg := lang(r)
	code := store.NormalizeJoinCode(r.PostForm.Get("code"))
	v := web.JoinView{Page: s.publicPage(r, web.T(lg, "join.title")), Code: code, Name: r.PostForm.Get("name")}
	fail := func(code int, key string) {
		v.Error = web.T(lg, key)
		s.render(w, r, code, web.JoinPage(v))
	}
	// Only wrong codes count and only wrong codes are refused past the
	// address's budget: someone behind the class's address who burns it
	// does not keep the class from joining with the right code, and
	// guessing stays hopeless (31^8 codes).
	ip := clientIP(r)
	wrongCode := func(status int) {
		if wait := s.class.joinFails.retryAfter(ip); wait > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
			fail(http.StatusTooManyRequests, "join.limited")
			return
		}
		s.class.joinFails.fail(ip)
		fail(status, "join.bad_code")
	}
	if len(code) != store.JoinCodeLength {
		wrongCode(http.StatusBadRequest)
		return
	}
	class, err := s.cfg.Store.ClassByJoinCode(r.Context(), code)
	if errors.Is(err, store.ErrNotFound) {
		wrongCode(http.StatusNotFound)
		return
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	v.ClassName = class.Name
	if class.Closed() {
		fail(http.StatusForbidden, "join.closed")
		return
	}
	current, cerr := s.sessionUser(r)
	if cerr == nil && current.Role == store.RoleInstructor {
		fail(http.StatusConflict, "join.instructor")
		return
	}
	instructorName := ""
	if in, err := s.cfg.Store.UserByID(r.Context(), class.InstructorID); err == nil {
		instructorName = in.DisplayName
	}
	if cerr == nil { // a signed-in learner joins one more class, under the same name checks
		if sameName(current.DisplayName, instructorName) {
			v.Error = web.Tf(lg, "join.name_taken_signed_in", "name", current.DisplayName)
			s.render(w, r, http.StatusConflict, web.JoinPage(v))
			return
		}
		s.rewarm() // the warm loop looks again shortly after
		err := s.cfg.Store.JoinClass(r.Context(), class.ID, current.ID, func(m string) bool { return sameName(m, current.DisplayName) })
		if errors.Is(err, store.ErrNameTaken) {
			v.Error = web.Tf(lg, "join.name_taken_signed_in", "name", current.DisplayName)
			s.render(w, r, http.StatusConflict, web.JoinPage(v))
			return
		}
		if err != nil {
			s.joinError(w, r, v, class, err)
			return
		}
		s.membersChanged(class.ID, current.ID)
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	name, why := normalizeDisplayName(v.Name)
	if why != "" {
		fail(http.StatusBadRequest, why)
		return
	}
	if sameName(name, instructorName) {
		fail(http.StatusConflict, "join.name_taken")
		return
	}
	secret, stored, err := newResumeSecret()
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	s.rewarm() // the warm loop looks again shortly after
	u, err := s.cfg.Store.CreateLearnerInClass(r.Context(), class.ID,
		store.User{DisplayName: name, Role: store.RoleLearner, ResumeToken: stored, Locale: lg},
		func(m string) bool { return sameName(m, name) })
	if err != nil {
		s.joinError(w, r, v, class, err)
		return
	}
	if err := s.signIn(r, u); err != nil {
		s.internalError(w, r, err)
		return
	}
	s.class.sessions.Put(r.Context(), sessResume, secret)
	s.membersChanged(class.ID, u.ID)
	s.log.Info("learner joined", "class", class.ID, "user", u.ID)
	http.Redirect(w, r, "/welcome", http.StatusSeeOther)
}

// joinError answers a join the store refused: closed, full, or a name
// that clashes; anything else is a server error.
func (s *Server) joinError(w http.ResponseWriter, r *http.Request, v web.JoinView, class store.Class, err error) {
	lg := lang(r)
	switch {
	case errors.Is(err, store.ErrClassClosed):
		v.Error = web.T(lg, "join.closed")
		s.render(w, r, http.StatusForbidden, web.JoinPage(v))
		return
	case errors.Is(err, store.ErrClassFull):
		v.Error = web.Tf(lg, "join.full", "seats", strconv.Itoa(class.SeatLimit))
		s.log.Info("join refused: class full", "class", class.ID, "seats", class.SeatLimit)
		s.render(w, r, http.StatusForbidden, web.JoinPage(v))
		return
	case errors.Is(err, store.ErrNameTaken):
		v.Error = web.T(lg, "join.name_taken")
		s.render(w, r, http.StatusConflict, web.JoinPage(v))
		return
	}
	s.internalError(w, r, err)
}

// joinRoutes let a student join a class with its code, and come back
// with their resume link.
func (s *Server) joinRoutes(r chi.Router) {
	r.Get("/join", s.joinPage)
	r.Get("/join/{code}", s.joinPage)
	r.Post("/join", s.join)
	r.Route("/resume/{token}", func(r chi.Router) {
		r.Get("/", s.resumePage)
		r.Post("/", s.resume)
	})
}
