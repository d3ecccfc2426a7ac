package server

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kubelab/kubelab/console"
	"github.com/kubelab/kubelab/history"
	"github.com/kubelab/kubelab/sandbox"
	"github.com/kubelab/kubelab/store"
	"github.com/kubelab/kubelab/web"
)

type consoleRequest struct {
	Command string `json:"command"`
}

type consoleResponse struct {
	Output    string `json:"output"`
	ExitCode  int    `json:"exitCode"`
	Error     string `json:"error,omitempty"`
	Truncated bool   `json:"truncated,omitempty"`
	TimedOut  bool   `json:"timedOut,omitempty"`
}

// maxConsoleOutputStored bounds the output kept in the history.
const maxConsoleOutputStored = 8 << 10

func (s *Server) runConsole(w http.ResponseWriter, r *http.Request) {
	var req consoleRequest
	if !readJSON(w, r, maxJSONBody, &req) {
		return
	}
	argv, err := console.Parse(req.Command)
	if err != nil {
		msg := err.Error()
		var ce *console.Error
		if errors.As(err, &ce) {
			msg = ce.Pick(lang(r))
		}
		writeJSON(w, http.StatusBadRequest, consoleResponse{Error: msg, ExitCode: -1})
		return
	}
	l, box, ok := s.sandboxTurn(w, r)
	if !ok {
		return
	}
	defer l.releaseTurn()
	l.mark(history.Mark{Kind: history.MarkCommand, Text: strings.TrimSpace(req.Command)})
	started := time.Now()
	res := s.cfg.Console.Run(r.Context(), box.Kubeconfig, argv)
	stored := res.Output
	if len(stored) > maxConsoleOutputStored {
		stored = stored[:maxConsoleOutputStored]
	}
	if _, err := s.cfg.Store.AppendConsole(r.Context(), store.ConsoleEntry{UserID: l.user.ID, Command: strings.TrimSpace(req.Command),
		ExitCode: res.ExitCode, Output: stored, StartedAt: started, Duration: res.Duration}); err != nil {
		s.log.Warn("console history", "err", err)
	}
	l.recordCommand(strings.TrimSpace(req.Command), started)
	l.poke()
	writeJSON(w, http.StatusOK, consoleResponse{Output: res.Output, ExitCode: res.ExitCode, Truncated: res.Truncated, TimedOut: res.TimedOut})
}

func (s *Server) consoleHistory(w http.ResponseWriter, r *http.Request) {
	entries, err := s.cfg.Store.ConsoleHistory(r.Context(), userOf(r).ID, 200)
	if err != nil {
		s.internalJSON(w, r, err)
		return
	}
	out := make([]map[string]any, 0, len(entries))
	for _, e := range entries {
		out = append(out, map[string]any{"command": e.Command, "exitCode": e.ExitCode, "at": e.StartedAt})
	}
	writeJSON(w, http.StatusOK, out)
}

// sandboxTurn is readySandbox, then the learner's turn (acquireTurn); the
// caller releases the turn when ok.
func (s *Server) sandboxTurn(w http.ResponseWriter, r *http.Request) (l *learner, box *sandbox.Sandbox, ok bool) {
	if l, box, ok = s.readySandbox(w, r); !ok || !l.acquireTurn(w, r) {
		return nil, nil, false
	}
	return l, box, true
}

// acquireTurn lets one command or apply of a learner run at a time; a
// second one while the first runs gets 429 with a clear message.
func (l *learner) acquireTurn(w http.ResponseWriter, r *http.Request) bool {
	select {
	case l.busy <- struct{}{}:
		return true
	default:
		msg := web.T(lang(r), "api.busy")
		writeJSON(w, http.StatusTooManyRequests, apiError{Error: msg, Code: "busy"})
		return false
	}
}

func (l *learner) releaseTurn() { <-l.busy }

// consoleRoutes are the console's and the YAML editor's API (below /api).
func (s *Server) consoleRoutes(r chi.Router) {
	r.Post("/console", s.runConsole)
	r.Get("/console/history", s.consoleHistory)
	r.Post("/apply", s.apply)
}
