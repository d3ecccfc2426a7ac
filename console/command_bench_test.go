package console

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkConsoleCommand runs `kubectl get pods -A` against the
// integration sandbox, one command after another, in a process of its own
// each (OneShot) and on a kept worker, side by side in one run. It reports
// the CPU the kubectl processes used per command (cpu-ms/cmd, from the
// children's rusage once every process has been waited for) besides the
// wall time per command (ns/op):
//
//	make build && go test ./console/ -run '^$' -bench ConsoleCommand -benchtime 100x -count 3
func BenchmarkConsoleCommand(b *testing.B) {
	for _, c := range []struct {
		name    string
		oneShot bool
	}{{"OneShot", true}, {"Worker", false}} {
		b.Run(c.name, func(b *testing.B) {
			r := &Runner{Binary: kubelabBinary(b), HomeDir: sandbox.dir + "/homes", OneShot: c.oneShot}
			kc := sandbox.kubeconfig
			argv := []string{"get", "pods", "-A"}
			// One command first: the worker's start and kubectl's
			// discovery cache are not what a command costs.
			if res := r.Run(context.Background(), kc, argv); res.ExitCode != 0 {
				b.Fatalf("result %+v", res)
			}
			before := childrenCPU(b)
			b.ResetTimer()
			for range b.N {
				if res := r.Run(context.Background(), kc, argv); res.ExitCode != 0 {
					b.Fatalf("result %+v", res)
				}
			}
			b.StopTimer()
			if !c.oneShot {
				b.ReportMetric(workersAnonMiB(r), "worker-anon-MiB")
			}
			stopAndWait(r)
			b.ReportMetric(float64((childrenCPU(b)-before).Microseconds())/1000/float64(b.N), "cpu-ms/cmd")
		})
	}
}

// stopAndWait closes r and waits until its workers have exited and been
// waited for, so that their CPU counts in the children's rusage.
func stopAndWait(r *Runner) {
	r.mu.Lock()
	var ws []*worker
	for _, list := range r.idle {
		ws = append(ws, list...)
	}
	r.mu.Unlock()
	r.Close()
	for _, w := range ws {
		select {
		case <-w.exited:
		case <-time.After(5 * time.Second):
		}
	}
}

// childrenCPU is the user and system CPU of this process's children that
// have ended and been waited for.
func childrenCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// workersAnonMiB is the anonymous memory of r's idle workers.
func workersAnonMiB(r *Runner) float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	total := 0.0
	for _, list := range r.idle {
		for _, w := range list {
			total += anonMiBOf(w.cmd.Process.Pid)
		}
	}
	return total
}

// anonMiBOf is the anonymous memory of process pid.
func anonMiBOf(pid int) float64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "RssAnon:" {
			n, _ := strconv.Atoi(f[1])
			return float64(n) / 1024
		}
	}
	return 0
}
