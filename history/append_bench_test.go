package history

import (
	"encoding/json"
	"fmt"
	"runtime"
	"testing"
)

// benchObj is a normalized Pod about the size the stream sends.
func benchObj(i int) Obj {
	return Obj{
		"kind": "Pod", "namespace": "default", "name": fmt.Sprintf("web-7d4b9c6f5-%05d", i), "rv": fmt.Sprint(1000 + i),
		"labels": map[string]any{"app": "web", "pod-template-hash": "7d4b9c6f5"},
		"owner":  map[string]any{"kind": "ReplicaSet", "name": "web-7d4b9c6f5"},
		"node":   "ip-10-0-1-23.ec2.internal", "zone": "us-east-1a", "ip": "10.0.1.45", "phase": "Running", "ready": true,
		"containers": []any{map[string]any{"name": "nginx", "image": "nginx:1.25.1", "ready": true, "restarts": float64(0),
			"state": "running", "requests": map[string]any{"cpu": "100m", "memory": "128Mi"}}},
		"conditions": []any{"PodScheduled", "Initialized", "ContainersReady", "Ready"},
	}
}

// BenchmarkAppend measures recording one change of the stream, the work
// the server does for every change of every learner's sandbox, and the
// memory a kept entry holds.
//
//	go test -run x -bench Append -benchmem ./history/
func BenchmarkAppend(b *testing.B) {
	l, err := Open(b.TempDir(), "bench", 1<<30)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	objs := make([]Obj, 64)
	for i := range objs {
		objs[i] = benchObj(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := l.Append(Entry{Op: "upsert", Obj: objs[i%len(objs)]}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAt measures rebuilding a moment of a log of 10 000 changes,
// and the heap the log keeps per entry.
//
//	go test -run x -bench At -benchmem ./history/
func BenchmarkAt(b *testing.B) {
	l, err := Open(b.TempDir(), "bench", 1<<30)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range 10000 {
		o := benchObj(i % 300)
		o["rv"] = fmt.Sprint(i)
		op := "upsert"
		if i%7 == 6 {
			op = "delete"
		}
		if err := l.Append(Entry{At: int64(1000 + i), Op: op, Obj: o}); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	kept := float64(after.HeapAlloc-before.HeapAlloc) / 10000
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := l.At(1000 + 9000); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(kept, "kept-B/entry")
}

// BenchmarkAppendChanges measures recording one change as the server does
// now: the object already encoded by the stream (once for every page and
// the recorder), one change per write and, as under load, eight waiting
// changes per write.
//
//	go test -run x -bench AppendChanges -benchmem ./history/
func BenchmarkAppendChanges(b *testing.B) {
	for _, batch := range []int{1, 8} {
		b.Run(fmt.Sprintf("batch%d", batch), func(b *testing.B) {
			l, err := Open(b.TempDir(), "bench", 1<<30)
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			raws := make([]json.RawMessage, 64)
			for i := range raws {
				raws[i], _ = json.Marshal(benchObj(i))
			}
			chs := make([]Change, batch)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += batch {
				for j := range chs {
					chs[j] = Change{Op: "upsert", Obj: raws[(i+j)%len(raws)]}
				}
				if err := l.AppendChanges(0, chs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
