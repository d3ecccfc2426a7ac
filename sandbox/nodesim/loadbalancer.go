package nodesim

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/cache"
)

// LoadBalancer Services get what the AWS cloud provider of an EKS cluster
// gives them: a Classic Load Balancer's DNS name in status.loadBalancer
// (a<32 hex digits>-<10 digits>.<region>.elb.amazonaws.com), after the
// service controller's EnsuringLoadBalancer and EnsuredLoadBalancer events.
// The name is simulated: it does not resolve and carries no traffic.

// lbDelay is how long the load balancer takes to be "provisioned".
const lbDelay = 2 * time.Second

// elbHostname is the simulated DNS name of a Service's load balancer.
func elbHostname(region string, svc *corev1.Service) string {
	h1, h2 := hash(string(svc.UID)), hash(string(svc.UID)+"/elb")
	return fmt.Sprintf("a%016x%016x-%010d.%s.elb.amazonaws.com", h1, h2, h2%10_000_000_000, region)
}

// watchLoadBalancers follows the Services of the sandbox.
func (s *Simulator) watchLoadBalancers(ctx context.Context) error {
	rec := s.events.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "service-controller"})
	var mu sync.Mutex
	pending := map[string]bool{} // by UID: being provisioned
	handle := func(obj any) {
		svc, ok := obj.(*corev1.Service)
		if !ok {
			return
		}
		wantLB := svc.Spec.Type == corev1.ServiceTypeLoadBalancer && svc.Spec.LoadBalancerClass == nil
		has := len(svc.Status.LoadBalancer.Ingress) > 0
		switch {
		case wantLB && !has:
			mu.Lock()
			busy := pending[string(svc.UID)]
			pending[string(svc.UID)] = true
			mu.Unlock()
			if busy {
				return
			}
			svc = svc.DeepCopy()
			rec.Event(svc, corev1.EventTypeNormal, "EnsuringLoadBalancer", "Ensuring load balancer")
			go func() {
				defer func() { mu.Lock(); delete(pending, string(svc.UID)); mu.Unlock() }()
				select {
				case <-ctx.Done():
					return
				case <-time.After(lbDelay):
				}
				cur, err := s.client.CoreV1().Services(svc.Namespace).Get(ctx, svc.Name, metav1.GetOptions{})
				if err != nil || cur.UID != svc.UID || cur.Spec.Type != corev1.ServiceTypeLoadBalancer {
					return
				}
				cur.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{Hostname: elbHostname(s.cfg.Region, cur)}}
				if _, err := s.client.CoreV1().Services(cur.Namespace).UpdateStatus(ctx, cur, metav1.UpdateOptions{}); err == nil {
					rec.Event(svc, corev1.EventTypeNormal, "EnsuredLoadBalancer", "Ensured load balancer")
				}
			}()
		case !wantLB && has && svc.Spec.Type != corev1.ServiceTypeLoadBalancer:
			svc = svc.DeepCopy()
			svc.Status.LoadBalancer = corev1.LoadBalancerStatus{}
			if _, err := s.client.CoreV1().Services(svc.Namespace).UpdateStatus(ctx, svc, metav1.UpdateOptions{}); err == nil {
				rec.Event(svc, corev1.EventTypeNormal, "DeletedLoadBalancer", "Deleted load balancer")
			}
		}
	}
	_, err := s.factory.Core().V1().Services().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    handle,
		UpdateFunc: func(_, n any) { handle(n) },
	})
	if err != nil {
		return fmt.Errorf("nodesim: service handler: %w", err)
	}
	return nil
}
