package server_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
)

type markOut struct {
	At     int64  `json:"at"`
	Kind   string `json:"kind"`
	Text   string `json:"text"`
	Lab    string `json:"lab"`
	Step   string `json:"step"`
	Passed bool   `json:"passed"`
}

// marks reads GET /api/history/marks (query q) in English.
func (e *env) marks(q string) []markOut {
	e.t.Helper()
	resp, body := e.do("GET", "/api/history/marks"+q, "", nil, map[string]string{"Accept-Language": "en"})
	if resp.StatusCode != 200 {
		e.t.Fatalf("marks%s: %d %s", q, resp.StatusCode, body)
	}
	var out struct{ Marks []markOut }
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		e.t.Fatal(err)
	}
	return out.Marks
}

// The learner's commands, applies and verdict changes are marked on their
// history, in order, with the step's title in the page's language.
func TestHistoryMarks(t *testing.T) {
	const lab = "kubectl-activity"
	e := start(t, t.TempDir())
	ws := e.openLab(lab)
	before := time.Now().UnixMilli()
	if code, out := e.console("kubectl create namespace my-ns"); code != 200 {
		t.Fatalf("create namespace: %d %v", code, out)
	}
	ws.until(30*time.Second, "create-namespace passed", func(m map[string]any) bool {
		return m["type"] == "verdict" && m["step"] == "create-namespace" && m["passed"] == true
	})
	if code, out := e.postJSON("/api/apply", map[string]any{"yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: my-ns\ndata:\n  a: \"1\"\n"}); code != 200 {
		t.Fatalf("apply: %d %v", code, out)
	}
	var got []markOut
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		if got = e.marks(""); len(got) >= 3 {
			break
		}
	}
	kinds := []string{}
	for _, m := range got {
		kinds = append(kinds, m.Kind)
	}
	if strings.Join(kinds, ",") != "command,verdict,apply" {
		t.Fatalf("marks: %+v", got)
	}
	if got[0].Text != "kubectl create namespace my-ns" || got[0].At < before {
		t.Fatalf("command mark: %+v", got[0])
	}
	if got[1].Lab != lab || got[1].Step != "create-namespace" || !got[1].Passed || got[1].Text != "Command 1: create the namespace my-ns" {
		t.Fatalf("verdict mark: %+v", got[1])
	}
	if got[2].Text != "ConfigMap settings" {
		t.Fatalf("apply mark: %+v", got[2])
	}
	for i := 1; i < len(got); i++ {
		if got[i].At < got[i-1].At {
			t.Fatalf("marks out of order: %+v", got)
		}
	}
	if some := e.marks("?from=" + strconv.FormatInt(got[1].At, 10) + "&to=" + strconv.FormatInt(got[2].At, 10)); len(some) != 2 {
		t.Fatalf("marks in a range: %+v", some)
	}
	for _, q := range []string{"?from=soon", "?to=-3", "?from=5000&to=4000"} {
		if resp, body := e.do("GET", "/api/history/marks"+q, "", nil, nil); resp.StatusCode != 400 {
			t.Fatalf("marks%s: %d %s", q, resp.StatusCode, body)
		}
	}
}
