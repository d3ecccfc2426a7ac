package remote

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"

	"github.com/kubelab/kubelab/internal/testcluster"
	"github.com/kubelab/kubelab/sandbox"
)

// shared is a real embedded sandbox standing in for the existing cluster
// (an EKS cluster in production).
var shared *testcluster.Cluster

func TestMain(m *testing.M) { testcluster.Main(m, &shared) }

func newBackend(t *testing.T, opts Options) *Backend {
	t.Helper()
	opts.Kubeconfig = shared.Kubeconfig
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	b, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	return b
}

func acquire(t *testing.T, b *Backend, name string) (*sandbox.Sandbox, kubernetes.Interface) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sb, err := b.Acquire(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	c, err := kubernetes.NewForConfig(sb.REST)
	if err != nil {
		t.Fatal(err)
	}
	return sb, c
}

func mustForbid(t *testing.T, what string, err error) {
	t.Helper()
	if !apierrors.IsForbidden(err) {
		t.Errorf("%s: got %v, want Forbidden", what, err)
	}
}

func kubectlAs(t *testing.T, kubeconfig string, args ...string) (string, error) {
	t.Helper()
	c := *shared
	c.Kubeconfig = kubeconfig
	return c.Kubectl(t, args...)
}

func deployment(name string, replicas int32) *appsv1.Deployment {
	l := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: l},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: l},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27"}}},
			},
		},
	}
}

func pod(name string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox:1.36", Command: []string{"sleep", "3600"}}}}}
}

func TestLearnersAreIsolated(t *testing.T) {
	b := newBackend(t, Options{NamespacePrefix: "kubelab-"})
	ctx := context.Background()
	a, ac := acquire(t, b, "alice")
	bob, bc := acquire(t, b, "bob")
	t.Logf("ready in %s (alice), %s (bob)", a.Ready, bob.Ready)

	if a.Namespace != "kubelab-alice" || a.Backend != "remote" || a.RealContainers {
		t.Errorf("sandbox = %+v (an embedded cluster's nodes are simulated)", a)
	}
	// The kubeconfig's context defaults to the learner's namespace.
	raw, err := clientcmd.LoadFromFile(a.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if ns := raw.Contexts[raw.CurrentContext].Namespace; ns != "kubelab-alice" {
		t.Errorf("kubeconfig namespace %q", ns)
	}

	// Alice works in her namespace.
	if _, err := ac.AppsV1().Deployments(a.Namespace).Create(ctx, deployment("web", 2), metav1.CreateOptions{}); err != nil {
		t.Fatalf("alice creates a Deployment in her namespace: %v", err)
	}
	if _, err := bc.CoreV1().ConfigMaps(bob.Namespace).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "bobs"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	out, err := kubectlAs(t, a.Kubeconfig, "get", "deployments")
	if err != nil || !strings.Contains(out, "web") {
		t.Errorf("kubectl get deployments in the default namespace: %v\n%s", err, out)
	}

	// Nothing of Bob's can be read or changed by Alice.
	_, err = ac.CoreV1().Pods(bob.Namespace).List(ctx, metav1.ListOptions{})
	mustForbid(t, "alice lists pods in bob's namespace", err)
	_, err = ac.CoreV1().ConfigMaps(bob.Namespace).Get(ctx, "bobs", metav1.GetOptions{})
	mustForbid(t, "alice gets bob's ConfigMap", err)
	_, err = ac.CoreV1().ConfigMaps(bob.Namespace).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}}, metav1.CreateOptions{})
	mustForbid(t, "alice creates in bob's namespace", err)
	err = ac.CoreV1().ConfigMaps(bob.Namespace).Delete(ctx, "bobs", metav1.DeleteOptions{})
	mustForbid(t, "alice deletes bob's ConfigMap", err)
	_, err = ac.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	mustForbid(t, "alice lists pods in all namespaces", err)
	_, err = bc.AppsV1().Deployments(a.Namespace).Get(ctx, "web", metav1.GetOptions{})
	mustForbid(t, "bob gets alice's Deployment", err)
	out, err = kubectlAs(t, a.Kubeconfig, "get", "pods", "-n", bob.Namespace)
	if err == nil || !strings.Contains(out, "forbidden") {
		t.Errorf("kubectl get pods -n %s as alice: %v\n%s", bob.Namespace, err, out)
	}

	// Nothing cluster-scoped can be made; the namespace's guards stay.
	_, err = ac.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "my-ns"}}, metav1.CreateOptions{})
	mustForbid(t, "alice creates a namespace", err)
	out, err = kubectlAs(t, a.Kubeconfig, "create", "namespace", "my-ns")
	if err == nil || !strings.Contains(out, `cannot create resource "namespaces"`) {
		t.Errorf("kubectl create namespace my-ns: %v\n%s", err, out)
	}
	t.Logf("kubectl create namespace my-ns, as a learner: %s", strings.TrimSpace(out))
	_, err = ac.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	mustForbid(t, "alice lists namespaces", err)
	err = ac.CoreV1().ResourceQuotas(a.Namespace).Delete(ctx, QuotaName, metav1.DeleteOptions{})
	mustForbid(t, "alice deletes her quota", err)
	err = ac.CoreV1().LimitRanges(a.Namespace).Delete(ctx, LimitRangeName, metav1.DeleteOptions{})
	mustForbid(t, "alice deletes her LimitRange", err)
	_, err = ac.CoreV1().Namespaces().Patch(ctx, a.Namespace, "application/merge-patch+json",
		[]byte(`{"metadata":{"labels":{"pod-security.kubernetes.io/enforce":"privileged"}}}`), metav1.PatchOptions{})
	mustForbid(t, "alice relaxes her namespace's Pod Security level", err)
	err = ac.CoreV1().Namespaces().Delete(ctx, bob.Namespace, metav1.DeleteOptions{})
	mustForbid(t, "alice deletes bob's namespace", err)

	// Nodes are readable, not writable.
	out, err = kubectlAs(t, a.Kubeconfig, "get", "nodes", "-L", "topology.kubernetes.io/zone")
	if err != nil || strings.Count(out, "us-east-1") != 3 {
		t.Errorf("kubectl get nodes as a learner: %v\n%s", err, out)
	}
	out, err = kubectlAs(t, a.Kubeconfig, "taint", "nodes", "-l", "node.kubernetes.io/instance-type=m5.large", "spot=true:NoSchedule")
	if err == nil || !strings.Contains(out, "forbidden") {
		t.Errorf("kubectl taint nodes as a learner: %v\n%s", err, out)
	}
	out, err = kubectlAs(t, a.Kubeconfig, "describe", "nodes", "-l", "node.kubernetes.io/instance-type=m5.large")
	if err != nil || !strings.Contains(out, "Capacity:") {
		t.Errorf("kubectl describe nodes as a learner: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"get", "pods", "-A"}, {"get", "pv"}, {"get", "namespaces"}, {"get", "crd"}} {
		if out, err := kubectlAs(t, a.Kubeconfig, args...); err == nil || !strings.Contains(out, "forbidden") {
			t.Errorf("kubectl %s as a learner: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	if _, err := ac.StorageV1().StorageClasses().Get(ctx, "gp2", metav1.GetOptions{}); err != nil {
		t.Errorf("read storage class gp2: %v", err)
	}

	// Pod Security (baseline) keeps Pods off the node.
	priv := pod("root")
	priv.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: ptr.To(true)}
	if _, err := ac.CoreV1().Pods(a.Namespace).Create(ctx, priv, metav1.CreateOptions{}); err == nil ||
		!strings.Contains(err.Error(), "violates PodSecurity") {
		t.Errorf("privileged Pod: %v, want a PodSecurity refusal", err)
	}
	hostPath := pod("hostpath")
	hostPath.Spec.Volumes = []corev1.Volume{{Name: "h", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}
	if _, err := ac.CoreV1().Pods(a.Namespace).Create(ctx, hostPath, metav1.CreateOptions{}); err == nil {
		t.Error("hostPath Pod admitted")
	}

	// The Deployment's Pods run, with the LimitRange's default requests.
	deadline := time.Now().Add(30 * time.Second)
	for {
		pods, err := ac.CoreV1().Pods(a.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
		if err != nil {
			t.Fatal(err)
		}
		running := 0
		for _, p := range pods.Items {
			if p.Status.Phase == corev1.PodRunning {
				running++
			}
			if r := p.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU]; r.String() != "50m" {
				t.Fatalf("pod %s cpu request %s, want the LimitRange's 50m", p.Name, r.String())
			}
		}
		if running == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 2 pods running after 30s", running)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// A NetworkPolicy admits only the namespace's own Pods.
	np, err := ac.NetworkingV1().NetworkPolicies(a.Namespace).Get(ctx, NetworkPolicyName, metav1.GetOptions{})
	if err != nil || len(np.Spec.Ingress) != 1 || np.Spec.Ingress[0].From[0].NamespaceSelector != nil {
		t.Errorf("network policy: %+v, %v", np, err)
	}
	for _, l := range []string{"alice", "bob"} {
		if err := b.Delete(ctx, l); err != nil {
			t.Error(err)
		}
	}
}

func TestQuotaHolds(t *testing.T) {
	b := newBackend(t, Options{NamespacePrefix: "kq-", Quota: Quota{Pods: 3, CPU: resource.MustParse("1")}})
	sb, c := acquire(t, b, "carol")
	ctx := context.Background()
	t.Cleanup(func() { _ = b.Delete(ctx, "carol") })
	for i := 1; i <= 3; i++ {
		if _, err := c.CoreV1().Pods(sb.Namespace).Create(ctx, pod(fmt.Sprintf("p%d", i)), metav1.CreateOptions{}); err != nil {
			t.Fatalf("pod %d of a quota of 3: %v", i, err)
		}
	}
	_, err := c.CoreV1().Pods(sb.Namespace).Create(ctx, pod("p4"), metav1.CreateOptions{})
	if err == nil || !strings.Contains(err.Error(), "exceeded quota") {
		t.Errorf("4th pod of a quota of 3: %v, want exceeded quota", err)
	}
	// A Deployment past the quota gets no more Pods than the quota allows.
	if _, err := c.AppsV1().Deployments(sb.Namespace).Create(ctx, deployment("many", 5), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	pods, err := c.CoreV1().Pods(sb.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil || len(pods.Items) != 3 {
		t.Errorf("%d pods in a namespace with a quota of 3 (%v)", len(pods.Items), err)
	}
	// Too much CPU, and Services that open node ports or cost a load balancer.
	for _, p := range []string{"p1", "p2"} {
		_ = c.CoreV1().Pods(sb.Namespace).Delete(ctx, p, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)})
	}
	big := pod("too-big")
	big.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("64")}
	if _, err := c.CoreV1().Pods(sb.Namespace).Create(ctx, big, metav1.CreateOptions{}); err == nil || !strings.Contains(err.Error(), "exceeded quota") {
		t.Errorf("64-CPU pod: %v, want exceeded quota", err)
	}
	for _, typ := range []corev1.ServiceType{corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer} {
		svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: strings.ToLower(string(typ))}, Spec: corev1.ServiceSpec{
			Type: typ, Selector: map[string]string{"app": "x"}, Ports: []corev1.ServicePort{{Port: 80}}}}
		if _, err := c.CoreV1().Services(sb.Namespace).Create(ctx, svc, metav1.CreateOptions{}); err == nil || !strings.Contains(err.Error(), "exceeded quota") {
			t.Errorf("%s Service: %v, want exceeded quota", typ, err)
		}
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: corev1.ServiceSpec{
		Selector: map[string]string{"app": "x"}, Ports: []corev1.ServicePort{{Port: 80}}}}
	if _, err := c.CoreV1().Services(sb.Namespace).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Errorf("ClusterIP Service: %v", err)
	}
}

func TestDeleteRemovesTheNamespace(t *testing.T) {
	b := newBackend(t, Options{NamespacePrefix: "kd-"})
	ctx := context.Background()
	sb, c := acquire(t, b, "dave")
	other, _ := acquire(t, b, "erin")
	if _, err := c.AppsV1().Deployments(sb.Namespace).Create(ctx, deployment("web", 1), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// `sleep` as PID 1 ignores SIGTERM: a reset must not wait out its
	// 30-second grace period.
	if _, err := c.CoreV1().Pods(sb.Namespace).Create(ctx, pod("sleeper"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "sleeper running", func() bool {
		p, err := c.CoreV1().Pods(sb.Namespace).Get(ctx, "sleeper", metav1.GetOptions{})
		return err == nil && p.Status.Phase == corev1.PodRunning
	})
	start := time.Now()
	if err := b.Delete(ctx, "dave"); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	t.Logf("namespace deleted in %s", took.Round(time.Millisecond))
	if took > 25*time.Second {
		t.Errorf("Delete took %s: it waited for the Pods' grace period", took)
	}
	if _, err := shared.Client.CoreV1().Namespaces().Get(ctx, sb.Namespace, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("namespace after Delete: %v", err)
	}
	if _, err := shared.Client.RbacV1().ClusterRoleBindings().Get(ctx, "kd:dave", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("cluster role binding after Delete: %v", err)
	}
	if _, err := os.Stat(b.dir("dave")); !os.IsNotExist(err) {
		t.Errorf("directory after Delete: %v", err)
	}
	waitStatus(t, b, "dave", func(_ sandbox.Status, err error) bool { return errors.Is(err, sandbox.ErrNotFound) })
	if st, err := b.Status("erin"); err != nil || st.State != sandbox.StateReady {
		t.Errorf("the other learner after Delete: %+v %v", st, err)
	}
	// The old token no longer works; a reset gives a fresh, empty namespace.
	if _, err := c.CoreV1().ConfigMaps(sb.Namespace).List(ctx, metav1.ListOptions{}); err == nil {
		t.Error("the deleted sandbox's token still works")
	}
	sb2, c2 := acquire(t, b, "dave")
	if d, err := c2.AppsV1().Deployments(sb2.Namespace).List(ctx, metav1.ListOptions{}); err != nil || len(d.Items) != 0 {
		t.Errorf("after a reset: %v deployments, %v", d, err)
	}
	if err := b.Delete(ctx, "nobody"); err != nil {
		t.Errorf("Delete of an unknown sandbox: %v", err)
	}
	for _, l := range []string{"dave", other.Name} {
		_ = b.Delete(ctx, l)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func waitStatus(t *testing.T, b *Backend, name string, ok func(sandbox.Status, error) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := b.Status(name)
		if ok(st, err) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("status of %s: %+v, %v", name, st, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// jwtClaims decodes a token's claims (no verification: the API server did).
func jwtClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	data, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(data, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

func kubeconfigToken(t *testing.T, path string) string {
	t.Helper()
	raw, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return raw.AuthInfos[raw.Contexts[raw.CurrentContext].AuthInfo].Token
}

func TestTokensAreBoundedAndRenewed(t *testing.T) {
	refreshEvery = 100 * time.Millisecond
	defer func() { refreshEvery = 0 }()
	b := newBackend(t, Options{NamespacePrefix: "kt-", TokenTTL: 20 * time.Minute})
	ctx := context.Background()
	t.Cleanup(func() { _ = b.Delete(ctx, "frank") })
	sb, _ := acquire(t, b, "frank")
	tok1 := kubeconfigToken(t, sb.Kubeconfig)
	claims := jwtClaims(t, tok1)
	life := claims["exp"].(float64) - claims["iat"].(float64)
	if life != (20 * time.Minute).Seconds() {
		t.Errorf("token lifetime %vs, want 1200s", life)
	}
	if claims["sub"] != "system:serviceaccount:kt-frank:learner" {
		t.Errorf("token subject %v", claims["sub"])
	}
	file, _ := os.ReadFile(sb.REST.BearerTokenFile)
	if string(file) != tok1 {
		t.Error("token file and kubeconfig disagree")
	}
	time.Sleep(1100 * time.Millisecond) // tokens are issued to the second
	sb2, _ := acquire(t, b, "frank")
	tok2 := kubeconfigToken(t, sb2.Kubeconfig)
	if tok2 == tok1 {
		t.Error("Acquire did not renew the token")
	}
	// Tokens close to expiry are renewed in the background.
	b.mu.Lock()
	b.expiry["frank"] = time.Now().Add(time.Minute)
	b.mu.Unlock()
	if got := due(map[string]time.Time{"frank": time.Now().Add(time.Minute), "gina": time.Now().Add(19 * time.Minute)}, time.Now(), 20*time.Minute); len(got) != 1 || got[0] != "frank" {
		t.Errorf("due = %v", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for kubeconfigToken(t, sb2.Kubeconfig) == tok2 {
		if time.Now().After(deadline) {
			t.Fatal("token not renewed in the background")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, err := New(Options{Kubeconfig: shared.Kubeconfig, Dir: t.TempDir(), TokenTTL: time.Minute}); err == nil {
		t.Error("a token lifetime under 10 minutes was accepted")
	}
}

func TestRestartedServerFindsItsSandboxesAndCapacity(t *testing.T) {
	dir := t.TempDir()
	b1 := newBackend(t, Options{NamespacePrefix: "kr-", Dir: dir})
	p1 := sandbox.NewProvider(b1, sandbox.WithMaxRunning(2))
	ctx := context.Background()
	t.Cleanup(func() {
		for _, l := range []string{"gina", "hugo"} {
			_ = b1.Delete(ctx, l)
		}
	})
	acquire(t, b1, "gina")
	acquire(t, b1, "hugo")
	if _, err := p1.Acquire(ctx, "ivan"); !errors.Is(err, sandbox.ErrCapacity) {
		t.Errorf("third sandbox of a cap of 2: %v, want ErrCapacity", err)
	}
	if _, err := p1.Acquire(ctx, "gina"); err != nil {
		t.Errorf("a running sandbox at the cap: %v", err)
	}
	if err := b1.Stop(ctx, "gina"); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if _, err := shared.Client.CoreV1().Namespaces().Get(ctx, "kr-gina", metav1.GetOptions{}); err != nil {
		t.Errorf("Stop removed the namespace: %v", err)
	}
	if err := b1.Stop(ctx, "nobody"); !errors.Is(err, sandbox.ErrNotFound) {
		t.Errorf("Stop of an unknown sandbox: %v", err)
	}
	// A namespace of the same name not made by kubelab is left alone.
	if _, err := shared.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kr-zed"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = shared.Client.CoreV1().Namespaces().Delete(ctx, "kr-zed", metav1.DeleteOptions{}) })
	if err := b1.Delete(ctx, "zed"); err == nil {
		t.Error("Delete removed a namespace kubelab did not make")
	}
	if err := b1.Close(ctx); err != nil {
		t.Fatal(err)
	}
	b2 := newBackend(t, Options{NamespacePrefix: "kr-", Dir: dir})
	list := b2.List()
	if len(list) != 2 || list[0].Name != "gina" || list[1].Name != "hugo" || list[0].State != sandbox.StateReady {
		t.Errorf("restarted server lists %+v", list)
	}
	// The namespaces of the earlier run count towards the cap.
	if _, err := sandbox.NewProvider(b2, sandbox.WithMaxRunning(2)).Acquire(ctx, "ivan"); !errors.Is(err, sandbox.ErrCapacity) {
		t.Errorf("restarted server at its cap of 2: %v, want ErrCapacity", err)
	}
	if _, err := b2.Acquire(ctx, "zed"); err == nil || !strings.Contains(err.Error(), "not kubelab's") {
		t.Errorf("Acquire over a foreign namespace: %v", err)
	}
	other := newBackend(t, Options{NamespacePrefix: "ko-"})
	if l := other.List(); len(l) != 0 {
		t.Errorf("a server with another prefix lists %+v", l)
	}
}

func TestObjects(t *testing.T) {
	q := Quota{Pods: 7}.withDefaults()
	if q.Pods != 7 || q.CPU.String() != "2" || q.Objects != 50 {
		t.Errorf("quota defaults: %+v", q)
	}
	rq := quotaObject("ns", "l", q)
	for _, k := range []corev1.ResourceName{"pods", "requests.cpu", "requests.memory", "requests.storage", "count/deployments.apps", "services.nodeports"} {
		if _, ok := rq.Spec.Hard[k]; !ok {
			t.Errorf("quota lacks %s", k)
		}
	}
	ns := namespaceObject("kubelab-l", "l")
	if ns.Labels["pod-security.kubernetes.io/enforce"] != "baseline" || ns.Labels[LabelSandbox] != "l" {
		t.Errorf("namespace labels %v", ns.Labels)
	}
	role := clusterViewRole("r", false)
	for _, r := range role.Rules {
		for _, v := range r.Verbs {
			if v != "get" && v != "list" && v != "watch" {
				t.Errorf("cluster role grants %s", v)
			}
		}
		for _, res := range r.Resources {
			if res == "namespaces" {
				t.Error("namespaces listed without ListNamespaces")
			}
		}
	}
	for _, p := range []string{"NoDash", "nodash", "-x-", strings.Repeat("a", 23) + "-"} {
		if _, err := New(Options{Kubeconfig: "x", Dir: t.TempDir(), NamespacePrefix: p}); err == nil || !strings.Contains(err.Error(), "prefix") {
			t.Errorf("prefix %q: %v", p, err)
		}
	}
	if !prefixRe.MatchString(strings.Repeat("a", 22)+"-") || len(strings.Repeat("a", 22)+"-"+strings.Repeat("b", 40)) != 63 {
		t.Error("the longest prefix must be accepted and leave room for 40 characters")
	}
}

// sandboxRSS returns the resident memory of the process serving the
// shared cluster, in KiB.
func sandboxRSS(t *testing.T) int {
	t.Helper()
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		cmdline, err := os.ReadFile("/proc/" + p.Name() + "/cmdline")
		if err != nil || !strings.Contains(string(cmdline), shared.Dir) || !strings.Contains(string(cmdline), "sandbox") {
			continue
		}
		status, _ := os.ReadFile("/proc/" + p.Name() + "/status")
		for _, l := range strings.Split(string(status), "\n") {
			var kb int
			if _, err := fmt.Sscanf(l, "VmRSS: %d kB", &kb); err == nil {
				return kb
			}
		}
	}
	t.Fatal("sandbox process not found")
	return 0
}

// TestMeasure reports what a sandbox costs: time to ready, the API
// objects stored per learner and the cluster's memory per learner. Run it
// with KUBELAB_MEASURE=1 (it makes 50 sandboxes).
func TestMeasure(t *testing.T) {
	if os.Getenv("KUBELAB_MEASURE") == "" {
		t.Skip("set KUBELAB_MEASURE=1 to measure the cost of remote sandboxes")
	}
	const n = 50
	b := newBackend(t, Options{NamespacePrefix: "km-"})
	ctx := context.Background()
	time.Sleep(5 * time.Second)
	before := sandboxRSS(t)
	var times []time.Duration
	for i := range n {
		start := time.Now()
		if _, err := b.Acquire(ctx, fmt.Sprintf("m%02d", i)); err != nil {
			t.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	time.Sleep(10 * time.Second)
	after := sandboxRSS(t)
	again := time.Now()
	for i := range n {
		if _, err := b.Acquire(ctx, fmt.Sprintf("m%02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("embedded sandbox standing in for the cluster: ready in %s, %d MiB resident before the test's sandboxes", shared.Ready, before/1024)
	t.Logf("Acquire of an existing sandbox (objects checked, new token): %s on average", (time.Since(again) / n).Round(time.Millisecond))
	slices := append([]time.Duration(nil), times...)
	for i := range slices {
		for j := i + 1; j < len(slices); j++ {
			if slices[j] < slices[i] {
				slices[i], slices[j] = slices[j], slices[i]
			}
		}
	}
	t.Logf("time to a ready sandbox over %d: min %s, median %s, max %s (first %s)", n,
		slices[0].Round(time.Millisecond), slices[n/2].Round(time.Millisecond), slices[n-1].Round(time.Millisecond), times[0].Round(time.Millisecond))
	t.Logf("cluster memory (API server + etcd + controllers): %d MiB before, %d MiB after %d sandboxes: %.0f KiB per learner",
		before/1024, after/1024, n, float64(after-before)/n)

	// The stored objects of one learner.
	c := shared.Client
	ns := "km-m00"
	size := func(o any) int { data, _ := json.Marshal(o); return len(data) }
	total, count := 0, 0
	add := func(o any, err error) {
		if err != nil {
			t.Fatal(err)
		}
		total += size(o)
		count++
	}
	add(c.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}))
	add(c.RbacV1().ClusterRoleBindings().Get(ctx, "km:m00", metav1.GetOptions{}))
	sas, err := c.CoreV1().ServiceAccounts(ns).List(ctx, metav1.ListOptions{})
	for _, o := range sas.Items {
		add(o, err)
	}
	cms, err := c.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	for _, o := range cms.Items {
		add(o, err)
	}
	rbs, err := c.RbacV1().RoleBindings(ns).List(ctx, metav1.ListOptions{})
	for _, o := range rbs.Items {
		add(o, err)
	}
	add(c.CoreV1().ResourceQuotas(ns).Get(ctx, QuotaName, metav1.GetOptions{}))
	add(c.CoreV1().LimitRanges(ns).Get(ctx, LimitRangeName, metav1.GetOptions{}))
	add(c.NetworkingV1().NetworkPolicies(ns).Get(ctx, NetworkPolicyName, metav1.GetOptions{}))
	t.Logf("objects per learner: %d, %.1f KiB as JSON", count, float64(total)/1024)

	start := time.Now()
	errs := make(chan error, n)
	for i := range n {
		go func() { errs <- b.Delete(ctx, fmt.Sprintf("m%02d", i)) }()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	t.Logf("%d sandboxes deleted in parallel in %s", n, time.Since(start).Round(time.Millisecond))
}
