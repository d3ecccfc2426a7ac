package pauseclock

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeReal is a hand-driven time source for the arithmetic tests.
type fakeReal struct{ t time.Time }

func (f *fakeReal) now() time.Time { return f.t }

func TestClockTakesOutStopsOnly(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := &fakeReal{t: base}
	c := New(f.now)
	cases := []struct {
		name    string
		advance time.Duration
		want    time.Duration // virtual time since base
	}{
		{"a heartbeat", Tick, Tick},
		{"a slow heartbeat is still time", Gap, Tick + Gap},
		{"a ten-minute stop is taken out", 10 * time.Minute, Tick + Gap + Tick},
		{"time goes on after it", time.Second, Tick + Gap + Tick + time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f.t = f.t.Add(tc.advance)
			if got := c.Now().Sub(base); got != tc.want {
				t.Fatalf("virtual time %v, want %v", got, tc.want)
			}
		})
	}
	if paused, stops := c.Paused(); stops != 1 || paused != 10*time.Minute-Tick {
		t.Fatalf("Paused() = %v, %d; want %v, 1", paused, stops, 10*time.Minute-Tick)
	}
}

// TestClockInAStoppedProcess stops a real child process that runs the
// clock's heartbeat, and checks that the child's clock lost the stop.
func TestClockInAStoppedProcess(t *testing.T) {
	if os.Getenv("PAUSECLOCK_CHILD") == "1" {
		c := New(nil)
		go c.Run(t.Context())
		start, vstart := time.Now(), c.Now()
		time.Sleep(5 * time.Second) // the parent stops us for 3 s in here
		real, virt := time.Since(start), c.Now().Sub(vstart)
		os.Stdout.WriteString("real=" + strconv.FormatInt(real.Milliseconds(), 10) + " virtual=" + strconv.FormatInt(virt.Milliseconds(), 10) + "\n")
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestClockInAStoppedProcess$")
	cmd.Env = append(os.Environ(), "PAUSECLOCK_CHILD=1")
	var out strings.Builder
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	if err := cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v\n%s", err, out.String())
	}
	var real, virt int
	for _, f := range strings.Fields(out.String()) {
		if v, ok := strings.CutPrefix(f, "real="); ok {
			real, _ = strconv.Atoi(v)
		}
		if v, ok := strings.CutPrefix(f, "virtual="); ok {
			virt, _ = strconv.Atoi(v)
		}
	}
	if real < 4900 {
		t.Fatalf("child's real time %d ms, want about 5 s (output %q)", real, out.String())
	}
	if lost := real - virt; lost < 2500 || lost > 3500 {
		t.Fatalf("clock took out %d ms of a 3 s stop (real %d ms, virtual %d ms)", lost, real, virt)
	}
}
