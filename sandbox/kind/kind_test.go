package kind

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	kindcluster "sigs.k8s.io/kind/pkg/cluster"
	"sigs.k8s.io/yaml"

	"github.com/kubelab/kubelab/sandbox"
	"github.com/kubelab/kubelab/sandbox/topology"
)

func TestClusterName(t *testing.T) {
	name, err := ClusterName("a1b2c3", "alice")
	if err != nil || name != "kubelab-a1b2c3-alice" {
		t.Fatalf("ClusterName = %q, %v; want kubelab-a1b2c3-alice", name, err)
	}
	long1 := strings.Repeat("x", 36) + "-one"
	long2 := strings.Repeat("x", 36) + "-two"
	n1, err1 := ClusterName("a1b2c3", long1)
	n2, err2 := ClusterName("a1b2c3", long2)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if n1 == n2 {
		t.Errorf("two long learner names share cluster %s", n1)
	}
	for _, n := range []string{n1, n2} {
		if len(n) != MaxClusterName {
			t.Errorf("%s: %d characters, want exactly %d", n, len(n), MaxClusterName)
		}
	}
	// The longest whole name stays shorter than any cut name.
	budget := MaxClusterName - len("kubelab-a1b2c3-")
	whole, _ := ClusterName("a1b2c3", strings.Repeat("y", budget-1))
	if len(whole) != MaxClusterName-1 || !strings.HasSuffix(whole, strings.Repeat("y", budget-1)) {
		t.Errorf("whole name %s", whole)
	}
	cut, _ := ClusterName("a1b2c3", strings.Repeat("y", budget))
	if cut == "kubelab-a1b2c3-"+strings.Repeat("y", budget) || len(cut) != MaxClusterName {
		t.Errorf("a name of exactly the budget must be cut and hashed: %s", cut)
	}
	// Every name is one kind accepts, with the longest prefix and learner.
	kindRe := regexp.MustCompile(`^[a-z0-9.-]+$`)
	for _, learner := range []string{"a", "learner-7", strings.Repeat("z", 40), "a-" + strings.Repeat("b", 38)} {
		for _, prefix := range []string{"p", "abcdefghijkl"} {
			n, err := ClusterName(prefix, learner)
			if err != nil {
				t.Fatal(err)
			}
			if len(n) > MaxClusterName || !kindRe.MatchString(n) || !ownsCluster(prefix, n) {
				t.Errorf("ClusterName(%q, %q) = %q: not a valid cluster name of this prefix", prefix, learner, n)
			}
		}
	}
	for _, bad := range []struct{ prefix, learner string }{
		{"", "alice"}, {"a-b", "alice"}, {"ABC", "alice"}, {"abcdefghijklm", "alice"},
		{"abc", "Alice"}, {"abc", ""}, {"abc", "-x"}, {"abc", strings.Repeat("x", 41)},
	} {
		if _, err := ClusterName(bad.prefix, bad.learner); err == nil {
			t.Errorf("ClusterName(%q, %q) accepted", bad.prefix, bad.learner)
		}
	}
}

func TestOwnsCluster(t *testing.T) {
	for _, c := range []struct {
		prefix, cluster string
		want            bool
	}{
		{"abc", "kubelab-abc-alice", true},
		{"abc", "kubelab-abc-", false},
		{"abc", "kubelab-abcd-alice", false},
		{"ab", "kubelab-abc-alice", false},
		{"abc", "kind", false},
		{"abc", "kubelab-xyz-alice", false},
	} {
		if got := ownsCluster(c.prefix, c.cluster); got != c.want {
			t.Errorf("ownsCluster(%q, %q) = %v, want %v", c.prefix, c.cluster, got, c.want)
		}
	}
}

func TestLoadPrefix(t *testing.T) {
	dir := t.TempDir()
	p1, err := LoadPrefix(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidPrefix(p1); err != nil || len(p1) != 6 {
		t.Fatalf("new prefix %q: %v", p1, err)
	}
	p2, err := LoadPrefix(dir)
	if err != nil || p2 != p1 {
		t.Fatalf("prefix not kept: %q then %q (%v)", p1, p2, err)
	}
	other, _ := LoadPrefix(t.TempDir())
	if other == p1 {
		t.Errorf("two data directories got the same prefix %q", p1)
	}
	if err := os.WriteFile(filepath.Join(dir, "prefix"), []byte("Not-Valid\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPrefix(dir); err == nil {
		t.Error("a damaged prefix file was accepted")
	}
}

func TestClusterConfigMatchesTheEmbeddedTopology(t *testing.T) {
	topo, err := topology.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg := ClusterConfig(topo)
	if len(cfg.Nodes) != 1+len(topo.Nodes) || len(topo.Nodes) != 3 {
		t.Fatalf("%d kind nodes for %d topology nodes; want 1 control plane + 3 workers", len(cfg.Nodes), len(topo.Nodes))
	}
	cp := cfg.Nodes[0]
	if cp.Role != v1alpha4.ControlPlaneRole || cp.Labels[LabelRegion] != "us-east-1" || cp.Labels[LabelZone] != "us-east-1a" ||
		cp.Labels[LabelInstanceType] != ControlPlaneInstanceType {
		t.Errorf("control plane node: %+v", cp)
	}
	want := []struct{ zone, itype string }{
		{"us-east-1a", "m5.large"}, {"us-east-1a", "r4.large"}, {"us-east-1b", "r4.xlarge"},
	}
	for i, w := range want {
		n := cfg.Nodes[i+1]
		if n.Role != v1alpha4.WorkerRole || n.Labels[LabelZone] != w.zone || n.Labels[LabelInstanceType] != w.itype ||
			n.Labels[LabelRegion] != "us-east-1" || n.Labels[LabelNodegroup] != "kubelab-workers" {
			t.Errorf("worker %d: %v %v; want zone %s, type %s, region us-east-1", i+1, n.Role, n.Labels, w.zone, w.itype)
		}
	}
	// Every label key is one a kubelet may set on itself (NodeRestriction):
	// outside kubernetes.io and k8s.io, or on the allowed list.
	allowed := map[string]bool{LabelZone: true, LabelRegion: true, LabelInstanceType: true}
	for _, n := range cfg.Nodes {
		for k := range n.Labels {
			if (strings.Contains(k, "kubernetes.io/") || strings.Contains(k, "k8s.io/")) && !allowed[k] {
				t.Errorf("label %s would stop the kubelet from registering", k)
			}
		}
	}

	data, err := ConfigYAML(cfg)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, s := range []string{"kind: Cluster", "apiVersion: kind.x-k8s.io/v1alpha4", "role: control-plane", "role: worker",
		"labels:", "topology.kubernetes.io/zone: us-east-1b", "node.kubernetes.io/instance-type: r4.xlarge"} {
		if !strings.Contains(text, s) {
			t.Errorf("kind config lacks %q:\n%s", s, text)
		}
	}
	var back v1alpha4.Cluster
	if err := yaml.UnmarshalStrict(data, &back); err != nil {
		t.Fatalf("kind config does not decode strictly: %v", err)
	}
	if len(back.Nodes) != 4 || back.Nodes[3].Labels[LabelInstanceType] != "r4.xlarge" {
		t.Errorf("round trip lost nodes: %+v", back.Nodes)
	}
}

func TestStartupPlan(t *testing.T) {
	name := func(l string) string { n, _ := ClusterName("abc", l); return n }
	clusters := []string{
		name("alice"),               // recorded ready: adopted
		name("bob"),                 // recorded, never became ready: deleted
		name("ghost"),               // unknown to this server: deleted
		"kubelab-xyz-carol", "kind", // other servers' and the user's: untouched
	}
	recs := []record{
		{cluster: name("alice"), learner: "alice", ready: true},
		{cluster: name("bob"), learner: "bob"},
		{cluster: name("dave"), learner: "dave", ready: true},       // its cluster is gone: directory removed
		{cluster: "kubelab-old-erin", learner: "erin", ready: true}, // recorded under another prefix
		{cluster: "junk"},
	}
	adopt, del, rm := startupPlan("abc", clusters, recs)
	if len(adopt) != 1 || adopt[0].learner != "alice" {
		t.Errorf("adopt = %+v, want alice", adopt)
	}
	if !slices.Equal(del, []string{name("bob"), name("ghost")}) {
		t.Errorf("delete = %v", del)
	}
	slices.Sort(rm)
	wantRm := []string{name("bob"), name("dave"), "junk", "kubelab-old-erin"}
	slices.Sort(wantRm)
	if !slices.Equal(rm, wantRm) {
		t.Errorf("remove dirs = %v, want %v", rm, wantRm)
	}
}

// fakeEngine stands in for kind's provider: clusters are names in a set.
type fakeEngine struct {
	mu       sync.Mutex
	clusters map[string]bool
	creates  int
	deletes  []string
	failNext error
	block    chan struct{} // Create waits for it when set
}

func newFakeEngine(clusters ...string) *fakeEngine {
	f := &fakeEngine{clusters: map[string]bool{}}
	for _, c := range clusters {
		f.clusters[c] = true
	}
	return f
}

func (f *fakeEngine) Create(name string, _ ...kindcluster.CreateOption) error {
	f.mu.Lock()
	block := f.block
	f.mu.Unlock()
	if block != nil {
		<-block
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.creates++
	if err := f.failNext; err != nil {
		f.failNext = nil
		f.clusters[name] = true // half made, as kind leaves it with Retain
		return err
	}
	if f.clusters[name] {
		return fmt.Errorf("node(s) already exist for a cluster with the name %q", name)
	}
	f.clusters[name] = true
	return nil
}

func (f *fakeEngine) Delete(name, _ string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.clusters, name)
	f.deletes = append(f.deletes, name)
	return nil
}

func (f *fakeEngine) List() ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for c := range f.clusters {
		out = append(out, c)
	}
	slices.Sort(out)
	return out, nil
}

func (f *fakeEngine) KubeConfig(name string, internal bool) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.clusters[name] {
		return "", fmt.Errorf("no cluster %s", name)
	}
	host := "127.0.0.1:6443"
	if internal {
		host = name + "-control-plane:6443"
	}
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: kind-%[1]s
  cluster: {server: "https://%[2]s", insecure-skip-tls-verify: true}
users:
- name: kind-%[1]s
  user: {token: fake}
contexts:
- name: kind-%[1]s
  context: {cluster: kind-%[1]s, user: kind-%[1]s}
current-context: kind-%[1]s
`, name, host), nil
}

func (f *fakeEngine) has(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.clusters[name]
}

func noPrepare(context.Context, kubernetes.Interface, *topology.Topology) error { return nil }

func testBackend(t *testing.T, f *fakeEngine, opts Options) *Backend {
	t.Helper()
	if opts.Prefix == "" {
		opts.Prefix = "t1"
	}
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	b, err := newBackend(opts, f, noPrepare)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	return b
}

func TestAcquireDeleteAndCapacity(t *testing.T) {
	f := newFakeEngine()
	b := testBackend(t, f, Options{})
	p := sandbox.NewProvider(b, sandbox.WithMaxRunning(1))
	ctx := context.Background()
	sb, err := p.Acquire(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if sb.Name != "alice" || sb.Backend != "kind" || !sb.RealContainers || sb.Namespace != "" || sb.REST == nil {
		t.Errorf("sandbox = %+v", sb)
	}
	dir := filepath.Join(b.opts.Dir, "kubelab-t1-alice")
	if sb.Kubeconfig != filepath.Join(dir, "kubeconfig") {
		t.Errorf("kubeconfig at %s, want %s/kubeconfig", sb.Kubeconfig, dir)
	}
	if sb.REST.Host != "https://127.0.0.1:6443" {
		t.Errorf("REST host %s", sb.REST.Host)
	}
	for _, f := range []string{"kubeconfig", "kind.yaml", "learner", "ready"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("cluster directory: %v", err)
		}
	}
	if !f.has("kubelab-t1-alice") {
		t.Fatal("no cluster made")
	}
	if _, err := p.Acquire(ctx, "alice"); err != nil || f.creates != 1 {
		t.Errorf("second Acquire: %v; %d creations, want 1", err, f.creates)
	}
	if _, err := p.Acquire(ctx, "bob"); !errors.Is(err, sandbox.ErrCapacity) {
		t.Errorf("Acquire beyond the cap: %v, want ErrCapacity", err)
	}
	if _, err := p.Acquire(ctx, "Not_Valid"); err == nil {
		t.Error("invalid name accepted")
	}
	st, err := b.Status("alice")
	if err != nil || st.State != sandbox.StateReady {
		t.Errorf("Status = %+v, %v", st, err)
	}
	if err := b.Delete(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if f.has("kubelab-t1-alice") {
		t.Error("Delete left the cluster")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("Delete left the directory: %v", err)
	}
	if _, err := b.Status("alice"); !errors.Is(err, sandbox.ErrNotFound) {
		t.Errorf("Status after Delete: %v", err)
	}
	if _, err := p.Acquire(ctx, "bob"); err != nil {
		t.Errorf("capacity not freed by Delete: %v", err)
	}
}

// Two learners arriving together under a cap of one: the provider counts
// the first while its cluster is being created, so the second is refused.
func TestProviderCountsClustersBeingCreated(t *testing.T) {
	f := newFakeEngine()
	f.block = make(chan struct{})
	b := testBackend(t, f, Options{})
	p := sandbox.NewProvider(b, sandbox.WithMaxRunning(1))
	ctx := context.Background()
	first := make(chan error, 1)
	go func() {
		_, err := p.Acquire(ctx, "alice")
		first <- err
	}()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if st, err := b.Status("alice"); err == nil && st.State == sandbox.StateStarting {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := p.Acquire(ctx, "bob"); !errors.Is(err, sandbox.ErrCapacity) {
		t.Errorf("second learner while the first starts: %v, want ErrCapacity", err)
	}
	close(f.block)
	if err := <-first; err != nil {
		t.Fatalf("first learner: %v", err)
	}
}

// noticeLog records a provider's state notices.
type noticeLog struct {
	mu  sync.Mutex
	got []string
}

func (n *noticeLog) add(name string, st sandbox.State) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.got = append(n.got, name+" "+string(st))
}

func (n *noticeLog) list() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.got)
}

func TestProviderDeletesIdleClustersAndReportsVanishedOnes(t *testing.T) {
	f := newFakeEngine()
	b := testBackend(t, f, Options{})
	p := sandbox.NewProvider(b, sandbox.WithIdleTimeout(300*time.Millisecond))
	t.Cleanup(func() { _ = p.Close(context.Background()) })
	var notices noticeLog
	p.Notify(notices.add)
	ctx := context.Background()
	for _, n := range []string{"alice", "bob"} {
		if _, err := p.Acquire(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	release := p.Hold("bob") // an open page
	deadline := time.Now().Add(5 * time.Second)
	for f.has("kubelab-t1-alice") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if f.has("kubelab-t1-alice") {
		t.Fatal("idle cluster still running after 5s")
	}
	// The notice follows the backend's stop, which deletes the cluster
	// first: wait for it rather than race it.
	for len(notices.list()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if !f.has("kubelab-t1-bob") {
		t.Error("a held cluster was deleted as idle")
	}
	st, err := p.Status("alice")
	if err != nil || st.State != sandbox.StateStopped || !strings.Contains(st.Message, "without activity") {
		t.Errorf("idle alice: %+v, %v", st, err)
	}
	if got := notices.list(); !slices.Equal(got, []string{"alice stopped"}) {
		t.Errorf("notices = %v, want [alice stopped]", got)
	}
	// The next visit makes a fresh cluster.
	if _, err := p.Acquire(ctx, "alice"); err != nil || !f.has("kubelab-t1-alice") {
		t.Errorf("Acquire after idle deletion: %v", err)
	}
	if st, _ := p.Status("alice"); st.State != sandbox.StateReady || st.Message != "" {
		t.Errorf("alice after a fresh Acquire: %+v", st)
	}
	// A cluster deleted outside kubelab is noticed and reported.
	_ = f.Delete("kubelab-t1-bob", "")
	b.sweep(time.Now())
	if st, _ := p.Status("bob"); st.State != sandbox.StateStopped {
		t.Errorf("vanished cluster reported %s", st.State)
	}
	if got := notices.list(); !slices.Contains(got, "bob stopped") {
		t.Errorf("notices = %v, want bob stopped among them", got)
	}
	release()
}

func TestRestartAdoptsKnownClustersAndDeletesUnknownOnes(t *testing.T) {
	dir := t.TempDir()
	f := newFakeEngine("kubelab-t1-ghost", "kubelab-zz-other", "kind")
	b1, err := newBackend(Options{Prefix: "t1", Dir: dir}, f, noPrepare)
	if err != nil {
		t.Fatal(err)
	}
	if f.has("kubelab-t1-ghost") {
		t.Error("a cluster of this prefix unknown to the server was kept")
	}
	if !f.has("kubelab-zz-other") || !f.has("kind") {
		t.Error("clusters of another server or the user were touched")
	}
	if _, err := b1.Acquire(context.Background(), "alice"); err != nil {
		t.Fatal(err)
	}
	if err := b1.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !f.has("kubelab-t1-alice") {
		t.Fatal("Close deleted a cluster without DeleteOnClose")
	}
	if _, err := b1.Acquire(context.Background(), "alice"); err == nil {
		t.Error("Acquire on a closed backend")
	}
	b2, err := newBackend(Options{Prefix: "t1", Dir: dir}, f, noPrepare)
	if err != nil {
		t.Fatal(err)
	}
	st, err := b2.Status("alice")
	if err != nil || st.State != sandbox.StateReady {
		t.Fatalf("restarted server: alice %+v, %v", st, err)
	}
	if l := b2.List(); len(l) != 1 || l[0].Name != "alice" {
		t.Errorf("List = %+v", l)
	}
	sb, err := b2.Acquire(context.Background(), "alice")
	if err != nil || sb.Name != "alice" || f.creates != 1 {
		t.Errorf("adopted cluster: %v, %d creations", err, f.creates)
	}
	if err := b2.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	b3, err := newBackend(Options{Prefix: "t1", Dir: dir, DeleteOnClose: true}, f, noPrepare)
	if err != nil {
		t.Fatal(err)
	}
	if err := b3.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f.has("kubelab-t1-alice") {
		t.Error("DeleteOnClose kept the cluster")
	}
}

func TestFailedCreationIsCleanedAndRetried(t *testing.T) {
	f := newFakeEngine()
	f.failNext = errors.New("failed to init node with kubeadm")
	b := testBackend(t, f, Options{})
	_, err := b.Acquire(context.Background(), "alice")
	if err == nil || !strings.Contains(err.Error(), "kubeadm") {
		t.Fatalf("Acquire = %v, want the engine's error", err)
	}
	if st, _ := b.Status("alice"); st.State != sandbox.StateFailed {
		t.Errorf("state %s after a failed creation", st.State)
	}
	if f.has("kubelab-t1-alice") {
		t.Error("a half-made cluster was left")
	}
	if _, err := b.Acquire(context.Background(), "alice"); err != nil {
		t.Errorf("retry: %v", err)
	}
}

func TestStopAndDeleteWaitForCreation(t *testing.T) {
	f := newFakeEngine()
	f.block = make(chan struct{})
	b := testBackend(t, f, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := b.Acquire(ctx, "alice"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Acquire while creating: %v", err)
	}
	if st, _ := b.Status("alice"); st.State != sandbox.StateStarting {
		t.Errorf("state %s while creating", st.State)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- b.Stop(context.Background(), "alice") }()
	time.Sleep(50 * time.Millisecond)
	close(f.block)
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if f.has("kubelab-t1-alice") {
		t.Error("Stop left the cluster")
	}
	if st, _ := b.Status("alice"); st.State != sandbox.StateStopped || !strings.Contains(st.Message, "cannot pause") {
		t.Errorf("after Stop: %+v", st)
	}
	if err := b.Stop(context.Background(), "nobody"); !errors.Is(err, sandbox.ErrNotFound) {
		t.Errorf("Stop of an unknown sandbox: %v", err)
	}
}

func TestInternalKubeconfig(t *testing.T) {
	f := newFakeEngine()
	b := testBackend(t, f, Options{InternalKubeconfig: true})
	sb, err := b.Acquire(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if sb.REST.Host != "https://kubelab-t1-alice-control-plane:6443" {
		t.Errorf("internal kubeconfig host %s", sb.REST.Host)
	}
}

func readyNode(name string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{
		Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}}
}

func TestPrepareMakesGP2TheDefaultClass(t *testing.T) {
	topo, err := topology.Default()
	if err != nil {
		t.Fatal(err)
	}
	standard := &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "standard",
		Annotations: map[string]string{annDefaultClass: "true"}}, Provisioner: "rancher.io/local-path"}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: "default"}}
	c := fake.NewClientset(standard, sa, readyNode("cp"), readyNode("w1"), readyNode("w2"), readyNode("w3"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := prepareCluster(ctx, c, topo); err != nil {
		t.Fatal(err)
	}
	gp2, err := c.StorageV1().StorageClasses().Get(ctx, "gp2", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if gp2.Provisioner != "rancher.io/local-path" || gp2.Annotations[annDefaultClass] != "true" ||
		*gp2.VolumeBindingMode != storagev1.VolumeBindingWaitForFirstConsumer {
		t.Errorf("gp2 = %+v", gp2)
	}
	std, _ := c.StorageV1().StorageClasses().Get(ctx, "standard", metav1.GetOptions{})
	if std.Annotations[annDefaultClass] == "true" {
		t.Error("standard is still a default class")
	}
	// Preparing again changes nothing.
	if err := prepareCluster(ctx, c, topo); err != nil {
		t.Errorf("second prepare: %v", err)
	}
}

func TestPrepareWaitsForEveryNode(t *testing.T) {
	topo, _ := topology.Default()
	old := pollEvery
	pollEvery = 10 * time.Millisecond
	defer func() { pollEvery = old }()
	c := fake.NewClientset(readyNode("cp"), readyNode("w1"))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := prepareCluster(ctx, c, topo)
	if err == nil || !strings.Contains(err.Error(), "2 of 4 nodes ready") {
		t.Errorf("prepare with two nodes of four: %v", err)
	}
}

// BenchmarkAcquireRunning measures Acquire of a running cluster among 40,
// from the backend itself and through a Provider with a cap of 40 (which
// lists the running sandboxes to count them).
func BenchmarkAcquireRunning(b *testing.B) {
	f := newFakeEngine()
	be, err := newBackend(Options{Prefix: "t1", Dir: b.TempDir()}, f, noPrepare)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = be.Close(context.Background()) })
	ctx := context.Background()
	for i := range 40 {
		if _, err := be.Acquire(ctx, fmt.Sprintf("l%d", i)); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range []struct {
		name string
		acq  func(context.Context, string) (*sandbox.Sandbox, error)
	}{
		{"backend", be.Acquire},
		{"provider", sandbox.NewProvider(be, sandbox.WithMaxRunning(40)).Acquire},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := c.acq(ctx, "l7"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
