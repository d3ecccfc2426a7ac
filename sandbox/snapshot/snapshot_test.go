package snapshot_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubelab/kubelab/internal/testcluster"
	"github.com/kubelab/kubelab/sandbox/snapshot"
)

// keys lists a snapshot's items by resource, namespace and name.
func keys(s *snapshot.Snapshot) []string {
	out := make([]string, len(s.Items))
	for i, it := range s.Items {
		out[i] = it.Key()
	}
	return out
}

// A snapshot restored after creates, deletes, a scale, a new image and a
// ConfigMap edit gives back exactly the objects of that moment, and the
// controllers rebuild what those objects own.
func TestRestoreGivesBackTheSnapshot(t *testing.T) {
	c := testcluster.New(t)
	ctx := context.Background()
	k := func(args ...string) { t.Helper(); c.MustKubectl(t, args...) }
	k("create", "deployment", "web", "--image=nginx:1.25.1", "--replicas=2")
	k("expose", "deployment", "web", "--port=80")
	k("create", "configmap", "settings", "--from-literal=mode=blue")
	k("create", "configmap", "keep", "--from-literal=a=1")
	k("create", "namespace", "team")
	k("-n", "team", "create", "secret", "generic", "token", "--from-literal=t=x")

	cl, err := snapshot.New(c.REST, "")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	s0, err := cl.Take(ctx)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	path := filepath.Join(t.TempDir(), "step.json")
	size, err := s0.Save(path)
	if err != nil {
		t.Fatal(err)
	}
	ks := strings.Join(keys(s0), "\n")
	t.Logf("snapshot: %d objects, %d bytes, %s:\n%s", len(s0.Items), size, took, ks)
	for _, want := range []string{"apps/v1/deployments|default|web", "/v1/services|default|web", "/v1/configmaps|default|settings",
		"/v1/namespaces||team", "/v1/secrets|team|token"} {
		if !strings.Contains(ks, want) {
			t.Fatalf("snapshot lacks %s:\n%s", want, ks)
		}
	}
	for _, not := range []string{"/pods|", "replicasets|", "kube-root-ca.crt", "/v1/serviceaccounts|default|default", "|kube-system|", "events|", "/nodes|"} {
		if strings.Contains(ks, not) {
			t.Fatalf("snapshot holds %s, which the cluster made:\n%s", not, ks)
		}
	}

	// The learner goes on.
	k("create", "deployment", "extra", "--image=busybox", "--replicas=1", "--", "sleep", "3600")
	k("delete", "configmap", "keep")
	k("delete", "service", "web")
	k("scale", "deployment", "web", "--replicas=4")
	k("set", "image", "deployment/web", "nginx=nginx:1.26.0")
	k("patch", "configmap", "settings", "-p", `{"data":{"mode":"green"}}`)
	k("create", "namespace", "scratch")

	// A snapshot now, by the same client (which reads again only the
	// objects whose version changed), shows every change.
	mid, err := cl.Take(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]map[string]any{}
	for _, it := range mid.Items {
		byKey[it.Key()] = it.Object
	}
	field := func(key string, path ...string) any {
		var v any = byKey[key]
		for _, p := range path {
			m, _ := v.(map[string]any)
			v = m[p]
		}
		return v
	}
	if got := field("/v1/configmaps|default|settings", "data", "mode"); got != "green" {
		t.Fatalf("the edited ConfigMap in the next snapshot: mode %v", got)
	}
	if got := field("apps/v1/deployments|default|web", "spec", "replicas"); got != int64(4) {
		t.Fatalf("the scaled Deployment in the next snapshot: replicas %v (%T)", got, got)
	}
	if byKey["/v1/configmaps|default|keep"] != nil || byKey["/v1/services|default|web"] != nil ||
		byKey["apps/v1/deployments|default|extra"] == nil || byKey["/v1/namespaces||scratch"] == nil {
		t.Fatalf("the next snapshot's objects:\n%s", strings.Join(keys(mid), "\n"))
	}
	for _, it := range s0.Items {
		if it.Key() == "/v1/secrets|team|token" && !reflect.DeepEqual(it.Object, byKey[it.Key()]) {
			t.Fatalf("the unchanged Secret differs between two snapshots:\n%v\n%v", it.Object, byKey[it.Key()])
		}
	}

	loaded, err := snapshot.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := cl.Restore(ctx, loaded)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("restore: %+v", res)
	if res.Deleted != 2 || res.Created != 2 || res.Updated+res.Replaced != 2 {
		t.Fatalf("restore did %+v; want 2 deleted (extra, scratch), 2 created (keep, service web), 2 updated (web, settings)", res)
	}
	s1, err := cl.Take(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(keys(s0), keys(s1)) {
		t.Fatalf("objects after the restore:\n%s\nwant:\n%s", strings.Join(keys(s1), "\n"), ks)
	}
	for i := range s0.Items {
		if a, b := s0.Items[i].Object, s1.Items[i].Object; !reflect.DeepEqual(a, b) {
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			t.Fatalf("%s after the restore:\n%s\nwant:\n%s", s0.Items[i].Key(), jb, ja)
		}
	}
	// A second restore has nothing left to do.
	if res, err := cl.Restore(ctx, loaded); err != nil || res.Deleted+res.Created+res.Updated+res.Replaced != 0 {
		t.Fatalf("a second restore: %+v, %v", res, err)
	}
	// The controllers rebuild what the restored objects own.
	for end := time.Now().Add(60 * time.Second); ; time.Sleep(300 * time.Millisecond) {
		web, err := c.Client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
		if err != nil {
			t.Fatal(err)
		}
		extra, err := c.Client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=extra"})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, p := range web.Items {
			if p.DeletionTimestamp == nil && p.Spec.Containers[0].Image == "nginx:1.25.1" {
				n++
			}
		}
		if n == 2 && len(web.Items) == 2 && len(extra.Items) == 0 {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("after 60 s: %d web pods (%d of the snapshot's image), %d extra pods", len(web.Items), n, len(extra.Items))
		}
	}
}

func TestLoadMissingAndBad(t *testing.T) {
	dir := t.TempDir()
	if _, err := snapshot.Load(filepath.Join(dir, "none.json")); err != snapshot.ErrNone {
		t.Fatalf("a missing snapshot: %v", err)
	}
}

// One client keeps its discovery while no custom type changes; a type
// declared between two snapshots is found by the second, with its objects.
func TestClientFindsANewCustomType(t *testing.T) {
	c := testcluster.New(t)
	ctx := context.Background()
	cl, err := snapshot.New(c.REST, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Take(ctx); err != nil {
		t.Fatal(err)
	}
	crd := filepath.Join(t.TempDir(), "crd.yaml")
	if err := os.WriteFile(crd, []byte(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	c.MustKubectl(t, "apply", "-f", crd)
	c.MustKubectl(t, "wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=30s")
	w := filepath.Join(t.TempDir(), "w.yaml")
	if err := os.WriteFile(w, []byte("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: first, namespace: default}\nsize: 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.MustKubectl(t, "apply", "-f", w)
	s, err := cl.Take(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ks := strings.Join(keys(s), "\n")
	for _, want := range []string{"apiextensions.k8s.io/v1/customresourcedefinitions||widgets.example.com", "example.com/v1/widgets|default|first"} {
		if !strings.Contains(ks, want) {
			t.Errorf("second snapshot lacks %s; it holds:\n%s", want, ks)
		}
	}
}
