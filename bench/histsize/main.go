// Command histsize measures what a recorded history (package history)
// costs on disk: it records a sandbox's stream as the server does, until
// interrupted or for -for, and prints the changes, the bytes and the bytes
// per change. Run it beside bench/fill to measure the course's labs:
//
//	go run ./bench/histsize -kubeconfig DIR/kubeconfig -for 10m &
//	go run ./bench/fill -kubeconfig DIR/kubeconfig
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/kubelab/kubelab/history"
	"github.com/kubelab/kubelab/sandbox"
	"github.com/kubelab/kubelab/watch"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "the sandbox's kubeconfig")
	dur := flag.Duration("for", 10*time.Minute, "how long to record (SIGINT ends sooner)")
	flag.Parse()
	if err := run(*kubeconfig, *dur); err != nil {
		fmt.Fprintln(os.Stderr, "histsize:", err)
		os.Exit(1)
	}
}

func run(kubeconfig string, dur time.Duration) error {
	rc, err := sandbox.RESTFromKubeconfig(kubeconfig)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, dur)
	defer cancel()
	dir, err := os.MkdirTemp("", "histsize")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// no bound: every change is kept, to count them all
	l, err := history.Open(dir, "bench", 1<<30)
	if err != nil {
		return err
	}
	w, err := watch.StartIn(ctx, rc, "")
	if err != nil {
		return err
	}
	defer w.Stop()
	snapshot := func(objs []watch.Obj) error {
		out := make([]history.Obj, len(objs))
		for i, o := range objs {
			out[i] = o
		}
		return l.Append(history.Entry{Op: "snapshot", Objects: out})
	}
	snap, sub := w.Subscribe(1024)
	defer sub.Close()
	if err := snapshot(snap); err != nil {
		return err
	}
	start := time.Now()
	first, _ := os.Stat(filepath.Join(dir, "bench.jsonl"))
	changes, resyncs := 0, 0
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case ch, ok := <-sub.C():
			if !ok {
				break loop
			}
			err = l.Append(history.Entry{Op: ch.Op, Obj: ch.Obj})
			changes++
		case <-sub.Overflowed():
			err = snapshot(sub.Resync())
			resyncs++
		}
		if err != nil {
			return err
		}
	}
	l.Close()
	fi, err := os.Stat(filepath.Join(dir, "bench.jsonl"))
	if err != nil {
		return err
	}
	body := fi.Size() - first.Size()
	per := 0.0
	if changes > 0 {
		per = float64(body) / float64(changes)
	}
	fmt.Printf("recorded %s: first snapshot %d bytes; then %d changes, %d resyncs, %d bytes (%.0f bytes per change); file %d bytes\n",
		time.Since(start).Round(time.Second), first.Size(), changes, resyncs, body, per, fi.Size())
	return nil
}
