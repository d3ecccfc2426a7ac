package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kubelab/kubelab/history"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/sandbox"
	"github.com/kubelab/kubelab/sandbox/snapshot"
	"github.com/kubelab/kubelab/web"
)

// Rewinding a step (docs/history.md): a step starts when the grader first
// sees it as the learner's current step (the first step of the open lab
// neither passing nor held), that is when the learner first opens the lab
// or when the step before passes. The learner's objects are saved then
// (package snapshot), once per step, in HistoryDir/steps/<sandbox>/; "start
// this step again" restores the cluster to them. Progress records and the
// recorded history are left as they are.

// restoreTimeout bounds one restore.
const restoreTimeout = 2 * time.Minute

// taking notes the learners whose step snapshot is being taken, so that a
// burst of gradings takes one.
var taking sync.Map // *learner → struct{}

// stepsDir holds the learner's step snapshots ("" when the server keeps no
// history).
func (l *learner) stepsDir() string {
	if l.s.cfg.HistoryDir == "" {
		return ""
	}
	return filepath.Join(l.s.cfg.HistoryDir, "steps", l.name)
}

// stepSnapshot is the path of a step's snapshot (lab and step are catalog ids).
func (l *learner) stepSnapshot(lab, step string) string {
	return filepath.Join(l.stepsDir(), lab+"."+step+".json")
}

// keepStepSnapshot saves the cluster for the learner's current step of
// lab, unless it was saved already. The grader calls it after grading;
// only the lab the learner has open counts (the status API grades others).
func (l *learner) keepStepSnapshot(lab *labs.Lab, results []labs.StepResult) {
	if l.stepsDir() == "" {
		return
	}
	l.mu.Lock()
	if l.openLab != lab.ID {
		l.mu.Unlock()
		return
	}
	current := ""
	for _, r := range results {
		if !r.Passed && l.held[lab.ID+"/"+r.ID].IsZero() {
			current = r.ID
			break
		}
	}
	if current == "" {
		l.mu.Unlock()
		return
	}
	path := l.stepSnapshot(lab.ID, current)
	kept := l.stepKept[path]
	l.mu.Unlock()
	if kept {
		return
	}
	if _, err := os.Stat(path); err == nil {
		l.keptStep(path)
		return
	}
	if _, busy := taking.LoadOrStore(l, struct{}{}); busy {
		return
	}
	go func() {
		defer taking.Delete(l)
		if err := l.takeStepSnapshot(path); err != nil {
			l.s.log.Warn("step snapshot", "learner", l.name, "lab", lab.ID, "step", current, "err", err)
			return
		}
		l.keptStep(path)
		// the open pages show "start this step again" now, not after a reload
		l.send(rewindMsg{Type: "rewind", Lab: lab.ID, Step: current, At: time.Now().UnixMilli()})
	}()
}

// rewindMsg tells the learner's pages that a step's start was kept
// (docs/stream.md): its "start this step again" control can show.
type rewindMsg struct {
	Type string `json:"type"` // "rewind"
	Lab  string `json:"lab"`
	Step string `json:"step"`
	At   int64  `json:"at"` // Unix milliseconds
}

func (rewindMsg) forDashboard(int64) any { return nil }

// keptStep notes that the step snapshot at path exists.
func (l *learner) keptStep(path string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stepKept == nil {
		l.stepKept = map[string]bool{}
	}
	l.stepKept[path] = true
}

// snapClientFor returns the snapshot client of the learner's sandbox box,
// made on first use and kept while the same sandbox runs.
func (l *learner) snapClientFor(box *sandbox.Sandbox) (*snapshot.Client, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.snap != nil && l.snapFor == box {
		return l.snap, nil
	}
	c, err := snapshot.New(box.REST, box.Namespace)
	if err != nil {
		return nil, err
	}
	l.snap, l.snapFor = c, box
	return c, nil
}

func (l *learner) takeStepSnapshot(path string) error {
	_, _, box, _ := l.snapshot()
	if box == nil {
		return errors.New("the sandbox is not running")
	}
	c, err := l.snapClientFor(box)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(l.s.ctx, time.Minute)
	defer cancel()
	start := time.Now()
	snap, err := c.Take(ctx)
	if err != nil {
		return err
	}
	n, err := snap.Save(path)
	if err != nil {
		return err
	}
	l.s.log.Info("step snapshot", "learner", l.name, "file", filepath.Base(path), "objects", len(snap.Items), "bytes", n, "took", time.Since(start))
	return nil
}

// forgetStepSnapshots deletes the learner's step snapshots (with their sandbox).
func (l *learner) forgetStepSnapshots() error {
	l.mu.Lock()
	l.stepKept = nil
	l.mu.Unlock()
	if dir := l.stepsDir(); dir != "" {
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("step snapshots: %w", err)
		}
	}
	return nil
}

// rewindRoutes serve the learner's step snapshots.
func (s *Server) rewindRoutes(r chi.Router) {
	r.Get("/labs/{lab}/rewind", s.forLab(s.stepSnapshots))
	r.Post("/labs/{lab}/steps/{step}/rewind", s.forLab(s.rewindStep))
}

// stepSnapshots answers GET /api/labs/{lab}/rewind: the learner's steps of
// the lab that can be started again, {"steps": [{"step", "at", "bytes"}]}.
func (s *Server) stepSnapshots(w http.ResponseWriter, r *http.Request, lab *labs.Lab) {
	l := s.learnerFor(userOf(r))
	steps := []map[string]any{}
	if l.stepsDir() != "" {
		for _, st := range lab.Steps {
			if fi, err := os.Stat(l.stepSnapshot(lab.ID, st.ID)); err == nil {
				steps = append(steps, map[string]any{"step": st.ID, "at": fi.ModTime().UnixMilli(), "bytes": fi.Size()})
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"lab": lab.ID, "steps": steps})
}

// rewindStep answers POST /api/labs/{lab}/steps/{step}/rewind: the
// learner's cluster is restored to the step's snapshot; the answer says
// what was deleted, created and updated, and how long it took (ms).
func (s *Server) rewindStep(w http.ResponseWriter, r *http.Request, lab *labs.Lab) {
	step := chi.URLParam(r, "step")
	if !hasStep(lab, step) {
		writeJSON(w, http.StatusNotFound, apiError{Error: "no such step"})
		return
	}
	l, box, ok := s.readySandbox(w, r)
	if !ok {
		return
	}
	if l.stepsDir() == "" {
		writeJSON(w, http.StatusNotFound, apiError{Error: "this server keeps no step snapshots", Code: "no_snapshot"})
		return
	}
	snap, err := snapshot.Load(l.stepSnapshot(lab.ID, step))
	if errors.Is(err, snapshot.ErrNone) {
		writeJSON(w, http.StatusNotFound, apiError{Error: web.T(lang(r), "api.noSnapshot"), Code: "no_snapshot"})
		return
	}
	if err != nil {
		s.internalJSON(w, r, err)
		return
	}
	if !l.acquireTurn(w, r) {
		return
	}
	defer l.releaseTurn()
	c, err := l.snapClientFor(box)
	if err != nil {
		s.internalJSON(w, r, err)
		return
	}
	l.mark(history.Mark{Kind: history.MarkRewind, Lab: lab.ID, Step: step})
	ctx, cancel := context.WithTimeout(r.Context(), restoreTimeout)
	defer cancel()
	res, err := c.Restore(ctx, snap)
	l.poke()
	if err != nil {
		s.internalJSON(w, r, fmt.Errorf("rewind %s/%s: %w", lab.ID, step, err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"lab": lab.ID, "step": step, "at": snap.TakenAt.UnixMilli(),
		"deleted": res.Deleted, "created": res.Created, "updated": res.Updated, "replaced": res.Replaced, "ms": res.Took.Milliseconds()})
}
