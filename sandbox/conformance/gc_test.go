package conformance_test

import (
	"context"
	"testing"
	"time"

	"github.com/kubelab/kubelab/internal/coursefill"
	"github.com/kubelab/kubelab/internal/testcluster"
	"github.com/kubelab/kubelab/sandbox/procstats"
)

// maxGCFraction is the share of one core the garbage collector of a
// sandbox holding the documentation corpus may use while idle.
const maxGCFraction = 0.05

// TestGarbageCollectionStaysCheapWhenFull fills a fresh sandbox with every
// documentation example of the corpus (more than a learner has at the end
// of the course: far past the 200 MiB soft limit sandboxes once had), lets
// it settle and reads, from the process's runtime/metrics, the garbage
// collector's CPU time over a minute: a ratio to wall time, not a timing.
func TestGarbageCollectionStaysCheapWhenFull(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a sandbox and measures for a minute")
	}
	c := testcluster.New(t)
	ctx := context.Background()
	res, err := coursefill.Corpus(ctx, c.Kubeconfig, testcluster.Binary(t), corpusDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("applied %d corpus files (%d refused, as a real cluster refuses them)", res.Actions, len(res.Errors))
	time.Sleep(20 * time.Second)
	s0, err := procstats.Read(ctx, c.Dir)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Minute)
	s1, err := procstats.Read(ctx, c.Dir)
	if err != nil {
		t.Fatal(err)
	}
	wall := s1.Uptime - s0.Uptime
	gc := (s1.GCCPUSeconds - s0.GCCPUSeconds) / wall
	cpu := (s1.CPUSeconds - s0.CPUSeconds) / wall
	t.Logf("over %.0fs: GC %.2f%% of a core, process %.2f%%, live heap %d MiB, heap goal %d MiB, anonymous memory %d MiB, %d collections",
		wall, gc*100, cpu*100, s1.HeapLive>>20, s1.HeapGoal>>20, s1.Anonymous>>20, s1.GCCycles-s0.GCCycles)
	if gc > maxGCFraction {
		t.Fatalf("the garbage collector used %.1f%% of a core (bound %.0f%%)", gc*100, maxGCFraction*100)
	}
}
