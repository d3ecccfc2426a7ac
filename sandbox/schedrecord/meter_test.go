package schedrecord

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

func processCPU(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// The meter counts the CPU a piece of work uses on its thread (what the
// whole test process used meanwhile, give or take the runtime's own
// threads), and not the time it waits.
func TestMeterCountsCPUNotWaits(t *testing.T) {
	// On its own thread throughout: a goroutine moved to another thread
	// and back meanwhile would leave part of its work on the other
	// thread's clock (a piece that ends elsewhere is dropped instead).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var m Meter
	p0 := processCPU(t)
	sp := m.start()
	x := uint64(1)
	for i := 0; i < 30_000_000; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	sp.end()
	used := processCPU(t) - p0
	r := m.Read()
	if r.Spans+r.Moved != 1 || x == 0 {
		t.Fatalf("one piece of work, read %+v", r)
	}
	counted := time.Duration(r.CPUSeconds * 1e9)
	if r.Spans == 1 && (counted < used/2 || counted > used+5*time.Millisecond) {
		t.Errorf("the work counted %v, the process used %v meanwhile", counted, used)
	}
	before := m.Read().CPUSeconds
	sp = m.start()
	time.Sleep(50 * time.Millisecond)
	sp.end()
	if waited := m.Read().CPUSeconds - before; waited > 0.01 {
		t.Errorf("a 50 ms sleep counted as %.4f s of CPU", waited)
	}
}
