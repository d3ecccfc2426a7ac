package embedded_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kubelab/kubelab/internal/testcluster"
)

// The learner is cluster-admin: deleting or changing the sandbox's limits
// has no effect. The quota cannot be deleted or edited, the
// policy and binding that protect it come back when deleted, and the
// limits count Events (and their size) and namespaces too.
func TestSandboxLimitsCannotBeDeleted(t *testing.T) {
	c, err := testcluster.Start(context.Background(), testcluster.Binary(t), t.TempDir(), "--object-quota", "3")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	ctx := context.Background()
	const name = "kubelab-sandbox-limits"
	c.MustKubectl(t, "create", "namespace", "flood")
	waitFor(t, 10*time.Second, "the quota", func() (bool, string) {
		q, err := c.Client.CoreV1().ResourceQuotas("flood").Get(ctx, name, metav1.GetOptions{})
		return err == nil && len(q.Status.Used) > 0, fmt.Sprint(err)
	})
	refusedDelete := func() {
		t.Helper()
		// The API server loads a new policy within a second or so.
		waitFor(t, 10*time.Second, "the quota's delete to be refused", func() (bool, string) {
			out, err := c.Kubectl(t, "delete", "resourcequota", name, "-n", "flood")
			if err == nil {
				t.Fatalf("the learner deleted the quota: %s", out)
			}
			return strings.Contains(out, "cannot be changed or deleted"), out
		})
	}
	refusedDelete()
	if out, err := c.Kubectl(t, "patch", "resourcequota", name, "-n", "flood", "--type=merge", "-p", `{"spec":{"hard":{"count/configmaps":"1000"}}}`); err == nil ||
		!strings.Contains(out, "cannot be changed or deleted") {
		t.Fatalf("patching the quota: %v %s", err, out)
	}
	if out, err := c.Kubectl(t, "delete", "configmap", name, "-n", "kube-system"); err == nil || !strings.Contains(out, "cannot be changed or deleted") {
		t.Fatalf("deleting the policy's ConfigMap: %v %s", err, out)
	}
	// The policy and binding are exempt from admission: deleting them
	// works, and the sandbox puts them back at once.
	began := time.Now()
	c.MustKubectl(t, "delete", "validatingadmissionpolicybinding", name)
	c.MustKubectl(t, "delete", "validatingadmissionpolicy", name)
	waitFor(t, 10*time.Second, "the policy and binding back", func() (bool, string) {
		_, e1 := c.Client.AdmissionregistrationV1().ValidatingAdmissionPolicies().Get(ctx, name, metav1.GetOptions{})
		_, e2 := c.Client.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Get(ctx, name, metav1.GetOptions{})
		return e1 == nil && e2 == nil, fmt.Sprint(e1, e2)
	})
	t.Logf("policy and binding restored %v after their deletion", time.Since(began).Round(time.Millisecond))
	refusedDelete()
	// A narrowed binding is put back too.
	c.MustKubectl(t, "patch", "validatingadmissionpolicybinding", name, "--type=merge", "-p", `{"spec":{"validationActions":["Audit"]}}`)
	waitFor(t, 10*time.Second, "the binding's spec back", func() (bool, string) {
		b, err := c.Client.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Get(ctx, name, metav1.GetOptions{})
		return err == nil && len(b.Spec.ValidationActions) == 1 && b.Spec.ValidationActions[0] == "Deny", fmt.Sprint(b.Spec.ValidationActions, err)
	})
	// Still in force: ConfigMaps past 3.
	refused := ""
	for i := 0; i < 4 && refused == ""; i++ {
		if out, err := c.Kubectl(t, "create", "configmap", fmt.Sprintf("c%d", i), "-n", "flood"); err != nil {
			refused = out
		}
	}
	if !strings.Contains(refused, "exceeded quota: "+name) {
		t.Fatalf("ConfigMaps past the quota: %q", refused)
	}
	// Events (which a ResourceQuota cannot count): a 250 KB message is
	// refused, and so are Events past the sandbox's 100.
	rc := rest.CopyConfig(c.REST)
	rc.QPS, rc.Burst = 500, 500
	client := kubernetes.NewForConfigOrDie(rc)
	ev := func(i int, msg string) error {
		_, err := client.CoreV1().Events("flood").Create(ctx, &corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{Name: fmt.Sprintf("flood.%d", i)},
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "flood", Name: "web"},
			Reason:         "Flood", Message: msg, Type: corev1.EventTypeWarning,
		}, metav1.CreateOptions{})
		return err
	}
	// The sandbox's own Events count too, and a loaded machine makes many
	// (this sandbox's limit is only 100): start from none, so that the size
	// check below is not met by the count one first.
	c.MustKubectl(t, "delete", "events", "--all", "-A")
	waitFor(t, 20*time.Second, "Events below their limit", func() (bool, string) {
		cm, err := c.Client.CoreV1().ConfigMaps("kube-system").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		_, full := cm.Data["events"]
		return !full, fmt.Sprint(cm.Data)
	})
	if err := ev(0, strings.Repeat("x", 250_000)); err == nil || !strings.Contains(err.Error(), "at most 4096 bytes") {
		t.Fatalf("a 250 KB Event message: %v", err)
	}
	// The limits are counted inside the API server's admission, so they
	// hold exactly even against a client that creates in parallel.
	flood := func(n int, create func(i int) error) (refused error) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := create(i); err != nil {
					mu.Lock()
					refused = err
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		return refused
	}
	evErr := flood(300, func(i int) error { return ev(i+1, strings.Repeat("x", 4000)) })
	events, _ := client.CoreV1().Events("").List(ctx, metav1.ListOptions{})
	if evErr == nil || !strings.Contains(evErr.Error(), "limit of 100 events") || len(events.Items) > 100 {
		t.Fatalf("%d Events, then %v", len(events.Items), evErr)
	}
	t.Logf("Events: %d in the sandbox at the refusal (limit 100)", len(events.Items))
	// Namespaces: exactly 10, the 4 of the system included: no more (without
	// the limit all 30 would be made) and no fewer (a miscount refuses early).
	nsErr := flood(30, func(i int) error {
		_, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("ns%d", i)}}, metav1.CreateOptions{})
		return err
	})
	list, _ := c.Client.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if nsErr == nil || !strings.Contains(nsErr.Error(), "limit of 10 namespaces") || len(list.Items) != 10 {
		t.Fatalf("%d namespaces, then %v", len(list.Items), nsErr)
	}
	t.Logf("namespaces: %d made before the refusal (limit 10)", len(list.Items))
}
