package server

import (
	"context"
	"strings"
	"time"

	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/sandbox"
	"github.com/kubelab/kubelab/watch"
)

// hintAfter is how many failing attempts at a step earn its hint.
const hintAfter = 3

// firstHint is the hint of the first failing check.
func firstHint(r labs.StepResult) labs.Text {
	for _, c := range r.Checks {
		if !c.Passed && !c.Hint.Empty() {
			return c.Hint
		}
	}
	return labs.Text{}
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
	_, _, _, w := l.snapshot()
	if w == nil {
		return nil
	}
	return l.grade(ctx, lab, w)
}

// grade evaluates the lab, stores changed verdicts and pushes them to the
// learner's pages.
func (l *learner) grade(ctx context.Context, lab *labs.Lab, w *watch.Watcher) []labs.StepResult {
	act := l.activity(w)
	results := l.s.cfg.Catalog.GradeLab(ctx, lab, w, act)
	for _, res := range results {
		key := lab.ID + "/" + res.ID
		l.mu.Lock()
		prev, seen := l.verdicts[key]
		l.verdicts[key] = res
		l.mu.Unlock()
		if seen && sameVerdict(prev, res) {
			continue
		}
		l.mu.Lock()
		if !res.Passed && (!seen || prev.Passed || prev.Score != res.Score) {
			l.fails[key]++
		}
		hinted := l.fails[key] >= hintAfter
		l.mu.Unlock()
		msg := strings.Join(res.Messages("en"), "; ")
		if _, err := l.s.cfg.Store.RecordVerdict(ctx, l.user.ID, lab.ID, res.ID, res.Passed, res.Score, msg); err != nil {
			l.s.log.Warn("record verdict", "err", err)
		}
		vm := verdictMessage(lab.ID, res)
		if hinted && !res.Passed {
			vm["hint"], vm["hintKo"], vm["hintEn"] = firstHint(res).Ko, firstHint(res).Ko, firstHint(res).En
		}
		l.send(vm)
	}
	return results
}

func (l *learner) activity(w *watch.Watcher) labs.Activity {
	l.mu.Lock()
	since := l.openedAt
	commands := append([]string{}, l.commands...)
	l.mu.Unlock()
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

// verdictMessage is the websocket message of docs/stream.md; messages in
// both languages so the page can switch without asking again.
func verdictMessage(lab string, r labs.StepResult) map[string]any {
	checks := make([]map[string]any, 0, len(r.Checks))
	for _, c := range r.Checks {
		checks = append(checks, map[string]any{"id": c.ID, "passed": c.Passed,
			"message": c.Message.Ko, "messageKo": c.Message.Ko, "messageEn": c.Message.En})
	}
	return map[string]any{"type": "verdict", "lab": lab, "step": r.ID, "passed": r.Passed, "score": r.Score, "checks": checks}
}

// currentVerdicts returns the last verdicts of the open lab, as websocket
// messages, for a page that connects after they were graded.
func (l *learner) currentVerdicts() []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	prefix := l.openLab + "/"
	for key, res := range l.verdicts {
		if strings.HasPrefix(key, prefix) {
			out = append(out, verdictMessage(l.openLab, res))
		}
	}
	return out
}
