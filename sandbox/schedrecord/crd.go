package schedrecord

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// crd declares the record's API type: namespaced, read with
// `kubectl get schedulingdecisions`, the decision kept as written.
func crd() *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1",
		"kind":       "CustomResourceDefinition",
		"metadata": map[string]any{
			"name":   Resource + "." + Group,
			"labels": map[string]any{"app.kubernetes.io/managed-by": "kubelab"},
		},
		"spec": map[string]any{
			"group": Group,
			"scope": "Namespaced",
			"names": map[string]any{"plural": Resource, "singular": "schedulingdecision", "kind": Kind, "listKind": Kind + "List"},
			"versions": []any{map[string]any{
				"name": Version, "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{
					"type":        "object",
					"description": "The sandbox scheduler's last attempt to place the pod of the same name: each node's filter verdicts and scores, the chosen node, and changes that would let an unschedulable pod be placed.",
					"properties": map[string]any{
						"decision": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true},
					},
				}},
				"additionalPrinterColumns": []any{
					map[string]any{"name": "Node", "type": "string", "jsonPath": ".decision.node"},
					map[string]any{"name": "Scored", "type": "boolean", "jsonPath": ".decision.scored"},
					map[string]any{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
				},
			}},
		},
	}}
}

// EnsureCRD declares the record's type and waits until the API server
// serves it (a first list has answered).
func EnsureCRD(ctx context.Context, client dynamic.Interface) error {
	_, err := client.Resource(crdGVR).Create(ctx, crd(), metav1.CreateOptions{FieldManager: "kubelab"})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("schedrecord: declare %s: %w", Resource, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		u, err := client.Resource(crdGVR).Get(ctx, Resource+"."+Group, metav1.GetOptions{})
		if err == nil && established(u) {
			// The API server builds a custom type's handler on its first
			// request (about a second here): pay that now, not on the first
			// record a learner waits for.
			if _, err = client.Resource(GVR).List(ctx, metav1.ListOptions{Limit: 1}); err == nil {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("schedrecord: %s not established after 30 s (last error: %v)", Resource, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func established(u *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}
