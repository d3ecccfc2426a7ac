package conformance_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubelab/kubelab/internal/testcluster"
)

// TestIdleCPU measures the CPU an idle sandbox uses, empty and with 100
// running pods (readiness probes included), from /proc/<pid>/stat over
// 60 s each. It takes about three minutes: KUBELAB_IDLE_CPU=1 runs it.
func TestIdleCPU(t *testing.T) {
	if os.Getenv("KUBELAB_IDLE_CPU") == "" {
		t.Skip("set KUBELAB_IDLE_CPU=1 to measure the idle CPU of a sandbox with 100 pods (about 3 minutes)")
	}
	dir := t.TempDir()
	c, err := testcluster.Start(context.Background(), testcluster.Binary(t), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	pid := sandboxPID(t, dir)
	window := 60 * time.Second
	if v, err := time.ParseDuration(os.Getenv("KUBELAB_IDLE_WINDOW")); err == nil {
		window = v
	}
	time.Sleep(15 * time.Second) // start-up work (metrics-server, controllers' first syncs) settles
	empty := cpuShare(t, pid, window)
	t.Logf("idle sandbox, no pods of its own: %.2f%% of one core over %s", empty, window)

	e := newEnv(t, c, "idle")
	e.applyYAML(`apiVersion: apps/v1
kind: Deployment
metadata: {name: idle}
spec:
  replicas: 100
  selector: {matchLabels: {app: idle}}
  template:
    metadata: {labels: {app: idle}}
    spec:
      containers:
      - name: web
        image: nginx:1.25.1
        readinessProbe: {httpGet: {path: /, port: 80}, periodSeconds: 5}
        livenessProbe: {httpGet: {path: /, port: 80}, periodSeconds: 10}
`)
	if err := e.waitFor(3*time.Minute, "100 ready pods", func() (bool, string) {
		d, err := c.Client.AppsV1().Deployments("idle").Get(e.ctx, "idle", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return d.Status.ReadyReplicas == 100, fmt.Sprint(d.Status.ReadyReplicas)
	}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Second)
	busy := cpuShare(t, pid, window)
	t.Logf("idle sandbox with 100 running pods: %.2f%% of one core over %s", busy, window)
	if out := os.Getenv("KUBELAB_IDLE_REPORT"); out != "" {
		_ = os.WriteFile(out, []byte(fmt.Sprintf("empty %.2f%%\n100 pods %.2f%%\n", empty, busy)), 0o644)
	}
}

// sandboxPID finds the `kubelab sandbox up --dir dir` process.
func sandboxPID(t *testing.T, dir string) int {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(bytes.TrimRight(cmd, "\x00")), "\x00")
		if len(args) > 3 && args[1] == "sandbox" && args[2] == "up" && strings.Contains(string(cmd), dir) {
			return pid
		}
	}
	t.Skip("no /proc entry for the sandbox process (not Linux?)")
	return 0
}

// cpuShare is the process's CPU time over window, in percent of one core.
func cpuShare(t *testing.T, pid int, window time.Duration) float64 {
	ticks := func() int64 {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			t.Fatal(err)
		}
		// Fields after the command name (which is in parentheses).
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
		utime, _ := strconv.ParseInt(f[11], 10, 64)
		stime, _ := strconv.ParseInt(f[12], 10, 64)
		return utime + stime
	}
	start, t0 := ticks(), time.Now()
	time.Sleep(window)
	used := float64(ticks()-start) / 100 // USER_HZ is 100 on Linux
	return used / time.Since(t0).Seconds() * 100
}
