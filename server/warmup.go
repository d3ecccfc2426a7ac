package server

import (
	"context"
	"time"
)

// A class arrives at once: in class mode the server keeps warm sandboxes
// for the students the open classes still expect (each class's seat limit,
// which the instructor sets, less the students who joined), plus the
// --pool for everyone else. The backend never exceeds --max-sandboxes and
// freezes warm sandboxes while they wait, so they cost memory, not CPU; a
// student who joins gets one thawed in milliseconds, and a console worker
// started ahead for it (console.Runner.SetSpares).

// warmEvery is how often the warm target is checked besides after joins,
// seat changes and class closes.
const warmEvery = 30 * time.Second

// rewarm asks the provider for the warm sandboxes the classes expect.
func (s *Server) rewarm() {
	if s.class == nil {
		return
	}
	select {
	case s.class.rewarm <- struct{}{}:
	default:
	}
}

// warmLoop keeps the warm pool at the classes' expected arrivals. Each
// count is passed on even when it did not change: the backend lowers its
// target by one for each warm sandbox it hands out, until the next count,
// so that a student taking a warm sandbox does not start a replacement
// while the count still includes them, and a learner outside the classes
// (the --pool) gets theirs replaced.
func (s *Server) warmLoop(ctx context.Context) {
	t := time.NewTicker(warmEvery)
	defer t.Stop()
	last := -1
	for {
		ctx2, cancel := context.WithTimeout(ctx, 5*time.Second)
		n, err := s.cfg.Store.ExpectedArrivals(ctx2)
		cancel()
		if err != nil && ctx.Err() == nil {
			s.log.Error("warm sandboxes: expected arrivals", "err", err)
		}
		if target := n + s.cfg.WarmPool; err == nil {
			if s.cfg.Provider.SetWarmPool(target) && target != last {
				s.log.Info("warm sandboxes", "target", target, "expected", n)
			}
			// A console worker waits ready for each learner expected, so
			// that an arrival binds one instead of starting a process.
			s.cfg.Console.SetSpares(target)
			last = target
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.class.rewarm:
			time.Sleep(300 * time.Millisecond) // let the change that asked land first
		}
	}
}
