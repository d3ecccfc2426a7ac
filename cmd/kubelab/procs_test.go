package main

import (
	"context"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// waitProcs waits until GOMAXPROCS is want.
func waitProcs(t *testing.T, want int, within time.Duration, what string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for runtime.GOMAXPROCS(0) != want {
		if time.Now().After(deadline) {
			t.Fatalf("%s: GOMAXPROCS %d after %v, want %d", what, runtime.GOMAXPROCS(0), within, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A sandbox that follows its load runs on one thread while quiet, gets
// every CPU when it is busy or continued after a freeze, and goes back to
// one thread once quiet again.
func TestFollowLoad(t *testing.T) {
	all := runtime.NumCPU()
	if all < 2 {
		t.Skip("one CPU: nothing to follow")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go followLoad(ctx)
	waitProcs(t, 1, 2*time.Second, "quiet")
	// Busy: two goroutines spin until the sandbox has every CPU.
	var spun atomic.Int64
	stop := make(chan struct{})
	for range 2 {
		go func() {
			x := int64(1)
			for {
				select {
				case <-stop:
					spun.Add(x)
					return
				default:
				}
				for i := range int64(100_000) {
					x = x*31 + i
				}
			}
		}()
	}
	waitProcs(t, all, 3*time.Second, "busy")
	close(stop)
	waitProcs(t, 1, quietFor+3*time.Second, "quiet again")
	// Continued after a freeze.
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	waitProcs(t, all, time.Second, "continued")
}
