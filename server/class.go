package server

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/alexedwards/scs/sqlite3store"
	"github.com/alexedwards/scs/v2"
	"github.com/go-chi/chi/v5"

	"github.com/kubelab/kubelab/store"
)

// classMode is the state class mode adds to the server: sessions, sign-in
// limits, the dashboards' hub and small caches.
type classMode struct {
	sessions  *scs.SessionManager
	sessStore *sqlite3store.SQLite3Store

	loginFails   *failLimiter // per address and email
	loginIPFails *failLimiter // per address
	joinFails    *failLimiter // wrong join codes, per address
	resumeFails  *failLimiter // wrong resume links posted, per address
	deviceFails  *failLimiter // wrong passwords, per trusted-device cookie
	deviceKey    []byte       // signs trusted-device cookies

	hub *classHub

	mu      sync.Mutex
	touched map[int64]time.Time // last activity recorded, by user
	members map[int64]memberEntry

	rewarm chan struct{} // asks warmLoop to look again
}

type memberEntry struct {
	classes []int64
	at      time.Time
}

// Caching and throttling of per-request work.
const (
	touchEvery     = 30 * time.Second
	membershipTTL  = 10 * time.Second
	maxNameRunes   = 40
	maxClassRunes  = 80
	maxHintRunes   = 1000
	resumeTokenLen = 32
)

func newClassMode(cfg Config, onSessionError func(http.ResponseWriter, *http.Request, error)) *classMode {
	sm, st := newSessions(cfg, onSessionError)
	return &classMode{
		sessions: sm, sessStore: st,
		loginFails:   newFailLimiter(loginMaxPerAccount, loginWindow),
		loginIPFails: newFailLimiter(loginMaxPerIP, loginWindow),
		joinFails:    newFailLimiter(joinMaxPerIP, loginWindow),
		resumeFails:  newFailLimiter(joinMaxPerIP, loginWindow),
		deviceFails:  newFailLimiter(loginMaxPerAccount, loginWindow),
		deviceKey:    deviceKey(cfg),
		hub:          newClassHub(),
		rewarm:       make(chan struct{}, 1),
		touched:      map[int64]time.Time{},
		members:      map[int64]memberEntry{},
	}
}

func (c *classMode) close() {
	if c == nil {
		return
	}
	c.sessStore.StopCleanup()
	c.hub.closeAll()
}

// classPublicRoutes adds class mode's public routes: sign-in, joining and
// resuming. In local mode there are none.
func (s *Server) classPublicRoutes(r chi.Router) {
	if s.class == nil {
		return
	}
	s.loginRoutes(r)
	s.joinRoutes(r)
}

// classRoutes adds class mode's routes for the signed-in (r authenticates):
// the learner's own pages and the instructor's classes. In local mode there
// are none.
func (s *Server) classRoutes(r chi.Router) {
	if s.class == nil {
		return
	}
	s.accountRoutes(r)
	r.Route("/class", func(r chi.Router) {
		r.Use(s.requireInstructor)
		r.Get("/", s.classList)
		r.Post("/", s.createClass)
		r.Route("/{class}", func(r chi.Router) {
			s.dashboardRoutes(r)
			s.resultRoutes(r)
			s.classActionRoutes(r)
			r.Route("/students/{student}", func(r chi.Router) {
				r.Get("/", s.studentPage)
				r.Get("/ws", s.studentWS)
				s.studentActionRoutes(r)
				// The student's cluster history, as the student's own page asks for it.
				s.historyRoutes(r)
			})
		})
	})
}

// ownedClass returns the class of the URL if the signed-in instructor owns
// it; otherwise it answers 404 (the same as for a class that does not
// exist) and returns false.
func (s *Server) ownedClass(w http.ResponseWriter, r *http.Request) (store.Class, bool) {
	id, err := strconv.ParseInt(chi.URLParam(r, "class"), 10, 64)
	if err != nil || id <= 0 {
		s.notFound(w, r)
		return store.Class{}, false
	}
	c, err := s.cfg.Store.ClassByID(r.Context(), id)
	u := userOf(r)
	if err != nil || u.Role != store.RoleInstructor || c.InstructorID != u.ID {
		s.notFound(w, r)
		return store.Class{}, false
	}
	return c, true
}

// forClass adapts h, a handler of one class, to a route below
// /class/{class}: h runs only for the instructor who owns the class
// (ownedClass); anyone else gets 404.
func (s *Server) forClass(h func(http.ResponseWriter, *http.Request, store.Class)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if c, ok := s.ownedClass(w, r); ok {
			h(w, r, c)
		}
	}
}

// classStudent returns the class and the student of the URL if the
// signed-in instructor owns the class and the student is an active member
// of it; otherwise 404.
func (s *Server) classStudent(w http.ResponseWriter, r *http.Request) (store.Class, store.User, bool) {
	c, ok := s.ownedClass(w, r)
	if !ok {
		return c, store.User{}, false
	}
	id, err := strconv.ParseInt(chi.URLParam(r, "student"), 10, 64)
	if err != nil || id <= 0 {
		s.notFound(w, r)
		return c, store.User{}, false
	}
	if ok, err := s.cfg.Store.IsMember(r.Context(), c.ID, id); err != nil || !ok {
		s.notFound(w, r)
		return c, store.User{}, false
	}
	u, err := s.cfg.Store.UserByID(r.Context(), id)
	if err != nil || u.Role != store.RoleLearner {
		s.notFound(w, r)
		return c, store.User{}, false
	}
	return c, u, true
}

// redirectTo answers a dashboard form: back to path with ?done=what.
func redirectTo(w http.ResponseWriter, r *http.Request, path, what string) {
	http.Redirect(w, r, path+"?done="+what, http.StatusSeeOther)
}

// classPath is the path of a class's dashboard, or of a path under it.
func classPath(id int64, rest ...string) string {
	return "/class/" + strconv.FormatInt(id, 10) + strings.Join(rest, "")
}
