package server_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kubelab/kubelab/sandbox"
	"github.com/kubelab/kubelab/sandbox/snapshot"
	"github.com/kubelab/kubelab/store"
)

// records are the learner's progress records a rewind must leave alone.
func (e *env) records() []store.StepProgress {
	e.t.Helper()
	p, err := e.st.Progress(context.Background(), 1)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := range p {
		// what the grader writes on each verdict, not the records themselves
		p[i].Current, p[i].Score, p[i].LastMessage, p[i].UpdatedAt, p[i].Passed = false, 0, "", time.Time{}, false
	}
	return p
}

// A step starts when the step before passes: the cluster is saved then,
// and "start this step again" restores exactly the objects of that moment
// after creates, deletes, a scale and a ConfigMap edit, keeping the
// learner's progress records and history.
func TestRewindStep(t *testing.T) {
	const lab = "kubectl-activity"
	dir := t.TempDir()
	e := start(t, dir)
	ws := e.openLab(lab)
	e.run(
		"kubectl create deployment web --image=nginx:1.25.1 --replicas=1",
		"kubectl create configmap settings --from-literal=mode=blue",
		"kubectl create configmap keep --from-literal=a=1",
		"kubectl create namespace my-ns",
	)
	ws.until(30*time.Second, "create-namespace passed", func(m map[string]any) bool {
		return m["type"] == "verdict" && m["step"] == "create-namespace" && m["passed"] == true
	})
	// The next step has started: the page is told its start was kept, and
	// the snapshot is listed from then on.
	ws.until(30*time.Second, "list-namespaces's start kept", func(m map[string]any) bool {
		return m["type"] == "rewind" && m["lab"] == lab && m["step"] == "list-namespaces" && m["at"].(float64) > 0
	})
	var listed struct {
		Steps []struct {
			Step  string
			At    int64
			Bytes int64
		}
	}
	_, body := e.do("GET", "/api/labs/"+lab+"/rewind", "", nil, nil)
	if err := json.Unmarshal([]byte(body), &listed); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body, `"step":"list-namespaces"`) {
		t.Fatalf("told of list-namespaces's start, but it is not listed: %s", body)
	}
	path := filepath.Join(dir, "history", "steps", "u1", lab+".list-namespaces.json")
	saved, err := snapshot.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if code, out := e.console("kubectl get namespaces"); code != 200 {
		t.Fatalf("get namespaces: %d %v", code, out)
	}
	ws.until(30*time.Second, "list-namespaces passed", func(m map[string]any) bool {
		return m["type"] == "verdict" && m["step"] == "list-namespaces" && m["passed"] == true
	})
	time.Sleep(500 * time.Millisecond)
	before := e.records()
	first, _ := e.historyRange()

	// The learner goes on.
	e.run(
		"kubectl scale deployment web --replicas=3",
		"kubectl delete configmap keep",
		"kubectl create deployment extra --image=busybox -- sleep 3600",
		"kubectl create secret generic token --from-literal=t=x -n my-ns",
	)

	if code, out := e.postJSON("/api/apply", map[string]any{"yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: default\ndata:\n  mode: green\n"}); code != 200 {
		t.Fatalf("edit the ConfigMap: %d %v", code, out)
	}

	// Bad input first.
	for path, want := range map[string]int{
		"/api/labs/nope/steps/list-namespaces/rewind":         404,
		"/api/labs/" + lab + "/steps/nope/rewind":             404,
		"/api/labs/" + lab + "/steps/get-pods-default/rewind": 404, // not started: no snapshot
	} {
		if code, out := e.postJSON(path, map[string]any{}); code != want {
			t.Fatalf("%s: %d %v", path, code, out)
		}
	}
	code, out := e.postJSON("/api/labs/"+lab+"/steps/list-namespaces/rewind", map[string]any{})
	if code != 200 {
		t.Fatalf("rewind: %d %v", code, out)
	}
	t.Logf("rewind: %v", out)
	if out["deleted"] != 2.0 || out["created"] != 1.0 || out["updated"] != 2.0 {
		t.Fatalf("rewind did %v; want 2 deleted (extra, token), 1 created (keep), 2 updated (web, settings)", out)
	}

	// The cluster's objects are exactly the snapshot's.
	resp, kc := e.do("GET", "/api/kubeconfig", "", nil, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("kubeconfig: %d", resp.StatusCode)
	}
	kcPath := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kcPath, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := sandbox.RESTFromKubeconfig(kcPath)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := snapshot.New(cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	now, err := cl.Take(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(now.Items) != len(saved.Items) {
		t.Fatalf("after the rewind: %d objects, the snapshot has %d", len(now.Items), len(saved.Items))
	}
	for i := range saved.Items {
		a, _ := json.Marshal(saved.Items[i])
		b, _ := json.Marshal(now.Items[i])
		if string(a) != string(b) {
			t.Fatalf("after the rewind:\n%s\nthe snapshot:\n%s", b, a)
		}
	}

	// Progress records and history are kept; the rewind is marked.
	time.Sleep(500 * time.Millisecond)
	if after := e.records(); !reflect.DeepEqual(before, after) {
		t.Fatalf("progress records changed:\n%+v\n%+v", before, after)
	}
	if f, _ := e.historyRange(); f != first {
		t.Fatalf("history starts at %d, was %d", f, first)
	}
	marks := e.marks("")
	if last := marks[len(marks)-1]; last.Kind != "rewind" || last.Step != "list-namespaces" {
		t.Fatalf("last mark: %+v", last)
	}

	// A sandbox reset forgets the snapshots.
	if code, out := e.postJSON("/api/sandbox/reset", map[string]any{}); code >= 400 {
		t.Fatalf("reset: %d %v", code, out)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("snapshot after a reset: %v", err)
	}
}

// historyRange reads GET /api/history/range.
func (e *env) historyRange() (first, last int64) {
	e.t.Helper()
	_, body := e.do("GET", "/api/history/range", "", nil, nil)
	var r struct{ First, Last int64 }
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		e.t.Fatal(err)
	}
	return r.First, r.Last
}
