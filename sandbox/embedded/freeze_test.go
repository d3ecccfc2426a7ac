package embedded_test

import (
	"context"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kubelab/kubelab/sandbox"
	"github.com/kubelab/kubelab/sandbox/embedded"
	"github.com/kubelab/kubelab/sandbox/procstats"
)

// TestFreezeLongerThanTheNodeGracePeriod freezes a sandbox with running
// pods for twice the node grace period, thaws it and watches it for
// several node-monitor periods: nodes stay Ready as the API reports them,
// no pod is evicted or replaced, and no warning event appears.
func TestFreezeLongerThanTheNodeGracePeriod(t *testing.T) {
	const grace = 8 * time.Second
	b := newBackend(t, embedded.Options{Args: []string{"--node-grace-period=" + grace.String()}})
	ctx := context.Background()
	var mu sync.Mutex
	var notices []sandbox.State
	b.Notify(func(name string, st sandbox.State) {
		mu.Lock()
		notices = append(notices, st)
		mu.Unlock()
	})
	box, err := b.Acquire(ctx, "frost")
	if err != nil {
		t.Fatal(err)
	}
	c, err := kubernetes.NewForConfig(box.REST)
	if err != nil {
		t.Fatal(err)
	}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](3),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27"}}},
			},
		},
	}
	if _, err := c.AppsV1().Deployments("default").Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pods := runningPods(t, c, 3)

	frozeAt := time.Now()
	if err := b.Freeze("frost"); err != nil {
		t.Fatal(err)
	}
	if st, _ := b.Status("frost"); st.State != sandbox.StateFrozen {
		t.Fatalf("state after Freeze: %s", st.State)
	}
	mu.Lock()
	if len(notices) != 1 || notices[0] != sandbox.StateFrozen {
		t.Fatalf("notices after Freeze: %v (want [frozen], sent before the process stops)", notices)
	}
	mu.Unlock()
	time.Sleep(2*grace + 2*time.Second)

	// A learner's own kubectl, through the sandbox's stable address, thaws it.
	out, err := exec.Command("kubectl", "--kubeconfig", box.Kubeconfig, "get", "nodes", "--request-timeout=5s").CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl on a frozen sandbox: %v\n%s", err, out)
	}
	if st, _ := b.Status("frost"); st.State != sandbox.StateReady {
		t.Fatalf("state after a kubectl connection: %s", st.State)
	}
	if strings.Contains(string(out), "NotReady") {
		t.Fatalf("a node is NotReady right after the thaw:\n%s", out)
	}
	s, err := procstats.Read(ctx, dirOf(box))
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := s.Extra["frozenSeconds"].(float64); f < (2 * grace).Seconds() {
		t.Fatalf("the sandbox's clock took out %.1fs of a %.0fs freeze", f, (2*grace + 2*time.Second).Seconds())
	}

	// Watch the nodes for well over a grace period after the thaw.
	w, err := c.CoreV1().Nodes().Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	end := time.After(grace + 3*time.Second)
watching:
	for {
		select {
		case ev := <-w.ResultChan():
			if n, ok := ev.Object.(*corev1.Node); ok && ev.Type != watch.Error && !nodeReady(n) {
				t.Errorf("node %s is not Ready after the thaw: %v", n.Name, n.Status.Conditions)
			}
		case <-end:
			break watching
		}
	}
	after := runningPods(t, c, 3)
	for name := range pods {
		if !after[name] {
			t.Errorf("pod %s was replaced after the thaw (pods now: %v)", name, after)
		}
	}
	evs, err := c.CoreV1().Events("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs.Items {
		when := e.LastTimestamp.Time
		if when.IsZero() {
			when = e.EventTime.Time
		}
		if when.After(frozeAt) && (e.Type == corev1.EventTypeWarning || strings.Contains(e.Reason, "NotReady")) {
			t.Errorf("event after the freeze: %s %s %s: %s", e.Type, e.Reason, e.InvolvedObject.Name, e.Message)
		}
	}
}

// TestIdleSandboxFreezesUnlessHeld checks the freeze policy: a held
// sandbox (an open page) never freezes; once released and idle it does,
// and Acquire brings it back with its objects.
func TestIdleSandboxFreezesUnlessHeld(t *testing.T) {
	b := newBackend(t, embedded.Options{FreezeAfter: 300 * time.Millisecond})
	ctx := context.Background()
	release := b.Hold("pat")
	box, err := b.Acquire(ctx, "pat")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if st, _ := b.Status("pat"); st.State != sandbox.StateReady {
		t.Fatalf("a held sandbox is %s", st.State)
	}
	release()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, _ := b.Status("pat")
		if st.State == sandbox.StateFrozen {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("an idle, released sandbox is still %s", st.State)
		}
		time.Sleep(100 * time.Millisecond)
	}
	began := time.Now()
	again, err := b.Acquire(ctx, "pat")
	if err != nil {
		t.Fatal(err)
	}
	c, err := kubernetes.NewForConfig(again.REST)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CoreV1().Namespaces().Get(ctx, "default", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Logf("thawed and answered in %v", time.Since(began))
	if again.REST.Host != box.REST.Host {
		t.Fatalf("a thawed sandbox has a new address: %s, was %s", again.REST.Host, box.REST.Host)
	}
}

func dirOf(box *sandbox.Sandbox) string {
	i := strings.LastIndex(box.Kubeconfig, "/")
	return box.Kubeconfig[:i]
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// runningPods waits for n Running pods in default and returns their names.
func runningPods(t *testing.T, c kubernetes.Interface, n int) map[string]bool {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		list, err := c.CoreV1().Pods("default").List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		for _, p := range list.Items {
			if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
				names[p.Name] = true
			}
		}
		if len(names) == n {
			return names
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d Running pods, want %d", len(names), n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
