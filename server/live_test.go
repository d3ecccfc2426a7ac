package server

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/text"
	"github.com/kubelab/kubelab/watch"
)

// A verdict on the stream carries every text in both languages (the plain
// field in Korean), and its heat map cell joins the failing checks'.
func TestVerdictMessageCarriesBothLanguages(t *testing.T) {
	res := labs.StepResult{ID: "create-namespace", Passed: false, Score: 0.5, Checks: []labs.CheckResult{
		{ID: "ns", Passed: false, Message: text.Text{Ko: "없음", En: "missing"}},
		{ID: "label", Passed: true, Message: text.Text{Ko: "좋음", En: "fine"}}}}
	t.Run("failing", func(t *testing.T) {
		b, _ := json.Marshal(verdictMessage("lab1", res, time.Time{}).withHint(text.Text{Ko: "힌트", En: "hint"}))
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		check := m["checks"].([]any)[0].(map[string]any)
		if m["type"] != "verdict" || m["passed"] != false || m["score"] != 0.5 || check["message"] != "없음" || check["messageKo"] != "없음" ||
			check["messageEn"] != "missing" || m["hint"] != "힌트" || m["hintEn"] != "hint" || m["changed"] != nil || m["note"] != nil {
			t.Fatalf("verdict: %s", b)
		}
		cell := verdictMessage("lab1", res, time.Time{}).forDashboard(7).(cellMsg)
		if cell.State != "failed" || cell.User != 7 || cell.MessageKo != "없음" || cell.MessageEn != "missing" || cell.At == 0 {
			t.Fatalf("cell: %+v", cell)
		}
	})
	t.Run("held", func(t *testing.T) {
		b, _ := json.Marshal(verdictMessage("lab1", res, time.Now()))
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if m["passed"] != true || m["score"] != 1.0 || m["changed"] != true || m["passedAt"] == nil ||
			m["noteEn"] != "passed earlier; the cluster has changed since" || m["note"] != m["noteKo"] || m["hint"] != nil {
			t.Fatalf("held verdict: %s", b)
		}
		if cell := verdictMessage("lab1", res, time.Now()).forDashboard(7).(cellMsg); cell.State != "passed" || cell.MessageEn != "" {
			t.Fatalf("held cell: %+v", cell)
		}
	})
}

// A ready sandbox whose page watch is still listing the cluster: who needs
// the watcher (the status API, a live quiz question) waits for it, and
// gets nothing when there is no sandbox or the caller gives up.
func TestLiveWatcherWaitsForTheSync(t *testing.T) {
	l := &learner{}
	if w := l.liveWatcher(context.Background()); w != nil {
		t.Fatalf("no sandbox: %v", w)
	}
	synced := make(chan struct{})
	l.syncing = synced
	want := &watch.Watcher{}
	go func() {
		time.Sleep(50 * time.Millisecond)
		l.mu.Lock()
		l.watcher, l.syncing = want, nil
		close(synced)
		l.mu.Unlock()
	}()
	if got := l.liveWatcher(context.Background()); got != want {
		t.Fatalf("after the sync: %p, want %p", got, want)
	}
	l.watcher, l.syncing = nil, make(chan struct{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if got := l.liveWatcher(ctx); got != nil {
		t.Fatalf("a caller that gave up: %v", got)
	}
}
