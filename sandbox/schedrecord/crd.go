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
// serves it and has created one record: a first list and a dry-run
// create have answered.
//
// The API server builds what serves a custom type lazily: its handler on
// the first request (about a second here), and what a create runs
// (admission, validation, field tracking) on the first create, which took
// 0.4-0.9 s more after a start. Without the dry run the first record a
// learner waits for paid that.
//
// The API server also holds every create of a custom type for 2 s while
// the type's Established condition is younger than 2 s, so that the other
// API servers of a highly available cluster have seen the type. A sandbox
// has one API server, so once the type is established the condition's
// time is set 2 s back (see backdateEstablished) and neither the dry run
// nor the first record waits.
func EnsureCRD(ctx context.Context, client dynamic.Interface) error {
	_, err := client.Resource(crdGVR).Create(ctx, crd(), metav1.CreateOptions{FieldManager: "kubelab"})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("schedrecord: declare %s: %w", Resource, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		u, err := client.Resource(crdGVR).Get(ctx, Resource+"."+Group, metav1.GetOptions{})
		if err == nil && established(u) {
			if err = backdateEstablished(ctx, client, u); err != nil {
				return err
			}
			// The API server builds a custom type's handler on its first
			// request (about a second here): pay that now, not on the first
			// record a learner waits for.
			if _, err = client.Resource(GVR).List(ctx, metav1.ListOptions{Limit: 1}); err == nil {
				if err = warmCreate(ctx, client); err == nil {
					return nil
				}
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

// warmNamespace holds the dry-run record; the API server creates it at start.
const warmNamespace = "kube-system"

// warmCreate creates a record with dryRun=All: the API server runs the
// whole create (admission, validation, defaulting, field tracking) and
// stores nothing, so no watcher sees it.
func warmCreate(ctx context.Context, client dynamic.Interface) error {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": Group + "/" + Version, "kind": Kind,
		"metadata": map[string]any{"name": "kubelab-warm-up", "namespace": warmNamespace},
		"decision": map[string]any{"pod": "kubelab-warm-up", "namespace": warmNamespace, "nodes": []any{}},
	}}
	_, err := client.Resource(GVR).Namespace(warmNamespace).Create(ctx, u, metav1.CreateOptions{
		DryRun: []string{metav1.DryRunAll}, FieldManager: fieldManager})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("schedrecord: dry-run create of a record: %w", err)
	}
	return nil
}

// establishedHold is how long the API server holds creates of a custom
// type after the type's Established condition turned true
// (apiextensions-apiserver's crdHandler).
const establishedHold = 2 * time.Second

// backdateEstablished moves the Established condition's transition time
// back by establishedHold, so that the sandbox's only API server serves
// creates of the type at once. A condition already older is left alone;
// a conflicting write of the API server's own controllers is retried with
// the newer object.
func backdateEstablished(ctx context.Context, client dynamic.Interface, u *unstructured.Unstructured) error {
	for attempt := 0; ; attempt++ {
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		changed := false
		for _, c := range conds {
			m, _ := c.(map[string]any)
			if m["type"] != "Established" {
				continue
			}
			at, _ := time.Parse(time.RFC3339, fmt.Sprint(m["lastTransitionTime"]))
			if time.Since(at) < establishedHold+time.Second {
				m["lastTransitionTime"] = at.Add(-establishedHold - time.Second).UTC().Format(time.RFC3339)
				changed = true
			}
		}
		if !changed {
			return nil
		}
		if err := unstructured.SetNestedSlice(u.Object, conds, "status", "conditions"); err != nil {
			return fmt.Errorf("schedrecord: backdate %s: %w", Resource, err)
		}
		_, err := client.Resource(crdGVR).UpdateStatus(ctx, u, metav1.UpdateOptions{FieldManager: "kubelab"})
		if err == nil {
			return nil
		}
		if !apierrors.IsConflict(err) || attempt >= 10 {
			return fmt.Errorf("schedrecord: backdate %s's Established condition: %w", Resource, err)
		}
		if u, err = client.Resource(crdGVR).Get(ctx, Resource+"."+Group, metav1.GetOptions{}); err != nil {
			return fmt.Errorf("schedrecord: read %s: %w", Resource, err)
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
