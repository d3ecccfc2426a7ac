// Package schedrecord records the embedded sandbox's scheduling decisions:
// for every attempt to place a pod, each node's Filter verdicts (which
// plugin removed it and why), the Score plugins' raw and normalized scores
// with their weights, the chosen node and, for a pod that could not be
// placed, the smallest changes that would let it be placed.
//
// The record is a SchedulingDecision object (group sim.kubelab.dev) in the
// pod's namespace, named after the pod and owned by it: it lives as long
// as the pod, one per pod (the last attempt), and travels on the page's
// stream like any other object. The learner's own objects are never
// annotated.
package schedrecord

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/kubelab/kubelab/text"
)

// Group, Version, Resource and Kind name the record's API type.
const (
	Group    = "sim.kubelab.dev"
	Version  = "v1"
	Resource = "schedulingdecisions"
	Kind     = "SchedulingDecision"
)

// GVR is the record's resource.
var GVR = schema.GroupVersionResource{Group: Group, Version: Version, Resource: Resource}

// ErrNoRecorder means the cluster's scheduler keeps no record: the
// cluster is not an embedded sandbox (kind, remote), or predates the
// recorder.
var ErrNoRecorder = errors.New("this cluster's scheduler keeps no record of its decisions " +
	"(only kubelab's embedded sandbox runs the recording scheduler; kind and remote clusters run the stock one)")

// ErrNoDecision means the scheduler has not tried to place the pod yet, or
// the pod does not exist.
var ErrNoDecision = errors.New("no scheduling decision recorded for this pod")

// Decision is the scheduler's last attempt to place one pod.
type Decision struct {
	// Pod, Namespace and UID name the pod.
	Pod       string `json:"pod"`
	Namespace string `json:"namespace"`
	UID       string `json:"uid"`
	// Time is when the attempt ended (RFC 3339, UTC).
	Time string `json:"time"`
	// Node is the chosen node; empty when no node could take the pod.
	Node string `json:"node"`
	// Scored is false when the scores were not computed: no node or only
	// one node passed the filters (the scheduler then skips scoring).
	Scored bool `json:"scored"`
	// FilterPlugins and ScorePlugins are the profile's plugins in the order
	// the scheduler runs them.
	FilterPlugins []string       `json:"filterPlugins"`
	ScorePlugins  []PluginWeight `json:"scorePlugins"`
	// Nodes holds one entry per node of the cluster, the best first.
	Nodes []NodeResult `json:"nodes"`
	// Suggestions are single changes that let an unschedulable pod be
	// placed, each checked by running the filters again with it.
	Suggestions []Suggestion `json:"suggestions,omitempty"`
}

// PluginWeight is a Score plugin and the weight of its score.
type PluginWeight struct {
	Plugin string `json:"plugin"`
	Weight int64  `json:"weight"`
}

// NodeResult is what the scheduler found for one node.
type NodeResult struct {
	Name string `json:"name"`
	Zone string `json:"zone,omitempty"`
	// Feasible says every filter passed.
	Feasible bool `json:"feasible"`
	// Filters are the verdicts in the order the plugins ran; the scheduler
	// stops at the first plugin that rejects the node, so the plugins after
	// it are not listed.
	Filters []FilterResult `json:"filters"`
	// Scores are the Score plugins' results (feasible nodes, when scored).
	Scores []ScoreResult `json:"scores,omitempty"`
	// Total is the sum of the weighted scores.
	Total int64 `json:"total,omitempty"`
	// Rank is the node's place among the feasible nodes (1 = best).
	Rank int `json:"rank,omitempty"`
}

// FilterResult is one Filter (or PreFilter) plugin's verdict on one node.
type FilterResult struct {
	Plugin string `json:"plugin"`
	Passed bool   `json:"passed"`
	// Reason is the plugin's reason for a rejection, as the scheduler
	// words it in the pod's events.
	Reason string `json:"reason,omitempty"`
	// Skipped says the plugin had nothing to check for this pod (its
	// PreFilter said so) and let every node pass.
	Skipped bool `json:"skipped,omitempty"`
	// Stage is "PreFilter" when the pod was rejected before the filters
	// ran on this node (the plugin's PreFilter refused the pod, or named
	// other nodes); empty for a Filter verdict.
	Stage string `json:"stage,omitempty"`
}

// ScoreResult is one Score plugin's result for one node.
type ScoreResult struct {
	Plugin string `json:"plugin"`
	// Raw is what the plugin's Score returned; Score is the normalized
	// score (0-100) and Weight its weight, so the node gains Score×Weight.
	Raw    int64 `json:"raw"`
	Score  int64 `json:"score"`
	Weight int64 `json:"weight"`
}

// Suggestion is one change that lets an unschedulable pod be placed.
type Suggestion struct {
	// Plugin is the filter the change satisfies.
	Plugin string `json:"plugin"`
	// Text says the change in Korean and English.
	Text text.Text `json:"text"`
	// Target is the object to change: the pod's top owner (a Deployment,
	// StatefulSet, ...) or the pod itself (a Pod's spec cannot be changed in
	// place: delete it and create it again with the change), or a Node.
	Target Target `json:"target"`
	// Patch is a JSON merge patch (RFC 7386) for Target.
	Patch map[string]any `json:"patch"`
	// Nodes are the nodes that would then pass every filter.
	Nodes []string `json:"nodes"`
}

// Target names an object.
type Target struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

// FromObject reads the decision an API object stores.
func FromObject(u *unstructured.Unstructured) (*Decision, error) {
	body, ok := u.Object["decision"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("schedrecord: %s/%s holds no decision", u.GetNamespace(), u.GetName())
	}
	var d Decision
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(body, &d); err != nil {
		return nil, fmt.Errorf("schedrecord: decode decision %s/%s: %w", u.GetNamespace(), u.GetName(), err)
	}
	return &d, nil
}

// Get reads the last decision recorded for the pod with the given UID. It
// answers ErrNoRecorder when the cluster keeps none, ErrNoDecision when the
// pod has none (a record left by an earlier pod of the same name, not yet
// removed by the garbage collector, says nothing about this one).
func Get(ctx context.Context, client dynamic.Interface, namespace, pod, uid string) (*Decision, error) {
	u, err := client.Resource(GVR).Namespace(namespace).Get(ctx, pod, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		// Tell "no such resource" from "no such object".
		if _, lerr := client.Resource(GVR).Namespace(namespace).List(ctx, metav1.ListOptions{Limit: 1}); apierrors.IsNotFound(lerr) {
			return nil, ErrNoRecorder
		}
		return nil, fmt.Errorf("%w: %s/%s", ErrNoDecision, namespace, pod)
	}
	if err != nil {
		return nil, fmt.Errorf("schedrecord: read the decision for %s/%s: %w", namespace, pod, err)
	}
	d, err := FromObject(u)
	if err != nil {
		return nil, err
	}
	if d.UID != "" && uid != "" && d.UID != uid {
		return nil, fmt.Errorf("%w: %s/%s", ErrNoDecision, namespace, pod)
	}
	return d, nil
}
