package server

import (
	"context"
	"strings"
	"time"

	"github.com/kubelab/kubelab/history"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/sandbox"
	"github.com/kubelab/kubelab/text"
	"github.com/kubelab/kubelab/watch"
)

// hintAfter is how many failing attempts at a step earn its hint.
const hintAfter = 3

// firstHint is the hint of the first failing check.
func firstHint(r labs.StepResult) text.Text {
	for _, c := range r.Checks {
		if !c.Passed && !c.Hint.Empty() {
			return c.Hint
		}
	}
	return text.Text{}
}

// gradeDelay lets a burst of watch events settle before grading once.
const gradeDelay = 80 * time.Millisecond

func (l *learner) clusterState(box *sandbox.Sandbox) (*labs.ClusterState, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cs != nil && l.csFor == box.Kubeconfig {
		return l.cs, nil
	}
	cs, err := labs.NewClusterState(box.REST)
	if err != nil {
		return nil, err
	}
	l.cs, l.csFor = cs, box.Kubeconfig
	return cs, nil
}

func (l *learner) lastVerdict(lab, step string) *labs.StepResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	if v, ok := l.verdicts[lab+"/"+step]; ok {
		return &v
	}
	return nil
}

// grader re-grades the open lab whenever the cluster changes or the
// learner runs a command: event-driven, never polling.
func (l *learner) grader(ctx context.Context, w *watch.Watcher) {
	_, sub := w.Subscribe(256)
	defer sub.Close()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	pending := false
	arm := func() {
		if !pending {
			pending = true
			timer.Reset(gradeDelay)
		}
	}
	arm()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sub.C():
			arm()
		case <-sub.Overflowed():
			sub.Resync()
			arm()
		case <-l.kick:
			arm()
		case <-timer.C:
			pending = false
			l.mu.Lock()
			labID := l.openLab
			l.mu.Unlock()
			if lab := l.s.cfg.Catalog.Lab(labID); lab != nil {
				l.grade(ctx, lab, w)
			}
		}
	}
}

// gradeNow grades a lab at once (the status API and tests).
func (l *learner) gradeNow(ctx context.Context, lab *labs.Lab) []labs.StepResult {
	w := l.liveWatcher(ctx)
	if w == nil {
		return nil
	}
	return l.grade(ctx, lab, w)
}

// grade evaluates the lab, stores changed verdicts and pushes them to the
// learner's pages. A step that passed earlier stays passed (held) when the
// cluster changes; its message says so.
func (l *learner) grade(ctx context.Context, lab *labs.Lab, w *watch.Watcher) []labs.StepResult {
	act := l.activityFor(ctx, lab.ID, w)
	results := l.s.cfg.Catalog.GradeLab(ctx, lab, w, act)
	l.loadHeld(ctx)
	for _, res := range results {
		key := lab.ID + "/" + res.ID
		l.mu.Lock()
		prev, seen := l.verdicts[key]
		l.verdicts[key] = res
		since, held := l.held[key]
		newPass := res.Passed && !held
		if newPass {
			since = time.Now()
			l.held[key] = since
		}
		l.mu.Unlock()
		if seen && sameVerdict(prev, res) && !newPass {
			continue
		}
		l.mu.Lock()
		if !res.Passed && (!seen || prev.Passed || prev.Score != res.Score) {
			l.fails[key]++
		}
		hinted := l.fails[key] >= hintAfter && !held
		l.mu.Unlock()
		if verdictMarked(seen, prev.Passed, res.Passed) {
			l.mark(history.Mark{Kind: history.MarkVerdict, Lab: lab.ID, Step: res.ID, Passed: res.Passed})
		}
		msg := strings.Join(res.Messages("en"), "; ")
		if _, err := l.s.cfg.Store.RecordVerdict(ctx, l.user.ID, lab.ID, res.ID, res.Passed, res.Score, msg); err != nil {
			l.s.log.Warn("record verdict", "err", err)
		}
		vm := verdictMessage(lab.ID, res, since)
		if hinted && !res.Passed {
			vm = vm.withHint(firstHint(res))
		}
		l.send(vm)
	}
	l.keepStepSnapshot(lab, results)
	return results
}

// loadHeld reads the learner's held passes from the store, once.
func (l *learner) loadHeld(ctx context.Context) {
	l.mu.Lock()
	done := l.heldLoaded
	l.mu.Unlock()
	if done {
		return
	}
	rows, err := l.s.cfg.Store.Progress(ctx, l.user.ID)
	if err != nil {
		l.s.log.Warn("held passes", "err", err)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.heldLoaded {
		return
	}
	for _, p := range rows {
		if key := p.LabID + "/" + p.StepID; !p.PassedAt.IsZero() && l.held[key].IsZero() {
			l.held[key] = p.PassedAt
		}
	}
	l.heldLoaded = true
}

// heldSince is when the pass held for lab/step happened (zero if none).
func (l *learner) heldSince(ctx context.Context, lab, step string) time.Time {
	l.loadHeld(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held[lab+"/"+step]
}

// resetPasses lets go of held passes (every lab when lab is "", one lab
// when step is "", else one step) in the store and here, and forgets the
// latest verdicts of those steps so the next grading sends them again.
func (l *learner) resetPasses(ctx context.Context, lab, step string) error {
	if _, err := l.s.cfg.Store.ResetPasses(ctx, l.user.ID, lab, step); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for key := range l.held {
		if matchKey(key, lab, step) {
			delete(l.held, key)
		}
	}
	for key := range l.verdicts {
		if matchKey(key, lab, step) {
			delete(l.verdicts, key)
		}
	}
	return nil
}

// matchKey reports whether a lab/step key is in the lab and step given ("" matches any).
func matchKey(key, lab, step string) bool {
	kl, ks, _ := strings.Cut(key, "/")
	return (lab == "" || kl == lab) && (step == "" || ks == step)
}

// activityFor is what lab's checks see: the open lab's events and commands
// kept in memory, or, for another lab (the status API), its commands since
// it was first opened, read from the store (nothing if it never was).
func (l *learner) activityFor(ctx context.Context, lab string, w *watch.Watcher) labs.Activity {
	l.mu.Lock()
	if lab == l.openLab {
		since := l.openedAt
		commands := append([]string{}, l.commands...)
		l.mu.Unlock()
		return labs.Activity{Events: w.Since(since), Commands: commands}
	}
	l.mu.Unlock()
	since, commands := l.labSince(ctx, lab, false)
	if since.IsZero() {
		return labs.Activity{}
	}
	return labs.Activity{Events: w.Since(since), Commands: commands}
}

func sameVerdict(a, b labs.StepResult) bool {
	if a.Passed != b.Passed || a.Score != b.Score || len(a.Checks) != len(b.Checks) {
		return false
	}
	for i := range a.Checks {
		if a.Checks[i].Passed != b.Checks[i].Passed || a.Checks[i].Message != b.Checks[i].Message {
			return false
		}
	}
	return true
}

// currentVerdicts returns the last verdicts of the open lab, as websocket
// messages, for a page that connects after they were graded.
func (l *learner) currentVerdicts() []verdictMsg {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []verdictMsg
	prefix := l.openLab + "/"
	for key, res := range l.verdicts {
		if strings.HasPrefix(key, prefix) {
			out = append(out, verdictMessage(l.openLab, res, l.held[key]))
		}
	}
	return out
}
