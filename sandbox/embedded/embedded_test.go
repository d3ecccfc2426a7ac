package embedded_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubelab/kubelab/internal/testcluster"
	"github.com/kubelab/kubelab/sandbox"
	"github.com/kubelab/kubelab/sandbox/embedded"
)

func newBackend(t *testing.T, opts embedded.Options) *embedded.Backend {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	opts.Binary = testcluster.Binary(t)
	b, err := embedded.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	return b
}

func TestAcquireStopResumeDelete(t *testing.T) {
	b := newBackend(t, embedded.Options{})
	ctx := context.Background()
	box, err := b.Acquire(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if box.Backend != "embedded" || box.RealContainers || box.Name != "alice" {
		t.Fatalf("unexpected sandbox %+v", box)
	}
	c, err := kubernetes.NewForConfig(box.REST)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "keep-me"},
		Data: map[string]string{"k": "v"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	again, err := b.Acquire(ctx, "alice")
	if err != nil || again.Kubeconfig != box.Kubeconfig {
		t.Fatalf("a second Acquire should return the running sandbox: %v", err)
	}
	if err := b.Stop(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if st, _ := b.Status("alice"); st.State != sandbox.StateStopped {
		t.Fatalf("state after Stop: %s (%s)", st.State, st.Message)
	}
	resumed, err := b.Acquire(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := kubernetes.NewForConfig(resumed.REST)
	cm, err := c2.CoreV1().ConfigMaps("default").Get(ctx, "keep-me", metav1.GetOptions{})
	if err != nil || cm.Data["k"] != "v" {
		t.Fatalf("resumed sandbox lost its objects: %v", err)
	}
	dir := filepath.Dir(resumed.Kubeconfig)
	if err := b.Delete(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Delete left %s behind", dir)
	}
	if _, err := b.Status("alice"); !errors.Is(err, sandbox.ErrNotFound) {
		t.Fatalf("status after delete: %v", err)
	}
}

func TestWarmPoolHandsOutAReadySandbox(t *testing.T) {
	b := newBackend(t, embedded.Options{WarmPool: 1})
	deadline := time.Now().Add(2 * time.Minute)
	for b.WarmCount() < 1 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if b.WarmCount() != 1 {
		t.Fatal("warm pool did not fill")
	}
	start := time.Now()
	box, err := b.Acquire(context.Background(), "bob")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("warm hand-out took %s", time.Since(start))
	if _, err := kubernetes.NewForConfig(box.REST); err != nil {
		t.Fatal(err)
	}
	// The pool refills in the background.
	for b.WarmCount() < 1 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if b.WarmCount() != 1 {
		t.Fatal("warm pool did not refill")
	}
}

func TestCapacityAndNames(t *testing.T) {
	b := newBackend(t, embedded.Options{MaxRunning: 1})
	ctx := context.Background()
	if _, err := b.Acquire(ctx, "one"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Acquire(ctx, "two"); !errors.Is(err, sandbox.ErrCapacity) {
		t.Fatalf("want ErrCapacity, got %v", err)
	}
}

// A crashed server leaves child processes and half-made directories; the
// next start cleans them up.
func TestStartupCleansUpAfterACrash(t *testing.T) {
	root := t.TempDir()
	stale := filepath.Join(root, "sb-stale")
	if err := os.MkdirAll(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	// A process that looks like a sandbox of that directory.
	cmd := exec.Command("sh", "-c", "while :; do sleep 1; done", "sh", stale)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	if err := os.WriteFile(filepath.Join(stale, "pid"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o600); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	// Until the child has exec'd, its command line is still this test's:
	// a crashed server's leftover has long been running its own.
	for start := time.Now(); ; time.Sleep(10 * time.Millisecond) {
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", cmd.Process.Pid))
		if strings.Contains(string(cmdline), stale) {
			break
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("the stand-in process did not start: cmdline %q", cmdline)
		}
	}
	newBackend(t, embedded.Options{Dir: root})
	// The kill is at once; a loaded machine may be slow to report it, so
	// the process's own state (a zombie once killed) counts too.
	pid := cmd.Process.Pid
	deadline := time.After(30 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case err := <-waited:
			if err == nil || !strings.Contains(err.Error(), "killed") {
				t.Fatalf("stale process ended with %v, want killed", err)
			}
			break wait
		case <-tick.C:
			if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && procState(stat) == "Z" {
				break wait
			}
		case <-deadline:
			stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
			cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			_, pidErr := os.Stat(filepath.Join(stale, "pid"))
			t.Fatalf("stale sandbox process %d was not killed: state %q, cmdline %q, pid file: %v", pid, procState(stat), cmdline, pidErr)
		}
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("unassigned sandbox directory was not removed")
	}
}

// procState is the state letter of a /proc/PID/stat line ("" if none).
func procState(stat []byte) string {
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return ""
	}
	return s[i+2 : i+3]
}

// Children die with the server: no orphans.
func TestChildrenDoNotOutliveTheServer(t *testing.T) {
	if os.Getenv("KUBELAB_ORPHAN_CHILD") == "1" {
		b, err := embedded.New(embedded.Options{Dir: os.Getenv("KUBELAB_ORPHAN_DIR"), Binary: os.Getenv("KUBELAB_BIN")})
		if err != nil {
			os.Exit(2)
		}
		if _, err := b.Acquire(context.Background(), "orphan"); err != nil {
			os.Exit(3)
		}
		os.Stdout.WriteString("acquired\n")
		time.Sleep(time.Hour)
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildrenDoNotOutliveTheServer$")
	cmd.Env = append(os.Environ(), "KUBELAB_ORPHAN_CHILD=1", "KUBELAB_ORPHAN_DIR="+dir, "KUBELAB_BIN="+testcluster.Binary(t))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := out.Read(buf)
	if !strings.Contains(string(buf[:n]), "acquired") {
		_ = cmd.Process.Kill()
		t.Fatalf("fake server did not acquire a sandbox: %q", buf[:n])
	}
	pids := testcluster.SandboxPIDs(dir)
	if len(pids) == 0 {
		t.Fatal("no sandbox process found")
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		alive := 0
		for _, pid := range pids {
			if syscall.Kill(pid, 0) == nil {
				alive++
			}
		}
		if alive == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("sandbox processes %v outlived the killed server", pids)
}
