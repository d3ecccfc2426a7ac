package console

import (
	"context"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pidOf runs the fake's "pid" command and returns the process that served it.
func pidOf(t *testing.T, r *Runner, kc string) int {
	t.Helper()
	res := r.Run(context.Background(), kc, []string{"get", "pid"})
	pid, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(res.Output, "pid")))
	if res.ExitCode != 0 || err != nil {
		t.Fatalf("result %+v", res)
	}
	return pid
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// TestWorkerServesASandboxsCommands checks that one worker process runs a
// kubeconfig's commands one after another, each with its own output and
// exit code, and that another kubeconfig gets a worker of its own.
func TestWorkerServesASandboxsCommands(t *testing.T) {
	r, kc := fakeRunner(t)
	defer r.Close()
	first := pidOf(t, r, kc)
	if res := r.Run(context.Background(), kc, []string{"get", "exit", "4"}); res.ExitCode != 4 || res.Output != "bye\n" {
		t.Fatalf("result %+v", res)
	}
	if res := r.Run(context.Background(), kc, []string{"get", "both"}); res.ExitCode != 0 ||
		res.Output != "out 0\nerr 0\nout 1\nerr 1\nout 2\nerr 2\n" {
		t.Fatalf("result %+v", res)
	}
	// 100 KiB of output, cut at the limit, and the worker still serves.
	if res := r.Run(context.Background(), kc, []string{"get", "spam", "102400"}); res.ExitCode != 3 || !res.Truncated {
		t.Fatalf("result %+v", res)
	}
	if again := pidOf(t, r, kc); again != first {
		t.Fatalf("commands ran in processes %d and %d, want one worker", first, again)
	}
	_, other := fakeRunner(t)
	if pid := pidOf(t, r, other); pid == first {
		t.Fatalf("two kubeconfigs shared worker %d", pid)
	}
}

// TestWorkerFatalErrorEndsTheCommandOnly checks that kubectl's fatal-error
// path (Exit) ends the command with its code and the worker serves on.
func TestWorkerFatalErrorEndsTheCommandOnly(t *testing.T) {
	r, kc := fakeRunner(t)
	defer r.Close()
	first := pidOf(t, r, kc)
	res := r.Run(context.Background(), kc, []string{"get", "fatal"})
	if res.ExitCode != 5 || res.Output != "error: it failed\n" {
		t.Fatalf("result %+v", res)
	}
	if again := pidOf(t, r, kc); again != first {
		t.Fatalf("the worker %d was replaced by %d after a fatal error", first, again)
	}
}

// TestWorkerReplacedAfterAPanic checks that a command that panics gets
// exit code 2 and a new worker serves the next command.
func TestWorkerReplacedAfterAPanic(t *testing.T) {
	r, kc := fakeRunner(t)
	defer r.Close()
	first := pidOf(t, r, kc)
	res := r.Run(context.Background(), kc, []string{"get", "panic"})
	if res.ExitCode != 2 || !strings.Contains(res.Output, "boom") {
		t.Fatalf("result %+v", res)
	}
	if again := pidOf(t, r, kc); again == first {
		t.Fatalf("worker %d kept serving after a panic", first)
	}
	time.Sleep(100 * time.Millisecond)
	if alive(first) {
		t.Fatalf("worker %d still runs", first)
	}
}

// TestWorkerReplacedAfterTimeout checks that a command out of time kills
// its worker (with what it started) and the next command gets a new one.
func TestWorkerReplacedAfterTimeout(t *testing.T) {
	r, kc := fakeRunner(t)
	defer r.Close()
	first := pidOf(t, r, kc)
	r.Timeout = 500 * time.Millisecond
	res := r.Run(context.Background(), kc, []string{"get", "sleep"})
	if !res.TimedOut || res.ExitCode != 128+int(syscall.SIGKILL) || !strings.Contains(res.Output, "child ") {
		t.Fatalf("result %+v", res)
	}
	if pid := childPid(t, res.Output); !gone(pid) {
		t.Fatalf("child %d still runs", pid)
	}
	if again := pidOf(t, r, kc); again == first {
		t.Fatalf("worker %d served after its command was killed", first)
	}
}

// TestWorkerStopsWhenIdle checks that an idle worker is stopped after
// WorkerIdle, and that Close stops the rest.
func TestWorkerStopsWhenIdle(t *testing.T) {
	r, kc := fakeRunner(t)
	r.WorkerIdle = 200 * time.Millisecond
	pid := pidOf(t, r, kc)
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if alive(pid) {
		t.Fatalf("idle worker %d still runs after %v", pid, 5*time.Second)
	}
	r.WorkerIdle = time.Hour
	pid = pidOf(t, r, kc)
	r.Close()
	time.Sleep(100 * time.Millisecond)
	if alive(pid) {
		t.Fatalf("worker %d still runs after Close", pid)
	}
	// A closed Runner still runs commands, each in a process of its own.
	if a, b := pidOf(t, r, kc), pidOf(t, r, kc); a == b {
		t.Fatalf("a closed Runner used a worker (%d)", a)
	}
}

// TestOneShotStartsAProcessPerCommand checks the OneShot setting.
func TestOneShotStartsAProcessPerCommand(t *testing.T) {
	r, kc := fakeRunner(t)
	r.OneShot = true
	if a, b := pidOf(t, r, kc), pidOf(t, r, kc); a == b {
		t.Fatalf("two one-shot commands ran in process %d", a)
	}
}

// TestWorkersRunConcurrentCommands checks that two commands of the same
// kubeconfig at once run in two workers, both kept afterwards.
func TestWorkersRunConcurrentCommands(t *testing.T) {
	r, kc := fakeRunner(t)
	defer r.Close()
	pids := make(chan int, 2)
	for range 2 {
		go func() {
			res := r.Run(context.Background(), kc, []string{"get", "pid"})
			pid, _ := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(res.Output, "pid")))
			pids <- pid
		}()
	}
	a, b := <-pids, <-pids
	if a == 0 || b == 0 {
		t.Fatalf("pids %d %d", a, b)
	}
	r.mu.Lock()
	n := len(r.idle[r.idleKey(t, kc)])
	r.mu.Unlock()
	if a != b && n != 2 {
		t.Fatalf("%d idle workers after two at once, want 2", n)
	}
}

// idleKey is the key of a kubeconfig's workers.
func (r *Runner) idleKey(t *testing.T, kc string) string {
	t.Helper()
	cmd, _, err := r.command(kc, []string{"get", "pods"})
	if err != nil {
		t.Fatal(err)
	}
	return cmd.Args[2]
}

// TestPrepareStartsTheWorkerOfTheFirstCommand checks that Prepare starts
// one worker ahead of a kubeconfig's first command, which then runs on it,
// and starts none when one is idle or with OneShot.
func TestPrepareStartsTheWorkerOfTheFirstCommand(t *testing.T) {
	r, kc := fakeRunner(t)
	defer r.Close()
	if err := r.Prepare(kc); err != nil {
		t.Fatal(err)
	}
	idlePids := func() []int {
		r.mu.Lock()
		defer r.mu.Unlock()
		var pids []int
		for _, ws := range r.idle {
			for _, w := range ws {
				pids = append(pids, w.cmd.Process.Pid)
			}
		}
		return pids
	}
	prepared := idlePids()
	if len(prepared) != 1 {
		t.Fatalf("after Prepare: idle workers %v, want one", prepared)
	}
	if err := r.Prepare(kc); err != nil {
		t.Fatal(err)
	}
	if again := idlePids(); len(again) != 1 {
		t.Fatalf("a second Prepare with a worker idle: idle workers %v", again)
	}
	if pid := pidOf(t, r, kc); pid != prepared[0] {
		t.Fatalf("the first command ran in process %d, not the prepared worker %d", pid, prepared[0])
	}
	one, kc2 := fakeRunner(t)
	one.OneShot = true
	if err := one.Prepare(kc2); err != nil || len(one.idle) != 0 {
		t.Fatalf("OneShot: Prepare %v, idle %v", err, one.idle)
	}
	if err := r.Prepare(""); err == nil {
		t.Fatal("Prepare without a kubeconfig succeeded")
	}
}
