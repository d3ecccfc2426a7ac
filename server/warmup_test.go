package server

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubelab/kubelab/console"
	"github.com/kubelab/kubelab/internal/testcluster"
	"github.com/kubelab/kubelab/sandbox"
	"github.com/kubelab/kubelab/sandbox/embedded"
	"github.com/kubelab/kubelab/store"
)

// TestClassWarmsSandboxesForItsSeats opens a class of two seats on a
// server that may run three sandboxes: two warm sandboxes start (and wait
// frozen), the dashboard counts them, a student who joins gets one at
// once, a second student takes the last one and nothing starts to replace
// it (the class expects nobody more), and the server never runs more than
// three. A console worker waits for each expected student as well, and
// each student's console takes one.
func TestClassWarmsSandboxesForItsSeats(t *testing.T) {
	dir := t.TempDir()
	backend, err := embedded.New(embedded.Options{Dir: filepath.Join(dir, "sandboxes"), Binary: testcluster.Binary(t),
		MaxRunning: 3, FreezeAfter: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = backend.Close(context.Background()) })
	prov := sandbox.NewProvider(backend)
	runner := &console.Runner{Binary: testcluster.Binary(t), HomeDir: filepath.Join(dir, "homes")}
	defer runner.Close()
	e := newClassEnv(t, func(c *Config) { c.Provider, c.ClassSeats, c.MaxSandboxes, c.Console = prov, 2, 3, runner })
	most := testcluster.MostPIDs(filepath.Join(dir, "sandboxes"), 100*time.Millisecond)
	defer most()
	in := e.instructor("Kim", "kim@example.com", "correct horse battery")
	c := in.createClass("EKS")
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if ready, _ := prov.WarmStatus(); ready == 2 {
			break
		}
		if time.Now().After(deadline) {
			ready, starting := prov.WarmStatus()
			t.Fatalf("warm sandboxes for a class of 2 seats: %d ready, %d starting", ready, starting)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// A console worker waits for each of them too.
	for runner.Spares() != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d spare console workers for a class of 2 seats, want 2", runner.Spares())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if page := in.get("/class/" + strconv.FormatInt(c.ID, 10)).body; !strings.Contains(page, "대기 중인 클러스터 2개") {
		i := strings.Index(page, "warm-sandboxes")
		t.Errorf("the dashboard does not show the warm sandboxes: %q", page[max(i, 0):min(max(i, 0)+300, len(page))])
	}
	alex, _ := e.join("Alex", c.JoinCode)
	members, err := e.st.Members(context.Background(), c.ID)
	if err != nil || len(members) != 1 {
		t.Fatalf("members after a join: %v %v", members, err)
	}
	// The join re-counts the class's expected arrivals: the student who
	// joined has no sandbox yet, so both warm ones stay.
	time.Sleep(2 * time.Second)
	if ready, starting := prov.WarmStatus(); ready+starting != 2 {
		t.Fatalf("after a join, before the student's page asked: %d warm ready, %d starting; want the 2 kept", ready, starting)
	}
	began := time.Now()
	box, err := prov.Acquire(context.Background(), sandboxName(store.User{ID: members[0].UserID}))
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took > 2*time.Second {
		t.Errorf("a joining student waited %v for a sandbox (a warm one should be handed out)", took)
	}
	t.Logf("warm sandbox handed out (and thawed) in %v; %s", time.Since(began), box.REST.Host)

	// Alex's page opens the sandbox (the server records it); then Bo
	// joins and opens theirs: Bo takes the last warm sandbox, the class
	// expects nobody more, and no sandbox starts to replace it.
	pageSandbox(t, alex)
	before := testcluster.SandboxPIDs(filepath.Join(dir, "sandboxes"))
	bo, _ := e.join("Bo", c.JoinCode)
	began = time.Now()
	pageSandbox(t, bo)
	t.Logf("the second student's page had its sandbox in %v", time.Since(began))
	time.Sleep(3 * time.Second) // the warm loop recounts 300 ms after the page asked
	if after := testcluster.SandboxPIDs(filepath.Join(dir, "sandboxes")); !testcluster.SamePIDs(before, after) {
		t.Fatalf("sandbox processes before the second student %v, after %v: they must take the warm one and none may start", before, after)
	}
	if ready, starting := prov.WarmStatus(); ready != 0 || starting != 0 {
		t.Fatalf("both seats taken: %d warm ready, %d starting; want none", ready, starting)
	}
	// Each student's console took a spare worker, and none replaced them.
	if n := runner.Spares(); n != 0 {
		t.Fatalf("both seats taken: %d spare console workers, want none", n)
	}
	pageSandbox(t, bo) // thawed again if it froze meanwhile (the test holds no page)
	if r := bo.postJSON("/api/console", `{"command":"kubectl get ns default"}`); r.code != 200 || !strings.Contains(r.body, "Active") {
		t.Fatalf("the second student's console: %d %s", r.code, r.body)
	}
	if n := most(); n > 3 {
		t.Fatalf("%d sandbox processes ran at once; --max-sandboxes is 3", n)
	}
}

// pageSandbox asks for the student's sandbox as their page does and waits
// until it is ready.
func pageSandbox(t *testing.T, a *actor) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		r := a.get("/api/sandbox?start=1")
		if r.code == 200 && strings.Contains(r.body, `"ready"`) {
			return
		}
		if time.Now().After(deadline) || strings.Contains(r.body, `"failed"`) {
			t.Fatalf("%s's sandbox: %d %s", a.name, r.code, r.body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// postJSON posts body as JSON, as the page does.
func (a *actor) postJSON(path, body string) reply {
	a.e.t.Helper()
	req, err := http.NewRequest("POST", a.e.ts.URL+path, strings.NewReader(body))
	if err != nil {
		a.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := a.hc.Do(req)
	if err != nil {
		a.e.t.Fatalf("%s POST %s: %v", a.name, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{code: resp.StatusCode, body: string(b)}
}
