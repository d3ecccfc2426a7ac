package schedrecord

import (
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Spent adds up the CPU time the recorder takes from the scheduler: its
// work at the scheduler's PostFilter and Reserve, and the writer's, the
// API server's handling of the writes excluded. A profile at 100 samples
// a second holds too few of the recorder's samples to tell a few percent,
// so the recorder reads its thread's CPU clock around its own work.
var Spent Meter

// Meter adds up CPU time read from the thread's own CPU clock around
// pieces of work that do not block: a goroutine that does not block stays
// on its thread, which meanwhile runs nothing else. (Locking the goroutine
// to its thread would make that sure, at the price of a thread hand-off at
// each wait: measured, it cost the scheduler more than the recorder.) A
// piece that ends on another thread (the goroutine was preempted and
// moved) is not counted, only counted as moved; one moved away and back
// counts only its time on its first thread.
type Meter struct {
	nanos atomic.Int64
	spans atomic.Int64
	moved atomic.Int64
}

// MeterReading is a Meter's total.
type MeterReading struct {
	// CPUSeconds is the CPU time counted so far.
	CPUSeconds float64 `json:"cpuSeconds"`
	// Spans counts the pieces of work counted, Moved those not counted.
	Spans int64 `json:"spans"`
	Moved int64 `json:"moved"`
}

// Read returns the total so far.
func (m *Meter) Read() MeterReading {
	return MeterReading{CPUSeconds: float64(m.nanos.Load()) / 1e9, Spans: m.spans.Load(), Moved: m.moved.Load()}
}

// span is one piece of work being counted.
type span struct {
	m   *Meter
	tid int
	at  int64
}

// start starts counting a piece of work that will not block; end stops.
// The thread is read before and after its clock, at both ends: a
// goroutine moved between two of these reads would pair one thread's
// clock with another's, so such a piece is not counted.
func (m *Meter) start() span {
	tid := unix.Gettid()
	at := threadNanos()
	if unix.Gettid() != tid {
		tid = -1
	}
	return span{m: m, tid: tid, at: at}
}

func (s span) end() {
	tid := unix.Gettid()
	now := threadNanos()
	if s.tid < 0 || tid != s.tid || unix.Gettid() != s.tid || now < s.at {
		s.m.moved.Add(1)
		return
	}
	s.m.nanos.Add(now - s.at)
	s.m.spans.Add(1)
}

// threadNanos is the calling thread's CPU time.
func threadNanos() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return ts.Nano()
}
