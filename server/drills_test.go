package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// A zone fails from the page's drill controls: its nodes go NotReady, the
// pods there are evicted after their (sandbox-shortened) toleration and
// replaced in the other zone, while a pod whose volume lives in the failed
// zone stays Pending with the scheduler's reason. Recovery brings the nodes
// back Ready and the pinned pod runs again. (The spread constraint honours
// node taints: with the default, Ignore, the failed zone still counts as a
// domain with two pods, and maxSkew 1 keeps the replacements Pending, as
// on a real cluster.)
func TestZoneFailureDrill(t *testing.T) {
	e := startWith(t, t.TempDir(), []string{"--node-grace-period", "6s", "--eviction-toleration", "5s"})
	e.waitReady()
	resp, kc := e.do("GET", "/api/kubeconfig", "", nil, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("kubeconfig: %d %s", resp.StatusCode, kc)
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	c := kubernetes.NewForConfigOrDie(cfg)
	ctx := context.Background()
	manifest, err := os.ReadFile("testdata/zone-drill.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if code, out := e.postJSON("/api/apply", map[string]any{"yaml": string(manifest)}); code != 200 {
		t.Fatalf("apply: %d %v", code, out)
	}
	zoneOf := map[string]string{}
	nodes, _ := c.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	for _, n := range nodes.Items {
		zoneOf[n.Name] = n.Labels["topology.kubernetes.io/zone"]
	}
	pods := func(app string) []corev1.Pod {
		l, err := c.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=" + app})
		if err != nil {
			t.Fatal(err)
		}
		return l.Items
	}
	ready := func(p corev1.Pod) bool {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady {
				return c.Status == corev1.ConditionTrue && p.DeletionTimestamp == nil
			}
		}
		return false
	}
	wait := func(d time.Duration, what string, ok func() (bool, string)) {
		t.Helper()
		end := time.Now().Add(d)
		var last string
		for time.Now().Before(end) {
			var done bool
			if done, last = ok(); done {
				return
			}
			time.Sleep(250 * time.Millisecond)
		}
		t.Fatalf("%s: not within %v: %s", what, d, last)
	}
	var dbZone string
	wait(60*time.Second, "web over both zones and db running", func() (bool, string) {
		zones := map[string]int{}
		for _, p := range pods("web") {
			if ready(p) {
				zones[zoneOf[p.Spec.NodeName]]++
			}
		}
		db := pods("db")
		if len(db) == 1 && ready(db[0]) {
			dbZone = zoneOf[db[0].Spec.NodeName]
		}
		return len(zones) == 2 && zones["us-east-1a"]+zones["us-east-1b"] == 4 && dbZone != "", fmt.Sprint(zones, dbZone)
	})
	other := map[string]string{"us-east-1a": "us-east-1b", "us-east-1b": "us-east-1a"}[dbZone]

	// Fail the db's zone from the drill controls.
	failedAt := time.Now()
	if code, out := e.postJSON("/api/drills/zones/"+dbZone, map[string]any{"failed": true}); code != 200 {
		t.Fatalf("fail zone: %d %v", code, out)
	}
	wait(60*time.Second, "the zone's nodes NotReady and tainted unreachable", func() (bool, string) {
		l, _ := c.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		var bad []string
		for _, n := range l.Items {
			if zoneOf[n.Name] != dbZone {
				continue
			}
			tainted := false
			for _, tn := range n.Spec.Taints {
				tainted = tainted || tn.Key == corev1.TaintNodeUnreachable
			}
			if !tainted {
				bad = append(bad, n.Name)
			}
		}
		return len(bad) == 0, fmt.Sprint("not yet tainted: ", bad)
	})
	wait(90*time.Second, "web's 4 pods ready in the other zone", func() (bool, string) {
		n := 0
		for _, p := range pods("web") {
			if ready(p) && zoneOf[p.Spec.NodeName] == other {
				n++
			}
		}
		return n == 4, fmt.Sprint(n, " ready in ", other)
	})
	t.Logf("zone %s failed: web back to 4 ready pods in %s after %v", dbZone, other, time.Since(failedAt).Round(time.Second))
	wait(60*time.Second, "the db's replacement Pending on its volume's zone", func() (bool, string) {
		for _, p := range pods("db") {
			if p.DeletionTimestamp == nil && p.Spec.NodeName == "" {
				for _, c := range p.Status.Conditions {
					if c.Type == corev1.PodScheduled && strings.Contains(c.Message, "didn't match PersistentVolume's node affinity") {
						return true, c.Message
					}
				}
			}
		}
		var seen []string
		for _, p := range pods("db") {
			seen = append(seen, fmt.Sprintf("%s node=%q deleting=%v %v", p.Name, p.Spec.NodeName, p.DeletionTimestamp != nil, p.Status.Conditions))
		}
		return false, strings.Join(seen, "\n")
	})

	// Drills report the stopped kubelets; recovery brings the zone back.
	resp, body := e.do("GET", "/api/drills", "", nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `"kubeletStopped":true`) {
		t.Fatalf("drill state: %d %s", resp.StatusCode, body)
	}
	if code, out := e.postJSON("/api/drills/zones/"+dbZone, map[string]any{"failed": false}); code != 200 {
		t.Fatalf("recover zone: %d %v", code, out)
	}
	wait(60*time.Second, "every node Ready and the db running again in its zone", func() (bool, string) {
		l, _ := c.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		for _, n := range l.Items {
			for _, cd := range n.Status.Conditions {
				if cd.Type == corev1.NodeReady && cd.Status != corev1.ConditionTrue {
					return false, n.Name + " not Ready"
				}
			}
		}
		for _, p := range pods("db") {
			if ready(p) && zoneOf[p.Spec.NodeName] == dbZone {
				return true, ""
			}
		}
		return false, "db not running"
	})

	// Bad input: an unknown zone or node, a drain kubectl would refuse.
	if code, out := e.postJSON("/api/drills/zones/mars-1a", map[string]any{"failed": true}); code != 404 {
		t.Fatalf("unknown zone: %d %v", code, out)
	}
	if code, out := e.postJSON("/api/drills/nodes/nope/kubelet", map[string]any{"running": false}); code != 404 {
		t.Fatalf("unknown node: %d %v", code, out)
	}
	if code, out := e.postJSON("/api/apply", map[string]any{"yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: bare, namespace: default}\nspec:\n  nodeName: " + firstNode(zoneOf, other) + "\n  containers: [{name: c, image: nginx}]\n"}); code != 200 {
		t.Fatalf("bare pod: %d %v", code, out)
	}
	code, out := e.postJSON("/api/drills/nodes/"+firstNode(zoneOf, other)+"/drain", map[string]any{})
	if code != 409 || !strings.Contains(fmt.Sprint(out["error"]), "bare") {
		t.Fatalf("draining a node with a bare pod: %d %v", code, out)
	}
	n, _ := c.CoreV1().Nodes().Get(ctx, firstNode(zoneOf, other), metav1.GetOptions{})
	if n.Spec.Unschedulable {
		t.Fatal("a refused drain cordoned the node")
	}
}

func firstNode(zoneOf map[string]string, zone string) string {
	best := ""
	for n, z := range zoneOf {
		if z == zone && (best == "" || n < best) {
			best = n
		}
	}
	return best
}
