package embedded_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"

	"github.com/kubelab/kubelab/internal/testcluster"
)

const limitName = "kubelab-sandbox-limits"

// flood runs n creates at once and returns one of the refusals.
func flood(n int, create func(i int) error) (refused error) {
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

// The learner is cluster-admin, yet cannot lift the sandbox's limits: they
// are held by the API server's own admission, with no object to delete or
// change. They count each namespace's objects, Events (and their size) and
// namespaces exactly, even against a client that creates in parallel.
func TestSandboxLimitsCannotBeDeleted(t *testing.T) {
	c, err := testcluster.Start(context.Background(), testcluster.Binary(t), t.TempDir(), "--object-quota", "3")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	ctx := context.Background()
	c.MustKubectl(t, "create", "namespace", "flood")
	// Nothing a learner could delete: no quota, no policy, no ConfigMap.
	for _, args := range [][]string{
		{"get", "resourcequota", "-A", "-o", "name"},
		{"get", "validatingadmissionpolicies,validatingadmissionpolicybindings", "-o", "name"},
		{"get", "configmap", limitName, "-n", "kube-system", "--ignore-not-found", "-o", "name"},
	} {
		if out := c.MustKubectl(t, args...); strings.TrimSpace(out) != "" {
			t.Errorf("kubectl %s: %q, want nothing", strings.Join(args, " "), out)
		}
	}
	rc := rest.CopyConfig(c.REST)
	rc.QPS, rc.Burst = 500, 500
	client := kubernetes.NewForConfigOrDie(rc)
	// Each namespace: exactly 3 ConfigMaps, kube-root-ca.crt included, and
	// the refusal names the limit.
	waitFor(t, 10*time.Second, "kube-root-ca.crt", func() (bool, string) {
		_, err := c.Client.CoreV1().ConfigMaps("flood").Get(ctx, "kube-root-ca.crt", metav1.GetOptions{})
		return err == nil, fmt.Sprint(err)
	})
	cmErr := flood(20, func(i int) error {
		_, err := client.CoreV1().ConfigMaps("flood").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("c%d", i)}}, metav1.CreateOptions{})
		return err
	})
	cms, _ := c.Client.CoreV1().ConfigMaps("flood").List(ctx, metav1.ListOptions{})
	if cmErr == nil || !apierrors.IsForbidden(cmErr) || len(cms.Items) != 3 ||
		!strings.Contains(cmErr.Error(), `namespace "flood" already holds its limit of 3 configmaps in this sandbox (`+limitName+`)`) {
		t.Fatalf("%d ConfigMaps, then %v", len(cms.Items), cmErr)
	}
	// Pods too, whoever creates them: a Deployment of 5 replicas gets 3,
	// and its ReplicaSet reports the refusal (in its status: this
	// sandbox's Events may be at their limit of 100 already).
	c.MustKubectl(t, "create", "deployment", "web", "-n", "flood", "--image=nginx:1.27", "--replicas=5")
	waitFor(t, 60*time.Second, "the ReplicaSet's refusal", func() (bool, string) {
		rss, err := c.Client.AppsV1().ReplicaSets("flood").List(ctx, metav1.ListOptions{})
		if err != nil || len(rss.Items) == 0 {
			return false, fmt.Sprint(err)
		}
		for _, cond := range rss.Items[0].Status.Conditions {
			if cond.Type == "ReplicaFailure" && strings.Contains(cond.Message, "limit of 3 pods") {
				return true, ""
			}
		}
		return false, fmt.Sprint(rss.Items[0].Status.Conditions)
	})
	if ps, _ := c.Client.CoreV1().Pods("flood").List(ctx, metav1.ListOptions{}); len(ps.Items) != 3 {
		t.Errorf("%d pods in the namespace, want 3", len(ps.Items))
	}
	// Another namespace has its own count; kube-system holds more.
	c.MustKubectl(t, "create", "configmap", "other", "-n", "default")
	for i := range 4 {
		c.MustKubectl(t, "create", "configmap", fmt.Sprintf("extra%d", i), "-n", "kube-system")
	}
	// A dry run does not take a place.
	c.MustKubectl(t, "create", "configmap", "dry", "-n", "default", "--dry-run=server")
	c.MustKubectl(t, "create", "configmap", "second", "-n", "default")
	// Events (which a ResourceQuota cannot count): a 250 KB message is
	// refused, and so are Events past the sandbox's 100.
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
	if err := ev(0, strings.Repeat("x", 250_000)); err == nil || !strings.Contains(err.Error(), "at most 4096 bytes") {
		t.Fatalf("a 250 KB Event message: %v", err)
	}
	evErr := flood(300, func(i int) error { return ev(i+1, strings.Repeat("x", 4000)) })
	events, _ := client.CoreV1().Events("").List(ctx, metav1.ListOptions{})
	if evErr == nil || !strings.Contains(evErr.Error(), "limit of 100 events") || len(events.Items) > 100 {
		t.Fatalf("%d Events, then %v", len(events.Items), evErr)
	}
	t.Logf("Events: %d in the sandbox at the refusal (limit 100)", len(events.Items))
	// Namespaces: exactly 10, the 5 already there included: no more (without
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

// A learner's namespaces hold only what they and Kubernetes make: listing
// every namespaced resource type in a fresh namespace and in default finds
// nothing of kubelab's, by name, label or annotation.
func TestNoKubelabObjectsInLearnerNamespaces(t *testing.T) {
	c := testcluster.New(t)
	ctx := context.Background()
	c.MustKubectl(t, "create", "namespace", "learner-fresh")
	// What controllers add to a new namespace (its ServiceAccount and
	// kube-root-ca.crt) is there first.
	waitFor(t, 10*time.Second, "the namespace's own objects", func() (bool, string) {
		_, e1 := c.Client.CoreV1().ConfigMaps("learner-fresh").Get(ctx, "kube-root-ca.crt", metav1.GetOptions{})
		_, e2 := c.Client.CoreV1().ServiceAccounts("learner-fresh").Get(ctx, "default", metav1.GetOptions{})
		return e1 == nil && e2 == nil, fmt.Sprint(e1, e2)
	})
	time.Sleep(2 * time.Second) // anything the sandbox would add on a new namespace
	dc, err := discovery.NewDiscoveryClientForConfig(c.REST)
	if err != nil {
		t.Fatal(err)
	}
	lists, err := dc.ServerPreferredNamespacedResources()
	if err != nil {
		t.Fatal(err)
	}
	md, err := metadata.NewForConfig(c.REST)
	if err != nil {
		t.Fatal(err)
	}
	kubelab := func(s string) bool { return strings.Contains(strings.ToLower(s), "kubelab") }
	types, objects := 0, 0
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range l.APIResources {
			if !slices.Contains(r.Verbs, "list") {
				continue
			}
			types++
			for _, ns := range []string{"learner-fresh", "default"} {
				got, err := md.Resource(gv.WithResource(r.Name)).Namespace(ns).List(ctx, metav1.ListOptions{})
				if err != nil {
					t.Fatalf("list %s in %s: %v", r.Name, ns, err)
				}
				for _, o := range got.Items {
					objects++
					found := kubelab(o.Name)
					for k, v := range o.Labels {
						found = found || kubelab(k) || kubelab(v)
					}
					for k, v := range o.Annotations {
						found = found || kubelab(k) || kubelab(v)
					}
					if found {
						t.Errorf("%s %s/%s is kubelab's: labels %v, annotations %v", r.Name, ns, o.Name, o.Labels, o.Annotations)
					}
				}
			}
		}
	}
	if types < 20 || objects < 5 {
		t.Fatalf("listed %d resource types and %d objects: discovery missed most", types, objects)
	}
	t.Logf("%d namespaced resource types, %d objects in learner-fresh and default: none of kubelab's", types, objects)
}

// A sandbox made when the limits were objects in the cluster loses them when
// it is resumed: its namespaces' ResourceQuota, the policy that guarded it,
// the policy's binding and ConfigMap.
func TestResumedSandboxLosesOldLimitObjects(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	c, err := testcluster.Start(ctx, testcluster.Binary(t), dir)
	if err != nil {
		t.Fatal(err)
	}
	c.MustKubectl(t, "create", "namespace", "old")
	managed := map[string]string{"app.kubernetes.io/managed-by": "kubelab"}
	for _, ns := range []string{"old", "default"} {
		if _, err := c.Client.CoreV1().ResourceQuotas(ns).Create(ctx, &corev1.ResourceQuota{
			ObjectMeta: metav1.ObjectMeta{Name: limitName, Labels: managed},
			Spec:       corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{"count/configmaps": resource.MustParse("200")}},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// A learner's own quota stays.
	c.MustKubectl(t, "create", "quota", "mine", "-n", "old", "--hard=pods=10")
	if _, err := c.Client.CoreV1().ConfigMaps("kube-system").Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: limitName, Labels: managed}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	api := c.Client.AdmissionregistrationV1()
	if _, err := api.ValidatingAdmissionPolicies().Create(ctx, &admissionv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: limitName, Labels: managed},
		Spec: admissionv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &admissionv1.MatchResources{ResourceRules: []admissionv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionv1.RuleWithOperations{Operations: []admissionv1.OperationType{admissionv1.Delete},
					Rule: admissionv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"resourcequotas"}}}}}},
			Validations: []admissionv1.Validation{{Expression: "request.userInfo.username == 'kubelab:node-simulator'"}},
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.ValidatingAdmissionPolicyBindings().Create(ctx, &admissionv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: limitName, Labels: managed},
		Spec: admissionv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: limitName,
			ValidationActions: []admissionv1.ValidationAction{admissionv1.Deny}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	c, err = testcluster.Start(ctx, testcluster.Binary(t), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	for _, args := range [][]string{
		{"get", "resourcequota", "-A", "-o", "name"},
		{"get", "validatingadmissionpolicies,validatingadmissionpolicybindings", "-o", "name"},
		{"get", "configmap", limitName, "-n", "kube-system", "--ignore-not-found", "-o", "name"},
	} {
		want := ""
		if args[1] == "resourcequota" {
			want = "resourcequota/mine"
		}
		if out := c.MustKubectl(t, args...); strings.TrimSpace(out) != want {
			t.Errorf("after resuming, kubectl %s: %q, want %q", strings.Join(args, " "), out, want)
		}
	}
}
