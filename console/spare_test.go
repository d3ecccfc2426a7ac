package console

import (
	"context"
	"io"
	"slices"
	"testing"
	"time"
)

// waitSpares waits until r has n spare workers waiting.
func waitSpares(t *testing.T, r *Runner, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for r.Spares() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d spare workers after 30 s, want %d", r.Spares(), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sparePids lists the processes of r's spare workers.
func sparePids(r *Runner) []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	var pids []int
	for _, w := range r.spare.workers {
		pids = append(pids, w.cmd.Process.Pid)
	}
	return pids
}

// TestSpareWorkerServesTheSandboxItIsBoundTo checks that spare workers are
// started ahead, that a sandbox's first command runs on one with exactly
// the environment and directory of a worker started for that sandbox, that
// a spare taken is not replaced until the next SetSpares, and that
// lowering the count stops the spares beyond it, after SpareTrimAfter.
func TestSpareWorkerServesTheSandboxItIsBoundTo(t *testing.T) {
	r, kc := fakeRunner(t)
	defer r.Close()
	r.SetSpares(2)
	waitSpares(t, r, 2)
	spares := sparePids(r)

	// The same command on a worker started for the sandbox, for comparison.
	started, kc2 := fakeRunner(t)
	defer started.Close()
	want := started.Run(context.Background(), kc2, []string{"get", "env"})
	got := r.Run(context.Background(), kc, []string{"get", "env"})
	if got.ExitCode != 0 || got.Output != want.Output {
		t.Fatalf("on a spare worker: %+v\non a worker started for its sandbox: %+v", got, want)
	}
	pid := pidOf(t, r, kc)
	if !slices.Contains(spares, pid) {
		t.Fatalf("the sandbox's commands ran in process %d, not in one of the spares %v", pid, spares)
	}
	time.Sleep(300 * time.Millisecond)
	if n := r.Spares(); n != 1 {
		t.Fatalf("%d spare workers after one was taken, want 1 until the next SetSpares", n)
	}

	r.SetSpares(3)
	waitSpares(t, r, 3)
	// A count that is lower for a moment stops nothing.
	r.SpareTrimAfter = 300 * time.Millisecond
	kept := sparePids(r)
	r.SetSpares(2)
	r.SetSpares(3)
	time.Sleep(600 * time.Millisecond)
	if now := sparePids(r); !slices.Equal(now, kept) {
		t.Fatalf("spare workers %v after a count of 2 taken back at once, want the same %v", now, kept)
	}
	r.SetSpares(1)
	if n := r.Spares(); n != 3 {
		t.Fatalf("%d spare workers just after SetSpares(1), want 3 until SpareTrimAfter", n)
	}
	waitSpares(t, r, 1)
	for _, p := range kept {
		if !slices.Contains(sparePids(r), p) {
			deadline := time.Now().Add(5 * time.Second)
			for alive(p) && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if alive(p) {
				t.Fatalf("spare %d beyond the count still runs", p)
			}
		}
	}
	if pidOf(t, r, kc) != pid {
		t.Fatal("the sandbox's worker changed when spares were stopped")
	}

	one, _ := fakeRunner(t)
	one.OneShot = true
	one.SetSpares(2)
	time.Sleep(200 * time.Millisecond)
	if n := one.Spares(); n != 0 {
		t.Fatalf("OneShot: %d spare workers", n)
	}
	r.Close()
	for _, p := range sparePids(r) {
		t.Fatalf("spare %d kept after Close", p)
	}
}

// TestSpareThatCannotBindIsNotUsed checks that a spare worker whose
// binding fails (its sandbox's home directory is gone) serves nothing and
// the command runs on a worker started for it.
func TestSpareThatCannotBindIsNotUsed(t *testing.T) {
	r, kc := fakeRunner(t)
	defer r.Close()
	r.SetSpares(1)
	waitSpares(t, r, 1)
	spare := sparePids(r)[0]
	w := r.takeSpare()
	res, _, kept, err := runOnWorker(context.Background(), w, request{Bind: &binding{Env: []string{"HOME=/x"}, Dir: "/nonexistent/kubelab"}}, bindTimeout, io.Discard)
	if err != nil || kept || res.ExitCode != 2 {
		t.Fatalf("binding to a missing directory: %+v kept %v err %v", res, kept, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for alive(spare) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if alive(spare) {
		t.Fatalf("the spare that could not bind still runs (%d)", spare)
	}
	if pid := pidOf(t, r, kc); pid == spare {
		t.Fatal("a command ran on the spare that could not bind")
	}
}
