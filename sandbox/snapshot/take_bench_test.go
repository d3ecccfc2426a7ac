package snapshot

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/kubelab/kubelab/internal/coursefill"
	"github.com/kubelab/kubelab/internal/testcluster"
	"github.com/kubelab/kubelab/sandbox/procstats"
)

// BenchmarkTake measures a step snapshot of a sandbox that holds the whole
// course (every lab's reference solution), read metadata-first by a client
// kept from one snapshot to the next (now: its discovery is reused while
// no custom type changes), by a new client each time (before) and with
// every kind listed whole (before that), side by side on one sandbox. It
// reports the CPU a snapshot costs the server that takes it (this process)
// and the sandbox that answers.
//
//	go test -run x -bench Take -benchtime 20x ./sandbox/snapshot/
func BenchmarkTake(b *testing.B) {
	bin := testcluster.Binary(b)
	c, err := testcluster.Start(context.Background(), bin, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Stop()
	ctx := context.Background()
	res, err := coursefill.Course(ctx, c.REST, c.Kubeconfig, bin)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("course: %d actions, %d refused", res.Actions, len(res.Errors))
	time.Sleep(5 * time.Second) // let the controllers finish
	boxCPU := func() time.Duration {
		st, err := procstats.Read(ctx, c.Dir)
		if err != nil {
			b.Fatal(err)
		}
		return time.Duration(st.CPUSeconds * float64(time.Second))
	}
	for _, mode := range []struct {
		name        string
		full, fresh bool
	}{{"metadata-first", false, false}, {"metadata-first-new-client", false, true}, {"full-lists", true, false}} {
		b.Run(mode.name, func(b *testing.B) {
			client := func() *Client {
				cl, err := New(c.REST, "")
				if err != nil {
					b.Fatal(err)
				}
				cl.fullLists = mode.full
				return cl
			}
			cl := client()
			var items int
			self0, box0 := selfCPU(), boxCPU()
			b.ResetTimer()
			for range b.N {
				if mode.fresh {
					cl = client()
				}
				s, err := cl.Take(ctx)
				if err != nil {
					b.Fatal(err)
				}
				items = len(s.Items)
			}
			b.StopTimer()
			b.ReportMetric(float64(items), "objects")
			b.ReportMetric((selfCPU()-self0).Seconds()*1000/float64(b.N), "server-cpu-ms/op")
			b.ReportMetric((boxCPU()-box0).Seconds()*1000/float64(b.N), "sandbox-cpu-ms/op")
		})
	}
}

// selfCPU is this process's CPU time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
