package instance

import (
	"context"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	"github.com/kubelab/kubelab/sandbox/objectlimit"
)

// QuotaName names the sandbox's limits: the ResourceQuota of every
// namespace, the ValidatingAdmissionPolicy and its binding, and the
// ConfigMap in kube-system that tells the policy which cluster-wide kinds
// are full.
const QuotaName = "kubelab-sandbox-limits"

// DefaultObjectQuota is how many objects of each counted kind one
// namespace may hold.
const DefaultObjectQuota = 200

// SandboxUser is the user the sandbox itself acts as (the simulated
// kubelets and this file): the only one that may change its limits.
const SandboxUser = "kubelab:node-simulator"

// MaxEventText is the largest Event message (or note) the sandbox accepts:
// the API server takes any size, and every page that watches the cluster
// would receive it.
const MaxEventText = 4096

// countedKinds are the namespaced kinds the quota counts: what a learner
// creates, and what controllers create from it.
var countedKinds = []string{"configmaps", "secrets", "services", "persistentvolumeclaims", "pods", "serviceaccounts",
	"replicationcontrollers", "podtemplates", "endpoints", "limitranges", "resourcequotas",
	"deployments.apps", "replicasets.apps", "statefulsets.apps", "daemonsets.apps", "controllerrevisions.apps",
	"jobs.batch", "cronjobs.batch", "roles.rbac.authorization.k8s.io", "rolebindings.rbac.authorization.k8s.io",
	"ingresses.networking.k8s.io", "networkpolicies.networking.k8s.io", "poddisruptionbudgets.policy",
	"horizontalpodautoscalers.autoscaling", "leases.coordination.k8s.io", "endpointslices.discovery.k8s.io"}

// clusterKinds are the kinds a quota cannot count, with how many one
// sandbox may hold: the cluster-wide kinds a learner can create, and
// Events (which ResourceQuota ignores). The sandbox counts them itself and
// marks the full ones in the policy's ConfigMap.
var clusterKinds = []struct {
	gvr   schema.GroupVersionResource
	limit func(perKind int) int
}{
	{schema.GroupVersionResource{Version: "v1", Resource: "events"}, func(n int) int { return max(10*n, 100) }}, // they expire after an hour
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

// objectLimits is what the API server's own admission counts exactly
// (package objectlimit): the cluster-wide kinds and Events at their limit
// for perKind objects per namespace. perKind <= 0 sets none. The policy
// below marks the same limits from a watcher, for kinds the built-in API
// does not serve (CustomResourceDefinitions) and as a second guard.
func objectLimits(perKind int) objectlimit.Limits {
	if perKind <= 0 {
		return nil
	}
	out := objectlimit.Limits{}
	for _, k := range clusterKinds {
		out[k.gvr] = k.limit(perKind)
	}
	return out
}

// limits keeps the sandbox's limits in place: a learner is cluster-admin,
// so they can try to delete or change any of them. The policy refuses
// that for the quotas and the ConfigMap; the policy and its binding (which
// the API server exempts from admission) are restored by this loop, as is
// anything else that goes missing.
type limits struct {
	client  kubernetes.Interface
	perKind int
	nsList  func() []*corev1.Namespace
	qGet    func(ns string) (*corev1.ResourceQuota, bool)
	cmGet   func() (*corev1.ConfigMap, error)
	vapGet  func() (*admissionv1.ValidatingAdmissionPolicy, error)
	vapbGet func() (*admissionv1.ValidatingAdmissionPolicyBinding, error)
	counts  []func() int
	kick    chan struct{}
	// policyGen and bindingGen are the generations this loop last wrote:
	// another generation means someone else changed the spec.
	policyGen, bindingGen int64
}

// enforceQuota puts the sandbox's limits in place and keeps them there
// until ctx ends: a ResourceQuota in every namespace counting every
// namespaced kind a learner can create, and a ValidatingAdmissionPolicy
// that refuses Events and cluster-wide kinds past their limit, Events with
// messages over MaxEventText, and any change to the quotas or its
// ConfigMap by anyone but the sandbox. perKind <= 0 sets none.
func enforceQuota(ctx context.Context, client kubernetes.Interface, cfg *rest.Config, perKind int) error {
	if perKind <= 0 {
		return nil
	}
	l := &limits{client: client, perKind: perKind, kick: make(chan struct{}, 1)}

	factory := informers.NewSharedInformerFactory(client, 10*time.Minute)
	nsInf := factory.Core().V1().Namespaces()
	qInf := factory.Core().V1().ResourceQuotas()
	vapInf := factory.Admissionregistration().V1().ValidatingAdmissionPolicies()
	vapbInf := factory.Admissionregistration().V1().ValidatingAdmissionPolicyBindings()
	sysFactory := informers.NewSharedInformerFactoryWithOptions(client, 10*time.Minute, informers.WithNamespace(metav1.NamespaceSystem))
	cmInf := sysFactory.Core().V1().ConfigMaps()
	md, err := metadata.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("instance: limits: %w", err)
	}
	mdFactory := metadatainformer.NewSharedInformerFactory(md, 10*time.Minute)
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { l.poke() },
		UpdateFunc: func(any, any) { l.poke() },
		DeleteFunc: func(any) { l.poke() },
	}
	for _, inf := range []cache.SharedIndexInformer{nsInf.Informer(), qInf.Informer(), vapInf.Informer(), vapbInf.Informer(), cmInf.Informer()} {
		if _, err := inf.AddEventHandler(handler); err != nil {
			return fmt.Errorf("instance: limits handler: %w", err)
		}
	}
	for _, k := range clusterKinds {
		inf := mdFactory.ForResource(k.gvr).Informer()
		if _, err := inf.AddEventHandler(handler); err != nil {
			return fmt.Errorf("instance: limits handler: %w", err)
		}
		l.counts = append(l.counts, func() int { return len(inf.GetStore().ListKeys()) })
	}
	l.nsList = func() []*corev1.Namespace {
		list, _ := nsInf.Lister().List(labels.Everything())
		return list
	}
	l.cmGet = func() (*corev1.ConfigMap, error) {
		return cmInf.Lister().ConfigMaps(metav1.NamespaceSystem).Get(QuotaName)
	}
	l.vapGet = func() (*admissionv1.ValidatingAdmissionPolicy, error) { return vapInf.Lister().Get(QuotaName) }
	l.vapbGet = func() (*admissionv1.ValidatingAdmissionPolicyBinding, error) { return vapbInf.Lister().Get(QuotaName) }
	l.qGet = func(ns string) (*corev1.ResourceQuota, bool) {
		q, err := qInf.Lister().ResourceQuotas(ns).Get(QuotaName)
		return q, err == nil
	}
	factory.Start(ctx.Done())
	sysFactory.Start(ctx.Done())
	mdFactory.Start(ctx.Done())
	factory.WaitForCacheSync(ctx.Done())
	sysFactory.WaitForCacheSync(ctx.Done())
	mdFactory.WaitForCacheSync(ctx.Done())
	// The ConfigMap first: the binding refuses what it guards while its
	// parameter is missing.
	if err := l.reconcile(ctx, true); err != nil {
		return err
	}
	go l.run(ctx)
	return nil
}

func (l *limits) poke() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// run reconciles after every change it is told of, and every few seconds
// in case a change went unnoticed.
func (l *limits) run(ctx context.Context) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.kick:
		case <-t.C:
		}
		_ = l.reconcile(ctx, false)
	}
}

// reconcile brings every part of the limits back to what it should be.
func (l *limits) reconcile(ctx context.Context, first bool) error {
	var errs []error
	note := func(err error) {
		if err != nil && !apierrors.IsAlreadyExists(err) && !apierrors.IsConflict(err) && ctx.Err() == nil {
			errs = append(errs, err)
		}
	}
	note(l.ensureConfigMap(ctx))
	note(l.ensurePolicy(ctx))
	for _, ns := range l.nsList() {
		if ns.Name == corev1.NamespaceNodeLease || ns.Status.Phase == corev1.NamespaceTerminating || ns.DeletionTimestamp != nil {
			continue
		}
		q, ok := l.qGet(ns.Name)
		want := l.quotaSpec(ns.Name)
		switch {
		case !ok:
			_, err := l.client.CoreV1().ResourceQuotas(ns.Name).Create(ctx, l.quotaObject(ns.Name), metav1.CreateOptions{})
			if !apierrors.IsForbidden(err) { // Forbidden: the namespace is being deleted
				note(err)
			}
		case !equality.Semantic.DeepEqual(q.Spec, want):
			q = q.DeepCopy()
			q.Spec = want
			_, err := l.client.CoreV1().ResourceQuotas(ns.Name).Update(ctx, q, metav1.UpdateOptions{})
			note(err)
		}
	}
	if len(errs) > 0 && first {
		return fmt.Errorf("instance: sandbox limits: %v", errs)
	}
	return nil
}

// quotaSpec is the quota of a namespace: perKind objects of each counted
// kind. kube-system, where the
// control plane keeps its own objects, gets at least DefaultObjectQuota.
func (l *limits) quotaSpec(ns string) corev1.ResourceQuotaSpec {
	n := l.perKind
	if ns == metav1.NamespaceSystem {
		n = max(n, DefaultObjectQuota)
	}
	hard := corev1.ResourceList{}
	for _, k := range countedKinds {
		hard[corev1.ResourceName("count/"+k)] = *resource.NewQuantity(int64(n), resource.DecimalSI)
	}
	return corev1.ResourceQuotaSpec{Hard: hard}
}

func (l *limits) quotaObject(ns string) *corev1.ResourceQuota {
	return &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Name: QuotaName, Namespace: ns,
			Labels: map[string]string{"app.kubernetes.io/managed-by": "kubelab"},
			Annotations: map[string]string{"kubelab.dev/why": "limits what one sandbox holds (" +
				strconv.Itoa(l.perKind) + " objects of each kind per namespace); it cannot be changed or deleted"}},
		Spec: l.quotaSpec(ns),
	}
}

// full is the ConfigMap's data: the cluster-wide kinds at their limit,
// each with that limit.
func (l *limits) full() map[string]string {
	out := map[string]string{}
	for i, k := range clusterKinds {
		if lim := k.limit(l.perKind); l.counts[i]() >= lim {
			out[k.gvr.Resource] = strconv.Itoa(lim)
		}
	}
	return out
}

func (l *limits) ensureConfigMap(ctx context.Context) error {
	cms := l.client.CoreV1().ConfigMaps(metav1.NamespaceSystem)
	want := l.full()
	cm, err := l.cmGet()
	if apierrors.IsNotFound(err) {
		_, err = cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: QuotaName, Namespace: metav1.NamespaceSystem,
			Labels: map[string]string{"app.kubernetes.io/managed-by": "kubelab"}}, Data: want}, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	if maps.Equal(cm.Data, want) {
		return nil
	}
	cm = cm.DeepCopy()
	cm.Data = want
	_, err = cms.Update(ctx, cm, metav1.UpdateOptions{})
	return err
}

// policy is the sandbox's ValidatingAdmissionPolicy.
func (l *limits) policy() *admissionv1.ValidatingAdmissionPolicy {
	clusterResources := make([]string, 0, len(clusterKinds))
	for _, k := range clusterKinds {
		clusterResources = append(clusterResources, k.gvr.Resource)
	}
	sort.Strings(clusterResources)
	rule := func(groups, resources []string, ops ...admissionv1.OperationType) admissionv1.NamedRuleWithOperations {
		return admissionv1.NamedRuleWithOperations{RuleWithOperations: admissionv1.RuleWithOperations{Operations: ops,
			Rule: admissionv1.Rule{APIGroups: groups, APIVersions: []string{"*"}, Resources: resources, Scope: ptr.To(admissionv1.AllScopes)}}}
	}
	maxText := strconv.Itoa(MaxEventText)
	return &admissionv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: QuotaName, Labels: map[string]string{"app.kubernetes.io/managed-by": "kubelab"}},
		Spec: admissionv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: ptr.To(admissionv1.Fail),
			ParamKind:     &admissionv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"},
			MatchConstraints: &admissionv1.MatchResources{ResourceRules: []admissionv1.NamedRuleWithOperations{
				rule([]string{"*"}, clusterResources, admissionv1.Create),
				rule([]string{"", "events.k8s.io"}, []string{"events"}, admissionv1.Create, admissionv1.Update),
				rule([]string{""}, []string{"resourcequotas", "configmaps"}, admissionv1.Update, admissionv1.Delete),
			}},
			Validations: []admissionv1.Validation{
				{
					Expression: "request.operation != 'CREATE' || !has(params.data) || !(request.resource.resource in params.data)",
					MessageExpression: "'this sandbox already holds its limit of ' + params.data[request.resource.resource] + ' ' + " +
						"request.resource.resource + ' (" + QuotaName + ")'",
					Reason: ptr.To(metav1.StatusReasonForbidden),
				},
				{
					Expression: "request.resource.resource != 'events' || " +
						"((!has(object.message) || size(object.message) <= " + maxText + ") && (!has(object.note) || size(object.note) <= " + maxText + "))",
					Message: "an Event message may hold at most " + maxText + " bytes in this sandbox (" + QuotaName + ")",
					Reason:  ptr.To(metav1.StatusReasonInvalid),
				},
				{
					Expression: "request.resource.resource == 'events' || request.operation == 'CREATE' || " +
						"oldObject.metadata.name != '" + QuotaName + "' || " +
						"(request.resource.resource == 'configmaps' && request.namespace != 'kube-system') || " +
						"request.userInfo.username == '" + SandboxUser + "' || " +
						"has(namespaceObject.metadata.deletionTimestamp)",
					Message: "the sandbox's limits (" + QuotaName + ") cannot be changed or deleted",
					Reason:  ptr.To(metav1.StatusReasonForbidden),
				},
			},
		},
	}
}

func (l *limits) binding() *admissionv1.ValidatingAdmissionPolicyBinding {
	return &admissionv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: QuotaName, Labels: map[string]string{"app.kubernetes.io/managed-by": "kubelab"}},
		Spec: admissionv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName: QuotaName,
			ParamRef: &admissionv1.ParamRef{Name: QuotaName, Namespace: metav1.NamespaceSystem,
				ParameterNotFoundAction: ptr.To(admissionv1.DenyAction)},
			ValidationActions: []admissionv1.ValidationAction{admissionv1.Deny},
		},
	}
}

// ensurePolicy creates the policy and its binding, or puts back their
// specs if someone else changed them (a generation this loop did not
// write).
func (l *limits) ensurePolicy(ctx context.Context) error {
	api := l.client.AdmissionregistrationV1()
	want := l.policy()
	got, err := l.vapGet()
	switch {
	case apierrors.IsNotFound(err):
		made, err := api.ValidatingAdmissionPolicies().Create(ctx, want, metav1.CreateOptions{})
		if err != nil {
			return err
		}
		l.policyGen = made.Generation
	case err != nil:
		return err
	case got.Generation != l.policyGen:
		got = got.DeepCopy()
		got.Spec = want.Spec
		made, err := api.ValidatingAdmissionPolicies().Update(ctx, got, metav1.UpdateOptions{})
		if err != nil {
			return err
		}
		l.policyGen = made.Generation
	}
	wantB := l.binding()
	gotB, err := l.vapbGet()
	switch {
	case apierrors.IsNotFound(err):
		made, err := api.ValidatingAdmissionPolicyBindings().Create(ctx, wantB, metav1.CreateOptions{})
		if err != nil {
			return err
		}
		l.bindingGen = made.Generation
	case err != nil:
		return err
	case gotB.Generation != l.bindingGen:
		gotB = gotB.DeepCopy()
		gotB.Spec = wantB.Spec
		made, err := api.ValidatingAdmissionPolicyBindings().Update(ctx, gotB, metav1.UpdateOptions{})
		if err != nil {
			return err
		}
		l.bindingGen = made.Generation
	}
	return nil
}
