package server

import (
	"net/http"

	"github.com/kubelab/kubelab/history"
	"github.com/kubelab/kubelab/manifest"
	"github.com/kubelab/kubelab/web"
)

type applyRequest struct {
	YAML   string `json:"yaml"`
	DryRun bool   `json:"dryRun"`
}

type applyResponse struct {
	Results []manifest.Result    `json:"results"`
	Errors  []manifest.LineError `json:"errors"`
}

// apply is the YAML editor's back end: parse, then server-side apply with
// strict validation (or a server-side dry run).
func (s *Server) apply(w http.ResponseWriter, r *http.Request) {
	var req applyRequest
	if !readJSON(w, r, maxApplyBody, &req) {
		return
	}
	docs, errs := manifest.Parse(req.YAML)
	if len(errs) > 0 || len(docs) == 0 {
		if len(errs) == 0 {
			errs = []manifest.LineError{{Message: web.T(lang(r), "api.nothingToApply")}}
		}
		writeJSON(w, http.StatusUnprocessableEntity, applyResponse{Results: []manifest.Result{}, Errors: errs})
		return
	}
	l, box, ok := s.sandboxTurn(w, r)
	if !ok {
		return
	}
	defer l.releaseTurn()
	cs, err := l.clusterState(box)
	if err != nil {
		s.internalJSON(w, r, err)
		return
	}
	if !req.DryRun {
		l.mark(history.Mark{Kind: history.MarkApply, Text: applyMarkText(docs)})
	}
	results := manifest.Apply(r.Context(), cs.Dynamic(), cs, docs, req.DryRun)
	resp := applyResponse{Results: results, Errors: []manifest.LineError{}}
	code := http.StatusOK
	for _, res := range results {
		if res.Error != "" {
			code = http.StatusUnprocessableEntity
		}
	}
	l.poke()
	writeJSON(w, code, resp)
}
