package console

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"time"
)

// Spare workers: a class that arrives at once would start one console
// worker per learner in the same seconds, each a kubelab process whose
// start costs about 0.2 CPU-seconds, while the machine is busiest (the
// learners' sandboxes thaw and their pages list the cluster). A spare is a
// worker started ahead, before anyone needs it, in a neutral private
// directory; when a sandbox needs a worker, a spare is bound to it (it
// takes on that sandbox's environment and directory, a round trip of a
// millisecond) instead of a process being started. The server asks for as
// many spares as it keeps warm sandboxes (SetSpares).

// bindTimeout bounds the binding of a spare worker.
const bindTimeout = 10 * time.Second

// DefaultSpareTrimAfter is how long spare workers beyond the count wait
// before they are stopped when Runner.SpareTrimAfter is zero.
const DefaultSpareTrimAfter = time.Minute

// spares is the Runner's pool of unbound workers.
type spares struct {
	workers  []*worker
	target   int
	filling  bool
	trimming bool
}

// SetSpares asks the Runner to keep n spare workers, started ahead one at
// a time in the background. Each spare bound to a sandbox lowers the
// target by one until the next SetSpares, so that one taken by an arriving
// learner is not replaced while the caller's count still includes that
// learner. Spares beyond n are stopped only if they are still beyond the
// count SpareTrimAfter later: a count that comes just before the learner
// it left out takes their spare must not stop another one. It does nothing
// for a Runner with OneShot.
func (r *Runner) SetSpares(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.OneShot || r.closed {
		return
	}
	r.spare.target = max(n, 0)
	if len(r.spare.workers) > r.spare.target && !r.spare.trimming {
		r.spare.trimming = true
		after := r.SpareTrimAfter
		if after <= 0 {
			after = DefaultSpareTrimAfter
		}
		time.AfterFunc(after, func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.spare.trimming = false
			r.trimSparesLocked(r.spare.target)
		})
	}
	if len(r.spare.workers) < r.spare.target && !r.spare.filling {
		r.spare.filling = true
		go r.fillSpares()
	}
}

// Spares reports how many spare workers are started and waiting.
func (r *Runner) Spares() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, w := range r.spare.workers {
		if w.alive() {
			n++
		}
	}
	return n
}

// trimSparesLocked drops the spares that ended and stops those beyond
// limit. r.mu is held.
func (r *Runner) trimSparesLocked(limit int) {
	kept := r.spare.workers[:0]
	for _, w := range r.spare.workers {
		if !w.alive() || len(kept) >= limit {
			w.stop()
			continue
		}
		kept = append(kept, w)
	}
	clear(r.spare.workers[len(kept):])
	r.spare.workers = kept
}

// fillSpares starts spares one at a time until there are as many as the
// target; one filler runs at a time.
func (r *Runner) fillSpares() {
	for {
		r.mu.Lock()
		r.trimSparesLocked(len(r.spare.workers)) // the ended ones only
		if r.closed || len(r.spare.workers) >= r.spare.target {
			r.spare.filling = false
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		w, err := r.startSpare()
		r.mu.Lock()
		if err != nil || r.closed {
			if w != nil {
				w.stop()
			}
			r.spare.filling = false
			r.mu.Unlock()
			return
		}
		r.spare.workers = append(r.spare.workers, w)
		r.mu.Unlock()
	}
}

// startSpare starts a worker bound to no sandbox: in the private directory
// of the sandboxes' home directories (which holds no kubeconfig), with the
// environment every worker has.
func (r *Runner) startSpare() (*worker, error) {
	bin, err := r.binary()
	if err != nil {
		return nil, err
	}
	base, err := r.homeBase()
	if err != nil {
		return nil, err
	}
	like := exec.Command(bin, WorkerArg)
	like.Dir, like.Env = base, environment(base)
	w, err := startWorker("", like)
	if err != nil {
		return nil, fmt.Errorf("console: spare worker: %w", err)
	}
	return w, nil
}

// takeSpare returns a spare worker, or nil, and lowers the target by one.
func (r *Runner) takeSpare() *worker {
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(r.spare.workers) > 0 {
		last := len(r.spare.workers) - 1
		w := r.spare.workers[last]
		r.spare.workers[last] = nil
		r.spare.workers = r.spare.workers[:last]
		if w.alive() {
			r.spare.target = max(r.spare.target-1, 0)
			return w
		}
		w.stop()
	}
	return nil
}

// newWorker gives the kubeconfig key a worker with cmd's environment and
// directory: a spare bound to it when one is waiting, or else a worker
// started for it.
func (r *Runner) newWorker(key string, cmd *exec.Cmd) (*worker, error) {
	if w := r.takeSpare(); w != nil {
		var out bytes.Buffer
		res, _, kept, err := runOnWorker(context.Background(), w, request{Bind: &binding{Env: cmd.Env, Dir: cmd.Dir}}, bindTimeout, &out)
		if err == nil && kept && res.ExitCode == 0 && out.String() == boundMark {
			w.kubeconfig = key
			return w, nil
		}
		w.stop()
	}
	return startWorker(key, cmd)
}
