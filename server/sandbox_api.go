package server

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kubelab/kubelab/sandbox"
	"github.com/kubelab/kubelab/web"
)

// readySandbox returns the learner's running sandbox, or writes a clear
// error (and starts it) when it is not running.
func (s *Server) readySandbox(w http.ResponseWriter, r *http.Request) (*learner, *sandbox.Sandbox, bool) {
	l := s.learnerFor(userOf(r))
	st, msg, box, _ := l.snapshot()
	if box == nil {
		l.ensure()
		why := web.Tf(lang(r), "api.notReady", "state", string(st))
		if msg != "" {
			why += " " + msg
		}
		writeJSON(w, http.StatusServiceUnavailable, apiError{Error: why, Code: "sandbox_" + string(st)})
		return nil, nil, false
	}
	s.cfg.Provider.Touch(l.name)
	return l, box, true
}

func (s *Server) resetSandbox(w http.ResponseWriter, r *http.Request) {
	l := s.learnerFor(userOf(r))
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	if err := l.reset(ctx); err != nil {
		s.internalJSON(w, r, err)
		return
	}
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		writeJSON(w, http.StatusAccepted, l.stateMessage())
		return
	}
	http.Redirect(w, r, safeBack(r.Header.Get("Referer")), http.StatusSeeOther)
}

func (s *Server) sandboxStatus(w http.ResponseWriter, r *http.Request) {
	l := s.learnerFor(userOf(r))
	if r.URL.Query().Get("start") == "1" {
		l.ensure()
	}
	writeJSON(w, http.StatusOK, l.stateMessage())
}

// kubeconfig lets a local learner use their own kubectl. Class mode never
// hands out credentials.
func (s *Server) kubeconfig(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Mode != ModeLocal {
		writeJSON(w, http.StatusForbidden, apiError{Error: "kubeconfig download is only available in local mode"})
		return
	}
	_, box, ok := s.readySandbox(w, r)
	if !ok {
		return
	}
	data, err := os.ReadFile(box.Kubeconfig)
	if err != nil {
		s.internalJSON(w, r, fmt.Errorf("read kubeconfig: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("Content-Disposition", `attachment; filename="kubelab-kubeconfig.yaml"`)
	_, _ = w.Write(data)
}

// sandboxRoutes are the learner's sandbox API (below /api).
func (s *Server) sandboxRoutes(r chi.Router) {
	r.Post("/sandbox/reset", s.resetSandbox)
	r.Get("/sandbox", s.sandboxStatus)
	r.Get("/kubeconfig", s.kubeconfig)
}
