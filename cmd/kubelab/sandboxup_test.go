package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kubelab/kubelab/internal/testcluster"
)

// A sandbox started by the server runs below its priority (every thread of
// it, the runtime's later ones too) and, once stopped, leaves no file in
// the temporary directory: its components' warnings and errors, which
// every start has, go to its own log, each line once.
func TestSandboxUpRunsNicedAndKeepsItsLogs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a sandbox")
	}
	dir, tmp := t.TempDir(), t.TempDir()
	t.Setenv("TMPDIR", tmp) // the sandbox's temporary directory
	c, err := testcluster.Start(context.Background(), testcluster.Binary(t), dir, "--nice", "3")
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := filepath.Glob("/proc/" + strconv.Itoa(c.Pid()) + "/task/*/stat")
	if err != nil || len(tasks) == 0 {
		c.Stop()
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
			t.Errorf("thread %s: fields %v, want nice 3", path, fields)
		}
	}
	// Once it has stopped, nothing of it is left there.
	_ = c.Stop()
	left, _ := os.ReadDir(tmp)
	for _, e := range left {
		t.Errorf("left in the temporary directory: %s", e.Name())
	}
	log, err := os.ReadFile(filepath.Join(dir, "sandbox.log"))
	if err != nil {
		t.Fatal(err)
	}
	var firstError string
	for _, l := range strings.Split(string(log), "\n") {
		if strings.HasPrefix(l, "E1") {
			firstError = l
			break
		}
	}
	if firstError == "" {
		t.Fatalf("no error line in sandbox.log (%d bytes): the components' errors went elsewhere", len(log))
	}
	if n := strings.Count(string(log), firstError+"\n"); n != 1 {
		t.Errorf("%q is in sandbox.log %d times, want once", firstError, n)
	}
}
