package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/kubelab/kubelab/store"
)

type ctxKey int

const userKey ctxKey = iota

// userOf returns the authenticated user of a request.
func userOf(r *http.Request) store.User {
	u, _ := r.Context().Value(userKey).(store.User)
	return u
}

// authenticate finds who is asking. In local mode that is always the one
// learner of this machine; class mode adds sign-in.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var u store.User
		var err error
		switch s.cfg.Mode {
		case ModeLocal:
			u, err = s.cfg.Store.EnsureLocalUser(r.Context())
		default:
			http.Error(w, "class mode is not available in this build", http.StatusNotImplemented)
			return
		}
		if err != nil {
			s.log.Error("authenticate", "err", err)
			http.Error(w, "kubelab: cannot load your account", http.StatusInternalServerError)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey, u)))
	})
}

// lang picks the page language: the lang cookie, else the user's stored
// choice, else the browser's Accept-Language (Korean unless English is
// preferred).
func lang(r *http.Request) string {
	if c, err := r.Cookie("lang"); err == nil && (c.Value == "ko" || c.Value == "en") {
		return c.Value
	}
	if u := userOf(r); u.Locale == "en" || u.Locale == "ko" {
		return u.Locale
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "ko"):
			return "ko"
		case strings.HasPrefix(tag, "en"):
			return "en"
		}
	}
	return "ko"
}

// setLanguage remembers the chosen language (cookie, and the user's
// record when signed in) and goes back to the page.
func (s *Server) setLanguage(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	to := r.PostForm.Get("to")
	if to != "ko" && to != "en" {
		http.Error(w, "language must be ko or en", http.StatusBadRequest)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: "lang", Value: to, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	if s.cfg.Mode == ModeLocal {
		if u, err := s.cfg.Store.EnsureLocalUser(r.Context()); err == nil {
			_ = s.cfg.Store.SetUserLocale(r.Context(), u.ID, to)
		}
	}
	http.Redirect(w, r, safeBack(r.PostForm.Get("back")), http.StatusSeeOther)
}

// safeBack keeps a redirect on this site.
func safeBack(back string) string {
	u, err := url.Parse(back)
	if err != nil || back == "" || u.IsAbs() || u.Host != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(back, "//") {
		return "/"
	}
	return u.RequestURI()
}
