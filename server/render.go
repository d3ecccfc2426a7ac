package server

import (
	"net/http"
	"strings"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"

	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/quizzes"
	"github.com/kubelab/kubelab/web"
)

// publicPage is the frame of class mode's own pages (no sandbox in it).
func (s *Server) publicPage(r *http.Request, title string) web.Page {
	p := web.Page{Lang: lang(r), Title: title, Mode: s.cfg.Mode, Backend: s.cfg.Provider.Name(), Path: r.URL.RequestURI()}
	u := userOf(r)
	if u.ID == 0 && s.class != nil {
		u, _ = s.sessionUser(r)
	}
	p.UserName, p.Role = u.DisplayName, string(u.Role)
	return p
}

// baseURL is this server's address as the browser sees it, for the links
// an instructor hands out.
func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return strings.TrimRight(s.cfg.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) page(r *http.Request, title string) web.Page {
	u := userOf(r)
	l := s.learnerFor(u)
	st, msg, box, _ := l.snapshot()
	p := web.Page{Lang: lang(r), Title: title, Mode: s.cfg.Mode, UserName: u.DisplayName, Role: string(u.Role),
		Backend: s.cfg.Provider.Name(), SandboxState: string(st), SandboxMessage: msg, Path: r.URL.RequestURI()}
	if box != nil {
		p.RealContainers = box.RealContainers
	}
	return p
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, code int, c templ.Component) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	w.WriteHeader(code)
	if err := c.Render(r.Context(), w); err != nil {
		s.log.Warn("render", "path", r.URL.Path, "err", err)
	}
}

// renderFresh renders c with 200 and asks browsers not to keep it (live
// class data).
func (s *Server) renderFresh(w http.ResponseWriter, r *http.Request, c templ.Component) {
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, c)
}

func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, code int, msg string) {
	p := web.Page{Lang: lang(r), Mode: s.cfg.Mode, Backend: s.cfg.Provider.Name(), Path: r.URL.RequestURI()}
	s.render(w, r, code, web.ErrorPage(web.ErrorView{Page: p, Code: code, Message: msg}))
}

// notFound is the one answer to a class, student or page that does not
// exist or is not the caller's.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if wantsJSON(r) {
		writeJSON(w, http.StatusNotFound, apiError{Error: "not found", Code: "not_found"})
		return
	}
	s.errorPage(w, r, http.StatusNotFound, "")
}

// forFound adapts h, a handler of one course item, to a route: h gets
// what find makes of the URL parameter param (the lab of /labs/{lab}, the
// quiz of /quizzes/{quiz}); when there is none, the answer is 404 "no such
// <param>", as a page or as JSON (wantsJSON).
func forFound[T any](s *Server, param string, find func(string) *T, h func(http.ResponseWriter, *http.Request, *T)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if v := find(chi.URLParam(r, param)); v != nil {
			h(w, r, v)
			return
		}
		msg := "no such " + param
		if wantsJSON(r) {
			writeJSON(w, http.StatusNotFound, apiError{Error: msg})
		} else {
			s.errorPage(w, r, http.StatusNotFound, msg)
		}
	}
}

// forLab is forFound for a handler of the lab of /labs/{lab}.
func (s *Server) forLab(h func(http.ResponseWriter, *http.Request, *labs.Lab)) http.HandlerFunc {
	return forFound(s, "lab", s.cfg.Catalog.Lab, h)
}

// forQuiz is forFound for a handler of the quiz of /quizzes/{quiz}.
func (s *Server) forQuiz(h func(http.ResponseWriter, *http.Request, *quizzes.Quiz)) http.HandlerFunc {
	return forFound(s, "quiz", s.cfg.Quizzes.Quiz, h)
}

// readForm parses a posted form of at most maxFormBody bytes, or answers
// 400 with msg (may be "") and returns false.
func (s *Server) readForm(w http.ResponseWriter, r *http.Request, msg string) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, msg)
		return false
	}
	return true
}
