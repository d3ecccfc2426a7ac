package controlplane

import (
	"context"
	"fmt"
	"reflect"
	"time"
	"unsafe"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/kubernetes/pkg/controller/nodelifecycle"

	"github.com/kubelab/kubelab/sandbox/internal/pauseclock"
)

// The node lifecycle controller's settings: the upstream defaults but for
// the grace period, which the sandbox shortens so that a stopped node's
// lesson does not take a minute.
const (
	nodeMonitorPeriod      = 5 * time.Second
	nodeStartupGracePeriod = time.Minute
	nodeEvictionRate       = 0.1
	secondaryEvictionRate  = 0.01
	largeClusterThreshold  = 50
	unhealthyZoneThreshold = 0.55
)

// startNodeLifecycle runs the node lifecycle controller (the one that marks
// silent nodes NotReady, taints them and evicts their pods) on a clock that
// does not count the time the sandbox process was frozen. The controller
// manager's own copy is disabled: on the wall clock, a sandbox thawed after
// a freeze longer than the grace period would see every node as silent for
// that long and mark it NotReady before its kubelet renewed its lease.
func startNodeLifecycle(ctx context.Context, client kubernetes.Interface, clock *pauseclock.Clock, grace time.Duration, errc chan<- error) error {
	factory := informers.NewSharedInformerFactory(client, 0)
	nlc, err := nodelifecycle.NewNodeLifecycleController(ctx,
		factory.Coordination().V1().Leases(),
		factory.Core().V1().Pods(),
		factory.Core().V1().Nodes(),
		factory.Apps().V1().DaemonSets(),
		client,
		nodeMonitorPeriod, nodeStartupGracePeriod, grace,
		nodeEvictionRate, secondaryEvictionRate, largeClusterThreshold, unhealthyZoneThreshold)
	if err != nil {
		return fmt.Errorf("controlplane: node lifecycle controller: %w", err)
	}
	if err := setControllerClock(nlc, func() metav1.Time { return metav1.NewTime(clock.Now()) }); err != nil {
		return err
	}
	go clock.Run(ctx)
	factory.Start(ctx.Done())
	go func() {
		nlc.Run(ctx)
		if ctx.Err() == nil {
			errc <- fmt.Errorf("node lifecycle controller stopped")
		}
	}()
	return nil
}

// setControllerClock replaces the controller's clock (an unexported field
// `now func() metav1.Time` that upstream sets to metav1.Now and its own
// tests replace). It fails, rather than guess, if a Kubernetes upgrade
// changed the field.
func setControllerClock(nlc *nodelifecycle.Controller, now func() metav1.Time) error {
	f := reflect.ValueOf(nlc).Elem().FieldByName("now")
	if !f.IsValid() || f.Type() != reflect.TypeOf(now) {
		return fmt.Errorf("controlplane: node lifecycle controller has no field `now func() metav1.Time` in this Kubernetes version")
	}
	reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Set(reflect.ValueOf(now))
	return nil
}
