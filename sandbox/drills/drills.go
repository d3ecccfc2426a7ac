// Package drills fails and repairs a sandbox's nodes and zones the way an
// operator (or an outage) would: stop a node's kubelet, fail a whole
// availability zone, cordon and drain a node, and bring them back. What
// follows is the cluster's own doing: the node lifecycle controller marks
// a silent node NotReady and taints it, the taint eviction controller
// evicts its pods once their toleration runs out, and the workloads'
// controllers replace them where the scheduler finds room.
//
// Stopping a kubelet needs the embedded sandbox's simulated nodes (it is
// the annotation sim.kubelab.dev/kubelet on the Node); cordon and drain
// work on any cluster.
package drills

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/kubectl/pkg/drain"
)

const (
	// AnnotationKubelet on a simulated Node: "stopped" stops its kubelet,
	// "running" starts it again (the simulated kubelets follow it).
	AnnotationKubelet = "sim.kubelab.dev/kubelet"
	// AnnotationSimulated marks the embedded sandbox's simulated nodes.
	AnnotationSimulated = "kubelab.dev/simulated"
	// LabelZone is the well-known label of a node's availability zone.
	LabelZone = "topology.kubernetes.io/zone"
)

// ErrNotSimulated is returned for a kubelet stop on a node whose kubelet
// kubelab does not run (a kind or remote cluster's real nodes).
var ErrNotSimulated = errors.New("this node's kubelet is not simulated by kubelab, so it cannot be stopped from here")

// ErrNotFound is returned for a node or zone the cluster does not have.
var ErrNotFound = errors.New("not found")

// Node is what a page needs to show a node's drill controls.
type Node struct {
	Name string `json:"name"`
	Zone string `json:"zone"`
	// KubeletStopped: the simulated kubelet was stopped by a drill.
	KubeletStopped bool `json:"kubeletStopped"`
	// Cordoned: spec.unschedulable.
	Cordoned bool `json:"cordoned"`
	// Ready: the Ready condition is True.
	Ready bool `json:"ready"`
	// Simulated: the kubelet can be stopped (embedded sandbox).
	Simulated bool `json:"simulated"`
}

// Nodes lists the cluster's nodes, sorted by zone and name.
func Nodes(ctx context.Context, c kubernetes.Interface) ([]Node, error) {
	list, err := c.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("drills: list nodes: %w", err)
	}
	out := make([]Node, 0, len(list.Items))
	for _, n := range list.Items {
		d := Node{Name: n.Name, Zone: n.Labels[LabelZone], KubeletStopped: n.Annotations[AnnotationKubelet] == "stopped",
			Cordoned: n.Spec.Unschedulable, Simulated: n.Annotations[AnnotationSimulated] == "true"}
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady {
				d.Ready = c.Status == corev1.ConditionTrue
			}
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Zone != out[j].Zone {
			return out[i].Zone < out[j].Zone
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// SetKubelet stops (running=false) or starts a simulated node's kubelet.
func SetKubelet(ctx context.Context, c kubernetes.Interface, node string, running bool) error {
	n, err := c.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("drills: node %q: %w", node, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("drills: node %q: %w", node, err)
	}
	if n.Annotations[AnnotationSimulated] != "true" {
		return fmt.Errorf("drills: node %q: %w", node, ErrNotSimulated)
	}
	state := "running"
	if !running {
		state = "stopped"
	}
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, AnnotationKubelet, state)
	if _, err := c.CoreV1().Nodes().Patch(ctx, node, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("drills: %s the kubelet of %q: %w", map[bool]string{true: "start", false: "stop"}[running], node, err)
	}
	return nil
}

// SetZone fails (failed=true: every kubelet in the zone stops) or recovers
// an availability zone. It returns the zone's nodes.
func SetZone(ctx context.Context, c kubernetes.Interface, zone string, failed bool) ([]string, error) {
	nodes, err := Nodes(ctx, c)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, n := range nodes {
		if n.Zone != zone {
			continue
		}
		if err := SetKubelet(ctx, c, n.Name, !failed); err != nil {
			return names, err
		}
		names = append(names, n.Name)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("drills: zone %q: %w", zone, ErrNotFound)
	}
	return names, nil
}

// Cordon marks a node unschedulable (or schedulable again), as kubectl
// cordon and uncordon do.
func Cordon(ctx context.Context, c kubernetes.Interface, node string, cordoned bool) error {
	n, err := c.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("drills: node %q: %w", node, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("drills: node %q: %w", node, err)
	}
	h := drain.NewCordonHelper(n)
	if !h.UpdateIfRequired(cordoned) {
		return nil
	}
	if err, patchErr := h.PatchOrReplaceWithContext(ctx, c, false); err != nil || patchErr != nil {
		return fmt.Errorf("drills: cordon %q: %w", node, errors.Join(err, patchErr))
	}
	return nil
}

// DrainRefusal is a drain kubectl would refuse without more flags: Pods no
// controller would replace, Pods with local data. Its message is kubectl's.
type DrainRefusal struct{ Message string }

func (e *DrainRefusal) Error() string { return e.Message }

// Drain cordons a node and evicts its pods, as `kubectl drain NODE
// --ignore-daemonsets` does: Pods that no controller would replace, or
// that keep data in an emptyDir, make it refuse (a *DrainRefusal) before
// anything changes. The evictions respect PodDisruptionBudgets and run in
// the background until done or ctx ends; Drain returns the pods it evicts.
func Drain(ctx context.Context, c kubernetes.Interface, node string, done func(error)) ([]string, error) {
	h := &drain.Helper{Ctx: ctx, Client: c, IgnoreAllDaemonSets: true, GracePeriodSeconds: -1, Timeout: 2 * time.Minute,
		Out: io.Discard, ErrOut: io.Discard, EvictErrorRetryDelay: time.Second}
	if _, err := c.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{}); apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("drills: node %q: %w", node, ErrNotFound)
	}
	list, errs := h.GetPodsForDeletion(node)
	if len(errs) > 0 {
		msgs := make([]string, 0, len(errs))
		for _, e := range errs {
			msgs = append(msgs, e.Error())
		}
		return nil, &DrainRefusal{Message: "cannot drain " + node + ": " + strings.Join(msgs, "; ")}
	}
	if err := Cordon(ctx, c, node, true); err != nil {
		return nil, err
	}
	pods := list.Pods()
	names := make([]string, 0, len(pods))
	for _, p := range pods {
		names = append(names, p.Namespace+"/"+p.Name)
	}
	go func() {
		err := h.DeleteOrEvictPods(pods)
		if done != nil {
			done(err)
		}
	}()
	return names, nil
}
