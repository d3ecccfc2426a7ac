package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"runtime/debug"

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

// sessionError answers a request whose session could not be loaded or
// saved (the session manager's ErrorFunc).
func (s *Server) sessionError(w http.ResponseWriter, r *http.Request, err error) {
	s.internalText(w, r, "session storage failed", fmt.Errorf("session: %w", err))
}

// recoverPanics answers a handler that panicked as an internal error, its
// value and stack logged under the reference. A websocket (the connection
// is no longer HTTP) is only logged; http.ErrAbortHandler goes on up.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			err := fmt.Errorf("panic: %v\n%s", v, debug.Stack())
			switch {
			case r.Header.Get("Connection") == "Upgrade":
				s.logInternal(r, err)
			case wantsJSON(r):
				s.internalJSON(w, r, err)
			default:
				s.internalError(w, r, err)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
