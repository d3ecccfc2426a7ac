package embedded_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kubelab/kubelab/sandbox"
	"github.com/kubelab/kubelab/sandbox/embedded"
)

// notices records a provider's state notices.
type notices struct {
	mu  sync.Mutex
	got []string
	new chan struct{}
}

func newNotices(p *sandbox.Provider) *notices {
	n := &notices{new: make(chan struct{}, 100)}
	p.Notify(func(name string, st sandbox.State) {
		n.mu.Lock()
		n.got = append(n.got, name+" "+string(st))
		n.mu.Unlock()
		n.new <- struct{}{}
	})
	return n
}

// wait waits up to d for the notice want.
func (n *notices) wait(t *testing.T, want string, d time.Duration) {
	t.Helper()
	deadline := time.After(d)
	for {
		n.mu.Lock()
		got := append([]string(nil), n.got...)
		n.mu.Unlock()
		for _, g := range got {
			if g == want {
				return
			}
		}
		select {
		case <-n.new:
		case <-deadline:
			t.Fatalf("no notice %q within %s; got %v", want, d, got)
		}
	}
}

func (n *notices) list() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.got...)
}

func newProvider(t *testing.T, opts embedded.Options, policy ...sandbox.Option) *sandbox.Provider {
	t.Helper()
	p := sandbox.NewProvider(newBackend(t, opts), policy...)
	t.Cleanup(func() { _ = p.Close(context.Background()) })
	return p
}

// The provider refuses names that cannot name a sandbox before the
// backend sees them, and its cap applies to the embedded backend, which
// counts its running sandboxes itself.
func TestProviderNamesAndCapacity(t *testing.T) {
	p := newProvider(t, embedded.Options{}, sandbox.WithMaxRunning(1))
	ctx := context.Background()
	for _, name := range []string{"../etc", "Alice", "", "-x", strings.Repeat("a", 41)} {
		if _, err := p.Acquire(ctx, name); err == nil || !strings.Contains(err.Error(), "invalid name") {
			t.Errorf("Acquire(%q) = %v, want an invalid name", name, err)
		}
		if err := p.Delete(ctx, name); err == nil {
			t.Errorf("Delete(%q) accepted", name)
		}
	}
	if l := p.List(); len(l) != 0 {
		t.Fatalf("refused names reached the backend: %+v", l)
	}
	if _, err := p.Acquire(ctx, "one"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Acquire(ctx, "two"); !errors.Is(err, sandbox.ErrCapacity) {
		t.Fatalf("second sandbox under a cap of 1: %v, want ErrCapacity", err)
	}
	if _, err := p.Acquire(ctx, "one"); err != nil {
		t.Fatalf("the running sandbox at the cap: %v", err)
	}
	if err := p.Stop(ctx, "one"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Acquire(ctx, "two"); err != nil {
		t.Fatalf("a stop did not free the place: %v", err)
	}
}

// A sandbox nobody holds or touches is stopped after the idle timeout and
// the subscribers are told once; a held one keeps running. A sandbox whose
// process dies is reported failed, with the backend's reason.
func TestProviderNotifiesIdleStopsAndCrashes(t *testing.T) {
	const idle = 3 * time.Second
	p := newProvider(t, embedded.Options{}, sandbox.WithIdleTimeout(idle))
	n := newNotices(p)
	ctx := context.Background()
	if _, err := p.Acquire(ctx, "sleepy"); err != nil {
		t.Fatal(err)
	}
	crash, err := p.Acquire(ctx, "crash")
	if err != nil {
		t.Fatal(err)
	}
	release := p.Hold("crash") // an open page: not idle
	n.wait(t, "sleepy stopped", 30*time.Second)
	st, err := p.Status("sleepy")
	if err != nil || st.State != sandbox.StateStopped || !strings.Contains(st.Message, "without activity") {
		t.Fatalf("idle sandbox: %+v, %v", st, err)
	}
	if st, _ := p.Status("crash"); st.State != sandbox.StateReady {
		t.Fatalf("held sandbox is %s after the idle timeout", st.State)
	}
	data, err := os.ReadFile(filepath.Join(filepath.Dir(crash.Kubeconfig), "pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	n.wait(t, "crash failed", 30*time.Second)
	if st, _ := p.Status("crash"); st.State != sandbox.StateFailed || !strings.Contains(st.Message, "killed") {
		t.Errorf("crashed sandbox: %+v", st)
	}
	release()
	if got := n.list(); len(got) != 2 {
		t.Errorf("notices = %v, want one per change", got)
	}
	// The next visit resumes the sandbox the provider stopped.
	if _, err := p.Acquire(ctx, "sleepy"); err != nil {
		t.Fatal(err)
	}
	if st, _ := p.Status("sleepy"); st.State != sandbox.StateReady || st.Message != "" {
		t.Errorf("resumed sandbox: %+v", st)
	}
}
