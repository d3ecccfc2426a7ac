package server

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/web"
)

// labStatus returns the current verdicts of a lab's steps (grading now).
func (s *Server) labStatus(w http.ResponseWriter, r *http.Request, lab *labs.Lab) {
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
func (s *Server) resetLabPasses(w http.ResponseWriter, r *http.Request, lab *labs.Lab) {
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

// labStatusRoutes are a lab's progress API (below /api).
func (s *Server) labStatusRoutes(r chi.Router) {
	r.Get("/labs/{lab}/status", s.forLab(s.labStatus))
	r.Post("/labs/{lab}/reset", s.forLab(s.resetLabPasses))
}
