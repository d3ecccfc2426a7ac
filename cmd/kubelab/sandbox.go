package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubelab/kubelab/sandbox/controlplane"
	"github.com/kubelab/kubelab/sandbox/instance"
	"github.com/kubelab/kubelab/sandbox/procstats"
	"github.com/kubelab/kubelab/sandbox/schedrecord"
)

func sandboxCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "sandbox", Short: "Run and manage sandbox clusters"}
	cmd.AddCommand(sandboxUpCommand(), sandboxTemplateCommand())
	return cmd
}

// statusLine is what `sandbox up --json` prints, one JSON object a line;
// the embedded backend reads it from its child processes.
type statusLine struct {
	Event      string  `json:"event"`
	Server     string  `json:"server,omitempty"`
	Kubeconfig string  `json:"kubeconfig,omitempty"`
	Seconds    float64 `json:"seconds,omitempty"`
	Error      string  `json:"error,omitempty"`
}

func sandboxUpCommand() *cobra.Command {
	var dir, topology string
	var asJSON bool
	var port, quota, gogc, procs, nice int
	var memLimit, startProfile, template string
	var nodeGrace, tolerate time.Duration
	var tuning controlplane.Tuning
	cmd := &cobra.Command{
		Use:   "up --dir DIR",
		Short: "Start one embedded sandbox in the foreground (again on the same DIR resumes it)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				return fmt.Errorf("--dir is required")
			}
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return fmt.Errorf("sandbox up: %w", err)
			}
			// The start allocates a heap from nothing, which a low GOGC
			// collects over and over: it runs at startGOGC, and at gogc
			// once ready.
			applyGCSettings(max(gogc, startGOGC), memLimit)
			if nice > 0 {
				lowerPriority(nice)
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			logf, err := openSandboxLog(dir)
			if err != nil {
				return fmt.Errorf("sandbox up: %w", err)
			}
			defer logf.Close()
			stopProfile := func() {}
			if startProfile != "" {
				stop, err := profileCPU(startProfile)
				if err != nil {
					return err
				}
				stopProfile = sync.OnceFunc(stop)
				defer stopProfile()
			}
			say := func(s statusLine) {
				if asJSON {
					_ = json.NewEncoder(os.Stdout).Encode(s)
				}
			}
			inst, err := instance.Start(ctx, instance.Options{Dir: dir, Topology: topology, APIPort: port, Log: logf,
				ObjectQuota: quota, NodeGracePeriod: nodeGrace, EvictionToleration: tolerate, Tuning: tuning, Template: template})
			if err != nil {
				say(statusLine{Event: "failed", Error: err.Error()})
				return err
			}
			stopProfile()
			applyGCSettings(gogc, memLimit)
			clock := inst.ControlPlane.Clock
			if err := procstats.Serve(ctx, dir, func() map[string]any {
				paused, stops := clock.Paused()
				return map[string]any{"frozenSeconds": paused.Seconds(), "freezes": stops,
					// What recording the scheduler's decisions costs it.
					"schedulingRecorder": schedrecord.Spent.Read()}
			}); err != nil {
				fmt.Fprintln(logf, "stats:", err)
			}
			// Started on every CPU, the sandbox may then run on fewer
			// (docs/performance.md: idle CPU).
			applyProcs(ctx, procs)
			say(statusLine{Event: "ready", Server: inst.Server, Kubeconfig: inst.Kubeconfig, Seconds: inst.Ready.Seconds()})
			if !asJSON {
				fmt.Printf("kubeconfig: %s\n", inst.Kubeconfig)
				fmt.Printf("ready in %.2fs\n", inst.Ready.Seconds())
			}
			var failure error
			select {
			case <-ctx.Done():
			case failure = <-inst.Errors():
				say(statusLine{Event: "failed", Error: failure.Error()})
			}
			stop()
			done := make(chan struct{})
			go func() { inst.Close(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
			}
			say(statusLine{Event: "stopped"})
			return failure
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "data directory of the sandbox (kubeconfig, etcd data, logs)")
	cmd.Flags().StringVar(&topology, "topology", "", "simulated nodes configuration file (default: 3 nodes in us-east-1a/us-east-1b)")
	cmd.Flags().IntVar(&port, "port", 0, "API server port on 127.0.0.1 (default: a free port)")
	cmd.Flags().IntVar(&quota, "object-quota", 0, "objects of each kind a namespace may hold (default 200; -1: no cap)")
	cmd.Flags().DurationVar(&nodeGrace, "node-grace-period", 0, "how long a node may stay silent before it is marked NotReady (default 40s)")
	cmd.Flags().DurationVar(&tolerate, "eviction-toleration", 0, "how long pods tolerate a NotReady or unreachable node by default before eviction (default 30s; 300s on a real cluster)")
	cmd.Flags().IntVar(&gogc, "gogc", defaultGOGC, "the Go garbage collector's GOGC for this sandbox (the GOGC variable wins)")
	cmd.Flags().IntVar(&procs, "procs", defaultProcs, "how many threads run the sandbox's Go code at once once it is ready; it starts on every CPU (GOMAXPROCS; the GOMAXPROCS variable wins; 0: one per CPU; -1: one while quiet, every CPU while busy; for measurements)")
	cmd.Flags().StringVar(&memLimit, "memory-limit", "", "a Go soft memory limit such as 200MiB (the GOMEMLIMIT variable wins; default none: see docs/performance.md)")
	cmd.Flags().StringArrayVar(&tuning.APIServerArgs, "apiserver-arg", nil, "an extra kube-apiserver flag (repeatable; for measurements)")
	cmd.Flags().StringArrayVar(&tuning.ControllerManagerArgs, "controller-manager-arg", nil, "an extra kube-controller-manager flag (repeatable; for measurements)")
	cmd.Flags().Uint64Var(&tuning.EtcdSnapshotCount, "etcd-snapshot-count", 0, "raft entries etcd keeps in memory before a snapshot (for measurements)")
	cmd.Flags().BoolVar(&tuning.OpenAPIV2, "openapi-v2", false, "also serve the OpenAPI v2 document (for measurements)")
	cmd.Flags().StringVar(&startProfile, "start-cpuprofile", "", "write a CPU profile of the start, until ready, to this file (for measurements)")
	cmd.Flags().BoolVar(&tuning.NoSchedulingRecords, "no-scheduling-records", false, "run the scheduler without recording its decisions (for measurements)")
	for _, f := range []string{"procs", "apiserver-arg", "controller-manager-arg", "etcd-snapshot-count", "openapi-v2", "no-scheduling-records", "start-cpuprofile"} {
		_ = cmd.Flags().MarkHidden(f)
	}
	cmd.Flags().StringVar(&template, "template", "", "a directory made by `kubelab sandbox template`: a new sandbox starts from a copy of its bootstrapped etcd (ignored on resume, or if DIR is not a template)")
	cmd.Flags().IntVar(&nice, "nice", 0, "run this much below the normal CPU priority (the kubelab server passes its --sandbox-nice)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print status as JSON lines (used by the kubelab server)")
	return cmd
}

func sandboxTemplateCommand() *cobra.Command {
	var dir string
	var nice int
	cmd := &cobra.Command{
		Use:    "template --dir DIR",
		Short:  "Bootstrap a control plane into DIR and stop: new sandboxes started with --template DIR begin from a copy of it",
		Hidden: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				return fmt.Errorf("--dir is required")
			}
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return fmt.Errorf("sandbox template: %w", err)
			}
			applyGCSettings(startGOGC, "")
			if nice > 0 {
				lowerPriority(nice)
			}
			logf, err := openSandboxLog(dir)
			if err != nil {
				return fmt.Errorf("sandbox template: %w", err)
			}
			defer logf.Close()
			ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer cancel()
			if err := controlplane.MakeTemplate(ctx, dir, logf); err != nil {
				return fmt.Errorf("sandbox template: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "directory to make the template in")
	cmd.Flags().IntVar(&nice, "nice", 0, "run this much below the normal CPU priority")
	return cmd
}

// openSandboxLog opens dir's sandbox.log, where the components' logs go,
// for appending.
func openSandboxLog(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "sandbox.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("log: %w", err)
	}
	return f, nil
}

// defaultGOGC is the sandbox process's GOGC (docs/performance.md: why).
const defaultGOGC = 50

// startGOGC is the sandbox process's GOGC until it is ready: 0.86× the
// start's CPU of GOGC 50 (docs/performance.md, "Start and resume").
const startGOGC = 200

// applyGCSettings sets the garbage collector of a sandbox process. The
// environment (GOGC, GOMEMLIMIT) wins over the flags, as it does for any
// Go program.
func applyGCSettings(gogc int, memLimit string) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gogc)
	}
	if os.Getenv("GOMEMLIMIT") == "" && memLimit != "" {
		if n, err := parseBytes(memLimit); err == nil {
			debug.SetMemoryLimit(n)
		}
	}
}

// defaultProcs is how many threads run a ready sandbox's Go code at once
// (0: one per CPU; -1: follow the load). One thread cuts an idle
// sandbox's CPU by a third to a half, but a fixed one serialized busy
// sandboxes: a class's answered their learners markedly later under
// bench/load. Following the load keeps the idle figure and gives a busy or
// just thawed sandbox every CPU (docs/performance.md).
const defaultProcs = -1

// applyProcs sets how many threads run the sandbox's Go code at once,
// unless the GOMAXPROCS variable does.
// A negative n follows the load (followLoad) until ctx ends.
func applyProcs(ctx context.Context, n int) {
	switch {
	case os.Getenv("GOMAXPROCS") != "":
	case n > 0:
		runtime.GOMAXPROCS(n)
	case n < 0:
		go followLoad(ctx)
	}
}

// parseBytes reads 200MiB, 1GiB or a plain number of bytes.
func parseBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}
	for _, u := range units {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("size %q: %w", s, err)
			}
			return n * u.mult, nil
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

// lowerPriority sets the nice value of every thread of this process to n.
// Linux keeps a nice value per thread and a new thread takes its creator's,
// so the runtime's later threads follow; going down needs no privilege.
// The threads are read twice, in case one was being created the first time.
func lowerPriority(n int) {
	for range 2 {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return // not Linux: keep the normal priority
		}
		for _, t := range tasks {
			if tid, err := strconv.Atoi(t.Name()); err == nil {
				_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, n)
			}
		}
	}
}
