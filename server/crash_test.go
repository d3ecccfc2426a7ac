package server_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kubelab/kubelab/internal/testcluster"
	"github.com/kubelab/kubelab/store"
)

type proc struct {
	cmd  *exec.Cmd
	base string
}

func serve(t *testing.T, bin, data string) *proc {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "serve", "--data", data, "--addr", addr)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, base: "http://" + addr}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if body, err := p.get("/api/sandbox?start=1"); err == nil && strings.Contains(body, `"ready"`) {
			return p
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatal("server or sandbox not ready")
	return nil
}

func (p *proc) get(path string) (string, error) {
	resp, err := http.Get(p.base + path)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func (p *proc) post(path, contentType, body string) (int, string) {
	resp, err := http.Post(p.base+path, contentType, strings.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// kill -9 of the server mid-lab: no sandbox process outlives it, the
// database is intact, and after a restart every recorded step, quiz answer
// and console command is there and the sandbox resumes with its objects.
func TestServerKilledMidLab(t *testing.T) {
	bin := testcluster.Binary(t)
	data := t.TempDir()
	p := serve(t, bin, data)
	if code, out := p.post("/api/console", "application/json", `{"command":"kubectl create namespace my-ns"}`); code != 200 {
		t.Fatalf("console: %d %s", code, out)
	}
	if _, err := p.get("/labs/kubectl-activity"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		body, _ := p.get("/api/labs/kubectl-activity/status")
		if strings.Contains(body, `"id":"create-namespace","messages":[],"passed":true`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("step never passed: %s", body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if code, _ := p.post("/quizzes/pod-basics/unit-of-scaling", "application/x-www-form-urlencoded", url.Values{"answer": {"b"}}.Encode()); code != http.StatusOK {
		t.Fatalf("quiz answer: %d", code)
	}
	pids := testcluster.SandboxPIDs(filepath.Join(data, "sandboxes"))
	if len(pids) == 0 {
		t.Fatal("no sandbox process")
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	_, _ = p.cmd.Process.Wait()
	deadline = time.Now().Add(10 * time.Second)
	for _, pid := range pids {
		for alive(pid) && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		if alive(pid) {
			t.Fatalf("sandbox process %d outlived the killed server", pid)
		}
	}
	st, err := store.Open(filepath.Join(data, "kubelab.db"))
	if err != nil {
		t.Fatal(err)
	}
	var check string
	if err := st.DB().QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q %v", check, err)
	}
	st.Close()

	p2 := serve(t, bin, data)
	st, err = store.Open(filepath.Join(data, "kubelab.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	u, err := st.EnsureLocalUser(ctx)
	if err != nil {
		t.Fatal(err)
	}
	prog, _ := st.Progress(ctx, u.ID)
	found := false
	for _, s := range prog {
		found = found || (s.LabID == "kubectl-activity" && s.StepID == "create-namespace" && s.Passed)
	}
	answers, _ := st.QuizAnswers(ctx, u.ID)
	history, _ := st.ConsoleHistory(ctx, u.ID, 10)
	if !found || len(answers) != 1 || len(history) != 1 {
		t.Fatalf("lost after kill -9: step passed %v, %d answers, %d commands", found, len(answers), len(history))
	}
	if code, out := p2.post("/api/console", "application/json", `{"command":"kubectl get namespace my-ns -o name"}`); code != 200 || !strings.Contains(out, "namespace/my-ns") {
		t.Fatalf("resumed sandbox: %d %s", code, out)
	}
}
