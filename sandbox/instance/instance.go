// Package instance runs one embedded sandbox in the current process: a real
// control plane (package controlplane) and its simulated data plane
// (package nodesim), wired together through a simulated kubelet endpoint.
package instance

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubelab/kubelab/sandbox/controlplane"
	"github.com/kubelab/kubelab/sandbox/nodesim"
)

// Options configure one sandbox.
type Options struct {
	// Dir is the sandbox's data directory; running again on the same Dir
	// resumes the same cluster.
	Dir string
	// Topology is a nodesim configuration file; empty = the built-in one.
	Topology string
	// APIPort fixes the API server's port; 0 picks a free one.
	APIPort int
	// Log receives the components' logs; nil discards them.
	Log io.Writer
	// ObjectQuota caps the objects of each kind a namespace may hold
	// (held by the API server's admission, package objectlimit); 0 means
	// DefaultObjectQuota, <0 no cap.
	ObjectQuota int
	// NodeGracePeriod is how long a node may stay silent before it is
	// marked NotReady; 0 = 40 s.
	NodeGracePeriod time.Duration
	// EvictionToleration is controlplane.Config.EvictionToleration.
	EvictionToleration time.Duration
	// Tuning adjusts the control plane's components (docs/performance.md).
	Tuning controlplane.Tuning
	// Template is controlplane.Config.Template: a new sandbox's etcd
	// starts as a copy of the template's.
	Template string
}

// Instance is a running sandbox.
type Instance struct {
	// Server is the API server's URL.
	Server string
	// Kubeconfig is the admin kubeconfig's path (Dir/kubeconfig).
	Kubeconfig string
	// Ready is how long the sandbox took to become ready.
	Ready time.Duration
	// Simulator is the simulated data plane.
	Simulator *nodesim.Simulator
	// ControlPlane is the running control plane.
	ControlPlane *controlplane.ControlPlane

	cp *controlplane.ControlPlane
}

// Errors delivers a component's failure.
func (i *Instance) Errors() <-chan error { return i.cp.Errors() }

// Close stops etcd; cancel the context given to Start first.
func (i *Instance) Close() { i.cp.Close() }

// Start runs the sandbox and returns when its nodes are Ready and the
// default service account exists, i.e. when a learner can use it.
func Start(ctx context.Context, o Options) (*Instance, error) {
	began := time.Now()
	cfg, err := nodesim.LoadConfig(o.Topology)
	if err != nil {
		return nil, err
	}
	kl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("instance: kubelet listener: %w", err)
	}
	kubeletPort := int32(kl.Addr().(*net.TCPAddr).Port)
	// A short socket path: unix socket paths are limited to about 100 bytes.
	sock := filepath.Join(os.TempDir(), fmt.Sprintf("kubelab-egress-%d-%d.sock", os.Getpid(), time.Now().UnixNano()%1e6))
	pl, err := net.Listen("unix", sock)
	if err != nil {
		kl.Close()
		return nil, fmt.Errorf("instance: egress listener: %w", err)
	}
	go func() { <-ctx.Done(); _ = os.Remove(sock) }()
	// The proxy starts before the simulator exists: it asks it, once there,
	// which other addresses (the metrics-server Service) lead to its endpoint.
	var simRef atomic.Pointer[nodesim.Simulator]
	route := func(hostport string) bool {
		s := simRef.Load()
		return s != nil && s.Route(hostport)
	}
	proxy := &http.Server{Handler: nodesim.EgressProxy(kl.Addr().String(), kubeletPort, route), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = proxy.Serve(pl) }()
	go func() { <-ctx.Done(); _ = proxy.Close() }()

	quota := o.ObjectQuota
	if quota == 0 {
		quota = DefaultObjectQuota
	}
	cp, err := controlplane.Start(ctx, controlplane.Config{Dir: o.Dir, APIPort: o.APIPort, EgressProxy: sock, Log: o.Log,
		NodeGracePeriod: o.NodeGracePeriod, EvictionToleration: o.EvictionToleration, Tuning: o.Tuning,
		ObjectLimits: objectLimits(quota), Template: o.Template})
	if err != nil {
		kl.Close()
		return nil, err
	}
	simCfg := cp.ClientConfig("node-simulator") // user SandboxUser
	client, err := kubernetes.NewForConfig(simCfg)
	if err != nil {
		cp.Close()
		return nil, fmt.Errorf("instance: simulator client: %w", err)
	}
	sim, err := nodesim.New(cfg, client, kubeletPort)
	if err != nil {
		cp.Close()
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(cp.PKI.Path("kubelet.crt"), cp.PKI.Path("kubelet.key"))
	if err != nil {
		cp.Close()
		return nil, fmt.Errorf("instance: kubelet certificate: %w", err)
	}
	simRef.Store(sim)
	if err := sim.Run(ctx); err != nil {
		cp.Close()
		return nil, err
	}
	go sim.ServeKubelet(ctx, kl, cert)
	if err := removeOldLimits(ctx, client); err != nil {
		cp.Close()
		return nil, err
	}
	if err := waitUsable(ctx, client, len(cfg.Nodes)); err != nil {
		cp.Close()
		return nil, err
	}
	if err := cp.RecordsReady(ctx); err != nil {
		cp.Close()
		return nil, err
	}
	return &Instance{Server: cp.Server, Kubeconfig: cp.AdminKubeconfig, Ready: time.Since(began), Simulator: sim, ControlPlane: cp, cp: cp}, nil
}

func waitUsable(ctx context.Context, client kubernetes.Interface, nodes int) error {
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		_, saErr := client.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		list, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if saErr == nil && err == nil && readyNodes(list.Items) >= nodes {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("instance: nodes or default service account not ready after 90s")
}

func readyNodes(nodes []corev1.Node) int {
	n := 0
	for _, node := range nodes {
		for _, c := range node.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				n++
			}
		}
	}
	return n
}
