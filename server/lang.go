package server

import (
	"net/http"
	"net/url"
	"strings"
)

// lang picks the page language: the lang cookie (the learner's choice in
// this browser), else the browser's Accept-Language, else the user's stored
// choice (another browser), else Korean.
func lang(r *http.Request) string {
	if c, err := r.Cookie("lang"); err == nil && (c.Value == "ko" || c.Value == "en") {
		return c.Value
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
	if u := userOf(r); u.Locale == "en" {
		return u.Locale
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
	switch s.cfg.Mode {
	case ModeLocal:
		if u, err := s.cfg.Store.EnsureLocalUser(r.Context()); err == nil {
			_ = s.cfg.Store.SetUserLocale(r.Context(), u.ID, to)
		}
	case ModeClass:
		if u, err := s.sessionUser(r); err == nil {
			_ = s.cfg.Store.SetUserLocale(r.Context(), u.ID, to)
		}
	}
	http.Redirect(w, r, safeBack(r.PostForm.Get("back")), http.StatusSeeOther)
}

// safeBack keeps a redirect on this site.
func safeBack(back string) string {
	u, err := url.Parse(back)
	if err != nil || back == "" || u.IsAbs() || u.Host != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(back, "//") ||
		strings.HasPrefix(back, `/\`) {
		return "/"
	}
	return u.RequestURI()
}
