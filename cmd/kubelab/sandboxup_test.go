package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kubelab/kubelab/internal/testcluster"
)

// A sandbox started by the server runs below its priority (every thread of
// it, the runtime's later ones too) and, once stopped, leaves no file in
// the temporary directory: its components' warnings and errors, which
// every start has, go to its own log.
func TestSandboxUpRunsNicedAndKeepsItsLogs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a sandbox")
	}
	tmp, dir := t.TempDir(), t.TempDir()
	cmd := exec.Command(testcluster.Binary(t), "sandbox", "up", "--dir", dir, "--nice", "3")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }()
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "ready in ") {
				ready <- true
			}
		}
		close(ready)
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatalf("sandbox up ended before ready (see %s/sandbox.log)", dir)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("sandbox not ready after 2 minutes")
	}
	tasks, err := filepath.Glob("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/task/*/stat")
	if err != nil || len(tasks) == 0 {
		t.Fatalf("threads of the sandbox: %v", err)
	}
	for _, path := range tasks {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // the thread ended
		}
		// The fields after the command name: state is the first, nice the 17th.
		fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(fields) < 17 || fields[16] != "3" {
			t.Errorf("thread %s: nice %v, want 3", path, fields[16:17])
		}
	}
	// Once it has stopped, nothing of it is left there.
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	left, _ := os.ReadDir(tmp)
	for _, e := range left {
		t.Errorf("left in the temporary directory: %s", e.Name())
	}
	log, _ := os.ReadFile(filepath.Join(dir, "sandbox.log"))
	if !strings.Contains(string(log), "E1") && !strings.Contains(string(log), "W1") {
		t.Logf("no warning or error in sandbox.log this time (%d bytes)", len(log))
	}
}
