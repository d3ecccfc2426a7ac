package remote

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// Labels and annotations on the objects the backend makes.
const (
	LabelManagedBy    = "app.kubernetes.io/managed-by"
	ManagedByValue    = "kubelab"
	LabelSandbox      = "kubelab.dev/sandbox"
	AnnotationReady   = "kubelab.dev/ready"
	annSimulatedNodes = "kubelab.dev/simulated" // on an embedded sandbox's nodes
)

// Names of the objects in a learner's namespace.
const (
	ServiceAccountName = "learner"
	RoleBindingName    = "kubelab-learner"
	QuotaName          = "kubelab"
	LimitRangeName     = "kubelab"
	NetworkPolicyName  = "kubelab-isolate"
	// LearnerRole is the built-in ClusterRole bound in the learner's
	// namespace: every namespaced resource, read-only ResourceQuota and
	// LimitRange, no rights on the namespace object itself.
	LearnerRole = "admin"
)

// Quota bounds what one learner's namespace may use.
type Quota struct {
	// Pods is the most Pods the namespace may hold (any phase but ended).
	Pods int64
	// CPU is the total of the CPU requests.
	CPU resource.Quantity
	// Memory is the total of the memory requests, and the largest memory
	// limit of one container.
	Memory resource.Quantity
	// Storage is the total of the PersistentVolumeClaims' requests.
	Storage resource.Quantity
	// Objects is the most objects of each countable kind (ConfigMaps,
	// Secrets, Services, claims, Deployments, ReplicaSets, StatefulSets,
	// DaemonSets, Jobs, CronJobs).
	Objects int64
}

// DefaultQuota is what a learner gets unless Options.Quota says otherwise:
// enough for every lab (the largest runs 4 replicas, a rolling update and
// 1Gi claims) with room for mistakes.
func DefaultQuota() Quota {
	return Quota{Pods: 20, CPU: resource.MustParse("2"), Memory: resource.MustParse("4Gi"),
		Storage: resource.MustParse("10Gi"), Objects: 50}
}

// withDefaults fills q's zero fields from DefaultQuota.
func (q Quota) withDefaults() Quota {
	d := DefaultQuota()
	if q.Pods == 0 {
		q.Pods = d.Pods
	}
	if q.CPU.IsZero() {
		q.CPU = d.CPU
	}
	if q.Memory.IsZero() {
		q.Memory = d.Memory
	}
	if q.Storage.IsZero() {
		q.Storage = d.Storage
	}
	if q.Objects == 0 {
		q.Objects = d.Objects
	}
	return q
}

// countedKinds are the object counts the quota caps at Quota.Objects.
var countedKinds = []corev1.ResourceName{
	"configmaps", "secrets", "services", "persistentvolumeclaims",
	"count/deployments.apps", "count/replicasets.apps", "count/statefulsets.apps", "count/daemonsets.apps",
	"count/jobs.batch", "count/cronjobs.batch",
}

func ownerLabels(learner string) map[string]string {
	return map[string]string{LabelManagedBy: ManagedByValue, LabelSandbox: learner}
}

// namespaceObject is a learner's namespace. Pod Security admission
// enforces the baseline profile: no privileged, hostPath, hostNetwork or
// hostPID Pods, which would reach the node and other learners' Pods.
func namespaceObject(ns, learner string) *corev1.Namespace {
	l := ownerLabels(learner)
	l["pod-security.kubernetes.io/enforce"] = "baseline"
	l["pod-security.kubernetes.io/enforce-version"] = "latest"
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: l}}
}

func serviceAccountObject(ns, learner string) *corev1.ServiceAccount {
	return &corev1.ServiceAccount{
		ObjectMeta:                   metav1.ObjectMeta{Name: ServiceAccountName, Namespace: ns, Labels: ownerLabels(learner)},
		AutomountServiceAccountToken: ptr.To(false),
	}
}

func learnerSubject(ns string) []rbacv1.Subject {
	return []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: ServiceAccountName, Namespace: ns}}
}

// roleBindingObject grants the learner LearnerRole in the namespace.
func roleBindingObject(ns, learner string) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: RoleBindingName, Namespace: ns, Labels: ownerLabels(learner)},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: LearnerRole},
		Subjects:   learnerSubject(ns),
	}
}

// clusterViewRole is the read-only cluster-wide role every learner gets:
// nodes (the cluster map, `kubectl get nodes`, scheduling labs) and
// storage classes; namespaces only when listNamespaces (their names are
// the learners' names).
func clusterViewRole(name string, listNamespaces bool) *rbacv1.ClusterRole {
	read := []string{"get", "list", "watch"}
	rules := []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: read},
		{APIGroups: []string{"storage.k8s.io"}, Resources: []string{"storageclasses"}, Verbs: read},
	}
	if listNamespaces {
		rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: read})
	}
	return &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{LabelManagedBy: ManagedByValue}},
		Rules:      rules,
	}
}

func clusterRoleBindingObject(name, role, ns, learner string) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: ownerLabels(learner)},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
		Subjects:   learnerSubject(ns),
	}
}

// quotaObject caps the namespace. NodePort and LoadBalancer Services are
// refused: they open ports on every node or cost a cloud load balancer.
func quotaObject(ns, learner string, q Quota) *corev1.ResourceQuota {
	hard := corev1.ResourceList{
		corev1.ResourcePods:                                      *resource.NewQuantity(q.Pods, resource.DecimalSI),
		corev1.ResourceRequestsCPU:                               q.CPU,
		corev1.ResourceRequestsMemory:                            q.Memory,
		corev1.ResourceRequestsStorage:                           q.Storage,
		corev1.ResourceServicesLoadBalancers:                     resource.MustParse("0"),
		corev1.ResourceServicesNodePorts:                         resource.MustParse("0"),
		corev1.ResourceName("count/ingresses.networking.k8s.io"): *resource.NewQuantity(q.Objects, resource.DecimalSI),
	}
	for _, k := range countedKinds {
		hard[k] = *resource.NewQuantity(q.Objects, resource.DecimalSI)
	}
	return &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Name: QuotaName, Namespace: ns, Labels: ownerLabels(learner)},
		Spec:       corev1.ResourceQuotaSpec{Hard: hard},
	}
}

// limitRangeObject gives containers without requests small ones (a quota
// on requests refuses Pods without them otherwise) and a memory limit,
// and caps one container's memory at the namespace's quota. No default CPU
// limit: a container asking for more CPU than such a default would be
// refused, and CPU is shared fairly by requests anyway.
func limitRangeObject(ns, learner string, q Quota) *corev1.LimitRange {
	return &corev1.LimitRange{
		ObjectMeta: metav1.ObjectMeta{Name: LimitRangeName, Namespace: ns, Labels: ownerLabels(learner)},
		Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
			Type: corev1.LimitTypeContainer,
			DefaultRequest: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse("50m"),
				corev1.ResourceMemory: resource.MustParse("64Mi"),
			},
			Default: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("512Mi")},
			Max:     corev1.ResourceList{corev1.ResourceMemory: q.Memory},
		}}},
	}
}

// networkPolicyObject lets the namespace's Pods receive traffic only from
// Pods of the same namespace. It is enforced where the cluster's network
// plugin implements NetworkPolicy (on EKS: the VPC CNI's network policy
// agent, or Calico or Cilium).
func networkPolicyObject(ns, learner string) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: NetworkPolicyName, Namespace: ns, Labels: ownerLabels(learner)},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{}}},
			}},
		},
	}
}
