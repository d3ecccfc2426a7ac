package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kubelab/kubelab/assets"
	"github.com/kubelab/kubelab/console"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/quizzes"
	"github.com/kubelab/kubelab/sandbox"
	"github.com/kubelab/kubelab/store"
)

// Modes of the server.
const (
	// ModeLocal serves one learner on their own machine, with no login.
	ModeLocal = "local"
	// ModeClass serves an instructor's classes.
	ModeClass = "class"
)

// Limits on what a request may carry.
const (
	maxJSONBody  = 64 << 10
	maxApplyBody = 512 << 10
	maxFormBody  = 16 << 10
)

// Config is everything the server needs.
type Config struct {
	Mode     string
	Provider *sandbox.Provider
	Store    *store.Store
	Catalog  *labs.Catalog
	Quizzes  *quizzes.Set
	Console  *console.Runner
	Logger   *slog.Logger
	// AllowedHosts are the Host header values accepted in local mode
	// (DNS-rebinding protection); empty = localhost names of any port.
	AllowedHosts []string
	// InsecureCookies drops the Secure flag of class mode's session cookie
	// (plain-HTTP servers only).
	InsecureCookies bool
	// HistoryDir holds each learner's recorded cluster history ("": none
	// recorded); HistoryMaxEntries bounds one learner's (0: the default).
	HistoryDir        string
	HistoryMaxEntries int
	// Zones are the availability zones of the sandboxes' nodes, for the
	// dashboard's zone outage drill (empty: no drill offered).
	Zones []string
	// PublicURL is the address learners open (join and resume links);
	// empty = as the request came in.
	PublicURL string
	// ClassSeats is the seat limit a new class gets (class mode); 0 =
	// DefaultClassSeats. The instructor changes it on the class's page.
	ClassSeats int
	// MaxSandboxes is how many sandboxes the server can run (0 = no known
	// limit): the seats of all open classes together never exceed it, so
	// no class takes the capacity another was promised.
	MaxSandboxes int
	// WarmPool is how many warm sandboxes to keep beside those the open
	// classes expect (class mode; the --pool flag).
	WarmPool int
	// PageGrace is how long a student's sandbox runs with none of their
	// pages open (class mode); 0 = DefaultPageGrace.
	PageGrace time.Duration
}

// DefaultClassSeats is a new class's seat limit unless Config.ClassSeats
// says otherwise.
const DefaultClassSeats = 30

// Server is the kubelab HTTP server.
type Server struct {
	cfg    Config
	log    *slog.Logger
	router chi.Router
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	learners map[int64]*learner

	class *classMode // class mode only
}

// New builds the server and its routes.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Provider == nil || cfg.Catalog == nil || cfg.Quizzes == nil || cfg.Console == nil {
		return nil, errors.New("server: incomplete configuration")
	}
	if cfg.Mode == "" {
		cfg.Mode = ModeLocal
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{cfg: cfg, log: cfg.Logger, ctx: ctx, cancel: cancel, learners: map[int64]*learner{}}
	if cfg.Mode == ModeClass {
		s.class = newClassMode(cfg, s.sessionError)
		go s.stopPageless()
		go s.warmLoop(ctx)
	} else if cfg.Mode != ModeLocal {
		cancel()
		return nil, fmt.Errorf("server: unknown mode %q (local or class)", cfg.Mode)
	}
	cfg.Provider.Notify(s.sandboxChanged) // state changes are pushed: nothing polls
	s.routes()
	return s, nil
}

// Handler is the server's root handler.
func (s *Server) Handler() http.Handler { return s.router }

// Close stops every learner's watcher and grader. Sandboxes are stopped
// by the provider's own Close.
func (s *Server) Close() {
	s.cancel()
	s.class.close()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.learners {
		l.stopWatch()
	}
}

func (s *Server) routes() {
	r := chi.NewRouter()
	r.Use(s.recoverPanics)
	r.Use(s.hostCheck)
	cop := http.NewCrossOriginProtection()
	r.Use(cop.Handler)
	if s.class != nil {
		r.Use(s.sessionMiddleware)
	}
	static, err := fs.Sub(assets.Static, "static")
	if err != nil {
		panic(err)
	}
	r.Handle("/assets/*", http.StripPrefix("/assets/", cacheStatic(http.FileServerFS(static))))
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })
	r.Post("/lang", s.setLanguage)
	s.classRoutes(r)

	r.Group(func(r chi.Router) {
		r.Use(s.authenticate, s.recordActivity)
		r.Get("/", s.home)
		r.Get("/labs/{lab}", s.labPage)
		r.Get("/quizzes/{quiz}", s.quizPage)
		r.Post("/quizzes/{quiz}/{question}", s.answerQuiz)
		r.Get("/ws", s.websocket)
		r.Route("/api", func(r chi.Router) {
			r.Post("/console", s.runConsole)
			r.Get("/console/history", s.consoleHistory)
			r.Post("/apply", s.apply)
			r.Post("/sandbox/reset", s.resetSandbox)
			r.Get("/sandbox", s.sandboxStatus)
			r.Get("/kubeconfig", s.kubeconfig)
			r.Get("/labs/{lab}/status", s.labStatus)
			r.Post("/labs/{lab}/reset", s.resetLabPasses)
			s.drillRoutes(r)
			s.historyRoutes(r)
			s.rewindRoutes(r)
		})
	})
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		s.errorPage(w, r, http.StatusNotFound, "not found")
	})
	s.router = r
}

func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		h.ServeHTTP(w, r)
	})
}

// hostCheck refuses requests whose Host is not this server's in local
// mode, so a web page cannot reach the learner's kubelab through DNS
// rebinding.
func (s *Server) hostCheck(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Referrer-Policy", "same-origin")
		if s.cfg.Mode == ModeLocal && !s.hostAllowed(r.Host) {
			http.Error(w, "kubelab: unexpected Host header", http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) hostAllowed(host string) bool {
	for _, h := range s.cfg.AllowedHosts {
		if strings.EqualFold(h, host) {
			return true
		}
	}
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.Trim(name, "[]")
	return name == "localhost" || name == "127.0.0.1" || name == "::1"
}

// Serve listens on addr until ctx ends, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	s.Close()
	return nil
}

// Warm starts the local learner's sandbox at once, so that it is ready by
// the time the browser opens.
func (s *Server) Warm(ctx context.Context) {
	if u, err := s.cfg.Store.EnsureLocalUser(ctx); err == nil {
		s.learnerFor(u).ensure()
	}
}
