package nodesim

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/retry"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	"github.com/kubelab/kubelab/sandbox/nodesim/internal/stablehash"
	"github.com/kubelab/kubelab/sandbox/topology"
)

// Simulator runs the simulated nodes of one sandbox.
type Simulator struct {
	cfg         *Config
	client      kubernetes.Interface
	kubeletPort int32

	nodes    map[string]*simNode
	factory  informers.SharedInformerFactory
	pods     corelisters.PodLister
	cms      corelisters.ConfigMapLister
	secrets  corelisters.SecretLister
	pvcs     corelisters.PersistentVolumeClaimLister
	services corelisters.ServiceLister
	queue    workqueue.TypedRateLimitingInterface[string]
	events   record.EventBroadcaster
	clock    clock.PassiveClock
	servers  map[string]bool

	mu    sync.Mutex
	state map[string]*podState // by pod UID

	metricsMu   sync.Mutex
	metricsAddr string // ClusterIP:port of the metrics-server Service
}

type simNode struct {
	spec     topology.NodeSpec
	itype    topology.InstanceType
	recorder record.EventRecorder
	ips      *ipPool
	notReady bool

	imgMu  sync.Mutex
	images map[string]bool // images on the node
}

func (s *Simulator) now() time.Time { return s.clock.Now() }

// New makes a simulator for the given configuration. kubeletPort is the
// port that nodes advertise for their kubelet endpoint.
func New(cfg *Config, client kubernetes.Interface, kubeletPort int32) (*Simulator, error) {
	s := &Simulator{
		cfg:         cfg,
		client:      client,
		kubeletPort: kubeletPort,
		nodes:       map[string]*simNode{},
		state:       map[string]*podState{},
		clock:       clock.RealClock{},
		servers:     map[string]bool{},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](50*time.Millisecond, 5*time.Second),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "nodesim-pods"}),
	}
	for _, name := range cfg.Behaviour.Processes.Servers {
		s.servers[name] = true
	}
	s.events = record.NewBroadcaster()
	for _, n := range cfg.Nodes {
		pool, err := newIPPool(n.PodRange)
		if err != nil {
			return nil, err
		}
		s.nodes[n.Name] = &simNode{
			spec:     n,
			itype:    cfg.InstanceTypes[n.InstanceType],
			recorder: s.events.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "kubelet", Host: n.Name}),
			ips:      pool,
		}
	}
	return s, nil
}

// Run registers the nodes, starts their heartbeats and simulates their
// pods until ctx is cancelled. It returns once the nodes are registered;
// the work goes on in the background.
func (s *Simulator) Run(ctx context.Context) error {
	s.events.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: s.client.CoreV1().Events("")})
	go func() { <-ctx.Done(); s.events.Shutdown() }()
	for _, n := range s.nodes {
		if err := s.registerNode(ctx, n); err != nil {
			return err
		}
	}
	if err := s.ensureStorage(ctx); err != nil {
		return err
	}
	s.factory = informers.NewSharedInformerFactory(s.client, 0)
	podInf := s.factory.Core().V1().Pods()
	s.pods = podInf.Lister()
	s.cms = s.factory.Core().V1().ConfigMaps().Lister()
	s.secrets = s.factory.Core().V1().Secrets().Lister()
	s.pvcs = s.factory.Core().V1().PersistentVolumeClaims().Lister()
	s.services = s.factory.Core().V1().Services().Lister()
	enqueue := func(obj any) {
		if p, ok := obj.(*corev1.Pod); ok && s.nodes[p.Spec.NodeName] != nil {
			if key, err := cache.MetaNamespaceKeyFunc(p); err == nil {
				s.queue.Add(key)
			}
		}
	}
	if _, err := podInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, n any) { enqueue(n) },
		DeleteFunc: func(obj any) {
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			if p, ok := obj.(*corev1.Pod); ok {
				s.forget(p)
			}
		},
	}); err != nil {
		return fmt.Errorf("nodesim: pod handler: %w", err)
	}
	// A ConfigMap, Secret or claim that appears can unblock waiting pods.
	requeueNamespace := func(obj any) {
		m, err := metaOf(obj)
		if err != nil {
			return
		}
		pods, _ := s.pods.Pods(m.GetNamespace()).List(everything)
		for _, p := range pods {
			enqueue(p)
		}
	}
	for _, inf := range []cache.SharedIndexInformer{
		s.factory.Core().V1().ConfigMaps().Informer(),
		s.factory.Core().V1().Secrets().Informer(),
		s.factory.Core().V1().PersistentVolumeClaims().Informer(),
		s.factory.Core().V1().Services().Informer(), // a name that starts to resolve
	} {
		if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    requeueNamespace,
			UpdateFunc: func(_, n any) { requeueNamespace(n) },
		}); err != nil {
			return fmt.Errorf("nodesim: handler: %w", err)
		}
	}
	// A lab stops and starts a node's kubelet with an annotation.
	if _, err := s.factory.Core().V1().Nodes().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { s.nodeChanged(ctx, obj) },
		UpdateFunc: func(_, obj any) { s.nodeChanged(ctx, obj) },
	}); err != nil {
		return fmt.Errorf("nodesim: node handler: %w", err)
	}
	if err := s.watchLoadBalancers(ctx); err != nil {
		return err
	}
	if err := s.startProvisioner(ctx); err != nil {
		return err
	}
	s.factory.Start(ctx.Done())
	for typ, ok := range s.factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("nodesim: cache for %v did not sync", typ)
		}
	}
	s.adoptIPs()
	// The add-ons of kube-system: metrics-server (whose Service address
	// the simulator learns) and EKS's own (addons.yaml).
	go untilDone(ctx, s.createMetricsServer)
	go untilDone(ctx, s.createAddons)
	go func() { <-ctx.Done(); s.queue.ShutDown() }()
	go wait.UntilWithContext(ctx, s.worker, time.Second)
	for _, n := range s.nodes {
		go s.heartbeat(ctx, n)
	}
	return nil
}

func (s *Simulator) worker(ctx context.Context) {
	for {
		key, quit := s.queue.Get()
		if quit {
			return
		}
		after, err := s.syncPod(ctx, key)
		switch {
		case err != nil:
			s.queue.AddRateLimited(key)
		case after > 0:
			s.queue.Forget(key)
			s.queue.AddAfter(key, after)
		default:
			s.queue.Forget(key)
		}
		s.queue.Done(key)
	}
}

func (s *Simulator) registerNode(ctx context.Context, n *simNode) error {
	it := n.itype
	allocCPU, allocMem := allocatable(it)
	labels := map[string]string{
		"kubernetes.io/hostname":           n.spec.Name,
		"kubernetes.io/os":                 "linux",
		"kubernetes.io/arch":               "amd64",
		"topology.kubernetes.io/region":    s.cfg.Region,
		"topology.kubernetes.io/zone":      n.spec.Zone,
		"node.kubernetes.io/instance-type": n.spec.InstanceType,
		"eks.amazonaws.com/nodegroup":      "kubelab-workers",
		"eks.amazonaws.com/capacityType":   "ON_DEMAND",
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        n.spec.Name,
			Labels:      labels,
			Annotations: map[string]string{"node.alpha.kubernetes.io/ttl": "0", "kubelab.dev/simulated": "true"},
		},
		Spec: corev1.NodeSpec{ProviderID: fmt.Sprintf("aws:///%s/i-0%x", n.spec.Zone, hash(n.spec.Name))},
	}
	_, err := s.client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("nodesim: register node %s: %w", n.spec.Name, err)
	}
	// Controllers label and taint a new node as it registers: retry the
	// status write on a conflict, as a kubelet does.
	return retry.RetryOnConflict(retry.DefaultRetry, func() error { return s.writeNodeStatus(ctx, n, it, allocCPU, allocMem) })
}

// writeNodeStatus writes a registering node's full status.
func (s *Simulator) writeNodeStatus(ctx context.Context, n *simNode, it topology.InstanceType, allocCPU, allocMem resource.Quantity) error {
	cur, err := s.client.CoreV1().Nodes().Get(ctx, n.spec.Name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("nodesim: get node %s: %w", n.spec.Name, err)
	}
	now := metav1.Now()
	cur.Status = corev1.NodeStatus{
		Capacity: corev1.ResourceList{
			corev1.ResourceCPU:              it.CPU,
			corev1.ResourceMemory:           it.Memory,
			corev1.ResourcePods:             *resource.NewQuantity(it.MaxPods, resource.DecimalSI),
			corev1.ResourceEphemeralStorage: resource.MustParse("20959212Ki"),
		},
		Allocatable: corev1.ResourceList{
			corev1.ResourceCPU:              allocCPU,
			corev1.ResourceMemory:           allocMem,
			corev1.ResourcePods:             *resource.NewQuantity(it.MaxPods, resource.DecimalSI),
			corev1.ResourceEphemeralStorage: resource.MustParse("18242267924"),
		},
		Conditions: nodeConditions(true, now),
		Addresses: []corev1.NodeAddress{
			{Type: corev1.NodeInternalIP, Address: n.spec.IP},
			{Type: corev1.NodeHostName, Address: n.spec.Name},
			{Type: corev1.NodeInternalDNS, Address: n.spec.Name},
		},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: s.kubeletPort}},
		NodeInfo: corev1.NodeSystemInfo{
			MachineID:               fmt.Sprintf("ec2%029x", hash(n.spec.Name)),
			SystemUUID:              fmt.Sprintf("ec2%05x-0000-0000-0000-%012x", hash(n.spec.Name)&0xfffff, hash(n.spec.IP)&0xffffffffffff),
			BootID:                  fmt.Sprintf("%08x-0000-4000-8000-%012x", hash(n.spec.Name+"boot")&0xffffffff, time.Now().UnixNano()&0xffffffffffff),
			KernelVersion:           s.cfg.KernelVersion,
			OSImage:                 s.cfg.OSImage,
			ContainerRuntimeVersion: s.cfg.ContainerRuntimeVersion,
			KubeletVersion:          s.cfg.KubeletVersion,
			OperatingSystem:         "linux",
			Architecture:            "amd64",
		},
	}
	if _, err := s.client.CoreV1().Nodes().UpdateStatus(ctx, cur, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("nodesim: node %s status: %w", n.spec.Name, err)
	}
	return nil
}

// allocatable applies the EKS bootstrap's reservations: CPU by the GKE/EKS
// sliding scale, memory 255Mi + 11Mi per pod, and a 100Mi eviction threshold.
func allocatable(it topology.InstanceType) (resource.Quantity, resource.Quantity) {
	cores := it.CPU.MilliValue() / 1000
	reserved := int64(0)
	for i := int64(1); i <= cores; i++ {
		switch {
		case i == 1:
			reserved += 60
		case i == 2:
			reserved += 10
		case i <= 4:
			reserved += 5
		default:
			reserved += 2
		}
	}
	cpu := *resource.NewMilliQuantity(it.CPU.MilliValue()-reserved, resource.DecimalSI)
	memReserved := (255 + 11*it.MaxPods + 100) << 20
	mem := *resource.NewQuantity(it.Memory.Value()-memReserved, resource.BinarySI)
	return cpu, mem
}

func nodeConditions(ready bool, now metav1.Time) []corev1.NodeCondition {
	readyStatus, reason, msg := corev1.ConditionTrue, "KubeletReady", "kubelet is posting ready status"
	if !ready {
		readyStatus, reason, msg = corev1.ConditionUnknown, "NodeStatusUnknown", "Kubelet stopped posting node status."
	}
	c := func(t corev1.NodeConditionType, st corev1.ConditionStatus, reason, msg string) corev1.NodeCondition {
		return corev1.NodeCondition{Type: t, Status: st, Reason: reason, Message: msg, LastHeartbeatTime: now, LastTransitionTime: now}
	}
	return []corev1.NodeCondition{
		c(corev1.NodeMemoryPressure, corev1.ConditionFalse, "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
		c(corev1.NodeDiskPressure, corev1.ConditionFalse, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
		c(corev1.NodePIDPressure, corev1.ConditionFalse, "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
		c(corev1.NodeReady, readyStatus, reason, msg),
	}
}

// hash is the simulator's stable hash of s.
func hash(s string) uint64 { return stablehash.Of(s) }

// ipPool hands out pod IPs from a node's range.
type ipPool struct {
	mu     sync.Mutex
	prefix netip.Prefix
	used   map[netip.Addr]bool
	next   netip.Addr
}

func newIPPool(cidr string) (*ipPool, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return nil, fmt.Errorf("nodesim: pod range %q: %w", cidr, err)
	}
	p = p.Masked()
	return &ipPool{prefix: p, used: map[netip.Addr]bool{}, next: p.Addr().Next().Next()}, nil
}

func (p *ipPool) take(ip string) {
	if a, err := netip.ParseAddr(ip); err == nil {
		p.mu.Lock()
		p.used[a] = true
		p.mu.Unlock()
	}
}

func (p *ipPool) release(ip string) {
	if a, err := netip.ParseAddr(ip); err == nil {
		p.mu.Lock()
		delete(p.used, a)
		p.mu.Unlock()
	}
}

// allocate returns the next free address, walking the range round-robin so
// a replaced pod gets a new IP, as on a real VPC CNI node.
func (p *ipPool) allocate() (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	start := p.next
	for {
		a := p.next
		p.next = p.next.Next()
		if !p.prefix.Contains(p.next) || p.next == lastAddr(p.prefix) {
			p.next = p.prefix.Addr().Next().Next()
		}
		if !p.used[a] {
			p.used[a] = true
			return a.String(), nil
		}
		if p.next == start {
			return "", fmt.Errorf("nodesim: no free pod IP in %s", p.prefix)
		}
	}
}

func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Addr()
	for n := p.Addr(); p.Contains(n); n = n.Next() {
		a = n
	}
	return a
}

// sortedNodes returns the nodes in name order.
func (s *Simulator) sortedNodes() []*simNode {
	out := make([]*simNode, 0, len(s.nodes))
	for _, n := range s.nodes {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].spec.Name < out[j].spec.Name })
	return out
}
