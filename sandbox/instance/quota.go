package instance

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"

	"github.com/kubelab/kubelab/sandbox/objectlimit"
)

// QuotaName names the sandbox's limits in its refusals. Sandboxes made
// before the limits moved into the API server's admission also hold
// objects of that name (a ResourceQuota in every namespace, a
// ValidatingAdmissionPolicy, its binding and a ConfigMap in kube-system):
// removeOldLimits deletes them.
const QuotaName = objectlimit.LimitName

// DefaultObjectQuota is how many objects of each counted kind one
// namespace may hold.
const DefaultObjectQuota = 200

// SandboxUser is the user the sandbox itself acts as (the simulated
// kubelets and this file).
const SandboxUser = "kubelab:node-simulator"

// MaxEventText is the largest Event message (or note) the sandbox accepts:
// the API server takes any size, and every page that watches the cluster
// would receive it.
const MaxEventText = 4096

// countedKinds are the namespaced kinds counted in each namespace: what a
// learner creates, and what controllers create from it.
var countedKinds = []schema.GroupVersionResource{
	{Version: "v1", Resource: "configmaps"}, {Version: "v1", Resource: "secrets"}, {Version: "v1", Resource: "services"},
	{Version: "v1", Resource: "persistentvolumeclaims"}, {Version: "v1", Resource: "pods"}, {Version: "v1", Resource: "serviceaccounts"},
	{Version: "v1", Resource: "replicationcontrollers"}, {Version: "v1", Resource: "podtemplates"}, {Version: "v1", Resource: "endpoints"},
	{Version: "v1", Resource: "limitranges"}, {Version: "v1", Resource: "resourcequotas"},
	{Group: "apps", Version: "v1", Resource: "deployments"}, {Group: "apps", Version: "v1", Resource: "replicasets"},
	{Group: "apps", Version: "v1", Resource: "statefulsets"}, {Group: "apps", Version: "v1", Resource: "daemonsets"},
	{Group: "apps", Version: "v1", Resource: "controllerrevisions"},
	{Group: "batch", Version: "v1", Resource: "jobs"}, {Group: "batch", Version: "v1", Resource: "cronjobs"},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles"}, {Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings"},
	{Group: "networking.k8s.io", Version: "v1", Resource: "ingresses"}, {Group: "networking.k8s.io", Version: "v1", Resource: "networkpolicies"},
	{Group: "policy", Version: "v1", Resource: "poddisruptionbudgets"}, {Group: "autoscaling", Version: "v2", Resource: "horizontalpodautoscalers"},
	{Group: "coordination.k8s.io", Version: "v1", Resource: "leases"}, {Group: "discovery.k8s.io", Version: "v1", Resource: "endpointslices"},
}

// clusterKinds are the kinds counted across the sandbox, with how many one
// sandbox may hold: the cluster-wide kinds a learner can create, and
// Events (kept an hour, made by every controller).
var clusterKinds = []struct {
	gvr   schema.GroupVersionResource
	limit func(perKind int) int
}{
	{schema.GroupVersionResource{Version: "v1", Resource: "events"}, func(n int) int { return max(10*n, 100) }},
	{schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}, func(n int) int { return max(n/2, 10) }},
	{schema.GroupVersionResource{Version: "v1", Resource: "persistentvolumes"}, func(n int) int { return max(n, 10) }},
	{schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}, func(int) int { return 50 }},
	{schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"}, func(int) int { return 300 }},
	{schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings"}, func(int) int { return 300 }},
	{schema.GroupVersionResource{Group: "storage.k8s.io", Version: "v1", Resource: "storageclasses"}, func(int) int { return 20 }},
	{schema.GroupVersionResource{Group: "scheduling.k8s.io", Version: "v1", Resource: "priorityclasses"}, func(int) int { return 20 }},
	{schema.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "ingressclasses"}, func(int) int { return 20 }},
	{schema.GroupVersionResource{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingwebhookconfigurations"}, func(int) int { return 20 }},
	{schema.GroupVersionResource{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "mutatingwebhookconfigurations"}, func(int) int { return 20 }},
}

// objectLimits are the sandbox's limits, which the API server's own
// admission holds (package objectlimit): perKind objects of each counted
// kind per namespace (at least DefaultObjectQuota in kube-system, where the
// control plane keeps its own objects), the cluster-wide kinds and Events
// at their limit, and Event messages up to MaxEventText. Nothing of it is
// an object a learner sees. perKind <= 0 sets none.
func objectLimits(perKind int) objectlimit.Limits {
	if perKind <= 0 {
		return objectlimit.Limits{}
	}
	out := objectlimit.Limits{
		Total:        map[schema.GroupVersionResource]int{},
		PerNamespace: map[schema.GroupVersionResource]int{},
		AtLeast:      map[string]int{metav1.NamespaceSystem: DefaultObjectQuota},
		Uncounted:    []string{corev1.NamespaceNodeLease},
		MaxEventText: MaxEventText,
	}
	for _, k := range clusterKinds {
		out.Total[k.gvr] = k.limit(perKind)
	}
	for _, gvr := range countedKinds {
		out.PerNamespace[gvr] = perKind
	}
	return out
}

// removeOldLimits deletes what sandboxes made before their limits moved
// into the API server kept in the cluster: the ResourceQuota of every
// namespace, the ValidatingAdmissionPolicy that protected it, its binding
// and its ConfigMap. The binding goes first: without it the policy guards
// nothing.
func removeOldLimits(ctx context.Context, client kubernetes.Interface) error {
	var errs []error
	note := func(what string, err error) {
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
		}
	}
	api := client.AdmissionregistrationV1()
	note("policy binding", api.ValidatingAdmissionPolicyBindings().Delete(ctx, QuotaName, metav1.DeleteOptions{}))
	note("policy", api.ValidatingAdmissionPolicies().Delete(ctx, QuotaName, metav1.DeleteOptions{}))
	note("configmap", client.CoreV1().ConfigMaps(metav1.NamespaceSystem).Delete(ctx, QuotaName, metav1.DeleteOptions{}))
	quotas, err := client.CoreV1().ResourceQuotas("").List(ctx, metav1.ListOptions{
		FieldSelector: "metadata.name=" + QuotaName, LabelSelector: "app.kubernetes.io/managed-by=kubelab"})
	note("resourcequotas", err)
	if err == nil {
		for _, q := range quotas.Items {
			note("resourcequota "+q.Namespace, client.CoreV1().ResourceQuotas(q.Namespace).Delete(ctx, q.Name, metav1.DeleteOptions{}))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("instance: remove the old sandbox limits: %w", err)
	}
	return nil
}
