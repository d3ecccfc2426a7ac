package nodesim

import (
	"context"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
)

const (
	annSelectedNode = "volume.kubernetes.io/selected-node"
	annProvisioner  = "volume.kubernetes.io/storage-provisioner"
	zoneLabel       = "topology.kubernetes.io/zone"
)

// ensureStorage creates the default StorageClass (WaitForFirstConsumer, as
// for EBS) and the CSIDriver of the simulated EBS driver.
func (s *Simulator) ensureStorage(ctx context.Context) error {
	sc := &storagev1.StorageClass{
		ObjectMeta: metav1.ObjectMeta{Name: s.cfg.Storage.ClassName,
			Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}},
		Provisioner:          s.cfg.Storage.Provisioner,
		Parameters:           map[string]string{"type": "gp2", "fsType": "ext4"},
		ReclaimPolicy:        ptr.To(corev1.PersistentVolumeReclaimDelete),
		VolumeBindingMode:    ptr.To(storagev1.VolumeBindingWaitForFirstConsumer),
		AllowVolumeExpansion: ptr.To(true),
	}
	if _, err := s.client.StorageV1().StorageClasses().Create(ctx, sc, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("nodesim: storage class: %w", err)
	}
	drv := &storagev1.CSIDriver{
		ObjectMeta: metav1.ObjectMeta{Name: s.cfg.Storage.Provisioner},
		Spec: storagev1.CSIDriverSpec{AttachRequired: ptr.To(false), PodInfoOnMount: ptr.To(false),
			VolumeLifecycleModes: []storagev1.VolumeLifecycleMode{storagev1.VolumeLifecyclePersistent}},
	}
	if _, err := s.client.StorageV1().CSIDrivers().Create(ctx, drv, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("nodesim: csi driver: %w", err)
	}
	return nil
}

// startProvisioner plays the EBS CSI driver's provisioner: a claim of the
// default class gets a volume in the zone of the node its first pod was
// scheduled to, and that volume can only be used from that zone.
func (s *Simulator) startProvisioner(ctx context.Context) error {
	inf := s.factory.Core().V1().PersistentVolumeClaims().Informer()
	handle := func(obj any) {
		pvc, ok := obj.(*corev1.PersistentVolumeClaim)
		if !ok || pvc.Spec.VolumeName != "" || pvc.Annotations[annProvisioner] != s.cfg.Storage.Provisioner {
			return
		}
		n := s.nodes[pvc.Annotations[annSelectedNode]]
		if n == nil && pvc.Annotations[annSelectedNode] == "" && s.immediate(ctx, pvc) {
			// Immediate binding: the provisioner picks a zone on its own.
			n = s.nodeFor(string(pvc.UID))
		}
		if n == nil {
			return
		}
		go s.provision(ctx, pvc.DeepCopy(), n)
	}
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: handle, UpdateFunc: func(_, o any) { handle(o) }})
	if err != nil {
		return fmt.Errorf("nodesim: provisioner: %w", err)
	}
	pvInf := s.factory.Core().V1().PersistentVolumes().Informer()
	_, err = pvInf.AddEventHandler(cache.ResourceEventHandlerFuncs{UpdateFunc: func(_, o any) {
		pv, ok := o.(*corev1.PersistentVolume)
		if ok && pv.Status.Phase == corev1.VolumeReleased && pv.Spec.PersistentVolumeReclaimPolicy == corev1.PersistentVolumeReclaimDelete &&
			pv.Spec.CSI != nil && pv.Spec.CSI.Driver == s.cfg.Storage.Provisioner {
			_ = s.client.CoreV1().PersistentVolumes().Delete(ctx, pv.Name, metav1.DeleteOptions{})
		}
	}})
	if err != nil {
		return fmt.Errorf("nodesim: provisioner: %w", err)
	}
	return nil
}

// immediate reports whether a claim's class binds at once
// (volumeBindingMode Immediate) rather than for its first pod.
func (s *Simulator) immediate(ctx context.Context, pvc *corev1.PersistentVolumeClaim) bool {
	name := ptr.Deref(pvc.Spec.StorageClassName, "")
	if name == "" {
		return false
	}
	sc, err := s.client.StorageV1().StorageClasses().Get(ctx, name, metav1.GetOptions{})
	return err == nil && sc.VolumeBindingMode != nil && *sc.VolumeBindingMode == storagev1.VolumeBindingImmediate
}

// nodeFor picks a node, the same one for the same key, for a volume that
// no pod has placed yet.
func (s *Simulator) nodeFor(key string) *simNode {
	names := make([]string, 0, len(s.nodes))
	for name := range s.nodes {
		names = append(names, name)
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	return s.nodes[names[hash(key)%uint64(len(names))]]
}

func (s *Simulator) provision(ctx context.Context, pvc *corev1.PersistentVolumeClaim, n *simNode) {
	size := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
	name := "pvc-" + string(pvc.UID)
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name,
			Annotations: map[string]string{"pv.kubernetes.io/provisioned-by": s.cfg.Storage.Provisioner,
				"volume.kubernetes.io/provisioner-deletion-secret-name": "", "volume.kubernetes.io/provisioner-deletion-secret-namespace": ""},
			Finalizers: []string{"kubernetes.io/pv-protection"}},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: size},
			AccessModes:                   pvc.Spec.AccessModes,
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
			StorageClassName:              ptr.Deref(pvc.Spec.StorageClassName, s.cfg.Storage.ClassName),
			VolumeMode:                    pvc.Spec.VolumeMode,
			ClaimRef: &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1", Namespace: pvc.Namespace,
				Name: pvc.Name, UID: pvc.UID, ResourceVersion: pvc.ResourceVersion},
			PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{
				Driver: s.cfg.Storage.Provisioner, VolumeHandle: fmt.Sprintf("vol-0%016x", hash(string(pvc.UID))), FSType: "ext4",
				VolumeAttributes: map[string]string{"storage.kubernetes.io/csiProvisionerIdentity": "kubelab-" + s.cfg.Storage.Provisioner}}},
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: zoneLabel, Operator: corev1.NodeSelectorOpIn, Values: []string{n.spec.Zone}}},
			}}}},
		},
	}
	if _, err := s.client.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return
	}
	rec := s.events.NewRecorder(scheme.Scheme, corev1.EventSource{Component: s.cfg.Storage.Provisioner})
	rec.Eventf(pvc, corev1.EventTypeNormal, "ProvisioningSucceeded", "Successfully provisioned volume %s in %s", name, n.spec.Zone)
}
