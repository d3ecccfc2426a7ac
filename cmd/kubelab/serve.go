package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"

	"github.com/kubelab/kubelab/console"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/quizzes"
	"github.com/kubelab/kubelab/sandbox"
	"github.com/kubelab/kubelab/sandbox/embedded"
	"github.com/kubelab/kubelab/sandbox/kind"
	"github.com/kubelab/kubelab/sandbox/remote"
	"github.com/kubelab/kubelab/sandbox/topology"
	"github.com/kubelab/kubelab/server"
	"github.com/kubelab/kubelab/store"
)

func serveCommand() *cobra.Command {
	var addr, dataDir, mode, topology, publicURL string
	var sandboxArgs []string
	var insecureCookies, consoleWorkers bool
	var backendName, remoteKubeconfig string
	var pool, maxSandboxes, classSeats, sandboxNice int
	var freezeAfter time.Duration
	var idle time.Duration
	var cpuProfile string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the kubelab web server (local mode: one learner, no login; class mode: instructors and their classes)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
			quietKlog()
			if cpuProfile != "" {
				stop, err := profileCPU(cpuProfile)
				if err != nil {
					return err
				}
				defer stop()
			}
			if err := os.MkdirAll(dataDir, 0o700); err != nil {
				return fmt.Errorf("data directory: %w", err)
			}
			st, err := store.Open(filepath.Join(dataDir, "kubelab.db"))
			if err != nil {
				return err
			}
			defer st.Close()
			cat, err := labs.Load()
			if err != nil {
				return err
			}
			qs, err := quizzes.Load(cat)
			if err != nil {
				return err
			}
			exe, err := os.Executable()
			if err != nil {
				return fmt.Errorf("find own executable: %w", err)
			}
			var args []string
			if topology != "" {
				args = []string{"--topology", topology}
			}
			if sandboxNice > 0 {
				args = append(args, "--nice", strconv.Itoa(sandboxNice))
			}
			args = append(args, sandboxArgs...)
			backend, err := newBackend(backendName, dataDir, exe, args, topology, pool, maxSandboxes, freezeAfter, remoteKubeconfig)
			if err != nil {
				return err
			}
			policy := []sandbox.Option{sandbox.WithMaxRunning(maxSandboxes)}
			if backendName != "remote" { // nothing of a remote sandbox runs on its own: its namespace stays
				policy = append(policy, sandbox.WithIdleTimeout(idle))
			}
			provider := sandbox.NewProvider(backend, policy...)
			defer func() {
				cctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				_ = provider.Close(cctx)
			}()
			runner := &console.Runner{Binary: exe, OneShot: !consoleWorkers}
			defer runner.Close()
			srv, err := server.New(server.Config{Mode: mode, Provider: provider, Store: st, Catalog: cat, Quizzes: qs,
				Console: runner, Logger: log, InsecureCookies: insecureCookies, PublicURL: publicURL,
				ClassSeats: classSeats, MaxSandboxes: maxSandboxes, WarmPool: pool, Zones: drillZones(backendName, topology),
				HistoryDir: filepath.Join(dataDir, "history")})
			if err != nil {
				return err
			}
			l, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("listen on %s: %w", addr, err)
			}
			if mode == server.ModeLocal {
				srv.Warm(ctx)
			}
			fmt.Printf("kubelab is running: open http://%s\n", l.Addr())
			if mode == server.ModeClass {
				fmt.Printf("class mode: instructors sign in at /login (create one with `kubelab admin create-instructor --data %s`), students join at /join\n", dataDir)
			}
			return srv.Serve(ctx, l)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on")
	cmd.Flags().StringVar(&dataDir, "data", "data", "directory for the database and the sandboxes")
	cmd.Flags().StringVar(&mode, "mode", server.ModeLocal, "local (one learner, no login) or class")
	cmd.Flags().BoolVar(&insecureCookies, "insecure-cookies", false, "class mode: session cookies without the Secure flag, for a server reached over plain HTTP")
	cmd.Flags().StringVar(&publicURL, "public-url", "", "class mode: the address students open, for join and resume links (default: as requested)")
	cmd.Flags().StringArrayVar(&sandboxArgs, "sandbox-arg", nil, "an extra `kubelab sandbox up` flag for embedded sandboxes (repeatable; e.g. --sandbox-arg=--node-grace-period=10s)")
	_ = cmd.Flags().MarkHidden("sandbox-arg")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the server (not its sandboxes) to this file until it stops (bench/load -cpuprofile)")
	_ = cmd.Flags().MarkHidden("cpuprofile")
	cmd.Flags().StringVar(&topology, "topology", "", "simulated nodes configuration file for embedded sandboxes")
	cmd.Flags().StringVar(&backendName, "backend", "embedded", "sandbox backend: embedded (simulated nodes, no Docker), kind (needs Docker) or remote (namespaces on an existing cluster)")
	cmd.Flags().StringVar(&remoteKubeconfig, "remote-kubeconfig", "", "remote backend: an administrator kubeconfig of the existing cluster")
	cmd.Flags().IntVar(&pool, "pool", 0, "warm sandboxes kept ready for new learners")
	cmd.Flags().IntVar(&maxSandboxes, "max-sandboxes", 40, "running sandboxes this machine may hold")
	cmd.Flags().IntVar(&classSeats, "class-seats", server.DefaultClassSeats, "class mode: seat limit of a new class (the instructor changes it; the open classes' seats together never exceed --max-sandboxes)")
	cmd.Flags().DurationVar(&idle, "idle", 30*time.Minute, "stop a sandbox nobody used for this long (its state is kept)")
	cmd.Flags().BoolVar(&consoleWorkers, "console-workers", true, "run a sandbox's console commands in a kubectl process kept for it (false: a new process for every command)")
	cmd.Flags().IntVar(&sandboxNice, "sandbox-nice", 5, "embedded: run sandbox processes this much below the server's CPU priority (nice), so that pages, hand-outs and the console stay quick when a class loads the machine; 0 = the same")
	cmd.Flags().DurationVar(&freezeAfter, "freeze-after", 2*time.Minute, "embedded: freeze a sandbox with no page open and no activity for this long (no CPU; thawed in milliseconds); 0 = never")
	return cmd
}

// profileCPU profiles the server's CPU into path until stop is called.
func profileCPU(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// quietKlog keeps client-go's informer chatter (a sandbox that stops ends
// its watches) out of the server's log; errors still show.
func quietKlog() {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("logtostderr", "false")
	_ = fs.Set("stderrthreshold", "ERROR")
	// Every severity needs an output: klog opens a file in the temporary
	// directory for any severity without one.
	_ = fs.Set("one_output", "true")
	klog.SetOutput(io.Discard)
}

// newBackend builds the sandbox backend named by --backend; the policy
// (--max-sandboxes, --idle) is the provider's. The embedded backend gets
// the cap from its start too, so that its first warm sandboxes respect it.
func newBackend(name, dataDir, exe string, args []string, topology string, pool, maxSandboxes int, freezeAfter time.Duration, remoteKubeconfig string) (sandbox.Backend, error) {
	switch name {
	case "embedded":
		return embedded.New(embedded.Options{Dir: filepath.Join(dataDir, "sandboxes"), Binary: exe, Args: args,
			WarmPool: pool, MaxRunning: maxSandboxes, FreezeAfter: freezeAfter})
	case "kind":
		dir := filepath.Join(dataDir, "kind")
		prefix, err := kind.LoadPrefix(dir)
		if err != nil {
			return nil, err
		}
		return kind.New(kind.Options{Prefix: prefix, Dir: dir, Topology: topology})
	case "remote":
		if remoteKubeconfig == "" {
			return nil, fmt.Errorf("--backend remote needs --remote-kubeconfig")
		}
		return remote.New(remote.Options{Kubeconfig: remoteKubeconfig, Dir: filepath.Join(dataDir, "remote"), Quota: remote.DefaultQuota()})
	}
	return nil, fmt.Errorf("unknown --backend %q: use embedded, kind or remote", name)
}

// drillZones are the zones of the simulated nodes, whose kubelets the
// dashboard's outage drill stops: none for kind's and a remote cluster's
// real kubelets.
func drillZones(backend, topologyFile string) []string {
	if backend != "embedded" {
		return nil
	}
	topo, err := topology.Load(topologyFile)
	if err != nil {
		return nil
	}
	zones := topo.Zones()
	sort.Strings(zones)
	return zones
}
