package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubelab/kubelab/sandbox/instance"
)

func sandboxCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "sandbox", Short: "Run and manage sandbox clusters"}
	cmd.AddCommand(sandboxUpCommand())
	return cmd
}

// sandboxMemoryLimit is the Go memory limit of one sandbox process.
const sandboxMemoryLimit = 200 << 20

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
	var port, quota int
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
			if os.Getenv("GOMEMLIMIT") == "" {
				// Measured: keeps an idle sandbox under 200 MiB of private
				// memory for about 0.3 % more CPU; lower limits make the GC thrash.
				debug.SetMemoryLimit(sandboxMemoryLimit)
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			logf, err := os.OpenFile(filepath.Join(dir, "sandbox.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
			if err != nil {
				return fmt.Errorf("sandbox up: log: %w", err)
			}
			defer logf.Close()
			say := func(s statusLine) {
				if asJSON {
					_ = json.NewEncoder(os.Stdout).Encode(s)
				}
			}
			inst, err := instance.Start(ctx, instance.Options{Dir: dir, Topology: topology, APIPort: port, Log: logf, ObjectQuota: quota})
			if err != nil {
				say(statusLine{Event: "failed", Error: err.Error()})
				return err
			}
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
	cmd.Flags().BoolVar(&asJSON, "json", false, "print status as JSON lines (used by the kubelab server)")
	return cmd
}
