package server

import (
	"context"
	"net/http"

	"github.com/kubelab/kubelab/store"
	"github.com/kubelab/kubelab/web"
)

// welcome shows a learner their resume link, once, right after it was made.
func (s *Server) welcome(w http.ResponseWriter, r *http.Request) {
	u, ok := s.learnerOnly(w, r)
	if !ok {
		return
	}
	lg := lang(r)
	v := web.WelcomeView{Page: s.publicPage(r, web.T(lg, "welcome.title"))}
	if secret := s.class.sessions.PopString(r.Context(), sessResume); secret != "" {
		v.ResumeURL = s.baseURL(r) + "/resume/" + secret
	}
	v.Classes = s.classNames(r.Context(), u.ID)
	s.renderFresh(w, r, web.WelcomePage(v))
}

// mePage shows a learner their classes and lets them make a new resume link.
func (s *Server) mePage(w http.ResponseWriter, r *http.Request) {
	u, ok := s.learnerOnly(w, r)
	if !ok {
		return
	}
	lg := lang(r)
	v := web.WelcomeView{Page: s.publicPage(r, web.T(lg, "me.title")), Me: true, Classes: s.classNames(r.Context(), u.ID)}
	s.render(w, r, http.StatusOK, web.WelcomePage(v))
}

// learnerOnly returns the signed-in learner, or answers 404 to anyone else
// (instructors have no learner pages) and returns false.
func (s *Server) learnerOnly(w http.ResponseWriter, r *http.Request) (store.User, bool) {
	u := userOf(r)
	if u.Role != store.RoleLearner {
		s.notFound(w, r)
		return u, false
	}
	return u, true
}

// classNames are the names of the learner's classes.
func (s *Server) classNames(ctx context.Context, userID int64) []string {
	classes, _ := s.cfg.Store.ClassesByMember(ctx, userID)
	out := make([]string, 0, len(classes))
	for _, c := range classes {
		out = append(out, c.Name)
	}
	return out
}
