// Package pauseclock is a clock that does not count the time its process
// spent stopped (SIGSTOP, a frozen cgroup).
//
// A frozen sandbox is resumed minutes later. Its controllers compare "now"
// with what they last observed; on the wall clock every node would look
// silent for the whole freeze and be marked NotReady before its simulated
// kubelet had a chance to renew its lease. On this clock the freeze did not
// happen: time goes on from where it stopped.
//
// The clock notices a stop as a gap in its own heartbeat: a goroutine reads
// the clock every Tick; a reading more than Gap after the previous one means
// the process was not running in between, and that time is taken out.
package pauseclock

import (
	"context"
	"sync"
	"time"
)

// Tick is how often the heartbeat reads the clock.
const Tick = 250 * time.Millisecond

// Gap is how long the clock must go unread before the time is taken to be
// a stop rather than a busy machine.
const Gap = 2 * time.Second

// Clock is a pause-aware clock. The zero value is not usable: call New.
type Clock struct {
	real func() time.Time

	mu     sync.Mutex
	last   time.Time
	paused time.Duration
	stops  int
}

// New returns a clock that reads real (time.Now when nil). Run its
// heartbeat with Run.
func New(real func() time.Time) *Clock {
	if real == nil {
		real = time.Now
	}
	return &Clock{real: real, last: real()}
}

// Now returns the real time less the time the process spent stopped.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.real()
	if gap := now.Sub(c.last); gap > Gap {
		c.paused += gap - Tick
		c.stops++
	}
	c.last = now
	return now.Add(-c.paused)
}

// Paused reports the time taken out so far and how many stops were seen.
func (c *Clock) Paused() (time.Duration, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.paused, c.stops
}

// Run reads the clock every Tick until ctx ends, so that a stop shows as a
// gap even when nothing else asks the time. Call it before the clock's
// first use that matters.
func (c *Clock) Run(ctx context.Context) {
	c.mu.Lock()
	c.last = c.real() // the time before the heartbeat ran is not a stop
	c.mu.Unlock()
	t := time.NewTicker(Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.Now()
		}
	}
}
