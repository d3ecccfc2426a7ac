package server_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// decisionOf reads a SchedulingDecision upsert for a pod from a stream
// message, and when it was recorded.
func decisionOf(m map[string]any, pod string) (map[string]any, time.Time, bool) {
	o, _ := m["obj"].(map[string]any)
	if m["type"] != "upsert" || o["kind"] != "SchedulingDecision" || o["name"] != pod {
		return nil, time.Time{}, false
	}
	d, _ := o["decision"].(map[string]any)
	at, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(d["time"]))
	return d, at, d != nil
}

// TestSchedulingDecisionsOnTheStream checks that the scheduler's record of
// a pod reaches the page like any other object, for a placed pod and for
// one that cannot be placed.
func TestSchedulingDecisionsOnTheStream(t *testing.T) {
	e := start(t, t.TempDir())
	e.waitReady()
	ws := e.dial()
	ws.until(30*time.Second, "snapshot", func(m map[string]any) bool { return m["type"] == "snapshot" })
	if code, out := e.console("kubectl run why --image=nginx"); code != 200 {
		t.Fatalf("console: %d %v", code, out)
	}
	m := ws.until(20*time.Second, "the decision for pod why", func(m map[string]any) bool { _, _, ok := decisionOf(m, "why"); return ok })
	d, _, _ := decisionOf(m, "why")
	if d["node"] == "" || len(d["nodes"].([]any)) != 3 || d["scored"] != true {
		t.Fatalf("decision for a plain pod: %v", d)
	}
	box, err := e.prov.Acquire(context.Background(), "u1")
	if err != nil {
		t.Fatal(err)
	}
	huge := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "huge"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx",
		Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("64")}}}}}}
	if _, err := kubernetes.NewForConfigOrDie(box.REST).CoreV1().Pods("default").Create(context.Background(), huge, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	m = ws.until(20*time.Second, "the decision for pod huge", func(m map[string]any) bool { _, _, ok := decisionOf(m, "huge"); return ok })
	d, _, _ = decisionOf(m, "huge")
	sugg, _ := d["suggestions"].([]any)
	if d["node"] != "" || len(sugg) == 0 {
		t.Fatalf("decision for a pod that fits nowhere: %v", d)
	}
	node := d["nodes"].([]any)[0].(map[string]any)
	last := node["filters"].([]any)[len(node["filters"].([]any))-1].(map[string]any)
	if last["plugin"] != "NodeResourcesFit" || last["passed"] != false || last["reason"] != "Insufficient cpu" {
		t.Fatalf("rejecting filter: %v", last)
	}
}

// BenchmarkDecisionLatency measures the time from the end of a scheduling
// attempt (the record's time, taken in the sandbox) to the record's
// message on the page's websocket, the first after the sandbox started
// included. Reported: p50, p95, p99 and the first, in milliseconds.
func BenchmarkDecisionLatency(b *testing.B) {
	ws, client := livePage(b)
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		name := fmt.Sprintf("lat-%d", i)
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx"}}}}
		if _, err := client.CoreV1().Pods("default").Create(context.Background(), pod, metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		m := ws.until(10*time.Second, "decision", func(m map[string]any) bool { _, _, ok := decisionOf(m, name); return ok })
		got := time.Now()
		_, at, _ := decisionOf(m, name)
		lat = append(lat, got.Sub(at))
	}
	b.StopTimer()
	reportPercentiles(b, lat)
}
