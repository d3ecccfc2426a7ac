package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/kubelab/kubelab/console"
	"github.com/kubelab/kubelab/internal/testcluster"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/quizzes"
	"github.com/kubelab/kubelab/sandbox"
	"github.com/kubelab/kubelab/sandbox/embedded"
	"github.com/kubelab/kubelab/server"
	"github.com/kubelab/kubelab/store"
)

// env is a kubelab server on a real SQLite file and real sandboxes.
type env struct {
	t    testing.TB
	dir  string
	ts   *httptest.Server
	srv  *server.Server
	st   *store.Store
	prov *sandbox.Provider
}

func start(t testing.TB, dir string) *env {
	t.Helper()
	return startOpts(t, dir, envOptions{})
}

// startWith is start with extra `kubelab sandbox up` flags for the
// learner's sandbox.
func startWith(t testing.TB, dir string, sandboxArgs []string) *env {
	t.Helper()
	return startOpts(t, dir, envOptions{sandboxArgs: sandboxArgs})
}

// envOptions change what startOpts sets up.
type envOptions struct {
	sandboxArgs []string     // extra `kubelab sandbox up` flags for the learner's sandbox
	logger      *slog.Logger // the server's log (nil: the server's default)
}

// startOpts is start with options.
func startOpts(t testing.TB, dir string, o envOptions) *env {
	t.Helper()
	sandboxArgs := o.sandboxArgs
	bin := testcluster.Binary(t)
	st, err := store.Open(filepath.Join(dir, "kubelab.db"))
	if err != nil {
		t.Fatal(err)
	}
	cat, err := labs.Load()
	if err != nil {
		t.Fatal(err)
	}
	qs, err := quizzes.Load(cat)
	if err != nil {
		t.Fatal(err)
	}
	backend, err := embedded.New(embedded.Options{Dir: filepath.Join(dir, "sandboxes"), Binary: bin, Args: sandboxArgs})
	if err != nil {
		t.Fatal(err)
	}
	prov := sandbox.NewProvider(backend)
	srv, err := server.New(server.Config{Mode: server.ModeLocal, Provider: prov, Store: st, Catalog: cat, Quizzes: qs,
		HistoryDir: filepath.Join(dir, "history"),
		Console:    &console.Runner{Binary: bin}, Logger: o.logger})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dir: dir, ts: httptest.NewServer(srv.Handler()), srv: srv, st: st, prov: prov}
	t.Cleanup(e.stop)
	return e
}

func (e *env) stop() {
	if e.ts == nil {
		return
	}
	e.ts.Close()
	e.srv.Close()
	_ = e.prov.Close(context.Background())
	_ = e.st.Close()
	e.ts = nil
}

func (e *env) do(method, path, contentType string, body io.Reader, hdr map[string]string) (*http.Response, string) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.ts.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// openLab opens a lab's page, as a learner does, waits for the sandbox and
// follows the page stream.
func (e *env) openLab(lab string) *wsReader {
	e.t.Helper()
	if resp, _ := e.do("GET", "/labs/"+lab, "", nil, nil); resp.StatusCode != 200 {
		e.t.Fatalf("lab page %s: %d", lab, resp.StatusCode)
	}
	e.waitReady()
	return e.dial()
}

// run runs console commands that must succeed, in order.
func (e *env) run(cmds ...string) {
	e.t.Helper()
	for _, cmd := range cmds {
		if code, out := e.console(cmd); code != 200 || out["exitCode"] != 0.0 {
			e.t.Fatalf("%s: %d %v", cmd, code, out)
		}
	}
}

func (e *env) postJSON(path string, v any) (int, map[string]any) {
	e.t.Helper()
	b, _ := json.Marshal(v)
	resp, body := e.do("POST", path, "application/json", bytes.NewReader(b), nil)
	var out map[string]any
	_ = json.Unmarshal([]byte(body), &out)
	return resp.StatusCode, out
}

func (e *env) waitReady() {
	e.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		_, body := e.do("GET", "/api/sandbox?start=1", "", nil, nil)
		if strings.Contains(body, `"state":"ready"`) {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	e.t.Fatal("sandbox never became ready")
}

func (e *env) console(cmd string) (int, map[string]any) {
	return e.postJSON("/api/console", map[string]string{"command": cmd})
}

// wsReader reads the page websocket until want matches a message.
type wsReader struct {
	t testing.TB
	c *websocket.Conn
}

func (e *env) dial() *wsReader {
	e.t.Helper()
	u := "ws" + strings.TrimPrefix(e.ts.URL, "http") + "/ws"
	c, _, err := websocket.DefaultDialer.Dial(u, http.Header{"Origin": {e.ts.URL}})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	return &wsReader{t: e.t, c: c}
}

func (r *wsReader) until(timeout time.Duration, what string, want func(map[string]any) bool) map[string]any {
	r.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		_ = r.c.SetReadDeadline(deadline)
		var m map[string]any
		if err := r.c.ReadJSON(&m); err != nil {
			r.t.Fatalf("websocket closed while waiting for %s: %v", what, err)
		}
		if want(m) {
			return m
		}
	}
	r.t.Fatalf("no %s within %s", what, timeout)
	return nil
}

func TestLearnerFlowAndRestart(t *testing.T) {
	dir := t.TempDir()
	e := start(t, dir)

	resp, body := e.do("GET", "/", "", nil, map[string]string{"Accept-Language": "en-US,en;q=0.9"})
	if resp.StatusCode != 200 || !strings.Contains(body, `lang="en"`) || !strings.Contains(body, "/labs/kubectl-activity") {
		t.Fatalf("home page: %d", resp.StatusCode)
	}
	resp, body = e.do("GET", "/labs/kubectl-activity", "", nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `lang="ko"`) || !strings.Contains(body, `id="lab"`) {
		t.Fatalf("lab page: %d", resp.StatusCode)
	}
	e.waitReady()
	ws := e.dial()
	snap := ws.until(30*time.Second, "snapshot", func(m map[string]any) bool { return m["type"] == "snapshot" })
	nodes := 0
	for _, o := range snap["objects"].([]any) {
		if o.(map[string]any)["kind"] == "Node" {
			nodes++
		}
	}
	if nodes != 3 {
		t.Fatalf("snapshot has %d nodes", nodes)
	}

	code, out := e.console("kubectl create namespace my-ns")
	if code != 200 || !strings.Contains(out["output"].(string), "namespace/my-ns created") {
		t.Fatalf("console: %d %v", code, out)
	}
	ws.until(20*time.Second, "the namespace upsert", func(m map[string]any) bool {
		o, _ := m["obj"].(map[string]any)
		return m["type"] == "upsert" && o["kind"] == "Namespace" && o["name"] == "my-ns"
	})
	ws.until(20*time.Second, "the passed verdict", func(m map[string]any) bool {
		return m["type"] == "verdict" && m["step"] == "create-namespace" && m["passed"] == true
	})

	// A wrong attempt gets a field-level message.
	code, out = e.postJSON("/api/apply", map[string]any{"yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx-deploy}
spec:
  replicas: 3
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec: {containers: [{name: nginx, image: "nginx:1.25.1"}]}
`})
	if code != 200 {
		t.Fatalf("apply: %d %v", code, out)
	}
	v := ws.until(20*time.Second, "the failing apply-deployment verdict", func(m map[string]any) bool {
		return m["type"] == "verdict" && m["step"] == "apply-deployment" && m["passed"] == false && strings.Contains(fmtJSON(m), "expected my-ns")
	})
	_ = v

	// Progress survives a server restart; the sandbox resumes with its objects.
	e.stop()
	e2 := start(t, dir)
	progress, err := e2.st.Progress(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	passed := false
	for _, p := range progress {
		if p.LabID == "kubectl-activity" && p.StepID == "create-namespace" && p.Passed {
			passed = true
		}
	}
	if !passed {
		t.Fatalf("progress lost across a restart: %+v", progress)
	}
	e2.waitReady()
	code, out = e2.console("kubectl get namespace my-ns")
	if code != 200 || !strings.Contains(out["output"].(string), "my-ns") {
		t.Fatalf("the resumed sandbox lost my-ns: %d %v", code, out)
	}
	history, _ := e2.st.ConsoleHistory(context.Background(), 1, 10)
	if len(history) < 2 || history[0].Command != "kubectl create namespace my-ns" {
		t.Fatalf("console history lost: %+v", history)
	}
}

func fmtJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestBadInputGetsClearErrors(t *testing.T) {
	e := start(t, t.TempDir())
	e.waitReady()
	cases := []struct {
		name, path, body string
		code             int
		want             string
	}{
		{"malformed JSON", "/api/console", `{"command": `, 400, "malformed JSON"},
		{"unknown field", "/api/console", `{"cmd": "kubectl get pods"}`, 400, "unknown field"},
		{"shell operator", "/api/console", `{"command": "kubectl get pods; rm -rf /"}`, 400, ""},
		{"host file", "/api/console", `{"command": "kubectl apply -f /etc/passwd"}`, 400, ""},
		{"other program", "/api/console", `{"command": "bash"}`, 400, ""},
		{"kubeconfig flag", "/api/console", `{"command": "kubectl --kubeconfig=/etc/kubernetes/admin.conf get pods"}`, 400, ""},
		{"malformed YAML", "/api/apply", `{"yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n   bad: indent"}`, 422, "line"},
		{"invalid name", "/api/apply", `{"yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: accountLogin\nstringData:\n  a: b\n"}`, 422, "RFC 1123"},
		{"misplaced field", "/api/apply", `{"yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: app}\nspec:\n  containers: [{name: app, image: centos}]\n  volumeMounts: [{name: v, mountPath: /data}]\n"}`, 422, "volumeMounts"},
		{"unknown kind", "/api/apply", `{"yaml": "apiVersion: v1\nkind: Unicorn\nmetadata: {name: x}\n"}`, 422, "Unicorn"},
		{"billion laughs", "/api/apply", `{"yaml": "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"}`, 422, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := e.do("POST", c.path, "application/json", strings.NewReader(c.body), nil)
			if resp.StatusCode != c.code || !strings.Contains(body, c.want) {
				t.Fatalf("%s: got %d %s", c.name, resp.StatusCode, body)
			}
		})
	}
	big := `{"yaml": "` + strings.Repeat("x", 600<<10) + `"}`
	if resp, body := e.do("POST", "/api/apply", "application/json", strings.NewReader(big), nil); resp.StatusCode != 413 {
		t.Fatalf("oversized body: %d %s", resp.StatusCode, body)
	}
	if resp, _ := e.do("GET", "/labs/../../etc/passwd", "", nil, nil); resp.StatusCode != 404 {
		t.Fatalf("path traversal: %d", resp.StatusCode)
	}
	if resp, _ := e.do("GET", "/labs/no-such-lab", "", nil, nil); resp.StatusCode != 404 {
		t.Fatalf("unknown lab: %d", resp.StatusCode)
	}
	// A page of another site cannot act for the learner.
	resp, _ := e.do("POST", "/api/sandbox/reset", "", nil, map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
	if resp.StatusCode != 403 {
		t.Fatalf("cross-site POST: %d", resp.StatusCode)
	}
	// DNS rebinding: a foreign Host name is refused in local mode.
	resp, _ = e.do("GET", "/", "", nil, map[string]string{"Host": "evil.example"})
	if resp.StatusCode != http.StatusMisdirectedRequest {
		t.Fatalf("foreign Host: %d", resp.StatusCode)
	}
	// Nothing above reached the cluster.
	_, out := e.console("kubectl get pods,secrets -A --no-headers")
	if strings.Contains(out["output"].(string), "accountlogin") {
		t.Fatal("a refused manifest was applied")
	}
}
