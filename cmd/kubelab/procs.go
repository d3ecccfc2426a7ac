package main

import (
	"context"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/kubelab/kubelab/sandbox/procstats"
)

// Thread counts that follow the sandbox's load (--procs -1): one thread
// while the sandbox is quiet, every CPU as soon as it is busy. One thread
// cuts an idle sandbox's CPU by a third (the runtime's idle threads stop
// looking for work), every CPU keeps a busy one (a class arriving, a
// learner's Deployment of many pods) as fast as before.
const (
	// followEvery is how often the load is read.
	followEvery = 250 * time.Millisecond
	// busyShare is the share of one CPU, over one reading, past which the
	// sandbox gets every CPU at once.
	busyShare = 0.5
	// quietShare and quietFor: below this share for this long, the
	// sandbox goes back to one thread.
	quietShare = 0.15
	quietFor   = 5 * time.Second
)

// followLoad sets GOMAXPROCS from the process's CPU use until ctx ends. A
// sandbox continued after a freeze (SIGCONT) gets every CPU at once: its
// components catch up on their overdue timers while the learner's first
// request waits.
func followLoad(ctx context.Context) {
	all := runtime.NumCPU()
	if all < 2 {
		return
	}
	current := 1
	runtime.GOMAXPROCS(current)
	tick := time.NewTicker(followEvery)
	defer tick.Stop()
	thawed := make(chan os.Signal, 1)
	signal.Notify(thawed, syscall.SIGCONT)
	defer signal.Stop(thawed)
	last, at := procstats.CPU(), time.Now()
	quietSince := at
	for {
		select {
		case <-ctx.Done():
			return
		case <-thawed:
			if current == 1 {
				current = all
				runtime.GOMAXPROCS(current)
			}
			last, at = procstats.CPU(), time.Now()
			quietSince = at
		case now := <-tick.C:
			cpu := procstats.CPU()
			share := (cpu - last).Seconds() / now.Sub(at).Seconds()
			last, at = cpu, now
			switch {
			case share >= busyShare && current == 1:
				current = all
				runtime.GOMAXPROCS(current)
				quietSince = now
			case share >= quietShare:
				quietSince = now
			case current > 1 && now.Sub(quietSince) >= quietFor:
				current = 1
				runtime.GOMAXPROCS(current)
			}
		}
	}
}
