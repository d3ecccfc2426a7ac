package nodesim

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
)

// heartbeat renews the node's lease and reports its status, as a kubelet
// does, until ctx ends or the node is made NotReady.
func (s *Simulator) heartbeat(ctx context.Context, n *simNode) {
	b := s.cfg.Behaviour
	lease := time.NewTicker(b.LeaseRenew.Duration)
	report := time.NewTicker(b.StatusReport.Duration)
	defer lease.Stop()
	defer report.Stop()
	s.renewLease(ctx, n)
	for {
		select {
		case <-ctx.Done():
			return
		case <-lease.C:
			if !s.isNotReady(n) {
				s.renewLease(ctx, n)
			}
		case <-report.C:
			if !s.isNotReady(n) {
				s.reportStatus(ctx, n)
			}
		}
	}
}

func (s *Simulator) isNotReady(n *simNode) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return n.notReady
}

// SetNodeReady stops (false) or resumes (true) a node's kubelet: a stopped
// node's lease expires, the node controller marks it NotReady (Unknown)
// and taints it, and once their toleration of node.kubernetes.io/unreachable
// runs out (300s by default) its pods are evicted and replaced on other
// nodes; they stay Terminating until the kubelet is back to confirm. The
// annotation sim.kubelab.dev/kubelet=stopped|running on the Node does the
// same from kubectl.
func (s *Simulator) SetNodeReady(ctx context.Context, name string, ready bool) error {
	n := s.nodes[name]
	if n == nil {
		return fmt.Errorf("nodesim: no node %q", name)
	}
	s.mu.Lock()
	was := !n.notReady
	n.notReady = !ready
	s.mu.Unlock()
	if ready && !was {
		s.renewLease(ctx, n)
		s.reportStatus(ctx, n)
		// Catch up with what happened to its pods meanwhile.
		if s.pods != nil {
			pods, _ := s.pods.List(everything)
			for _, p := range pods {
				if p.Spec.NodeName == name {
					if key, err := cache.MetaNamespaceKeyFunc(p); err == nil {
						s.queue.Add(key)
					}
				}
			}
		}
	}
	return nil
}

// nodeChanged follows the kubelet annotation of a simulated node.
func (s *Simulator) nodeChanged(ctx context.Context, obj any) {
	node, ok := obj.(*corev1.Node)
	if !ok || s.nodes[node.Name] == nil {
		return
	}
	want := node.Annotations[AnnotationKubelet] != "stopped"
	if want == s.isNotReady(s.nodes[node.Name]) {
		_ = s.SetNodeReady(ctx, node.Name, want)
	}
	if want {
		s.syncExtendedResources(ctx, node)
	}
}

// isExtendedResource reports a resource name outside kubernetes.io with a
// domain (example.com/dongle): what a device plugin or an administrator
// advertises in a node's capacity.
func isExtendedResource(name corev1.ResourceName) bool {
	n := string(name)
	return strings.Contains(n, "/") && !strings.HasPrefix(n, "requests.") &&
		!strings.HasPrefix(n, "kubernetes.io/") && !strings.Contains(strings.SplitN(n, "/", 2)[0], ".kubernetes.io")
}

// syncExtendedResources does what a kubelet's node status does with
// extended resources patched into the capacity: they become allocatable
// (all of them: nothing is reserved), and leave it when they leave capacity.
func (s *Simulator) syncExtendedResources(ctx context.Context, node *corev1.Node) {
	changed := false
	alloc := node.Status.Allocatable.DeepCopy()
	if alloc == nil {
		alloc = corev1.ResourceList{}
	}
	for name, q := range node.Status.Capacity {
		if !isExtendedResource(name) {
			continue
		}
		if cur, ok := alloc[name]; !ok || cur.Cmp(q) != 0 {
			alloc[name] = q.DeepCopy()
			changed = true
		}
	}
	for name := range alloc {
		if _, ok := node.Status.Capacity[name]; isExtendedResource(name) && !ok {
			delete(alloc, name)
			changed = true
		}
	}
	if !changed {
		return
	}
	n := node.DeepCopy()
	n.Status.Allocatable = alloc
	// A conflict is retried on the next change of the node.
	_, _ = s.client.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
}

func (s *Simulator) renewLease(ctx context.Context, n *simNode) {
	leases := s.client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	now := metav1.NewMicroTime(time.Now())
	l, err := leases.Get(ctx, n.spec.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		node, err := s.client.CoreV1().Nodes().Get(ctx, n.spec.Name, metav1.GetOptions{})
		if err != nil {
			return
		}
		l = &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: n.spec.Name, Namespace: corev1.NamespaceNodeLease,
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: node.Name, UID: node.UID}}},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To(n.spec.Name), LeaseDurationSeconds: ptr.To[int32](40), RenewTime: &now},
		}
		_, _ = leases.Create(ctx, l, metav1.CreateOptions{})
		return
	}
	if err != nil {
		return
	}
	l.Spec.RenewTime = &now
	_, _ = leases.Update(ctx, l, metav1.UpdateOptions{})
}

func (s *Simulator) reportStatus(ctx context.Context, n *simNode) {
	node, err := s.client.CoreV1().Nodes().Get(ctx, n.spec.Name, metav1.GetOptions{})
	if err != nil {
		return
	}
	now := metav1.Now()
	for i := range node.Status.Conditions {
		c := &node.Status.Conditions[i]
		c.LastHeartbeatTime = now
		if c.Type == corev1.NodeReady && c.Status != corev1.ConditionTrue {
			c.Status, c.Reason, c.Message, c.LastTransitionTime = corev1.ConditionTrue, "KubeletReady", "kubelet is posting ready status", now
			n.recorder.Eventf(&corev1.ObjectReference{Kind: "Node", Name: node.Name, UID: node.UID}, corev1.EventTypeNormal, "NodeReady",
				"Node %s status is now: NodeReady", node.Name)
		}
	}
	node.Status.Images = n.imageList()
	_, _ = s.client.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{})
}

// imageList is the node's images, as node status reports them.
func (n *simNode) imageList() []corev1.ContainerImage {
	n.imgMu.Lock()
	defer n.imgMu.Unlock()
	out := make([]corev1.ContainerImage, 0, len(n.images))
	for ref := range n.images {
		out = append(out, corev1.ContainerImage{Names: []string{imageID(ref), ref}, SizeBytes: imageSize(ref)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].SizeBytes != out[j].SizeBytes {
			return out[i].SizeBytes > out[j].SizeBytes
		}
		return out[i].Names[1] < out[j].Names[1]
	})
	if len(out) > 50 {
		out = out[:50]
	}
	return out
}
