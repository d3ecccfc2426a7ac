package nodesim

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kubelab/kubelab/sandbox/nodesim/internal/shell"
)

// kubernetesServiceIP is the kubernetes Service's address in the Service
// range of controlplane.ServiceCIDR (10.100.0.0/16, as on EKS); the
// simulator reads the real one from the Service when it can.
const kubernetesServiceIP = "10.100.0.1"

// clusterDNS is the cluster DNS Service address (.10 of the range, as on EKS).
func clusterDNS() string { return strings.TrimSuffix(kubernetesServiceIP, ".1") + ".10" }

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// volumeBlocker reports a volume the kubelet cannot set up yet.
func (s *Simulator) volumeBlocker(p *corev1.Pod) (string, bool) {
	for _, v := range p.Spec.Volumes {
		fail := func(err string) (string, bool) {
			return fmt.Sprintf("MountVolume.SetUp failed for volume %q : %s", v.Name, err), true
		}
		switch {
		case v.ConfigMap != nil:
			if msg := s.configMapMissing(p.Namespace, v.ConfigMap.Name, v.ConfigMap.Optional, v.ConfigMap.Items); msg != "" {
				return fail(msg)
			}
		case v.Secret != nil:
			if msg := s.secretMissing(p.Namespace, v.Secret.SecretName, v.Secret.Optional, v.Secret.Items); msg != "" {
				return fail(msg)
			}
		case v.Projected != nil:
			var errs []string
			for _, src := range v.Projected.Sources {
				if src.ConfigMap != nil {
					if msg := s.configMapMissing(p.Namespace, src.ConfigMap.Name, src.ConfigMap.Optional, src.ConfigMap.Items); msg != "" {
						errs = append(errs, msg)
					}
				}
				if src.Secret != nil {
					if msg := s.secretMissing(p.Namespace, src.Secret.Name, src.Secret.Optional, src.Secret.Items); msg != "" {
						errs = append(errs, msg)
					}
				}
			}
			if len(errs) == 1 {
				return fail(errs[0])
			}
			if len(errs) > 1 {
				return fail("[" + strings.Join(errs, ", ") + "]")
			}
		case v.PersistentVolumeClaim != nil:
			pvc, err := s.pvcs.PersistentVolumeClaims(p.Namespace).Get(v.PersistentVolumeClaim.ClaimName)
			if err != nil {
				return fmt.Sprintf("Unable to attach or mount volumes: unmounted volumes=[%s]: error processing PVC %s/%s: PVC is not bound",
					v.Name, p.Namespace, v.PersistentVolumeClaim.ClaimName), true
			}
			if pvc.Status.Phase != corev1.ClaimBound {
				return "", true // attach waits quietly for the binder
			}
		}
	}
	return "", false
}

func optional(b *bool) bool { return b != nil && *b }

func (s *Simulator) configMapMissing(ns, name string, opt *bool, items []corev1.KeyToPath) string {
	cm, err := s.cms.ConfigMaps(ns).Get(name)
	if err != nil {
		if optional(opt) {
			return ""
		}
		return fmt.Sprintf("configmap %q not found", name)
	}
	for _, it := range items {
		_, ok := cm.Data[it.Key]
		_, okb := cm.BinaryData[it.Key]
		if !ok && !okb && !optional(opt) {
			return "configmap references non-existent config key: " + it.Key
		}
	}
	return ""
}

func (s *Simulator) secretMissing(ns, name string, opt *bool, items []corev1.KeyToPath) string {
	sec, err := s.secrets.Secrets(ns).Get(name)
	if err != nil {
		if optional(opt) {
			return ""
		}
		return fmt.Sprintf("secret %q not found", name)
	}
	for _, it := range items {
		if _, ok := sec.Data[it.Key]; !ok && !optional(opt) {
			return "secret references non-existent secret key: " + it.Key
		}
	}
	return ""
}

// envVar is one variable of a container's environment, in order.
type envVar struct{ name, value string }

// containerEnv computes a container's environment as the kubelet does, or
// the CreateContainerConfigError message.
func (s *Simulator) containerEnv(p *corev1.Pod, c *corev1.Container, n *simNode, podIP string) ([]envVar, string) {
	vals := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, ok := vals[k]; !ok {
			order = append(order, k)
		}
		vals[k] = v
	}
	for _, ef := range c.EnvFrom {
		switch {
		case ef.ConfigMapRef != nil:
			cm, err := s.cms.ConfigMaps(p.Namespace).Get(ef.ConfigMapRef.Name)
			if err != nil {
				if optional(ef.ConfigMapRef.Optional) {
					continue
				}
				return nil, fmt.Sprintf("configmap %q not found", ef.ConfigMapRef.Name)
			}
			keys := sortedKeys(cm.Data)
			for _, k := range keys {
				if !strings.Contains(k, "=") {
					set(ef.Prefix+k, cm.Data[k])
				}
			}
		case ef.SecretRef != nil:
			sec, err := s.secrets.Secrets(p.Namespace).Get(ef.SecretRef.Name)
			if err != nil {
				if optional(ef.SecretRef.Optional) {
					continue
				}
				return nil, fmt.Sprintf("secret %q not found", ef.SecretRef.Name)
			}
			keys := make([]string, 0, len(sec.Data))
			for k := range sec.Data {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if !strings.Contains(k, "=") {
					set(ef.Prefix+k, string(sec.Data[k]))
				}
			}
		}
	}
	lookup := func(k string) (string, bool) { v, ok := vals[k]; return v, ok }
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			set(e.Name, expandK8s(e.Value, lookup))
			continue
		}
		vf := e.ValueFrom
		switch {
		case vf.ConfigMapKeyRef != nil:
			r := vf.ConfigMapKeyRef
			cm, err := s.cms.ConfigMaps(p.Namespace).Get(r.Name)
			if err != nil {
				if optional(r.Optional) {
					continue
				}
				return nil, fmt.Sprintf("configmap %q not found", r.Name)
			}
			v, ok := cm.Data[r.Key]
			if !ok {
				if optional(r.Optional) {
					continue
				}
				return nil, fmt.Sprintf("couldn't find key %s in ConfigMap %s/%s", r.Key, p.Namespace, r.Name)
			}
			set(e.Name, v)
		case vf.SecretKeyRef != nil:
			r := vf.SecretKeyRef
			sec, err := s.secrets.Secrets(p.Namespace).Get(r.Name)
			if err != nil {
				if optional(r.Optional) {
					continue
				}
				return nil, fmt.Sprintf("secret %q not found", r.Name)
			}
			v, ok := sec.Data[r.Key]
			if !ok {
				if optional(r.Optional) {
					continue
				}
				return nil, fmt.Sprintf("couldn't find key %s in Secret %s/%s", r.Key, p.Namespace, r.Name)
			}
			set(e.Name, string(v))
		case vf.FieldRef != nil:
			v, err := fieldValue(p, vf.FieldRef.FieldPath, n, podIP)
			if err != "" {
				return nil, err
			}
			set(e.Name, v)
		case vf.ResourceFieldRef != nil:
			set(e.Name, resourceValue(p, c, vf.ResourceFieldRef, n))
		}
	}
	// Service links: the kubernetes Service always, those of the namespace
	// unless enableServiceLinks is false.
	svcVars := map[string]string{}
	addSvc := func(svc *corev1.Service) {
		if svc.Spec.ClusterIP == "" || svc.Spec.ClusterIP == corev1.ClusterIPNone || len(svc.Spec.Ports) == 0 {
			return
		}
		name := strings.ToUpper(strings.ReplaceAll(svc.Name, "-", "_"))
		ip := svc.Spec.ClusterIP
		first := svc.Spec.Ports[0]
		svcVars[name+"_SERVICE_HOST"] = ip
		svcVars[name+"_SERVICE_PORT"] = strconv.Itoa(int(first.Port))
		svcVars[name+"_PORT"] = fmt.Sprintf("%s://%s:%d", strings.ToLower(string(first.Protocol)), ip, first.Port)
		for _, sp := range svc.Spec.Ports {
			proto := strings.ToLower(string(sp.Protocol))
			if proto == "" {
				proto = "tcp"
			}
			if sp.Name != "" {
				svcVars[name+"_SERVICE_PORT_"+strings.ToUpper(strings.ReplaceAll(sp.Name, "-", "_"))] = strconv.Itoa(int(sp.Port))
			}
			pre := fmt.Sprintf("%s_PORT_%d_%s", name, sp.Port, strings.ToUpper(proto))
			svcVars[pre] = fmt.Sprintf("%s://%s:%d", proto, ip, sp.Port)
			svcVars[pre+"_PROTO"] = proto
			svcVars[pre+"_PORT"] = strconv.Itoa(int(sp.Port))
			svcVars[pre+"_ADDR"] = ip
		}
	}
	if s.services != nil {
		if svc, err := s.services.Services(corev1.NamespaceDefault).Get("kubernetes"); err == nil {
			addSvc(svc)
		}
		if p.Spec.EnableServiceLinks == nil || *p.Spec.EnableServiceLinks {
			svcs, _ := s.services.Services(p.Namespace).List(everything)
			sort.Slice(svcs, func(i, j int) bool { return svcs[i].Name < svcs[j].Name })
			for _, svc := range svcs {
				if p.Namespace == corev1.NamespaceDefault && svc.Name == "kubernetes" {
					continue
				}
				addSvc(svc)
			}
		}
	}
	if _, ok := svcVars["KUBERNETES_SERVICE_HOST"]; !ok {
		ip := kubernetesServiceIP
		for k, v := range map[string]string{"KUBERNETES_SERVICE_HOST": ip, "KUBERNETES_SERVICE_PORT": "443",
			"KUBERNETES_SERVICE_PORT_HTTPS": "443", "KUBERNETES_PORT": "tcp://" + ip + ":443",
			"KUBERNETES_PORT_443_TCP": "tcp://" + ip + ":443", "KUBERNETES_PORT_443_TCP_PROTO": "tcp",
			"KUBERNETES_PORT_443_TCP_PORT": "443", "KUBERNETES_PORT_443_TCP_ADDR": ip} {
			svcVars[k] = v
		}
	}
	out := []envVar{{"PATH", defaultPath}, {"HOSTNAME", podHostname(p)}}
	for _, k := range order {
		if k == "PATH" || k == "HOSTNAME" {
			out[map[string]int{"PATH": 0, "HOSTNAME": 1}[k]].value = vals[k]
			continue
		}
		out = append(out, envVar{k, vals[k]})
	}
	for _, k := range sortedKeys(svcVars) {
		if _, ok := vals[k]; !ok {
			out = append(out, envVar{k, svcVars[k]})
		}
	}
	if _, ok := vals["HOME"]; !ok {
		home := "/root"
		if uid := runAsUser(p, c); uid != 0 {
			home = "/"
		}
		out = append(out, envVar{"HOME", home})
	}
	return out, ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var k8sVarRe = regexp.MustCompile(`\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)`)

// expandK8s expands $(VAR) references as the kubelet does for env values,
// command and args; $$ is a literal $.
func expandK8s(s string, lookup func(string) (string, bool)) string {
	if !strings.Contains(s, "$") {
		return s
	}
	return k8sVarRe.ReplaceAllStringFunc(s, func(m string) string {
		if m == "$$" {
			return "$"
		}
		if v, ok := lookup(m[2 : len(m)-1]); ok {
			return v
		}
		return m
	})
}

func podHostname(p *corev1.Pod) string {
	h := p.Name
	if p.Spec.Hostname != "" {
		h = p.Spec.Hostname
	}
	if len(h) > 63 {
		h = strings.TrimRight(h[:63], "-.")
	}
	return h
}

var fieldKeyRe = regexp.MustCompile(`^metadata\.(labels|annotations)\['(.+)'\]$`)

func fieldValue(p *corev1.Pod, fp string, n *simNode, podIP string) (string, string) {
	if m := fieldKeyRe.FindStringSubmatch(fp); m != nil {
		if m[1] == "labels" {
			return p.Labels[m[2]], ""
		}
		return p.Annotations[m[2]], ""
	}
	switch fp {
	case "metadata.name":
		return p.Name, ""
	case "metadata.namespace":
		return p.Namespace, ""
	case "metadata.uid":
		return string(p.UID), ""
	case "metadata.labels":
		return formatMap(p.Labels), ""
	case "metadata.annotations":
		return formatMap(p.Annotations), ""
	case "spec.nodeName":
		return p.Spec.NodeName, ""
	case "spec.serviceAccountName":
		return p.Spec.ServiceAccountName, ""
	case "status.hostIP", "status.hostIPs":
		return n.spec.IP, ""
	case "status.podIP", "status.podIPs":
		return podIP, ""
	}
	return "", fmt.Sprintf("unsupported fieldPath: %s", fp)
}

func formatMap(m map[string]string) string {
	var b strings.Builder
	for i, k := range sortedKeys(m) {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s=%q", k, m[k])
	}
	return b.String()
}

func resourceValue(p *corev1.Pod, c *corev1.Container, r *corev1.ResourceFieldSelector, n *simNode) string {
	target := c
	if r.ContainerName != "" {
		for i := range p.Spec.Containers {
			if p.Spec.Containers[i].Name == r.ContainerName {
				target = &p.Spec.Containers[i]
			}
		}
	}
	cpu, mem := allocatable(n.itype)
	var q resource.Quantity
	switch r.Resource {
	case "limits.cpu":
		q = cpu
		if v, ok := target.Resources.Limits[corev1.ResourceCPU]; ok {
			q = v
		}
	case "requests.cpu":
		q = target.Resources.Requests[corev1.ResourceCPU]
	case "limits.memory":
		q = mem
		if v, ok := target.Resources.Limits[corev1.ResourceMemory]; ok {
			q = v
		}
	case "requests.memory":
		q = target.Resources.Requests[corev1.ResourceMemory]
	case "limits.ephemeral-storage", "requests.ephemeral-storage":
		q = resource.MustParse("18242267924")
	}
	div := r.Divisor
	if div.IsZero() {
		div = resource.MustParse("1")
	}
	if strings.HasSuffix(r.Resource, "cpu") {
		return strconv.FormatInt(int64(math.Ceil(float64(q.MilliValue())/float64(div.MilliValue()))), 10)
	}
	return strconv.FormatInt(int64(math.Ceil(float64(q.Value())/float64(div.Value()))), 10)
}

func runAsUser(p *corev1.Pod, c *corev1.Container) int64 {
	if c.SecurityContext != nil && c.SecurityContext.RunAsUser != nil {
		return *c.SecurityContext.RunAsUser
	}
	if p.Spec.SecurityContext != nil && p.Spec.SecurityContext.RunAsUser != nil {
		return *p.Spec.SecurityContext.RunAsUser
	}
	return 0
}

func runAsGroup(p *corev1.Pod, c *corev1.Container) int64 {
	if c.SecurityContext != nil && c.SecurityContext.RunAsGroup != nil {
		return *c.SecurityContext.RunAsGroup
	}
	if p.Spec.SecurityContext != nil && p.Spec.SecurityContext.RunAsGroup != nil {
		return *p.Spec.SecurityContext.RunAsGroup
	}
	return runAsUser(p, c)
}

// shellEnv is the environment a container's processes run against.
func (r *podRun) shellEnv(c *corev1.Container, env []envVar, start time.Time) *shell.Env {
	e := &shell.Env{Vars: map[string]string{}, Hostname: podHostname(r.pod), Start: start, Cwd: c.WorkingDir,
		UID: runAsUser(r.pod, c), GID: runAsGroup(r.pod, c), Groups: supplementary(r.pod), Servers: r.servers,
		EndsUnknown: ownedByJob(r.pod) || isInitContainer(r.pod, c),
		Volumes:     r.st.volView(r.pod, c, nil), DNSServer: clusterDNS()}
	for _, v := range env {
		e.Vars[v.name] = v.value
		e.Order = append(e.Order, v.name)
	}
	e.Files = &mountFS{s: r.Simulator, pod: r.pod, c: c, n: r.node, ip: r.st.ip}
	e.Resolve = func(name string) (string, string, bool) { return r.resolve(r.pod.Namespace, name) }
	return e
}

// supplementary are the groups the kubelet adds to a pod's processes: its
// fsGroup and supplementalGroups.
func supplementary(p *corev1.Pod) []int64 {
	sc := p.Spec.SecurityContext
	if sc == nil {
		return nil
	}
	var out []int64
	if sc.FSGroup != nil {
		out = append(out, *sc.FSGroup)
	}
	return append(out, sc.SupplementalGroups...)
}

// mainCommand is the command line of a container's first process, as ps shows it.
func mainCommand(p *corev1.Pod, c *corev1.Container, argv []string) string {
	if len(argv) > 0 {
		return strings.Join(argv, " ")
	}
	img := imageName(c.Image)
	switch img {
	case "nginx", "nginx-slim":
		return "nginx: master process nginx -g daemon off;"
	case "busybox", "alpine":
		return "sh"
	case "redis":
		return "redis-server *:6379"
	case "httpd":
		return "httpd -DFOREGROUND"
	case "mysql":
		return "mysqld"
	case "pause":
		return "/pause"
	}
	return img
}

// isInitContainer reports an init container that must end (not a sidecar):
// an unknown program it runs last does its work and exits.
func isInitContainer(p *corev1.Pod, c *corev1.Container) bool {
	for i := range p.Spec.InitContainers {
		ic := &p.Spec.InitContainers[i]
		if ic.Name == c.Name {
			return ic.RestartPolicy == nil || *ic.RestartPolicy != corev1.ContainerRestartPolicyAlways
		}
	}
	return false
}

// resolve answers a DNS lookup from a pod of namespace ns: Service names
// (svc, svc.ns, svc.ns.svc, svc.ns.svc.cluster.local, and pod.svc of a
// headless Service) give the Service's address; a name with a dot that is
// not in cluster.local is outside the cluster and resolves too.
func (s *Simulator) resolve(ns, name string) (string, string, bool) {
	name = strings.TrimSuffix(name, ".")
	labels := strings.Split(strings.TrimSuffix(strings.TrimSuffix(name, ".cluster.local"), ".svc"), ".")
	explicit := strings.HasSuffix(name, ".cluster.local") || strings.HasSuffix(name, ".svc")
	fq := func(svc, sns string) string { return svc + "." + sns + ".svc.cluster.local" }
	if !explicit && len(labels) > 2 {
		return name, shell.FakeIP(name), true
	}
	if !explicit && len(labels) == 2 {
		// svc.ns, or a name outside the cluster (example.com).
		if fqdn, ip, ok := s.resolve(ns, name+".svc"); ok {
			return fqdn, ip, true
		}
		return name, shell.FakeIP(name), true
	}
	if s.services == nil {
		return name, "", false
	}
	find := func(svcName, sns string) (string, bool) {
		svc, err := s.services.Services(sns).Get(svcName)
		if err != nil {
			return "", false
		}
		if svc.Spec.ClusterIP == corev1.ClusterIPNone {
			return shell.FakeIP(sns + "/" + svcName), true
		}
		return svc.Spec.ClusterIP, true
	}
	switch len(labels) {
	case 1:
		ip, ok := find(labels[0], ns)
		return fq(labels[0], ns), ip, ok
	case 2:
		if ip, ok := find(labels[0], labels[1]); ok {
			return fq(labels[0], labels[1]), ip, true
		}
		// pod.headless-service in the pod's namespace
		if ip, ok := find(labels[1], ns); ok {
			return labels[0] + "." + fq(labels[1], ns), ip, ok
		}
		return fq(labels[0], labels[1]), "", false
	case 3:
		ip, ok := find(labels[1], labels[2])
		return labels[0] + "." + fq(labels[1], labels[2]), ip, ok
	}
	return name, "", false
}
