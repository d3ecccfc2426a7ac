package schedrecord

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Explanation is a pod's last scheduling decision with what the pod itself
// says now.
type Explanation struct {
	Decision
	// Phase is the pod's phase now.
	Phase string `json:"phase"`
	// BoundTo is the node the pod is bound to now (spec.nodeName).
	BoundTo string `json:"boundTo,omitempty"`
	// Message is the scheduler's message on the pod when it could not be
	// placed, with the preemption's outcome ("0/3 nodes are available: ...").
	Message string `json:"message,omitempty"`
	// NominatedNode is where preemption made room for the pod.
	NominatedNode string `json:"nominatedNode,omitempty"`
}

// Explain reads a pod and its last scheduling decision.
func Explain(ctx context.Context, cfg *rest.Config, namespace, pod string) (*Explanation, error) {
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("schedrecord: client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("schedrecord: client: %w", err)
	}
	p, err := client.CoreV1().Pods(namespace).Get(ctx, pod, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("pod %q not found in namespace %q", pod, namespace)
	}
	if err != nil {
		return nil, fmt.Errorf("schedrecord: read pod %s/%s: %w", namespace, pod, err)
	}
	d, err := Get(ctx, dyn, namespace, pod, string(p.UID))
	if err != nil {
		return nil, err
	}
	e := &Explanation{Decision: *d, Phase: string(p.Status.Phase), BoundTo: p.Spec.NodeName, NominatedNode: p.Status.NominatedNodeName}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status != corev1.ConditionTrue {
			e.Message = c.Message
		}
	}
	return e, nil
}
