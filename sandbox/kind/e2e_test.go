package kind

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	kindcluster "sigs.k8s.io/kind/pkg/cluster"

	"github.com/kubelab/kubelab/sandbox"
)

// requireDocker skips the test unless a Docker engine answers.
func requireDocker(t *testing.T) {
	t.Helper()
	out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		if msg == "" {
			msg = err.Error()
		}
		t.Skipf("kind backend: no Docker engine here (docker info failed: %s)", msg)
	}
}

// TestEndToEnd makes one real kind cluster, checks that its nodes carry
// the embedded topology's labels and that gp2 is the default class, then
// deletes it.
func TestEndToEnd(t *testing.T) {
	requireDocker(t)
	if testing.Short() {
		t.Skip("kind backend: end-to-end test skipped in -short mode (it makes a 4-node cluster)")
	}
	dir := t.TempDir()
	prefix, err := LoadPrefix(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(Options{Prefix: prefix, Dir: dir, Provider: kindcluster.ProviderWithDocker(), DeleteOnClose: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		_ = b.Close(ctx)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	sb, err := b.Acquire(ctx, "e2e")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cluster ready in %s", sb.Ready)
	if !sb.RealContainers || sb.Backend != "kind" {
		t.Errorf("sandbox = %+v", sb)
	}
	client, err := kubernetes.NewForConfig(sb.REST)
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	workers := map[string]string{} // instance type -> zone
	for _, n := range nodes.Items {
		l := n.Labels
		if l[LabelRegion] != "us-east-1" || l[LabelZone] == "" || l[LabelInstanceType] == "" {
			t.Errorf("node %s lacks topology labels: %v", n.Name, l)
		}
		if l[LabelInstanceType] != ControlPlaneInstanceType {
			workers[l[LabelInstanceType]] = l[LabelZone]
		}
	}
	want := map[string]string{"m5.large": "us-east-1a", "r4.large": "us-east-1a", "r4.xlarge": "us-east-1b"}
	if len(nodes.Items) != 4 || len(workers) != 3 {
		t.Errorf("%d nodes, workers %v; want a control plane and 3 workers", len(nodes.Items), workers)
	}
	for it, zone := range want {
		if workers[it] != zone {
			t.Errorf("worker %s in zone %q, want %s", it, workers[it], zone)
		}
	}
	sc, err := client.StorageV1().StorageClasses().Get(ctx, "gp2", metav1.GetOptions{})
	if err != nil || sc.Annotations[annDefaultClass] != "true" {
		t.Errorf("gp2 storage class: %v %v", sc, err)
	}
	if err := b.Delete(ctx, "e2e"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Status("e2e"); !errors.Is(err, sandbox.ErrNotFound) {
		t.Errorf("Status after Delete: %v", err)
	}
	clusters, _ := kindcluster.NewProvider(kindcluster.ProviderWithDocker()).List()
	for _, c := range clusters {
		if ownsCluster(prefix, c) {
			t.Errorf("cluster %s left after Delete", c)
		}
	}
}

// TestNewWithoutAnEngine checks that a server without a running engine is
// told so at start, not at a learner's first visit.
func TestNewWithoutAnEngine(t *testing.T) {
	if exec.Command("docker", "info").Run() == nil {
		t.Skip("kind backend: a Docker engine runs here")
	}
	for _, p := range []kindcluster.ProviderOption{nil, kindcluster.ProviderWithDocker()} {
		_, err := New(Options{Prefix: "x1", Dir: t.TempDir(), Provider: p})
		if err == nil || !(strings.Contains(err.Error(), "is the container engine running?") || strings.Contains(err.Error(), "no container engine found")) {
			t.Errorf("New without an engine: %v", err)
		} else {
			t.Logf("New without an engine: %v", err)
		}
	}
}
