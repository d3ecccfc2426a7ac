package server

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/kubelab/kubelab/web"
)

// internalError answers a request whose handling failed on the server's
// side with a page (or, for API requests, JSON) that says so and carries a
// reference, and logs the cause under that reference with the route and
// the user. The cause never reaches the client: it may name files, SQL or
// the sandbox's internals.
func (s *Server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	ref := s.logInternal(r, err)
	p := web.Page{Lang: lang(r), Mode: s.cfg.Mode, Backend: s.cfg.Provider.Name(), Path: r.URL.RequestURI()}
	s.render(w, r, http.StatusInternalServerError, web.ErrorPage(web.ErrorView{Page: p, Code: http.StatusInternalServerError, Ref: ref}))
}

// internalJSON is internalError for the JSON API.
func (s *Server) internalJSON(w http.ResponseWriter, r *http.Request, err error) {
	ref := s.logInternal(r, err)
	writeJSON(w, http.StatusInternalServerError, apiError{Error: "internal error (ref " + ref + ")"})
}

// logInternal logs a failed request's cause and returns the reference the
// client is shown.
func (s *Server) logInternal(r *http.Request, err error) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	ref := hex.EncodeToString(b[:])
	route := r.URL.Path
	if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
		route = rc.RoutePattern()
	}
	s.log.Error("request failed", "ref", ref, "method", r.Method, "route", route, "user", userOf(r).ID, "err", err)
	return ref
}

// internalText is internalError for answers that cannot render a page (the
// session layer and the authentication middleware).
func (s *Server) internalText(w http.ResponseWriter, r *http.Request, what string, err error) {
	ref := s.logInternal(r, err)
	http.Error(w, "kubelab: "+what+" (ref "+ref+")", http.StatusInternalServerError)
}
