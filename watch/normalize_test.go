package watch

import (
	"encoding/json"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// TestNormalizeAsDocumented turns API objects as the API server sends them
// into the stream's objects and compares them field by field with what
// docs/stream.md promises.
func TestNormalizeAsDocumented(t *testing.T) {
	cases := []struct {
		kind, in string
		want     map[string]any
	}{
		{"Node", `
apiVersion: v1
kind: Node
metadata:
  name: ip-192-168-40-11.ec2.internal
  uid: u1
  resourceVersion: "7"
  creationTimestamp: "2026-12-06T10:00:00Z"
  labels: {topology.kubernetes.io/zone: us-east-1a, topology.kubernetes.io/region: us-east-1, node.kubernetes.io/instance-type: m5.large}
spec:
  podCIDR: 10.244.1.0/24
  unschedulable: true
  taints: [{key: team, value: a, effect: NoSchedule}]
status:
  allocatable: {cpu: 1930m, memory: 7Gi, pods: "29"}
  addresses: [{type: InternalIP, address: 192.168.40.11}]
  conditions: [{type: Ready, status: "True"}]
`, map[string]any{"kind": "Node", "name": "ip-192-168-40-11.ec2.internal", "uid": "u1", "rv": "7", "created": "2026-12-06T10:00:00Z",
			"labels": map[string]any{"topology.kubernetes.io/zone": "us-east-1a", "topology.kubernetes.io/region": "us-east-1", "node.kubernetes.io/instance-type": "m5.large"},
			"zone":   "us-east-1a", "region": "us-east-1", "instanceType": "m5.large", "ready": true, "unschedulable": true, "podCIDR": "10.244.1.0/24",
			"taints": []any{map[string]any{"key": "team", "value": "a", "effect": "NoSchedule"}}, "ip": "192.168.40.11",
			"allocatable": map[string]any{"cpu": float64(1930), "memory": float64(7 << 30), "pods": float64(29)}}},
		{"PersistentVolumeClaim", `
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
  namespace: default
  uid: u2
  resourceVersion: "8"
  creationTimestamp: "2026-12-06T10:00:00Z"
  annotations: {volume.kubernetes.io/selected-node: ip-192-168-40-11.ec2.internal}
spec: {volumeName: pvc-123}
status: {phase: Bound}
`, map[string]any{"kind": "PersistentVolumeClaim", "namespace": "default", "name": "data", "uid": "u2", "rv": "8", "created": "2026-12-06T10:00:00Z",
			"phase": "Bound", "volume": "pvc-123", "node": "ip-192-168-40-11.ec2.internal"}},
		{"PersistentVolume", `
apiVersion: v1
kind: PersistentVolume
metadata: {name: pvc-123, uid: u3, resourceVersion: "9", creationTimestamp: "2026-12-06T10:00:00Z"}
spec:
  claimRef: {namespace: default, name: data}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [us-east-1a]}]
status: {phase: Bound}
`, map[string]any{"kind": "PersistentVolume", "name": "pvc-123", "uid": "u3", "rv": "9", "created": "2026-12-06T10:00:00Z",
			"phase": "Bound", "zone": "us-east-1a", "claim": "default/data"}},
		{"SchedulingDecision", `
apiVersion: sim.kubelab.dev/v1
kind: SchedulingDecision
metadata:
  name: web
  namespace: default
  uid: u4
  resourceVersion: "10"
  creationTimestamp: "2026-12-06T10:00:00Z"
  ownerReferences: [{apiVersion: v1, kind: Pod, name: web, uid: p1}]
decision: {pod: web, namespace: default, uid: p1, node: n1, scored: false, nodes: [{name: n1, feasible: true, filters: [{plugin: NodeName, passed: true}]}]}
`, map[string]any{"kind": "SchedulingDecision", "namespace": "default", "name": "web", "uid": "u4", "rv": "10", "created": "2026-12-06T10:00:00Z",
			"owner": map[string]any{"kind": "Pod", "name": "web", "uid": "p1"},
			"decision": map[string]any{"pod": "web", "namespace": "default", "uid": "p1", "node": "n1", "scored": false,
				"nodes": []any{map[string]any{"name": "n1", "feasible": true, "filters": []any{map[string]any{"plugin": "NodeName", "passed": true}}}}}}},
	}
	for _, c := range cases {
		t.Run(c.kind, func(t *testing.T) {
			var u unstructured.Unstructured
			if err := yaml.Unmarshal([]byte(c.in), &u.Object); err != nil {
				t.Fatal(err)
			}
			got := roundTrip(t, Normalize(c.kind, &u))
			if !reflect.DeepEqual(got, c.want) {
				g, _ := json.MarshalIndent(got, "", " ")
				w, _ := json.MarshalIndent(c.want, "", " ")
				t.Errorf("%s:\ngot  %s\nwant %s", c.kind, g, w)
			}
		})
	}
}

// roundTrip is the object as a browser decodes it.
func roundTrip(t *testing.T, o Obj) map[string]any {
	t.Helper()
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
