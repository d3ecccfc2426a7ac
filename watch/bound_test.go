package watch

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func event(i int, msg string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Event",
		"metadata":       map[string]any{"name": fmt.Sprintf("flood.%05d", i), "namespace": "default", "uid": fmt.Sprint(i), "creationTimestamp": "2026-11-26T10:00:00Z"},
		"involvedObject": map[string]any{"kind": "Pod", "namespace": "default", "name": "web"},
		"reason":         "Flood", "message": msg, "type": "Warning",
		"lastTimestamp": time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second).Format(time.RFC3339),
	}}
}

// An Event flood (130 Events of 250 KB once made a 32.5 MB snapshot)
// keeps the snapshot under its bound: messages are cut to MaxText, a
// snapshot holds at most MaxPerKind objects of a kind and says how many
// more there are, newest Events kept.
func TestEventFloodSnapshotIsBounded(t *testing.T) {
	big := strings.Repeat("가", 250_000/3) // 250 KB of 3-byte characters
	var objs []Obj
	for i := range 2000 {
		objs = append(objs, Normalize("Event", event(i, big)))
	}
	objs = append(objs, Normalize("Pod", &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "web", "namespace": "default"}}}))
	for _, o := range objs[:3] {
		m := o["message"].(string)
		if len(m) > MaxText || !strings.HasSuffix(m, "…") || !strings.HasPrefix(m, "가가") {
			t.Fatalf("message of %d bytes, ends %q", len(m), m[len(m)-6:])
		}
	}
	out, more := Bound(objs, MaxPerKind)
	if len(out) != MaxPerKind+1 || more["Event"] != 2000-MaxPerKind || more["Pod"] != 0 {
		t.Fatalf("bounded to %d objects, more %v", len(out), more)
	}
	if out[0]["name"] != "flood.01999" || out[MaxPerKind]["kind"] != "Pod" {
		t.Fatalf("kept %v first and %v last; want the newest Event and the Pod", out[0]["name"], out[MaxPerKind]["kind"])
	}
	b, _ := json.Marshal(map[string]any{"type": "snapshot", "objects": out, "more": more})
	const bound = MaxPerKind * (MaxText + 1024) // each Event: its message and its other fields
	if len(b) > bound {
		t.Fatalf("snapshot of %d bytes, bound %d", len(b), bound)
	}
	t.Logf("2000 Events of 250 KB: snapshot %d KB (unbounded: %d MB)", len(b)>>10, 2000*len(big)>>20)
	// Under the bound, Bound changes nothing.
	few, more := Bound(objs[1990:], MaxPerKind)
	if len(few) != 11 || more != nil {
		t.Fatalf("small snapshot changed: %d %v", len(few), more)
	}
}
