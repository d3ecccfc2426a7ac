package server_test

import (
	"context"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// stepStatus is one step of GET /api/labs/{lab}/status.
type stepStatus struct {
	ID       string   `json:"id"`
	Passed   bool     `json:"passed"`
	Current  bool     `json:"current"`
	Score    float64  `json:"score"`
	Messages []string `json:"messages"`
	PassedAt string   `json:"passedAt"`
	Note     string   `json:"note"`
}

func (e *env) labStatus(lab string) map[string]stepStatus {
	e.t.Helper()
	resp, body := e.do("GET", "/api/labs/"+lab+"/status", "", nil, map[string]string{"Accept-Language": "en"})
	if resp.StatusCode != 200 {
		e.t.Fatalf("status API: %d %s", resp.StatusCode, body)
	}
	var rows []stepStatus
	if err := json.Unmarshal([]byte(body), &rows); err != nil {
		e.t.Fatalf("status API: %v: %s", err, body)
	}
	out := map[string]stepStatus{}
	for _, r := range rows {
		out[r.ID] = r
	}
	return out
}

// badge returns the data-state of the first [data-step-status=step] badge of a lab page.
func badge(t *testing.T, html, step string) string {
	t.Helper()
	m := regexp.MustCompile(`data-step-status="` + regexp.QuoteMeta(step) + `" data-state="(\w+)"`).FindStringSubmatch(html)
	if m == nil {
		t.Fatalf("no badge of %s on the page", step)
	}
	return m[1]
}

// TestPassesAreHeldAcrossRestartUntilReset: a step passed once (on the cluster or on console
// history) reads as passed after a server restart, in the status API, the page and its first
// verdicts, even when the cluster has changed since (then with a note); a step reset and a
// sandbox reset let go of it.
func TestPassesAreHeldAcrossRestartUntilReset(t *testing.T) {
	const lab = "kubectl-activity"
	dir := t.TempDir()
	e := start(t, dir)
	ws := e.openLab(lab)
	passed := func(step string) func(map[string]any) bool {
		return func(m map[string]any) bool {
			return m["type"] == "verdict" && m["lab"] == lab && m["step"] == step && m["passed"] == true && m["changed"] == nil
		}
	}
	if code, out := e.console("kubectl create namespace my-ns"); code != 200 {
		t.Fatalf("create namespace: %d %v", code, out)
	}
	ws.until(30*time.Second, "create-namespace passed", passed("create-namespace"))
	if code, out := e.console("kubectl get namespaces"); code != 200 {
		t.Fatalf("get namespaces: %d %v", code, out)
	}
	ws.until(30*time.Second, "list-namespaces passed", passed("list-namespaces"))

	// The cluster changes: the namespace goes. The step stays passed, with a note.
	if code, out := e.console("kubectl delete namespace my-ns --wait=false"); code != 200 {
		t.Fatalf("delete namespace: %d %v", code, out)
	}
	v := ws.until(30*time.Second, "create-namespace changed", func(m map[string]any) bool {
		return m["type"] == "verdict" && m["step"] == "create-namespace" && m["changed"] == true
	})
	if v["passed"] != true || v["noteEn"] != "passed earlier; the cluster has changed since" || v["passedAt"] == nil {
		t.Fatalf("a held pass after a change: %s", fmtJSON(v))
	}
	if st := e.labStatus(lab)["create-namespace"]; !st.Passed || st.Current || st.Note == "" {
		t.Fatalf("status API before the restart: %+v", st)
	}

	// Restart the server: nothing reverts.
	e.stop()
	e2 := start(t, dir)
	prog, err := e2.st.Progress(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range prog {
		if p.LabID == lab && (p.StepID == "create-namespace" || p.StepID == "list-namespaces") && (!p.Passed || p.PassedAt.IsZero()) {
			t.Fatalf("store after the restart: %+v", p)
		}
	}
	e2.waitReady()
	st := e2.labStatus(lab) // before the page is opened again
	for _, step := range []string{"create-namespace", "list-namespaces"} {
		if !st[step].Passed || st[step].PassedAt == "" {
			t.Fatalf("status API after a restart: %s = %+v", step, st[step])
		}
	}
	if st["create-namespace"].Current || st["create-namespace"].Note != "passed earlier; the cluster has changed since" {
		t.Fatalf("status API after a restart: create-namespace = %+v", st["create-namespace"])
	}
	if !st["list-namespaces"].Current {
		t.Fatalf("list-namespaces is graded on the console history kept in the store: %+v", st["list-namespaces"])
	}
	if st["apply-deployment"].Passed {
		t.Fatalf("a step never passed reads as passed: %+v", st["apply-deployment"])
	}

	// The page's first verdicts: the HTML and the first websocket messages.
	_, html := e2.do("GET", "/labs/"+lab+"?step=create-namespace", "", nil, map[string]string{"Accept-Language": "en"})
	if badge(t, html, "create-namespace") != "passed" || badge(t, html, "list-namespaces") != "passed" {
		t.Fatal("the page does not start with the held passes")
	}
	if !strings.Contains(html, `<p class="step-note" data-step-note>passed earlier; the cluster has changed since</p>`) {
		t.Fatal("the page has no visible note on the changed step")
	}
	if strings.Contains(html, `data-step-reset hidden`) {
		t.Fatal("the step reset is hidden on a held step")
	}
	ws2 := e2.dial()
	seen := map[string]bool{}
	ws2.until(30*time.Second, "the first verdicts of both steps", func(m map[string]any) bool {
		if m["type"] != "verdict" {
			return false
		}
		step, _ := m["step"].(string)
		if (step == "create-namespace" || step == "list-namespaces") && m["passed"] != true {
			t.Fatalf("a held step arrives as failed: %s", fmtJSON(m))
		}
		seen[step] = true
		return seen["create-namespace"] && seen["list-namespaces"]
	})

	// A step reset lets go of that step only.
	resp, body := e2.do("POST", "/api/labs/"+lab+"/reset", "application/x-www-form-urlencoded",
		strings.NewReader(url.Values{"step": {"create-namespace"}}.Encode()), map[string]string{"Accept": "application/json"})
	if resp.StatusCode != 204 {
		t.Fatalf("step reset: %d %s", resp.StatusCode, body)
	}
	ws2.until(30*time.Second, "create-namespace failing after its reset", func(m map[string]any) bool {
		return m["type"] == "verdict" && m["step"] == "create-namespace" && m["passed"] == false
	})
	st = e2.labStatus(lab)
	if st["create-namespace"].Passed || st["create-namespace"].PassedAt != "" || !st["list-namespaces"].Passed {
		t.Fatalf("after a step reset: %+v", st)
	}
	_, html = e2.do("GET", "/labs/"+lab+"?step=create-namespace", "", nil, nil)
	if badge(t, html, "create-namespace") == "passed" || badge(t, html, "list-namespaces") != "passed" {
		t.Fatal("the page after a step reset")
	}

	// A sandbox reset lets go of every held pass.
	resetAt := time.Now()
	if resp, body := e2.do("POST", "/api/sandbox/reset", "", nil, map[string]string{"Accept": "application/json"}); resp.StatusCode != 202 {
		t.Fatalf("sandbox reset: %d %s", resp.StatusCode, body)
	}
	prog, err = e2.st.Progress(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range prog {
		if !p.PassedAt.IsZero() && p.PassedAt.Before(resetAt) {
			t.Fatalf("a pass held across a sandbox reset: %+v", p)
		}
	}
	e2.waitReady()
	st = e2.labStatus(lab)
	if st["create-namespace"].Passed {
		t.Fatalf("create-namespace after a sandbox reset: %+v", st["create-namespace"])
	}
	// list-namespaces passes again on the console history, as a new pass.
	if l := st["list-namespaces"]; l.PassedAt != "" {
		if at, err := time.Parse(time.RFC3339, l.PassedAt); err != nil || at.Before(resetAt.Truncate(time.Second)) {
			t.Fatalf("list-namespaces keeps a pass from before the sandbox reset: %+v", l)
		}
	}
}
