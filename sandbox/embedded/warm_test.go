package embedded_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/kubelab/kubelab/internal/testcluster"
	"github.com/kubelab/kubelab/sandbox"
	"github.com/kubelab/kubelab/sandbox/embedded"
)

// TestWarmHandOutLowersTheTarget: a warm sandbox handed out is not
// replaced until a new count asks for it (SetWarmPool); filling the pool
// never stops a learner's frozen sandbox to make room, never runs more
// than MaxRunning processes, and warm sandboxes beyond a lowered target
// are stopped after WarmTrimAfter.
func TestWarmHandOutLowersTheTarget(t *testing.T) {
	dir := t.TempDir()
	b := newBackend(t, embedded.Options{Dir: dir, MaxRunning: 3, FreezeAfter: 500 * time.Millisecond,
		WarmTrimAfter: 2 * time.Second})
	most := testcluster.MostPIDs(dir, 50*time.Millisecond)
	defer most()
	waitWarm := func(ready, starting int) {
		t.Helper()
		waitFor(t, 3*time.Minute, "warm sandboxes", func() (bool, string) {
			r, s := b.WarmStatus()
			return r == ready && s == starting, "ready " + itoa(r) + ", starting " + itoa(s)
		})
	}
	ctx := context.Background()

	b.SetWarmPool(2)
	waitWarm(2, 0)
	before := testcluster.SandboxPIDs(dir)
	if _, err := b.Acquire(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	// The hand-out took one of the two and lowered the target to one: no
	// replacement starts, however long we wait.
	time.Sleep(3 * time.Second)
	if r, s := b.WarmStatus(); r != 1 || s != 0 {
		t.Fatalf("after a hand-out from a pool of 2: %d warm ready, %d starting; want 1 and 0 (no replacement)", r, s)
	}
	if after := testcluster.SandboxPIDs(dir); !testcluster.SamePIDs(before, after) {
		t.Fatalf("sandbox processes before the hand-out %v, after %v: alice must get a warm one and none may start", before, after)
	}

	// A new count still asks for two (alice was not one of the expected):
	// the pool refills to two.
	b.SetWarmPool(2)
	waitWarm(2, 0)

	// alice's sandbox freezes; bob takes a warm one. A count asking for
	// three more finds the cap (3) reached: nothing starts, and alice's
	// frozen sandbox is not stopped to make room for warm ones.
	waitFor(t, time.Minute, "alice's sandbox to freeze", func() (bool, string) {
		st, err := b.Status("alice")
		return err == nil && st.State == sandbox.StateFrozen, string(st.State)
	})
	if _, err := b.Acquire(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	b.SetWarmPool(3)
	time.Sleep(3 * time.Second)
	if st, err := b.Status("alice"); err != nil || st.State != sandbox.StateFrozen {
		t.Fatalf("alice's frozen sandbox after the pool asked for more at the cap: %+v %v; want it kept frozen", st, err)
	}
	if r, s := b.WarmStatus(); r != 1 || s != 0 {
		t.Fatalf("at the cap: %d warm ready, %d starting; want the 1 left and none starting", r, s)
	}

	// The classes close: the warm sandbox beyond the target is stopped
	// after WarmTrimAfter; alice's and bob's stay.
	b.SetWarmPool(0)
	waitWarm(0, 0)
	waitFor(t, time.Minute, "the warm sandbox to stop", func() (bool, string) {
		n := len(testcluster.SandboxPIDs(dir))
		return n == 2, itoa(n) + " sandbox processes"
	})
	for _, name := range []string{"alice", "bob"} {
		if st, err := b.Status(name); err != nil || (st.State != sandbox.StateReady && st.State != sandbox.StateFrozen) {
			t.Fatalf("%s's sandbox after the pool was emptied: %+v %v", name, st, err)
		}
	}
	if n := most(); n > 3 {
		t.Fatalf("%d sandbox processes ran at once; MaxRunning is 3", n)
	}
}

// TestWarmSandboxesBeyondALoweredTargetWaitForARecount: a target lowered
// and raised again within WarmTrimAfter keeps the warm sandboxes it had,
// so a recount that briefly counts one arrival too many stops nothing.
func TestWarmSandboxesBeyondALoweredTargetWaitForARecount(t *testing.T) {
	dir := t.TempDir()
	b := newBackend(t, embedded.Options{Dir: dir, WarmTrimAfter: 5 * time.Second})
	b.SetWarmPool(1)
	waitFor(t, 3*time.Minute, "a warm sandbox", func() (bool, string) {
		r, s := b.WarmStatus()
		return r == 1, "ready " + itoa(r) + ", starting " + itoa(s)
	})
	before := testcluster.SandboxPIDs(dir)
	b.SetWarmPool(0)
	time.Sleep(time.Second)
	b.SetWarmPool(1)
	time.Sleep(6 * time.Second) // past WarmTrimAfter
	if r, s := b.WarmStatus(); r != 1 || s != 0 {
		t.Fatalf("after the target went 1, 0, 1: %d warm ready, %d starting; want the same one kept", r, s)
	}
	if after := testcluster.SandboxPIDs(dir); !testcluster.SamePIDs(before, after) {
		t.Fatalf("sandbox processes %v, then %v: the warm one must be kept, not stopped and replaced", before, after)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestRoomIsMadeBeforeAStart: at the MaxRunning cap, a learner's start
// stops the least recently used frozen sandbox and waits until its process
// has exited, so that there are never more processes than MaxRunning.
func TestRoomIsMadeBeforeAStart(t *testing.T) {
	dir := t.TempDir()
	b := newBackend(t, embedded.Options{Dir: dir, MaxRunning: 1, FreezeAfter: 500 * time.Millisecond})
	ctx := context.Background()
	if _, err := b.Acquire(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Minute, "alice's sandbox to freeze", func() (bool, string) {
		st, err := b.Status("alice")
		return err == nil && st.State == sandbox.StateFrozen, string(st.State)
	})
	most := testcluster.MostPIDs(dir, 10*time.Millisecond)
	_, err := b.Acquire(ctx, "bob")
	n := most()
	if err != nil {
		t.Fatal(err)
	}
	if st, err := b.Status("alice"); err != nil || st.State != sandbox.StateStopped {
		t.Fatalf("alice's frozen sandbox after bob needed the room: %+v %v; want it stopped", st, err)
	}
	if n > 1 {
		t.Fatalf("%d sandbox processes ran at once; MaxRunning is 1", n)
	}
}
