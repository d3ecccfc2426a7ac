package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kubelab/kubelab/console"
	"github.com/kubelab/kubelab/history"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/sandbox"
	"github.com/kubelab/kubelab/store"
	"github.com/kubelab/kubelab/web"
)

// apiError is the JSON error every API route returns.
type apiError struct {
	Error string `json:"error"`
	Code  string `json:"code,omitempty"`
}

func readJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeJSON(w, http.StatusRequestEntityTooLarge, apiError{Error: "request too large", Code: "too_large"})
		} else {
			writeJSON(w, http.StatusBadRequest, apiError{Error: "malformed JSON: " + err.Error(), Code: "bad_json"})
		}
		return false
	}
	return true
}

// readySandbox returns the learner's running sandbox, or writes a clear
// error (and starts it) when it is not running.
func (s *Server) readySandbox(w http.ResponseWriter, r *http.Request) (*learner, *sandbox.Sandbox, bool) {
	l := s.learnerFor(userOf(r))
	st, msg, box, _ := l.snapshot()
	if box == nil {
		l.ensure()
		text := map[string]string{"ko": "샌드박스가 아직 준비되지 않았습니다 (" + string(st) + "). 잠시 후 다시 시도하세요.",
			"en": "your sandbox is not ready yet (" + string(st) + "); try again in a moment."}[lang(r)]
		if msg != "" {
			text += " " + msg
		}
		writeJSON(w, http.StatusServiceUnavailable, apiError{Error: text, Code: "sandbox_" + string(st)})
		return nil, nil, false
	}
	s.cfg.Provider.Touch(l.name)
	return l, box, true
}

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
		if errors.As(err, &ce) && lang(r) == "ko" {
			msg = ce.Ko
		}
		writeJSON(w, http.StatusBadRequest, consoleResponse{Error: msg, ExitCode: -1})
		return
	}
	l, box, ok := s.readySandbox(w, r)
	if !ok {
		return
	}
	if !l.acquireTurn(w, r) {
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

// labStatus returns the current verdicts of a lab's steps (grading now).
func (s *Server) labStatus(w http.ResponseWriter, r *http.Request) {
	lab := s.cfg.Catalog.Lab(chi.URLParam(r, "lab"))
	if lab == nil {
		writeJSON(w, http.StatusNotFound, apiError{Error: "no such lab"})
		return
	}
	l, _, ok := s.readySandbox(w, r)
	if !ok {
		return
	}
	results := l.gradeNow(r.Context(), lab)
	out := make([]map[string]any, 0, len(results))
	for _, res := range results {
		v := map[string]any{"id": res.ID, "passed": res.Passed, "current": res.Passed, "score": res.Score, "messages": res.Messages(lang(r))}
		if since := l.heldSince(r.Context(), lab.ID, res.ID); !since.IsZero() {
			v["passedAt"] = since.UTC().Format(time.RFC3339)
			if !res.Passed {
				v["passed"], v["score"], v["note"] = true, 1.0, web.T(lang(r), "status.changed")
			}
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, out)
}

// resetLabPasses lets go of the learner's held passes of a lab (form or
// query field step: of that step only) and grades it again on the cluster
// as it is. A JSON client gets 204, a form goes back to the page.
func (s *Server) resetLabPasses(w http.ResponseWriter, r *http.Request) {
	lab := s.cfg.Catalog.Lab(chi.URLParam(r, "lab"))
	if lab == nil {
		writeJSON(w, http.StatusNotFound, apiError{Error: "no such lab"})
		return
	}
	step := r.FormValue("step")
	if step != "" && !hasStep(lab, step) {
		writeJSON(w, http.StatusNotFound, apiError{Error: "no such step"})
		return
	}
	l := s.learnerFor(userOf(r))
	if err := l.resetPasses(r.Context(), lab.ID, step); err != nil {
		s.internalJSON(w, r, fmt.Errorf("reset %s/%s: %w", lab.ID, step, err))
		return
	}
	l.poke()
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	back := r.FormValue("back")
	if back == "" {
		back = r.Header.Get("Referer")
	}
	http.Redirect(w, r, safeBack(back), http.StatusSeeOther)
}

func hasStep(lab *labs.Lab, id string) bool {
	for _, st := range lab.Steps {
		if st.ID == id {
			return true
		}
	}
	return false
}

// acquireTurn lets one command or apply of a learner run at a time; a
// second one while the first runs gets 429 with a clear message.
func (l *learner) acquireTurn(w http.ResponseWriter, r *http.Request) bool {
	select {
	case l.busy <- struct{}{}:
		return true
	default:
		msg := map[string]string{"ko": "이전 명령이 아직 실행 중입니다. 끝난 뒤 다시 실행하세요.",
			"en": "your previous command is still running; run this one when it has finished."}[lang(r)]
		writeJSON(w, http.StatusTooManyRequests, apiError{Error: msg, Code: "busy"})
		return false
	}
}

func (l *learner) releaseTurn() { <-l.busy }
