package labs_test

import (
	"context"
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubelab/kubelab/labs"
)

// memState is a cluster held in memory, shaped like the watch cache.
type memState struct{ objs map[string][]map[string]any }

func (m memState) Get(_ context.Context, r labs.Resource) (map[string]any, error) {
	for _, o := range m.objs[r.Kind] {
		md := o["metadata"].(map[string]any)
		if md["name"] == r.Name && (r.Namespace == "" || md["namespace"] == r.Namespace) {
			return o, nil
		}
	}
	return nil, nil
}

func (m memState) List(_ context.Context, r labs.Resource) ([]map[string]any, error) {
	sel, err := labels.Parse(r.Selector)
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for _, o := range m.objs[r.Kind] {
		md := o["metadata"].(map[string]any)
		set := labels.Set{}
		if l, ok := md["labels"].(map[string]any); ok {
			for k, v := range l {
				set[k] = fmt.Sprint(v)
			}
		}
		if (r.Namespace == "" || md["namespace"] == r.Namespace) && sel.Matches(set) {
			out = append(out, o)
		}
	}
	return out, nil
}

// activityCluster is the state after the module's activity: 2 nginx pods
// in my-ns among 40 other pods.
func activityCluster() memState {
	pod := func(ns, name string, labels map[string]any) map[string]any {
		return map[string]any{"apiVersion": "v1", "kind": "Pod",
			"metadata": map[string]any{"name": name, "namespace": ns, "labels": labels},
			"spec":     map[string]any{"nodeName": "ip-192-168-40-11.ec2.internal", "containers": []any{map[string]any{"name": "nginx", "image": "nginx:1.25.1"}}},
			"status":   map[string]any{"phase": "Running", "podIP": "192.168.41.7", "conditions": []any{map[string]any{"type": "Ready", "status": "True"}}}}
	}
	m := memState{objs: map[string][]map[string]any{}}
	for i := 0; i < 40; i++ {
		m.objs["Pod"] = append(m.objs["Pod"], pod("default", fmt.Sprintf("other-%d", i), map[string]any{"app": "other"}))
	}
	m.objs["Pod"] = append(m.objs["Pod"], pod("my-ns", "nginx-deploy-1", map[string]any{"app": "nginx"}), pod("my-ns", "nginx-deploy-2", map[string]any{"app": "nginx"}))
	for _, ns := range []string{"default", "kube-system", "kube-public", "kube-node-lease", "my-ns"} {
		m.objs["Namespace"] = append(m.objs["Namespace"], map[string]any{"metadata": map[string]any{"name": ns, "labels": map[string]any{"kubernetes.io/metadata.name": ns}}, "status": map[string]any{"phase": "Active"}})
	}
	m.objs["Deployment"] = []map[string]any{{"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "nginx-deploy", "namespace": "my-ns", "labels": map[string]any{"app": "nginx"}},
		"spec": map[string]any{"replicas": int64(2), "selector": map[string]any{"matchLabels": map[string]any{"app": "nginx"}},
			"template": map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": "nginx"}}}},
		"status": map[string]any{"replicas": int64(2), "readyReplicas": int64(2), "availableReplicas": int64(2)}}}
	return m
}

// BenchmarkGradeActivityLab is the grader's cost for one cluster change of
// one learner: every graded step of the kubectl activity, from the cache.
func BenchmarkGradeActivityLab(b *testing.B) {
	cat, err := labs.Load()
	if err != nil {
		b.Fatal(err)
	}
	lab := cat.Lab("kubectl-activity")
	state := activityCluster()
	act := labs.Activity{Commands: []string{"kubectl create namespace my-ns", "kubectl get namespaces", "kubectl get pods", "kubectl get pods -n my-ns"}}
	ctx := context.Background()
	results := cat.GradeLab(ctx, lab, state, act)
	for _, r := range results {
		if !r.Passed {
			b.Fatalf("step %s should pass on the activity cluster: %v", r.ID, r.Messages("en"))
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cat.GradeLab(ctx, lab, state, act)
	}
}
