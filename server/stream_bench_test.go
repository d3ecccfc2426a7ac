package server_test

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// BenchmarkStreamLatency measures the time from a change accepted by the
// learner's API server to its message on the page's websocket (the same
// path a browser reads). Reported: p50 and p99 in milliseconds.
func BenchmarkStreamLatency(b *testing.B) {
	ws, client := livePage(b)
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v := strconv.Itoa(i)
		patch := fmt.Sprintf(`{"metadata":{"labels":{"bench":"%s"}}}`, v)
		start := time.Now()
		if _, err := client.CoreV1().Namespaces().Patch(context.Background(), "default", types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			b.Fatal(err)
		}
		ws.until(10*time.Second, "the change", func(m map[string]any) bool {
			o, _ := m["obj"].(map[string]any)
			l, _ := o["labels"].(map[string]any)
			return m["type"] == "upsert" && o["kind"] == "Namespace" && o["name"] == "default" && l["bench"] == v
		})
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportPercentiles(b, lat)
}

// livePage starts a server with a ready sandbox and a page's websocket past
// its snapshot, and returns the websocket and a client of the sandbox.
func livePage(b *testing.B) (*wsReader, kubernetes.Interface) {
	e := start(b, b.TempDir())
	e.waitReady()
	ws := e.dial()
	ws.until(30*time.Second, "snapshot", func(m map[string]any) bool { return m["type"] == "snapshot" })
	box, err := e.prov.Acquire(context.Background(), "u1")
	if err != nil {
		b.Fatal(err)
	}
	return ws, kubernetes.NewForConfigOrDie(box.REST)
}

// reportPercentiles reports the p50, p95 and p99 of latencies and the
// first one (the first after the sandbox started), in milliseconds.
func reportPercentiles(b *testing.B, lat []time.Duration) {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	first := lat[0]
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[(len(lat)*95)/100]), "p95-ms")
	b.ReportMetric(ms(lat[(len(lat)*99)/100]), "p99-ms")
	b.ReportMetric(ms(first), "first-ms")
}
