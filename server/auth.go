package server

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/alexedwards/scs/sqlite3store"
	"github.com/alexedwards/scs/v2"
	"github.com/gorilla/websocket"

	"github.com/kubelab/kubelab/store"
	"github.com/kubelab/kubelab/web"
)

type ctxKey int

const userKey ctxKey = iota

// Session keys.
const (
	sessUserID = "uid"
	// sessGen is the user's session generation at sign-in: a session of an
	// older generation is signed out (store.User.SessionGen).
	sessGen = "gen"
	// sessResume holds a fresh resume link until the welcome page shows it.
	sessResume = "resume"
)

// Session lifetimes: a learner's browser stays signed in for two weeks (the
// resume link brings them back after that, or from another browser); an
// instructor's for one working day.
const (
	learnerSessionLifetime    = 14 * 24 * time.Hour
	instructorSessionLifetime = 12 * time.Hour
)

// userOf returns the authenticated user of a request.
func userOf(r *http.Request) store.User {
	u, _ := r.Context().Value(userKey).(store.User)
	return u
}

// newSessions is class mode's session manager: tokens in the sqlite3store
// "sessions" table of the kubelab database, cookies HttpOnly, SameSite=Lax
// and Secure (unless the server is configured for plain HTTP); onError
// answers a request whose session failed.
func newSessions(cfg Config, onError func(http.ResponseWriter, *http.Request, error)) (*scs.SessionManager, *sqlite3store.SQLite3Store) {
	st := sqlite3store.NewWithCleanupInterval(cfg.Store.DB(), 10*time.Minute)
	sm := scs.New()
	sm.Store = st
	sm.Lifetime = learnerSessionLifetime
	sm.Cookie.Name = "kubelab_session"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = !cfg.InsecureCookies
	sm.Cookie.Path = "/"
	sm.Cookie.Persist = true
	sm.ErrorFunc = onError
	return sm, st
}

// sessionMiddleware loads and saves the session of every request except
// static files (class mode only).
func (s *Server) sessionMiddleware(next http.Handler) http.Handler {
	withSession := s.class.sessions.LoadAndSave(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/assets/") || r.URL.Path == "/healthz" {
			next.ServeHTTP(w, r)
			return
		}
		withSession.ServeHTTP(w, r)
	})
}

// authenticate finds who is asking. In local mode that is always the one
// learner of this machine. In class mode it is the session's user: an
// instructor, or a learner who is still a member of a class; anyone else
// is sent to sign in (pages) or refused with 401 (APIs, websockets).
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Mode == ModeClass {
			s.authenticateClass(next, w, r)
			return
		}
		u, err := s.cfg.Store.EnsureLocalUser(r.Context())
		if err != nil {
			s.internalText(w, r, "cannot load your account", err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey, u)))
	})
}

// errSignedOut and errRemoved say why a session carries no user.
var (
	errSignedOut = errors.New("not signed in")
	errRemoved   = errors.New("no longer a member of a class")
)

// sessionUser loads the signed-in user of a class-mode request.
func (s *Server) sessionUser(r *http.Request) (store.User, error) {
	if s.class == nil {
		return store.User{}, errSignedOut
	}
	id := s.class.sessions.GetInt64(r.Context(), sessUserID)
	if id <= 0 {
		return store.User{}, errSignedOut
	}
	u, err := s.cfg.Store.UserByID(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, errSignedOut
	}
	if err != nil {
		return store.User{}, err
	}
	if s.class.sessions.GetInt64(r.Context(), sessGen) != u.SessionGen {
		return store.User{}, errSignedOut // signed out from elsewhere (a new resume link, the instructor)
	}
	switch u.Role {
	case store.RoleInstructor:
		return u, nil
	case store.RoleLearner:
		if len(s.memberClasses(r.Context(), u.ID)) == 0 {
			return store.User{}, errRemoved
		}
		return u, nil
	}
	return store.User{}, errSignedOut
}

func (s *Server) authenticateClass(next http.Handler, w http.ResponseWriter, r *http.Request) {
	u, err := s.sessionUser(r)
	switch {
	case errors.Is(err, errSignedOut), errors.Is(err, errRemoved):
		if errors.Is(err, errRemoved) || s.class.sessions.Exists(r.Context(), sessUserID) {
			_ = s.class.sessions.Destroy(r.Context())
		}
		s.unauthenticated(w, r, errors.Is(err, errRemoved))
		return
	case err != nil:
		s.internalText(w, r, "cannot load your account", err)
		return
	}
	if u.Role == store.RoleInstructor && r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		// An instructor's home is the class list; the course stays one click away.
		http.Redirect(w, r, "/class", http.StatusSeeOther)
		return
	}
	next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey, u)))
}

// wantsJSON reports whether a request is an API call or a websocket,
// answered with 401 JSON rather than a redirect to the sign-in page.
func wantsJSON(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || strings.HasSuffix(r.URL.Path, "/ws") ||
		websocket.IsWebSocketUpgrade(r) || strings.Contains(r.Header.Get("Accept"), "application/json")
}

// unauthenticated answers a request nobody signed in for: 401 JSON for
// APIs and websockets, else a redirect to the sign-in page (or, for a
// learner who was removed from their class, to the join page).
func (s *Server) unauthenticated(w http.ResponseWriter, r *http.Request, removed bool) {
	if wantsJSON(r) {
		writeJSON(w, http.StatusUnauthorized, apiError{Error: web.T(lang(r), "error.401"), Code: "unauthenticated"})
		return
	}
	if removed {
		http.Redirect(w, r, "/join?removed=1", http.StatusSeeOther)
		return
	}
	target := "/login"
	if r.Method == http.MethodGet && r.URL.Path != "/" {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// requireInstructor lets only instructors through; anyone else gets the
// same 404 as a missing page.
func (s *Server) requireInstructor(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if userOf(r).Role != store.RoleInstructor {
			s.notFound(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// signIn starts a fresh session (a new token, against session fixation)
// for u, valid while u's session generation stays the same.
func (s *Server) signIn(r *http.Request, u store.User) error {
	ctx := r.Context()
	if err := s.class.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.class.sessions.Put(ctx, sessUserID, u.ID)
	s.class.sessions.Put(ctx, sessGen, u.SessionGen)
	if u.Role == store.RoleInstructor {
		s.class.sessions.SetDeadline(ctx, time.Now().Add(instructorSessionLifetime))
	}
	return nil
}
