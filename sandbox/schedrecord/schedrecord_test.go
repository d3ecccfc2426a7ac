package schedrecord_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubelab/kubelab/internal/testcluster"
	"github.com/kubelab/kubelab/sandbox/procstats"
	"github.com/kubelab/kubelab/sandbox/schedrecord"
)

// shared is the sandbox the tests of this package use, one after the other.
var shared *testcluster.Cluster

func TestMain(m *testing.M) { testcluster.Main(m, &shared) }

// roles names the sandbox's three nodes by what tells them apart: A and B
// in us-east-1a, C (the biggest) in us-east-1b.
func roles(t *testing.T) map[string]string {
	t.Helper()
	nodes, err := shared.Client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]string{"m5.large": "A", "r4.large": "B", "r4.xlarge": "C"}
	out := map[string]string{}
	for _, n := range nodes.Items {
		if r, ok := by[n.Labels["node.kubernetes.io/instance-type"]]; ok {
			out[r] = n.Name
		}
	}
	if len(out) != 3 {
		t.Fatalf("expected the default topology's three nodes, got %v", out)
	}
	return out
}

// situation is one scheduling situation: objects applied in a namespace of
// their own, the pod to explain and what the record must say.
type situation struct {
	name string
	// nodes taints or cordons nodes first: kubectl arguments, {A} {B} {C}
	// replaced; each is undone after the situation.
	nodes [][]string
	yaml  string
	// pod is the pod's name, or a label selector (app=x): then the pod is
	// the one still Pending if any, else the newest.
	pod     string
	pending bool
	// rejects says which plugin must reject which node ("A": "TaintToleration").
	rejects map[string]string
	// mayReject is a plugin that may reject any node, depending on the
	// order in which replicas created together were placed.
	mayReject string
	// winner, if set, is the node that must be chosen.
	winner string
	// check adds situation-specific checks.
	check func(t *testing.T, e *schedrecord.Explanation, node map[string]string)
	// suggest is the plugin whose suggestion is applied to a pending pod,
	// after which the pod (or its replacement) must be scheduled.
	suggest string
}

const pod = `apiVersion: v1
kind: Pod
metadata:
  name: %s
  labels: {app: %s}
spec:
%s  containers:
  - name: app
    image: nginx
`

// podYAML builds a pod with extra spec lines (two-space indented).
func podYAML(name, spec string) string { return fmt.Sprintf(pod, name, name, spec) }

func deploymentYAML(name string, replicas int, spec string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
spec:
  replicas: %[2]d
  selector:
    matchLabels: {app: %[1]s}
  template:
    metadata:
      labels: {app: %[1]s}
    spec:
%[3]s      containers:
      - name: app
        image: nginx
`, name, replicas, indent(spec, "      "))
}

func indent(s, by string) string {
	if s == "" {
		return ""
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i := range lines {
		lines[i] = by + lines[i]
	}
	return strings.Join(lines, "\n") + "\n"
}

func situations() []situation {
	return []situation{
		{name: "plain", yaml: podYAML("plain", ""), pod: "plain",
			check: func(t *testing.T, e *schedrecord.Explanation, _ map[string]string) {
				if !e.Scored {
					t.Error("three feasible nodes but no scores")
				}
			}},
		{name: "selector-zone-b", yaml: podYAML("zb", "  nodeSelector: {topology.kubernetes.io/zone: us-east-1b}\n"), pod: "zb",
			rejects: map[string]string{"A": "NodeAffinity", "B": "NodeAffinity"}, winner: "C",
			check: func(t *testing.T, e *schedrecord.Explanation, _ map[string]string) {
				if e.Scored {
					t.Error("one feasible node, yet scored (the scheduler skips scoring then)")
				}
			}},
		{name: "selector-zone-a", yaml: podYAML("za", "  nodeSelector: {topology.kubernetes.io/zone: us-east-1a}\n"), pod: "za",
			rejects: map[string]string{"C": "NodeAffinity"}},
		{name: "required-affinity-hostname", yaml: podYAML("ha", "  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n        - matchExpressions:\n          - {key: kubernetes.io/hostname, operator: In, values: [\"{B}\"]}\n"), pod: "ha",
			rejects: map[string]string{"A": "NodeAffinity", "C": "NodeAffinity"}, winner: "B"},
		{name: "match-fields-like-a-daemonset", yaml: podYAML("mf", "  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n        - matchFields:\n          - {key: metadata.name, operator: In, values: [\"{A}\"]}\n"), pod: "mf",
			rejects: map[string]string{"B": "NodeAffinity", "C": "NodeAffinity"}, winner: "A"},
		{name: "preferred-affinity-weights", yaml: podYAML("pa", "  affinity:\n    nodeAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n      - weight: 100\n        preference:\n          matchExpressions:\n          - {key: node.kubernetes.io/instance-type, operator: In, values: [r4.large]}\n"), pod: "pa",
			winner: "B",
			check: func(t *testing.T, e *schedrecord.Explanation, node map[string]string) {
				for _, n := range e.Nodes {
					want := int64(0)
					if n.Name == node["B"] {
						want = 100
					}
					if got := score(n, "NodeAffinity"); got != want {
						t.Errorf("NodeAffinity score of %s = %d, want %d", n.Name, got, want)
					}
				}
			}},
		{name: "tolerated-taint", nodes: [][]string{{"taint", "node", "{A}", "dedicated=lab:NoSchedule"}, {"taint", "node", "{B}", "dedicated=lab:NoSchedule"}},
			yaml: podYAML("tt", "  tolerations:\n  - {key: dedicated, operator: Equal, value: lab, effect: NoSchedule}\n  nodeSelector: {topology.kubernetes.io/zone: us-east-1a}\n"), pod: "tt",
			rejects: map[string]string{"C": "NodeAffinity"}},
		{name: "untolerated-taint", nodes: [][]string{{"taint", "node", "{A}", "dedicated=lab:NoSchedule"}},
			yaml: podYAML("ut", ""), pod: "ut", rejects: map[string]string{"A": "TaintToleration"}},
		{name: "prefer-no-schedule", nodes: [][]string{{"taint", "node", "{C}", "soft=yes:PreferNoSchedule"}},
			yaml: podYAML("pns", ""), pod: "pns",
			check: func(t *testing.T, e *schedrecord.Explanation, node map[string]string) {
				for _, n := range e.Nodes {
					want := int64(100)
					if n.Name == node["C"] {
						want = 0
					}
					if got := score(n, "TaintToleration"); got != want {
						t.Errorf("TaintToleration score of %s = %d, want %d", n.Name, got, want)
					}
				}
			}},
		{name: "cordoned", nodes: [][]string{{"cordon", "{C}"}}, yaml: podYAML("co", ""), pod: "co",
			rejects: map[string]string{"C": "NodeUnschedulable"}},
		{name: "spread-deployment", yaml: deploymentYAML("spread", 3, "topologySpreadConstraints:\n- {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: spread}}}\n"), pod: "app=spread",
			mayReject: "PodTopologySpread"},
		{name: "soft-anti-affinity", yaml: deploymentYAML("soft", 2, "affinity:\n  podAntiAffinity:\n    preferredDuringSchedulingIgnoredDuringExecution:\n    - weight: 100\n      podAffinityTerm:\n        topologyKey: kubernetes.io/hostname\n        labelSelector: {matchLabels: {app: soft}}\n"), pod: "app=soft"},
		{name: "requests-fit-one-node", yaml: rep(podYAML("fit", ""), "image: nginx\n", "image: nginx\n    resources: {requests: {cpu: \"3\"}}\n"), pod: "fit",
			rejects: map[string]string{"A": "NodeResourcesFit", "B": "NodeResourcesFit"}, winner: "C"},
		{name: "memory-fits-one-node", yaml: rep(podYAML("mem20", ""), "image: nginx\n", "image: nginx\n    resources: {requests: {memory: 20Gi}}\n"), pod: "mem20",
			rejects: map[string]string{"A": "NodeResourcesFit", "B": "NodeResourcesFit"}, winner: "C"},
		{name: "init-container-requests-count", yaml: rep(podYAML("init3", "  initContainers: [{name: setup, image: busybox, command: [\"true\"], resources: {requests: {cpu: \"3\"}}}]\n"), "", ""), pod: "init3",
			rejects: map[string]string{"A": "NodeResourcesFit", "B": "NodeResourcesFit"}, winner: "C"},
		{name: "toleration-exists-everything", nodes: [][]string{{"taint", "node", "{A}", "dedicated=lab:NoSchedule"}},
			yaml: podYAML("tolall", "  tolerations: [{operator: Exists}]\n  nodeSelector: {node.kubernetes.io/instance-type: m5.large}\n"), pod: "tolall",
			rejects: map[string]string{"B": "NodeAffinity", "C": "NodeAffinity"}, winner: "A"},
		{name: "co-located-by-pod-affinity", yaml: podYAML("anchor", "  nodeSelector: {node.kubernetes.io/instance-type: r4.large}\n") + "---\n" +
			podYAML("follower", "  affinity:\n    podAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n      - topologyKey: kubernetes.io/hostname\n        labelSelector: {matchLabels: {app: anchor}}\n"),
			pod: "follower", mayReject: "InterPodAffinity", winner: "B"},

		// Pods that cannot be placed, each fixed by the suggestion.
		{name: "too-much-cpu", yaml: rep(podYAML("cpu64", ""), "image: nginx\n", "image: nginx\n    resources: {requests: {cpu: \"64\"}}\n"), pod: "cpu64", pending: true,
			rejects: map[string]string{"A": "NodeResourcesFit", "B": "NodeResourcesFit", "C": "NodeResourcesFit"}, suggest: "NodeResourcesFit"},
		{name: "too-much-memory", yaml: rep(deploymentYAML("mem", 1, ""), "image: nginx\n", "image: nginx\n        resources: {requests: {memory: 500Gi}}\n"), pod: "app=mem", pending: true,
			rejects: map[string]string{"A": "NodeResourcesFit", "B": "NodeResourcesFit", "C": "NodeResourcesFit"}, suggest: "NodeResourcesFit"},
		{name: "selector-matches-nothing", yaml: deploymentYAML("nosel", 1, "nodeSelector: {disktype: ssd}\n"), pod: "app=nosel", pending: true,
			rejects: map[string]string{"A": "NodeAffinity", "B": "NodeAffinity", "C": "NodeAffinity"}, suggest: "NodeAffinity"},
		{name: "taint-on-the-only-node", nodes: [][]string{{"taint", "node", "{C}", "gpu=true:NoSchedule"}},
			yaml: podYAML("gpu", "  nodeSelector: {node.kubernetes.io/instance-type: r4.xlarge}\n"), pod: "gpu", pending: true,
			rejects: map[string]string{"A": "NodeAffinity", "B": "NodeAffinity", "C": "TaintToleration"}, suggest: "TaintToleration"},
		{name: "cordoned-only-node", nodes: [][]string{{"cordon", "{A}"}},
			yaml: podYAML("cord", "  nodeSelector: {node.kubernetes.io/instance-type: m5.large}\n"), pod: "cord", pending: true,
			rejects: map[string]string{"A": "NodeUnschedulable", "B": "NodeAffinity", "C": "NodeAffinity"}, suggest: "NodeUnschedulable"},
		{name: "anti-affinity-4-on-3", yaml: deploymentYAML("anti", 4, "affinity:\n  podAntiAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n    - topologyKey: kubernetes.io/hostname\n      labelSelector: {matchLabels: {app: anti}}\n"), pod: "app=anti", pending: true,
			// No single pod's change helps: the three running replicas repel a
			// fourth with their own anti-affinity, so none is suggested.
			rejects: map[string]string{"A": "InterPodAffinity", "B": "InterPodAffinity", "C": "InterPodAffinity"},
			check: func(t *testing.T, e *schedrecord.Explanation, _ map[string]string) {
				if len(e.Suggestions) > 0 {
					t.Errorf("suggestions that the filters cannot confirm: %+v", e.Suggestions)
				}
			}},
		{name: "affinity-to-nothing", yaml: podYAML("lonely", "  affinity:\n    podAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n      - topologyKey: kubernetes.io/hostname\n        labelSelector: {matchLabels: {app: nobody}}\n"), pod: "lonely", pending: true,
			rejects: map[string]string{"A": "InterPodAffinity", "B": "InterPodAffinity", "C": "InterPodAffinity"}, suggest: "InterPodAffinity"},
		{name: "host-port-taken", yaml: rep(podYAML("port1", "  nodeSelector: {node.kubernetes.io/instance-type: r4.large}\n"), "image: nginx\n", "image: nginx\n    ports: [{containerPort: 80, hostPort: 8081}]\n") + "---\n" +
			rep(podYAML("port2", "  nodeSelector: {node.kubernetes.io/instance-type: r4.large}\n"), "image: nginx\n", "image: nginx\n    ports: [{containerPort: 80, hostPort: 8081}]\n"),
			pod: "port2", pending: true,
			rejects: map[string]string{"A": "NodeAffinity", "B": "NodePorts", "C": "NodeAffinity"}, suggest: "NodePorts"},
		{name: "spread-with-a-tainted-zone", nodes: [][]string{{"taint", "node", "{C}", "outage=yes:NoSchedule"}},
			yaml: deploymentYAML("zones", 3, "topologySpreadConstraints:\n- {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: zones}}}\n"), pod: "app=zones", pending: true,
			rejects: map[string]string{"A": "PodTopologySpread", "B": "PodTopologySpread", "C": "TaintToleration"}, suggest: "PodTopologySpread"},
		{name: "every-node-tainted", nodes: [][]string{{"taint", "node", "{A}", "maint=yes:NoSchedule"}, {"taint", "node", "{B}", "maint=yes:NoSchedule"}, {"taint", "node", "{C}", "maint=yes:NoSchedule"}},
			yaml: deploymentYAML("maint", 1, ""), pod: "app=maint", pending: true,
			rejects: map[string]string{"A": "TaintToleration", "B": "TaintToleration", "C": "TaintToleration"}, suggest: "TaintToleration"},
		{name: "volume-in-the-other-zone", yaml: `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
` + podYAML("writer", "  nodeSelector: {topology.kubernetes.io/zone: us-east-1a}\n  volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]\n"), pod: "writer",
			rejects: map[string]string{"C": "NodeAffinity"},
			check: func(t *testing.T, e *schedrecord.Explanation, _ map[string]string) {
				// The reader asks for the other zone than its volume's.
				ns := e.Namespace
				file := filepath.Join(t.TempDir(), "reader.yaml")
				if err := os.WriteFile(file, []byte(podYAML("reader", "  nodeSelector: {topology.kubernetes.io/zone: us-east-1b}\n  volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]\n")), 0o600); err != nil {
					t.Fatal(err)
				}
				shared.MustKubectl(t, "apply", "-n", ns, "-f", file)
				r := waitDecision(t, ns, "reader", true)
				node := roles(t)
				checkDecision(t, r, situation{pending: true, rejects: map[string]string{"A": "NodeAffinity", "B": "NodeAffinity", "C": "VolumeBinding"}}, node)
				applySuggestion(t, ns, file, r, situation{pod: "reader", suggest: "NodeAffinity"})
			}},
		{name: "too-much-ephemeral-storage", yaml: rep(podYAML("disk", ""), "image: nginx\n", "image: nginx\n    resources: {requests: {ephemeral-storage: 5Ti}}\n"), pod: "disk", pending: true,
			rejects: map[string]string{"A": "NodeResourcesFit", "B": "NodeResourcesFit", "C": "NodeResourcesFit"}},
		{name: "missing-claim", yaml: podYAML("noclaim", "  volumes: [{name: data, persistentVolumeClaim: {claimName: missing}}]\n"), pod: "noclaim", pending: true,
			// VolumeRestrictions' PreFilter is the first to read the claim.
			rejects: map[string]string{"A": "VolumeRestrictions", "B": "VolumeRestrictions", "C": "VolumeRestrictions"}},
	}
}

// rep replaces the first old in a manifest by new.
func rep(s, old, new string) string { return strings.Replace(s, old, new, 1) }

func score(n schedrecord.NodeResult, plugin string) int64 {
	for _, s := range n.Scores {
		if s.Plugin == plugin {
			return s.Score
		}
	}
	return -1
}

func TestDecisionsAgreeWithTheScheduler(t *testing.T) {
	node := roles(t)
	for i, s := range situations() {
		t.Run(s.name, func(t *testing.T) {
			ns := fmt.Sprintf("sched-%02d", i)
			r := strings.NewReplacer("{A}", node["A"], "{B}", node["B"], "{C}", node["C"])
			shared.MustKubectl(t, "create", "namespace", ns)
			t.Cleanup(func() { _, _ = shared.Kubectl(t, "delete", "namespace", ns, "--wait=false") })
			for _, args := range s.nodes {
				args := strings.Fields(r.Replace(strings.Join(args, " ")))
				shared.MustKubectl(t, args...)
				t.Cleanup(func() { undo(t, args) })
			}
			file := filepath.Join(t.TempDir(), "objects.yaml")
			if err := os.WriteFile(file, []byte(r.Replace(s.yaml)), 0o600); err != nil {
				t.Fatal(err)
			}
			shared.MustKubectl(t, "apply", "-n", ns, "-f", file)
			e := waitDecision(t, ns, s.pod, s.pending)
			checkDecision(t, e, s, node)
			if s.suggest != "" {
				applySuggestion(t, ns, file, e, s)
			}
		})
	}
}

// undo reverses a taint or cordon.
func undo(t *testing.T, args []string) {
	switch args[0] {
	case "taint":
		shared.MustKubectl(t, "taint", "node", args[2], args[3]+"-")
	case "cordon":
		shared.MustKubectl(t, "uncordon", args[1])
	}
}

// waitDecision waits until the pod is bound (or, pending, marked
// unschedulable) and its record is there, and explains it.
func waitDecision(t *testing.T, ns, name string, pending bool) *schedrecord.Explanation {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(45 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		p, err := findPod(ctx, ns, name)
		if err == nil {
			done := p.Spec.NodeName != ""
			if pending {
				done = unschedulable(p)
			}
			if done {
				e, err := schedrecord.Explain(ctx, shared.REST, ns, p.Name)
				if err == nil && (e.Node == p.Spec.NodeName) && (!pending || e.Message != "") {
					return e
				}
				last = fmt.Sprint(err)
			} else {
				last = "pod " + p.Name + " not there yet: " + string(p.Status.Phase)
			}
		} else {
			last = err.Error()
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no decision for %s/%s: %s", ns, name, last)
	return nil
}

func unschedulable(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			return true
		}
	}
	return false
}

// findPod finds a pod by name or, for app=x, the Pending one of that
// label if any, else the newest.
func findPod(ctx context.Context, ns, name string) (*corev1.Pod, error) {
	if !strings.Contains(name, "=") {
		return shared.Client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	}
	list, err := shared.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: name})
	if err != nil {
		return nil, err
	}
	var live []corev1.Pod
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil {
			live = append(live, p)
		}
	}
	if len(live) == 0 {
		return nil, fmt.Errorf("no pod with %s yet", name)
	}
	sort.Slice(live, func(i, j int) bool {
		if (live[i].Spec.NodeName == "") != (live[j].Spec.NodeName == "") {
			return live[i].Spec.NodeName == ""
		}
		return live[i].CreationTimestamp.After(live[j].CreationTimestamp.Time)
	})
	return &live[0], nil
}

// checkDecision compares a record with the scheduler's own outcome: the
// node the pod is bound to, and for a pod that could not be placed the
// reasons the scheduler counts in its message ("0/3 nodes are available:
// 2 Insufficient cpu, ...").
func checkDecision(t *testing.T, e *schedrecord.Explanation, s situation, node map[string]string) {
	t.Helper()
	if len(e.Nodes) != 3 {
		t.Fatalf("record has %d nodes, want 3", len(e.Nodes))
	}
	rejectedBy := map[string]string{}
	reasons := map[string]int{}
	preFilter := map[string]bool{}
	var best int64 = -1
	for _, n := range e.Nodes {
		failed := 0
		for _, f := range n.Filters {
			if !f.Passed {
				failed++
				rejectedBy[n.Name] = f.Plugin
				if f.Reason == "" {
					t.Errorf("%s rejected by %s without a reason", n.Name, f.Plugin)
				}
				reasons[f.Reason]++
				if f.Stage == "PreFilter" {
					preFilter[f.Reason] = true
				}
			}
		}
		if (failed == 0) != n.Feasible || failed > 1 {
			t.Errorf("%s: feasible=%v with %d failed filters: %+v", n.Name, n.Feasible, failed, n.Filters)
		}
		if n.Feasible && e.Scored && n.Total > best {
			best = n.Total
		}
	}
	if s.pending {
		if e.Node != "" || e.BoundTo != "" {
			t.Errorf("expected no node, record says %q, pod bound to %q", e.Node, e.BoundTo)
		}
		for reason, count := range reasons {
			// A PreFilter rejection is one reason for the pod, not counted per node.
			want := fmt.Sprintf("%d %s", count, reason)
			if preFilter[reason] {
				want = reason
			}
			if !strings.Contains(e.Message, want) {
				t.Errorf("scheduler's message %q does not count %d × %q", e.Message, count, reason)
			}
		}
	} else {
		if e.Node == "" || e.Node != e.BoundTo {
			t.Errorf("record chose %q, pod bound to %q", e.Node, e.BoundTo)
		}
		for _, n := range e.Nodes {
			if n.Name == e.Node {
				if !n.Feasible {
					t.Errorf("chosen node %s not feasible in the record", n.Name)
				}
				if e.Scored && n.Total != best {
					t.Errorf("chosen node %s scored %d, best is %d", n.Name, n.Total, best)
				}
				if n.Rank != 1 {
					t.Errorf("chosen node %s has rank %d", n.Name, n.Rank)
				}
			}
		}
		if s.winner != "" && e.Node != node[s.winner] {
			t.Errorf("chosen %s, want %s", e.Node, node[s.winner])
		}
	}
	for role, plugin := range s.rejects {
		if got := rejectedBy[node[role]]; got != plugin {
			t.Errorf("node %s (%s) rejected by %q, want %q", role, node[role], got, plugin)
		}
	}
	for _, n := range e.Nodes {
		if _, ok := s.rejects[roleOf(node, n.Name)]; !ok && !n.Feasible && rejectedBy[n.Name] != s.mayReject {
			t.Errorf("node %s rejected by %s, expected it feasible", n.Name, rejectedBy[n.Name])
		}
	}
	if s.check != nil {
		s.check(t, e, node)
	}
}

func roleOf(node map[string]string, name string) string {
	for r, n := range node {
		if n == name {
			return r
		}
	}
	return ""
}

// applySuggestion applies the first suggestion for the expected plugin
// the way a learner would (kubectl patch of the target, or a bare pod
// created again with the patch) and waits for the pod to be placed.
func applySuggestion(t *testing.T, ns, file string, e *schedrecord.Explanation, s situation) {
	t.Helper()
	var sg *schedrecord.Suggestion
	for i := range e.Suggestions {
		if e.Suggestions[i].Plugin == s.suggest {
			sg = &e.Suggestions[i]
			break
		}
	}
	if sg == nil {
		t.Fatalf("no %s suggestion; got %+v", s.suggest, e.Suggestions)
	}
	if sg.Text.Ko == "" || sg.Text.En == "" || len(sg.Nodes) == 0 {
		t.Errorf("suggestion lacks a text or nodes: %+v", sg)
	}
	patch, err := json.Marshal(sg.Patch)
	if err != nil {
		t.Fatal(err)
	}
	switch sg.Target.Kind {
	case "Pod":
		// A pod's spec cannot change: the learner deletes it and creates it
		// again from the manifest with the change.
		own := filepath.Join(t.TempDir(), "pod.yaml")
		if err := os.WriteFile(own, []byte(document(t, file, e.Pod)), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("kubectl", "patch", "--local", "-f", own, "--type", "strategic", "-p", string(patch), "-o", "json").Output()
		if err != nil {
			t.Fatalf("kubectl patch --local: %v", err)
		}
		shared.MustKubectl(t, "delete", "pod", "-n", ns, e.Pod, "--wait=false", "--grace-period=0", "--force")
		waitGone(t, ns, e.Pod)
		fixed := filepath.Join(t.TempDir(), "fixed.json")
		if err := os.WriteFile(fixed, out, 0o600); err != nil {
			t.Fatal(err)
		}
		shared.MustKubectl(t, "create", "-n", ns, "-f", fixed)
	default:
		args := []string{"patch", strings.ToLower(sg.Target.Kind), sg.Target.Name, "--type", "strategic", "-p", string(patch)}
		if sg.Target.Namespace != "" {
			args = append(args, "-n", sg.Target.Namespace)
		}
		shared.MustKubectl(t, args...)
	}
	ctx := context.Background()
	deadline := time.Now().Add(60 * time.Second)
	name := s.pod
	for time.Now().Before(deadline) {
		if p, err := findPod(ctx, ns, name); err == nil && p.Spec.NodeName != "" {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	p, _ := findPod(ctx, ns, name)
	t.Fatalf("after %q (%s) the pod is still not placed: %+v", sg.Text.En, patch, p.Status.Conditions)
}

func waitGone(t *testing.T, ns, name string) {
	t.Helper()
	for range 100 {
		if _, err := shared.Client.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{}); err != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("pod %s/%s not deleted", ns, name)
}

// document picks the manifest of one pod from a multi-document file.
func document(t *testing.T, file, name string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range strings.Split(string(b), "\n---\n") {
		if strings.Contains(doc, "name: "+name+"\n") {
			return doc
		}
	}
	t.Fatalf("no manifest of %s in %s", name, file)
	return ""
}

// TestRecordTypeIsNotHeldAfterStart checks that the record type's
// Established condition is dated at least 2 s before the type was
// declared: the API server holds every create of a custom type for 2 s
// after that time, which the first record of a fresh sandbox would wait for.
func TestRecordTypeIsNotHeldAfterStart(t *testing.T) {
	client, err := apiextensionsclient.NewForConfig(shared.REST)
	if err != nil {
		t.Fatal(err)
	}
	crd, err := client.ApiextensionsV1().CustomResourceDefinitions().Get(
		context.Background(), schedrecord.Resource+"."+schedrecord.Group, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range crd.Status.Conditions {
		if c.Type != "Established" {
			continue
		}
		if c.Status != "True" {
			t.Fatalf("record type not established: %+v", c)
		}
		if lead := crd.CreationTimestamp.Sub(c.LastTransitionTime.Time); lead < 2*time.Second {
			t.Fatalf("Established at %s, the type declared at %s: creates are held for 2 s after the first",
				c.LastTransitionTime, crd.CreationTimestamp)
		}
		return
	}
	t.Fatalf("record type has no Established condition: %+v", crd.Status.Conditions)
}

// TestRecordFollowsAPodOfTheSameName checks the writer's two fallbacks: a
// pod deleted and created again under its name gets a record owned by the
// new pod, whether the old record was removed meanwhile (the patch finds
// nothing, the writer creates) or may still be there (the patch replaces
// its owner, or the garbage collector removed it first).
func TestRecordFollowsAPodOfTheSameName(t *testing.T) {
	ctx := context.Background()
	ns := "sched-again"
	shared.MustKubectl(t, "create", "namespace", ns)
	t.Cleanup(func() { _, _ = shared.Kubectl(t, "delete", "namespace", ns, "--wait=false") })
	owner := func() string {
		out, _ := shared.Kubectl(t, "get", "-n", ns, "schedulingdecisions", "again", "-o", "jsonpath={.metadata.ownerReferences[0].uid}")
		return strings.TrimSpace(out)
	}
	for i, removeRecord := range []bool{true, false, false} {
		shared.MustKubectl(t, "run", "again", "-n", ns, "--image=nginx")
		waitDecision(t, ns, "again", false)
		p, err := shared.Client.CoreV1().Pods(ns).Get(ctx, "again", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for owner() != string(p.UID) {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: record owned by %q, want the pod %s", i, owner(), p.UID)
			}
			time.Sleep(200 * time.Millisecond)
		}
		shared.MustKubectl(t, "delete", "pod", "again", "-n", ns, "--grace-period=0", "--force")
		if removeRecord {
			// The garbage collector removes it too, on its own time.
			_, _ = shared.Kubectl(t, "delete", "schedulingdecision", "again", "-n", ns, "--ignore-not-found")
		}
	}
}

// The sandbox reports the CPU its recorder takes from the scheduler
// (bench/schedcpu reads it): it grows when a pod is placed.
func TestSandboxReportsTheRecordersCPU(t *testing.T) {
	read := func() schedrecord.MeterReading {
		st, err := procstats.Read(context.Background(), shared.Dir)
		if err != nil {
			t.Fatal(err)
		}
		var r schedrecord.MeterReading
		raw, _ := json.Marshal(st.Extra["schedulingRecorder"])
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatalf("schedulingRecorder in the stats: %s: %v", raw, err)
		}
		return r
	}
	ns := "sched-meter"
	shared.MustKubectl(t, "create", "namespace", ns)
	t.Cleanup(func() { _, _ = shared.Kubectl(t, "delete", "namespace", ns, "--wait=false") })
	before := read()
	shared.MustKubectl(t, "run", "metered", "-n", ns, "--image=nginx")
	waitDecision(t, ns, "metered", false)
	after := read()
	if after.Spans <= before.Spans || after.CPUSeconds <= before.CPUSeconds {
		t.Fatalf("recorder's CPU before a placed pod %+v, after %+v", before, after)
	}
	t.Logf("one pod placed and recorded: %d pieces of work, %.3f ms", after.Spans-before.Spans, (after.CPUSeconds-before.CPUSeconds)*1000)
}
