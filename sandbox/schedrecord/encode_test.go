package schedrecord

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/kubelab/kubelab/text"
)

// sample is a decision shaped like the sandbox's: three nodes, every
// filter listed, scores with weights, and odd strings.
func sample() *Decision {
	d := &Decision{Pod: "web-7d9c<&>", Namespace: "default", UID: "0c6f4a1e-1", Time: "2026-01-02T03:04:05.123456789Z",
		Node: "node-a", Scored: true,
		FilterPlugins: []string{"NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity", "NodePorts", "NodeResourcesFit",
			"VolumeRestrictions", "NodeVolumeLimits", "VolumeBinding", "VolumeZone", "PodTopologySpread", "InterPodAffinity"},
		ScorePlugins: []PluginWeight{{"TaintToleration", 3}, {"NodeAffinity", 2}, {"NodeResourcesFit", 1}, {"PodTopologySpread", 2},
			{"InterPodAffinity", 2}, {"NodeResourcesBalancedAllocation", 1}, {"ImageLocality", 1}}}
	for i, name := range []string{"node-a", "node-b", "node-c"} {
		n := NodeResult{Name: name, Zone: "us-east-1a", Feasible: i < 2, Total: int64(300 - i), Rank: i + 1}
		for j, p := range d.FilterPlugins {
			f := FilterResult{Plugin: p, Passed: true, Skipped: j%3 == 0}
			if i == 2 && j == 5 {
				f = FilterResult{Plugin: p, Reason: "Insufficient cpu \"quoted\" \\ \n\t\b\f\x01 \u2028 é 한 \xff", Stage: "PreFilter"}
				n.Filters = append(n.Filters, f)
				break
			}
			n.Filters = append(n.Filters, f)
		}
		if i < 2 {
			for _, w := range d.ScorePlugins {
				n.Scores = append(n.Scores, ScoreResult{Plugin: w.Plugin, Raw: int64(i * 7), Score: 50, Weight: w.Weight})
			}
		} else {
			n.Zone, n.Total, n.Rank = "", 0, 0
		}
		d.Nodes = append(d.Nodes, n)
	}
	return d
}

// TestAppendDecisionIsWhatJSONGives checks the writer's encoder against
// encoding/json, byte for byte, with and without suggestions.
func TestAppendDecisionIsWhatJSONGives(t *testing.T) {
	plain := sample()
	failed := sample()
	failed.Node, failed.Scored, failed.ScorePlugins = "", false, nil
	failed.Suggestions = []Suggestion{
		{Plugin: "NodeResourcesFit", Text: text.Text{Ko: "요청을 낮추기", En: "lower the request <to> 1"},
			Target: Target{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "default", Name: "web"},
			Patch:  map[string]any{"spec": map[string]any{"template": map[string]any{"x": []any{1, "a&b"}}}}, Nodes: []string{"node-a"}},
		{Plugin: "NodeUnschedulable", Target: Target{APIVersion: "v1", Kind: "Node", Name: "node-c"}},
	}
	empty := &Decision{}
	for name, d := range map[string]*Decision{"placed": plain, "failed": failed, "empty": empty} {
		want, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		got, at, err := appendDecision([]byte("prefix"), d)
		if err != nil {
			t.Fatal(err)
		}
		got = got[len("prefix"):]
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
		if time, _ := json.Marshal(d.Time); !bytes.Equal(got[at[0]:at[1]], time) {
			t.Errorf("%s: time at %v is %s", name, at, got[at[0]:at[1]])
		}
	}
}

// BenchmarkEncodeDecision compares the writer's encoder with
// encoding/json on a three-node decision.
func BenchmarkEncodeDecision(b *testing.B) {
	d := sample()
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf, _, _ = appendDecision(buf[:0], d)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = json.Marshal(d)
		}
	})
}
