package instance

import (
	"context"
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// QuotaName names the ResourceQuota each namespace of a sandbox gets.
const QuotaName = "kubelab-sandbox-limits"

// DefaultObjectQuota is how many objects of each counted kind one
// namespace may hold.
const DefaultObjectQuota = 200

// countedKinds are the object kinds the sandbox quota counts: what a
// learner creates. Pods are bounded by the nodes' max-pods already.
var countedKinds = []string{"configmaps", "secrets", "services", "persistentvolumeclaims",
	"deployments.apps", "replicasets.apps", "statefulsets.apps", "daemonsets.apps", "jobs.batch", "cronjobs.batch"}

// enforceQuota gives every namespace a ResourceQuota that caps the number
// of objects of each counted kind, so one learner cannot fill the
// machine; the API server's own quota admission refuses the excess with
// a clear "exceeded quota" message.
func enforceQuota(ctx context.Context, client kubernetes.Interface, perKind int) error {
	if perKind <= 0 {
		return nil
	}
	hard := corev1.ResourceList{}
	for _, k := range countedKinds {
		hard[corev1.ResourceName("count/"+k)] = *resource.NewQuantity(int64(perKind), resource.DecimalSI)
	}
	ensure := func(ns string) {
		q := &corev1.ResourceQuota{
			ObjectMeta: metav1.ObjectMeta{Name: QuotaName, Namespace: ns,
				Labels: map[string]string{"app.kubernetes.io/managed-by": "kubelab"},
				Annotations: map[string]string{"kubelab.dev/why": "limits what one sandbox holds (" +
					strconv.Itoa(perKind) + " objects of each kind per namespace)"}},
			Spec: corev1.ResourceQuotaSpec{Hard: hard},
		}
		// AlreadyExists after a resume, Forbidden in a namespace being
		// deleted: both leave nothing to do.
		_, _ = client.CoreV1().ResourceQuotas(ns).Create(ctx, q, metav1.CreateOptions{})
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	inf := factory.Core().V1().Namespaces().Informer()
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: func(obj any) {
		if ns, ok := obj.(*corev1.Namespace); ok && ns.Name != corev1.NamespaceNodeLease && ns.Status.Phase != corev1.NamespaceTerminating {
			ensure(ns.Name)
		}
	}}); err != nil {
		return fmt.Errorf("instance: quota handler: %w", err)
	}
	factory.Start(ctx.Done())
	factory.WaitForCacheSync(ctx.Done())
	return nil
}
