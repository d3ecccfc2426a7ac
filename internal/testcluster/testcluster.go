// Package testcluster starts real embedded sandboxes for tests: the
// kubelab binary built by `make build` (bin/kubelab) runs `sandbox up` in
// the background, and the test gets its kubeconfig.
package testcluster

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kubelab/kubelab/sandbox"
)

// Binary returns the path of bin/kubelab, failing the test if it is missing.
func Binary(t testing.TB) string {
	t.Helper()
	path, err := BinaryPath()
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// BinaryPath finds bin/kubelab from the module root ($KUBELAB_BIN wins).
func BinaryPath() (string, error) {
	if p := os.Getenv("KUBELAB_BIN"); p != "" {
		return p, nil
	}
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	p, err := filepath.Abs(filepath.Join(root, "bin", "kubelab"))
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s is missing: run `make build` first (the tests run real sandboxes)", p)
	}
	return p, nil
}

// Cluster is a running sandbox.
type Cluster struct {
	Dir        string
	Kubeconfig string
	REST       *rest.Config
	Client     kubernetes.Interface
	// Ready is the time `sandbox up` reported.
	Ready string
	cmd   *exec.Cmd
	done  chan error
}

// Start runs `kubelab sandbox up --dir dir` and waits for its ready line.
func Start(ctx context.Context, bin, dir string, extra ...string) (*Cluster, error) {
	args := append([]string{"sandbox", "up", "--dir", dir}, extra...)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 15 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	c := &Cluster{Dir: dir, Kubeconfig: filepath.Join(dir, "kubeconfig"), cmd: cmd, done: make(chan error, 1)}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if l := sc.Text(); strings.HasPrefix(l, "ready in ") {
				ready <- strings.TrimPrefix(l, "ready in ")
			}
		}
		c.done <- cmd.Wait()
	}()
	select {
	case c.Ready = <-ready:
	case err := <-c.done:
		return nil, fmt.Errorf("sandbox up exited before ready: %v (see %s/sandbox.log)", err, dir)
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("sandbox not ready after 2 minutes (see %s/sandbox.log)", dir)
	}
	if c.REST, err = sandbox.RESTFromKubeconfig(c.Kubeconfig); err != nil {
		c.Stop()
		return nil, err
	}
	if c.Client, err = kubernetes.NewForConfig(c.REST); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// Pid is the sandbox process's id.
func (c *Cluster) Pid() int { return c.cmd.Process.Pid }

// Stop ends the sandbox with SIGTERM and waits for it.
func (c *Cluster) Stop() error {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.done:
		return err
	case <-time.After(20 * time.Second):
		_ = c.cmd.Process.Kill()
		return fmt.Errorf("sandbox did not stop within 20s")
	}
}

// New starts a sandbox in a temporary directory for the test and stops it
// when the test ends.
func New(t testing.TB) *Cluster {
	t.Helper()
	c, err := Start(context.Background(), Binary(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop() })
	return c
}

// Kubectl runs the stock kubectl if installed, else kubelab's own, against
// the cluster and returns its combined output.
func (c *Cluster) Kubectl(t testing.TB, args ...string) (string, error) {
	t.Helper()
	var cmd *exec.Cmd
	if p, err := exec.LookPath("kubectl"); err == nil {
		cmd = exec.Command(p, append([]string{"--kubeconfig", c.Kubeconfig}, args...)...)
	} else {
		cmd = exec.Command(Binary(t), append([]string{"kubectl", "--kubeconfig", c.Kubeconfig}, args...)...)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// MustKubectl is Kubectl that fails the test on error.
func (c *Cluster) MustKubectl(t testing.TB, args ...string) string {
	t.Helper()
	out, err := c.Kubectl(t, args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// Main runs a test binary around one shared sandbox: it starts the
// sandbox, stores it in *shared, runs the tests and stops it. Use it from
// TestMain: `func TestMain(m *testing.M) { testcluster.Main(m, &shared) }`;
// args are more flags of `kubelab sandbox up`.
func Main(m *testing.M, shared **Cluster, args ...string) {
	bin, err := BinaryPath()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "kubelab-test-sandbox-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	c, err := Start(context.Background(), bin, dir, args...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*shared = c
	code := m.Run()
	_ = c.Stop()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// SandboxPIDs lists the processes recorded in root/*/pid: the sandbox
// processes of an embedded backend whose data directory is root.
func SandboxPIDs(root string) []int {
	var pids []int
	files, _ := filepath.Glob(filepath.Join(root, "*", "pid"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// SamePIDs reports whether a and b list the same processes, in any order.
func SamePIDs(a, b []int) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// MostPIDs samples SandboxPIDs(root) every interval until stop is called,
// which returns the most processes seen at once.
func MostPIDs(root string, every time.Duration) (stop func() int) {
	most := len(SandboxPIDs(root))
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-done:
				return
			case <-time.After(every):
			}
			most = max(most, len(SandboxPIDs(root)))
		}
	}()
	var once sync.Once
	return func() int {
		once.Do(func() { close(done); <-finished })
		return most
	}
}
