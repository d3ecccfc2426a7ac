package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/kubelab/kubelab/store"
	"github.com/kubelab/kubelab/web"
)

// newResumeSecret returns a random resume secret (what the link carries)
// and the hash stored for it: the database never holds the secret.
func newResumeSecret() (secret, stored string, err error) {
	b := make([]byte, resumeTokenLen)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	secret = base64.RawURLEncoding.EncodeToString(b)
	return secret, resumeHash(secret), nil
}

func resumeHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// newResumeLink replaces the learner's resume link (the old one stops
// working) and shows the new one.
func (s *Server) newResumeLink(w http.ResponseWriter, r *http.Request, u store.User) {
	secret, stored, err := newResumeSecret()
	if err == nil {
		err = s.cfg.Store.SetResumeToken(r.Context(), u.ID, stored)
	}
	var gen int64
	if err == nil { // whoever signed in with the old link is signed out; this browser stays
		gen, err = s.cfg.Store.BumpSessionGen(r.Context(), u.ID)
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	s.class.sessions.Put(r.Context(), sessGen, gen)
	s.class.sessions.Put(r.Context(), sessResume, secret)
	s.closeOtherPages(u.ID)
	http.Redirect(w, r, "/welcome", http.StatusSeeOther)
}

// resumeUser finds the learner of the resume link in the URL, or answers
// (404, 429, or the join page for a removed learner) and returns false.
// A link is 256 random bits: it cannot be guessed, so a valid link always
// works, and opening links (GET) never counts against anyone. Wrong links
// posted from one address are counted, and past resumeMaxWrong of them
// that address gets 429 instead of 404 for further wrong ones.
func (s *Server) resumeUser(w http.ResponseWriter, r *http.Request) (store.User, bool) {
	lg := lang(r)
	ip := clientIP(r)
	w.Header().Set("Cache-Control", "no-store")
	secret := chi.URLParam(r, "token")
	var u store.User
	err := store.ErrNotFound
	if len(secret) == base64.RawURLEncoding.EncodedLen(resumeTokenLen) {
		u, err = s.cfg.Store.UserByResumeToken(r.Context(), resumeHash(secret))
	}
	if err != nil || u.Role != store.RoleLearner {
		if r.Method != http.MethodPost {
			s.errorPage(w, r, http.StatusNotFound, web.T(lg, "resume.invalid"))
			return store.User{}, false
		}
		if wait := s.class.resumeFails.retryAfter(ip); wait > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
			s.errorPage(w, r, http.StatusTooManyRequests, web.T(lg, "resume.limited"))
			return store.User{}, false
		}
		s.class.resumeFails.fail(ip)
		s.log.Info("wrong resume link", "ip", ip)
		s.errorPage(w, r, http.StatusNotFound, web.T(lg, "resume.invalid"))
		return store.User{}, false
	}
	if len(s.memberClasses(r.Context(), u.ID)) == 0 {
		http.Redirect(w, r, "/join?removed=1", http.StatusSeeOther)
		return store.User{}, false
	}
	return u, true
}

// resumePage asks before signing in from a resume link: opening a link
// changes nothing (another site cannot sign a visitor in to someone
// else's lab), the button POSTs.
func (s *Server) resumePage(w http.ResponseWriter, r *http.Request) {
	u, ok := s.resumeUser(w, r)
	if !ok {
		return
	}
	lg := lang(r)
	s.render(w, r, http.StatusOK, web.ResumePage(web.ResumeView{Page: s.publicPage(r, web.T(lg, "resume.title")), Name: u.DisplayName,
		Action: r.URL.Path}))
}

// resume signs a learner in from their resume link (any browser).
func (s *Server) resume(w http.ResponseWriter, r *http.Request) {
	u, ok := s.resumeUser(w, r)
	if !ok {
		return
	}
	if err := s.signIn(r, u); err != nil {
		s.internalError(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// welcome shows a learner their resume link, once, right after it was made.
func (s *Server) welcome(w http.ResponseWriter, r *http.Request, u store.User) {
	lg := lang(r)
	v := web.WelcomeView{Page: s.publicPage(r, web.T(lg, "welcome.title"))}
	if secret := s.class.sessions.PopString(r.Context(), sessResume); secret != "" {
		v.ResumeURL = s.baseURL(r) + "/resume/" + secret
	}
	v.Classes = s.classNames(r.Context(), u.ID)
	s.renderFresh(w, r, web.WelcomePage(v))
}

// mePage shows a learner their classes and lets them make a new resume link.
func (s *Server) mePage(w http.ResponseWriter, r *http.Request, u store.User) {
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

// forLearner adapts h, a handler of a learner's own page, to a route: h
// runs for the signed-in learner (learnerOnly); anyone else gets 404.
func (s *Server) forLearner(h func(http.ResponseWriter, *http.Request, store.User)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if u, ok := s.learnerOnly(w, r); ok {
			h(w, r, u)
		}
	}
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

// accountRoutes are a signed-in learner's own pages.
func (s *Server) accountRoutes(r chi.Router) {
	r.Get("/welcome", s.forLearner(s.welcome))
	r.Get("/me", s.forLearner(s.mePage))
	r.Post("/me/resume", s.forLearner(s.newResumeLink))
}
