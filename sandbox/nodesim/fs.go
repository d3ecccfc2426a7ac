package nodesim

import (
	"encoding/base64"
	"fmt"
	"path"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// mountFS is what a simulated container can read: its volumes (ConfigMaps,
// Secrets, projected and downward API files, emptyDirs that other
// containers of the pod wrote to, hostPath /etc/machine-id) and the files
// the kubelet writes (/etc/hosts, /etc/hostname, /etc/resolv.conf).
type mountFS struct {
	s   *Simulator
	pod *corev1.Pod
	c   *corev1.Container
	n   *simNode
	ip  string
}

// volumeFiles returns a volume's files by path relative to its root, and
// whether the simulator knows its content.
func (m *mountFS) volumeFiles(v *corev1.Volume) (map[string]string, bool) {
	ns := m.pod.Namespace
	files := map[string]string{}
	addCM := func(name string, items []corev1.KeyToPath) {
		cm, err := m.s.cms.ConfigMaps(ns).Get(name)
		if err != nil {
			return
		}
		if len(items) == 0 {
			for k, val := range cm.Data {
				files[k] = val
			}
			for k, val := range cm.BinaryData {
				files[k] = string(val)
			}
			return
		}
		for _, it := range items {
			if val, ok := cm.Data[it.Key]; ok {
				files[it.Path] = val
			} else if b, ok := cm.BinaryData[it.Key]; ok {
				files[it.Path] = string(b)
			}
		}
	}
	addSecret := func(name string, items []corev1.KeyToPath) {
		sec, err := m.s.secrets.Secrets(ns).Get(name)
		if err != nil {
			return
		}
		if len(items) == 0 {
			for k, val := range sec.Data {
				files[k] = string(val)
			}
			return
		}
		for _, it := range items {
			if val, ok := sec.Data[it.Key]; ok {
				files[it.Path] = string(val)
			}
		}
	}
	addDownward := func(items []corev1.DownwardAPIVolumeFile) {
		// The kubelet rewrites these files when the pod's labels or
		// annotations change: read them from the pod as it is now.
		pod := m.pod
		if cur, err := m.s.pods.Pods(ns).Get(m.pod.Name); err == nil && cur.UID == m.pod.UID {
			pod = cur
		}
		for _, it := range items {
			switch {
			case it.FieldRef != nil:
				if val, err := fieldValue(pod, it.FieldRef.FieldPath, m.n, m.ip); err == "" {
					files[it.Path] = val
				}
			case it.ResourceFieldRef != nil:
				files[it.Path] = resourceValue(m.pod, m.c, it.ResourceFieldRef, m.n)
			}
		}
	}
	switch {
	case v.ConfigMap != nil:
		addCM(v.ConfigMap.Name, v.ConfigMap.Items)
	case v.Secret != nil:
		addSecret(v.Secret.SecretName, v.Secret.Items)
	case v.DownwardAPI != nil:
		addDownward(v.DownwardAPI.Items)
	case v.Projected != nil:
		for _, src := range v.Projected.Sources {
			switch {
			case src.ConfigMap != nil:
				addCM(src.ConfigMap.Name, src.ConfigMap.Items)
			case src.Secret != nil:
				addSecret(src.Secret.Name, src.Secret.Items)
			case src.DownwardAPI != nil:
				addDownward(src.DownwardAPI.Items)
			case src.ServiceAccountToken != nil:
				files[src.ServiceAccountToken.Path] = fakeToken(m.pod)
			}
		}
	case v.HostPath != nil:
		if v.HostPath.Path == "/etc/machine-id" {
			files[""] = fmt.Sprintf("ec2%029x\n", hash(m.n.spec.Name))
		}
	case v.EmptyDir != nil, v.PersistentVolumeClaim != nil, v.Ephemeral != nil:
	default:
		return nil, false
	}
	return files, true
}

// fakeToken looks like a service account token; it is not one.
func fakeToken(p *corev1.Pod) string {
	enc := base64.RawURLEncoding.EncodeToString
	head := enc([]byte(`{"alg":"RS256","kid":"kubelab-simulated"}`))
	body := enc([]byte(fmt.Sprintf(`{"aud":["https://kubernetes.default.svc.cluster.local"],"iss":"https://kubernetes.default.svc.cluster.local","kubernetes.io":{"namespace":%q,"pod":{"name":%q},"serviceaccount":{"name":%q}},"sub":"system:serviceaccount:%s:%s"}`,
		p.Namespace, p.Name, p.Spec.ServiceAccountName, p.Namespace, p.Spec.ServiceAccountName)))
	return head + "." + body + "." + enc([]byte("simulated node: not a real signature"))
}

// mountAt finds the volume mount that holds p and the path inside it.
func (m *mountFS) mountAt(p string) (*corev1.VolumeMount, *corev1.Volume, string) {
	var best *corev1.VolumeMount
	for i := range m.c.VolumeMounts {
		vm := &m.c.VolumeMounts[i]
		mp := path.Clean(vm.MountPath)
		if p == mp || strings.HasPrefix(p, strings.TrimSuffix(mp, "/")+"/") {
			if best == nil || len(mp) > len(path.Clean(best.MountPath)) {
				best = vm
			}
		}
	}
	if best == nil {
		return nil, nil, ""
	}
	for i := range m.pod.Spec.Volumes {
		if m.pod.Spec.Volumes[i].Name == best.Name {
			rel := strings.TrimPrefix(strings.TrimPrefix(p, path.Clean(best.MountPath)), "/")
			if best.SubPath != "" {
				rel = path.Join(best.SubPath, rel)
				if rel == "." {
					rel = ""
				}
			}
			return best, &m.pod.Spec.Volumes[i], rel
		}
	}
	return nil, nil, ""
}

func (m *mountFS) kubeletFile(p string) (string, bool) {
	switch p {
	case "/etc/hostname":
		return podHostname(m.pod) + "\n", true
	case "/etc/hosts":
		if m.pod.Spec.HostNetwork {
			return "127.0.0.1 localhost\n" + m.n.spec.IP + " " + m.n.spec.Name + "\n", true
		}
		var b strings.Builder
		b.WriteString("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" +
			"fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n")
		if m.pod.Spec.Subdomain != "" {
			fmt.Fprintf(&b, "%s\t%s.%s.%s.svc.cluster.local\t%s\n", m.ip, podHostname(m.pod), m.pod.Spec.Subdomain, m.pod.Namespace, podHostname(m.pod))
		} else {
			fmt.Fprintf(&b, "%s\t%s\n", m.ip, podHostname(m.pod))
		}
		for _, ha := range m.pod.Spec.HostAliases {
			fmt.Fprintf(&b, "\n# Entries added by HostAliases.\n%s\t%s\n", ha.IP, strings.Join(ha.Hostnames, "\t"))
		}
		return b.String(), true
	case "/etc/resolv.conf":
		if m.pod.Spec.DNSPolicy == corev1.DNSDefault || (m.pod.Spec.HostNetwork && m.pod.Spec.DNSPolicy != corev1.DNSClusterFirstWithHostNet) {
			return "search ec2.internal\nnameserver 192.168.0.2\n", true
		}
		return fmt.Sprintf("search %s.svc.cluster.local svc.cluster.local cluster.local ec2.internal\nnameserver %s\noptions ndots:5\n",
			m.pod.Namespace, clusterDNS()), true
	}
	return "", false
}

// ReadFile gives the content of a file of the container's mounts, or of
// the files the kubelet writes (/etc/hosts, /etc/resolv.conf).
func (m *mountFS) ReadFile(p string) (string, bool) {
	p = path.Clean(p)
	if s, ok := m.kubeletFile(p); ok {
		return s, true
	}
	vm, v, rel := m.mountAt(p)
	if vm == nil {
		return "", false
	}
	files, ok := m.volumeFiles(v)
	if !ok {
		return "", false
	}
	if atomicVolume(v) {
		rel = m.throughData(v, rel)
	}
	s, ok := files[rel]
	return s, ok
}

// atomicVolume reports volumes the kubelet writes atomically (ConfigMap,
// Secret, downward API, projected): their files are symbolic links into
// ..data, itself a link to a timestamped directory.
func atomicVolume(v *corev1.Volume) bool {
	return v.ConfigMap != nil || v.Secret != nil || v.DownwardAPI != nil || v.Projected != nil
}

// dataDir is the timestamped directory ..data points to.
func (m *mountFS) dataDir(v *corev1.Volume) string {
	t := m.pod.CreationTimestamp.UTC()
	return fmt.Sprintf("..%s.%09d", t.Format("2006_01_02_15_04_05"), hash(string(m.pod.UID)+"/"+v.Name)%1_000_000_000)
}

// throughData maps a path through ..data or the timestamped directory to
// the volume's file.
func (m *mountFS) throughData(v *corev1.Volume, rel string) string {
	for _, d := range []string{"..data", m.dataDir(v)} {
		if rel == d {
			return ""
		}
		if strings.HasPrefix(rel, d+"/") {
			return strings.TrimPrefix(rel, d+"/")
		}
	}
	return rel
}

// Readlink is where a symbolic link of an atomically written volume points.
func (m *mountFS) Readlink(p string) (string, bool) {
	p = path.Clean(p)
	vm, v, rel := m.mountAt(p)
	if vm == nil || !atomicVolume(v) || rel == "" || strings.Contains(rel, "/") || vm.SubPath != "" {
		return "", false
	}
	if rel == "..data" {
		return m.dataDir(v), true
	}
	if rel == m.dataDir(v) {
		return "", false
	}
	return "..data/" + rel, true
}

// ReadDir lists a directory inside a volume; directories elsewhere are
// unknown to the simulator.
func (m *mountFS) ReadDir(p string) ([]string, bool) {
	p = path.Clean(p)
	vm, v, rel := m.mountAt(p)
	if vm == nil {
		return nil, false
	}
	files, ok := m.volumeFiles(v)
	if !ok {
		return nil, false
	}
	top := rel == "" && vm.SubPath == ""
	if atomicVolume(v) {
		rel = m.throughData(v, rel)
	}
	if _, isFile := files[rel]; isFile {
		return nil, false
	}
	names := map[string]bool{}
	prefix := ""
	if rel != "" {
		prefix = rel + "/"
	}
	found := rel == ""
	for f := range files {
		if strings.HasPrefix(f, prefix) && f != rel {
			found = true
			names[strings.SplitN(f[len(prefix):], "/", 2)[0]] = true
		}
	}
	if !found {
		return nil, false
	}
	if top && atomicVolume(v) {
		names["..data"], names[m.dataDir(v)] = true, true
	}
	out := make([]string, 0, len(names))
	for n := range names {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, true
}
