package server

import (
	"encoding/json"
	"testing"

	"github.com/kubelab/kubelab/watch"
)

// objMsg is a change's message as the page reads it (docs/stream.md).
type objMsg struct {
	Type string    `json:"type"`
	Seq  uint64    `json:"seq"`
	Obj  watch.Obj `json:"obj,omitempty"`
}

// A change's message written around the watcher's encoding is the message
// the page got when it was encoded whole.
func TestChangeMessageIsTheEncodedObjMsg(t *testing.T) {
	for _, op := range []string{"upsert", "delete"} {
		obj := watch.Obj{"kind": "Pod", "namespace": "web", "name": "p-1", "labels": map[string]any{"app": "<web>"},
			"ready": true, "containers": []any{map[string]any{"image": "nginx:1.27", "restarts": 3.0}}}
		ch := watch.Change{Op: op, Obj: obj}
		raw, err := ch.Encoded()
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(objMsg{Type: op, Seq: 4711, Obj: obj})
		if got := changeMessage(op, 4711, raw); string(got) != string(want) {
			t.Fatalf("message:\n got %s\nwant %s", got, want)
		}
	}
}
