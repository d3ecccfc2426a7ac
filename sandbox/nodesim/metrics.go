package nodesim

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// metrics.k8s.io for kubectl top and the HorizontalPodAutoscaler, as the
// EKS metrics-server add-on provides it: a metrics-server Deployment and
// Service in kube-system (its pod is simulated like any other) and the
// APIService v1beta1.metrics.k8s.io. The API server's aggregator reaches
// the Service's ClusterIP through the egress proxy, which leads it to the
// simulator's endpoint; there the usage is synthetic: a share of each
// container's requests (default.yaml, behaviour.metrics), or what an
// annotation or the container's command says it uses.

const metricsNamespace = "kube-system"

func (s *Simulator) createMetricsServer(ctx context.Context) error {
	labels := map[string]string{"k8s-app": "metrics-server", "app.kubernetes.io/name": "metrics-server",
		"app.kubernetes.io/instance": "metrics-server", "app.kubernetes.io/managed-by": "EKS"}
	sel := map[string]string{"k8s-app": "metrics-server"}
	ignore := func(err error) error {
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
		return nil
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "metrics-server", Namespace: metricsNamespace, Labels: labels}}
	if _, err := s.client.CoreV1().ServiceAccounts(metricsNamespace).Create(ctx, sa, metav1.CreateOptions{}); ignore(err) != nil {
		return err
	}
	reader := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "system:aggregated-metrics-reader", Labels: map[string]string{
			"k8s-app": "metrics-server", "rbac.authorization.k8s.io/aggregate-to-admin": "true",
			"rbac.authorization.k8s.io/aggregate-to-edit": "true", "rbac.authorization.k8s.io/aggregate-to-view": "true"}},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"metrics.k8s.io"}, Resources: []string{"pods", "nodes"}, Verbs: []string{"get", "list", "watch"}}},
	}
	if _, err := s.client.RbacV1().ClusterRoles().Create(ctx, reader, metav1.CreateOptions{}); ignore(err) != nil {
		return err
	}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "metrics-server", Namespace: metricsNamespace, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: sel},
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType, RollingUpdate: &appsv1.RollingUpdateDeployment{
				MaxUnavailable: ptr.To(intstr.FromInt32(0))}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					ServiceAccountName: "metrics-server",
					PriorityClassName:  "system-cluster-critical",
					NodeSelector:       map[string]string{"kubernetes.io/os": "linux"},
					Containers: []corev1.Container{{
						Name:  "metrics-server",
						Image: s.cfg.Behaviour.Metrics.Image,
						Args: []string{"--cert-dir=/tmp", "--secure-port=10250", "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
							"--kubelet-use-node-status-port", "--metric-resolution=15s"},
						Ports: []corev1.ContainerPort{{Name: "https", ContainerPort: 10250, Protocol: corev1.ProtocolTCP}},
						Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
							corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("200Mi")}},
						LivenessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/livez",
							Port: intstr.FromString("https"), Scheme: corev1.URISchemeHTTPS}}, PeriodSeconds: 10, FailureThreshold: 3},
						SecurityContext: &corev1.SecurityContext{ReadOnlyRootFilesystem: ptr.To(true), RunAsNonRoot: ptr.To(true),
							RunAsUser: ptr.To[int64](1000), AllowPrivilegeEscalation: ptr.To(false)},
					}},
				},
			},
		},
	}
	if _, err := s.client.AppsV1().Deployments(metricsNamespace).Create(ctx, dep, metav1.CreateOptions{}); ignore(err) != nil {
		return err
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "metrics-server", Namespace: metricsNamespace, Labels: labels},
		Spec: corev1.ServiceSpec{Selector: sel, Ports: []corev1.ServicePort{{Name: "https", Port: 443, Protocol: corev1.ProtocolTCP,
			TargetPort: intstr.FromString("https")}}},
	}
	if _, err := s.client.CoreV1().Services(metricsNamespace).Create(ctx, svc, metav1.CreateOptions{}); ignore(err) != nil {
		return err
	}
	cur, err := s.client.CoreV1().Services(metricsNamespace).Get(ctx, "metrics-server", metav1.GetOptions{})
	if err != nil {
		return err
	}
	s.metricsMu.Lock()
	s.metricsAddr = net.JoinHostPort(cur.Spec.ClusterIP, "443")
	s.metricsMu.Unlock()
	apisvc := fmt.Sprintf(`{"apiVersion":"apiregistration.k8s.io/v1","kind":"APIService","metadata":{"name":"v1beta1.metrics.k8s.io","labels":{"k8s-app":"metrics-server"}},`+
		`"spec":{"group":"metrics.k8s.io","version":"v1beta1","service":{"name":"metrics-server","namespace":%q,"port":443},`+
		`"insecureSkipTLSVerify":true,"groupPriorityMinimum":100,"versionPriority":100}}`, metricsNamespace)
	res := s.client.CoreV1().RESTClient().Post().AbsPath("/apis/apiregistration.k8s.io/v1/apiservices").
		SetHeader("Content-Type", "application/json").Body([]byte(apisvc)).Do(ctx)
	if err := res.Error(); ignore(err) != nil {
		return err
	}
	return nil
}

// Route reports whether the API server's connection to hostport (through
// the egress proxy) is for the simulator's endpoint: the metrics-server
// Service's ClusterIP.
func (s *Simulator) Route(hostport string) bool {
	s.metricsMu.Lock()
	defer s.metricsMu.Unlock()
	return s.metricsAddr != "" && hostport == s.metricsAddr
}

// ---- the API ----

type metricsUsage map[corev1.ResourceName]resource.Quantity

type containerMetrics struct {
	Name  string       `json:"name"`
	Usage metricsUsage `json:"usage"`
}

type podMetrics struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Timestamp         metav1.Time        `json:"timestamp"`
	Window            metav1.Duration    `json:"window"`
	Containers        []containerMetrics `json:"containers"`
}

type nodeMetrics struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Timestamp         metav1.Time     `json:"timestamp"`
	Window            metav1.Duration `json:"window"`
	Usage             metricsUsage    `json:"usage"`
}

type metricsList[T any] struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata"`
	Items           []T `json:"items"`
}

func (s *Simulator) serveMetrics(w http.ResponseWriter, r *http.Request) {
	const prefix = "/apis/metrics.k8s.io/v1beta1"
	p := strings.TrimSuffix(r.URL.Path, "/")
	writeJSON := func(v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	notFound := func(msg string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: metav1.StatusFailure,
			Message: msg, Reason: metav1.StatusReasonNotFound, Code: http.StatusNotFound})
	}
	switch p {
	case "/apis/metrics.k8s.io":
		writeJSON(metav1.APIGroup{TypeMeta: metav1.TypeMeta{Kind: "APIGroup", APIVersion: "v1"}, Name: "metrics.k8s.io",
			Versions:         []metav1.GroupVersionForDiscovery{{GroupVersion: "metrics.k8s.io/v1beta1", Version: "v1beta1"}},
			PreferredVersion: metav1.GroupVersionForDiscovery{GroupVersion: "metrics.k8s.io/v1beta1", Version: "v1beta1"}})
		return
	case prefix:
		writeJSON(metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: "metrics.k8s.io/v1beta1",
			APIResources: []metav1.APIResource{
				{Name: "nodes", Kind: "NodeMetrics", Verbs: []string{"get", "list"}},
				{Name: "pods", Kind: "PodMetrics", Namespaced: true, Verbs: []string{"get", "list"}},
			}})
		return
	}
	if !strings.HasPrefix(p, prefix+"/") {
		notFound("the server could not find the requested resource")
		return
	}
	parts := strings.Split(strings.TrimPrefix(p, prefix+"/"), "/")
	sel, err := labels.Parse(r.URL.Query().Get("labelSelector"))
	if err != nil {
		sel = labels.Everything()
	}
	fsel, err := fields.ParseSelector(r.URL.Query().Get("fieldSelector"))
	if err != nil {
		fsel = fields.Everything()
	}
	now := s.now()
	switch {
	case parts[0] == "nodes" && len(parts) <= 2:
		var items []nodeMetrics
		for _, n := range s.sortedNodes() {
			if s.isNotReady(n) || (len(parts) == 2 && parts[1] != n.spec.Name) {
				continue
			}
			if len(parts) == 1 && !fsel.Matches(fields.Set{"metadata.name": n.spec.Name}) {
				continue
			}
			items = append(items, s.nodeUsage(n, now))
		}
		if len(parts) == 2 {
			if len(items) == 0 {
				notFound(fmt.Sprintf("nodemetrics.metrics.k8s.io %q not found", parts[1]))
				return
			}
			writeJSON(items[0])
			return
		}
		writeJSON(metricsList[nodeMetrics]{TypeMeta: metav1.TypeMeta{Kind: "NodeMetricsList", APIVersion: "metrics.k8s.io/v1beta1"}, Items: nonNil(items)})
	case parts[0] == "pods" && len(parts) == 1, parts[0] == "namespaces" && len(parts) >= 3 && parts[2] == "pods" && len(parts) <= 4:
		ns, name := "", ""
		if parts[0] == "namespaces" {
			ns = parts[1]
			if len(parts) == 4 {
				name = parts[3]
			}
		}
		var pods []*corev1.Pod
		if ns == "" {
			pods, _ = s.pods.List(sel)
		} else {
			pods, _ = s.pods.Pods(ns).List(sel)
		}
		var items []podMetrics
		for _, pod := range pods {
			if name != "" && pod.Name != name {
				continue
			}
			if !fsel.Matches(fields.Set{"metadata.name": pod.Name, "metadata.namespace": pod.Namespace}) {
				continue
			}
			if pm, ok := s.podUsage(pod, now); ok {
				items = append(items, pm)
			}
		}
		if name != "" {
			if len(items) == 0 {
				notFound(fmt.Sprintf("podmetrics.metrics.k8s.io %q not found", ns+"/"+name))
				return
			}
			writeJSON(items[0])
			return
		}
		writeJSON(metricsList[podMetrics]{TypeMeta: metav1.TypeMeta{Kind: "PodMetricsList", APIVersion: "metrics.k8s.io/v1beta1"}, Items: nonNil(items)})
	default:
		notFound("the server could not find the requested resource")
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// usage is a container's synthetic usage at now: millicores and bytes.
func (s *Simulator) usage(p *corev1.Pod, c *corev1.Container, in *instance, now time.Time, load int64) (int64, int64) {
	m := s.cfg.Behaviour.Metrics
	bucket := now.Truncate(max(m.Window.Duration, time.Second)).Unix()
	noise := func(salt string) float64 {
		if m.Noise <= 0 {
			return 1
		}
		r := float64(hash(fmt.Sprintf("%s/%s/%s/%d", p.UID, c.Name, salt, bucket))%10000) / 10000
		return 1 + m.Noise*(2*r-1)
	}
	cpu := int64(0)
	idle, idleKnown := catalog.idleCPU(c.Image)
	switch {
	case in.plan.cpu > 0:
		cpu = in.plan.cpu
	case idleKnown:
		cpu = int64(float64(idle)*noise("cpu")) + load
	default:
		if q, ok := c.Resources.Requests[corev1.ResourceCPU]; ok {
			cpu = int64(float64(q.MilliValue()) * m.CPUShare)
		} else {
			cpu = m.CPUDefault.MilliValue()
		}
		cpu = int64(float64(cpu)*noise("cpu")) + load
	}
	if l, ok := c.Resources.Limits[corev1.ResourceCPU]; ok && cpu > l.MilliValue() {
		cpu = l.MilliValue()
	}
	mem := int64(0)
	switch {
	case in.plan.memory > 0:
		mem = in.plan.memory
	default:
		if q, ok := c.Resources.Requests[corev1.ResourceMemory]; ok {
			mem = int64(float64(q.Value()) * m.MemoryShare)
		} else {
			mem = m.MemoryDefault.Value()
		}
		mem = int64(float64(mem) * (1 + (noise("mem")-1)/4))
	}
	if l, ok := c.Resources.Limits[corev1.ResourceMemory]; ok && mem > l.Value() {
		mem = l.Value()
	}
	return max(cpu, 1), mem
}

func (s *Simulator) podUsage(p *corev1.Pod, now time.Time) (podMetrics, bool) {
	st := s.lookupState(string(p.UID))
	if st == nil || p.Status.Phase != corev1.PodRunning {
		return podMetrics{}, false
	}
	m := s.cfg.Behaviour.Metrics
	pm := podMetrics{TypeMeta: metav1.TypeMeta{Kind: "PodMetrics", APIVersion: "metrics.k8s.io/v1beta1"},
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, Labels: p.Labels, CreationTimestamp: metav1.NewTime(now)},
		Timestamp:  metav1.NewTime(now.Truncate(time.Second)), Window: metav1.Duration{Duration: m.Window.Duration}}
	load := s.loadOn(p) // before st.mu: it looks at other pods
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, cs := range st.all() {
		if cs.cur == nil || cs.phase != cRunning && cs.phase != cStopping {
			continue
		}
		if now.Sub(cs.cur.started) < m.FirstAfter.Duration {
			continue
		}
		c := containerSpec(p, cs)
		if c == nil {
			continue
		}
		cpu, mem := s.usage(p, c, cs.cur, now, load)
		load = 0
		pm.Containers = append(pm.Containers, containerMetrics{Name: c.Name, Usage: metricsUsage{
			corev1.ResourceCPU:    *resource.NewScaledQuantity(cpu*1_000_000, resource.Nano),
			corev1.ResourceMemory: *resource.NewQuantity(mem/1024*1024, resource.BinarySI)}})
	}
	return pm, len(pm.Containers) > 0
}

func (s *Simulator) nodeUsage(n *simNode, now time.Time) nodeMetrics {
	m := s.cfg.Behaviour.Metrics
	// The node's own processes (kubelet, containerd, the OS).
	cpu, mem := int64(45+hash(n.spec.Name)%20), int64(520<<20)
	pods, _ := s.pods.List(labels.Everything())
	for _, p := range pods {
		if p.Spec.NodeName != n.spec.Name {
			continue
		}
		if pm, ok := s.podUsage(p, now); ok {
			for _, c := range pm.Containers {
				q := c.Usage[corev1.ResourceCPU]
				cpu += q.MilliValue()
				mq := c.Usage[corev1.ResourceMemory]
				mem += mq.Value()
			}
		}
	}
	return nodeMetrics{TypeMeta: metav1.TypeMeta{Kind: "NodeMetrics", APIVersion: "metrics.k8s.io/v1beta1"},
		ObjectMeta: metav1.ObjectMeta{Name: n.spec.Name, CreationTimestamp: metav1.NewTime(now), Labels: map[string]string{
			"kubernetes.io/hostname": n.spec.Name, "node.kubernetes.io/instance-type": n.spec.InstanceType, "topology.kubernetes.io/zone": n.spec.Zone}},
		Timestamp: metav1.NewTime(now.Truncate(time.Second)), Window: metav1.Duration{Duration: m.Window.Duration},
		Usage: metricsUsage{corev1.ResourceCPU: *resource.NewScaledQuantity(cpu*1_000_000, resource.Nano),
			corev1.ResourceMemory: *resource.NewQuantity(mem/1024*1024, resource.BinarySI)}}
}

// loadOn is the CPU (millicores) that load generators cost pod p: each
// running container that requests a Service's name in an endless loop
// (while true; do wget -q -O- http://php-apache; done) brings
// loadPerClient, shared by the running pods the Service selects.
func (s *Simulator) loadOn(p *corev1.Pod) int64 {
	per := s.cfg.Behaviour.Metrics.LoadPerClient.MilliValue()
	if per <= 0 || s.services == nil || s.pods == nil {
		return 0
	}
	svcs, _ := s.services.Services(p.Namespace).List(everything)
	pods, _ := s.pods.Pods(p.Namespace).List(everything)
	// The hosts load generators of the namespace call, one entry per generator and host.
	var calls []string
	for _, q := range pods {
		st := s.lookupState(string(q.UID))
		if st == nil {
			continue
		}
		st.mu.Lock()
		for _, cs := range st.all() {
			if cs.cur != nil && cs.phase == cRunning && cs.cur.plan != nil {
				calls = append(calls, cs.cur.plan.loadTargets...)
			}
		}
		st.mu.Unlock()
	}
	if len(calls) == 0 {
		return 0
	}
	total := int64(0)
	for _, svc := range svcs {
		if len(svc.Spec.Selector) == 0 || !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(p.Labels)) {
			continue
		}
		clients := 0
		for _, h := range calls {
			if h == svc.Name || h == svc.Name+"."+svc.Namespace || strings.HasPrefix(h, svc.Name+"."+svc.Namespace+".svc") ||
				(svc.Spec.ClusterIP != "" && h == svc.Spec.ClusterIP) {
				clients++
			}
		}
		if clients == 0 {
			continue
		}
		serving := 0
		for _, q := range pods {
			if q.Status.Phase == corev1.PodRunning && q.DeletionTimestamp == nil &&
				labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(q.Labels)) {
				serving++
			}
		}
		total += int64(clients) * per / int64(max(serving, 1))
	}
	return total
}
