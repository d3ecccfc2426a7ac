package kind

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kubelab/kubelab/sandbox/topology"
)

// annDefaultClass marks the default StorageClass.
const annDefaultClass = "storageclass.kubernetes.io/is-default-class"

// prepareCluster readies a new kind cluster for labs: every node Ready,
// the topology's StorageClass (gp2) as the default class backed by kind's
// own provisioner, and the default ServiceAccount made (Pods need it).
func prepareCluster(ctx context.Context, c kubernetes.Interface, topo *topology.Topology) error {
	want := 1 + len(topo.Nodes)
	if err := poll(ctx, func() (bool, string, error) {
		nodes, err := c.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		ready := 0
		for _, n := range nodes.Items {
			for _, cond := range n.Status.Conditions {
				if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
					ready++
				}
			}
		}
		return ready >= want, fmt.Sprintf("%d of %d nodes ready", ready, want), nil
	}); err != nil {
		return fmt.Errorf("wait for nodes: %w", err)
	}
	if err := ensureStorageClass(ctx, c, topo.Storage.ClassName); err != nil {
		return err
	}
	if err := poll(ctx, func() (bool, string, error) {
		_, err := c.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		return true, "", nil
	}); err != nil {
		return fmt.Errorf("wait for the default service account: %w", err)
	}
	return nil
}

// ensureStorageClass makes name the default StorageClass, with the
// provisioner of the class kind installed (local-path volumes on the node
// of the Pod, bound when a Pod uses the claim, as EBS volumes are).
func ensureStorageClass(ctx context.Context, c kubernetes.Interface, name string) error {
	if name == "" {
		return nil
	}
	list, err := c.StorageV1().StorageClasses().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list storage classes: %w", err)
	}
	var base *storagev1.StorageClass
	for i := range list.Items {
		sc := &list.Items[i]
		if sc.Name != name && sc.Annotations[annDefaultClass] == "true" {
			base = sc
		}
	}
	if base == nil {
		for i := range list.Items {
			if list.Items[i].Name == name {
				return nil // already made
			}
		}
		return fmt.Errorf("no default storage class to base %s on", name)
	}
	sc := &storagev1.StorageClass{
		ObjectMeta:           metav1.ObjectMeta{Name: name, Annotations: map[string]string{annDefaultClass: "true"}},
		Provisioner:          base.Provisioner,
		Parameters:           base.Parameters,
		ReclaimPolicy:        ptr.To(corev1.PersistentVolumeReclaimDelete),
		VolumeBindingMode:    ptr.To(storagev1.VolumeBindingWaitForFirstConsumer),
		AllowVolumeExpansion: base.AllowVolumeExpansion,
	}
	if _, err := c.StorageV1().StorageClasses().Create(ctx, sc, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create storage class %s: %w", name, err)
	}
	base = base.DeepCopy()
	delete(base.Annotations, annDefaultClass)
	if _, err := c.StorageV1().StorageClasses().Update(ctx, base, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("storage class %s: no longer default: %w", base.Name, err)
	}
	return nil
}

// pollEvery is how often prepareCluster checks the cluster.
var pollEvery = 500 * time.Millisecond

// poll calls cond until it reports done, fails, or ctx ends; the error
// then tells the last state seen.
func poll(ctx context.Context, cond func() (bool, string, error)) error {
	last := ""
	for {
		done, state, err := cond()
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		last = state
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %s)", ctx.Err(), last)
		case <-time.After(pollEvery):
		}
	}
}
