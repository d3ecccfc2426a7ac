package nodesim

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// What the image catalog says of pulls: catalogued repositories have only
// their real tags, unknown registries do not resolve.
func TestCatalogPulls(t *testing.T) {
	cases := []struct {
		image string
		fails string // "" pulls
	}{
		{"nginx:1.25.1", ""},
		{"nginx:1.14.2", ""},
		{"nginx", ""},
		{"nginx:1.27-alpine", ""},
		{"nginx:1.161", "docker.io/library/nginx:1.161: not found"},
		{"nginx:v1.25", "not found"},
		{"busybox:1.36", ""},
		{"busybox:1.28", ""},
		{"busybox:2.0", "not found"},
		{"mysql:8.0", ""},
		{"mysql:5.6", ""},
		{"mysql:8.9", "not found"},
		{"redis:5", ""},
		{"redis:7.2.4-alpine", ""},
		{"registry.k8s.io/e2e-test-images/agnhost:2.40", ""},
		{"registry.k8s.io/liveness", ""},
		{"registry.k8s.io/pause:3.9", ""},
		{"registry.k8s.io/nginx-slim:0.8", ""},
		{"fluent/fluent-bit:2.0.5", ""},                             // not catalogued: any tag
		{"cr.fluentbit.io/fluent/fluent-bit:2.0.5", ""},             // a known registry
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1", ""}, // ECR
		{"myregistry.example.com/app:1.0", "lookup myregistry.example.com on 192.168.0.2:53: no such host"},
		{"registry.k8s.io/redis@sha256:cb111d1bd870a6a471385a4a69ad17469d326e9dd91e0e455350cacf36e1b3ee", ""},
	}
	for _, c := range cases {
		t.Run(c.image, func(t *testing.T) {
			msg, bad := catalog.pullError(c.image)
			switch {
			case c.fails == "" && bad:
				t.Errorf("%s: fails to pull: %s", c.image, msg)
			case c.fails != "" && (!bad || !strings.Contains(msg, c.fails)):
				t.Errorf("%s: %v %q, want a failure with %q", c.image, bad, msg, c.fails)
			}
		})
	}
}

// Servers log the version their image runs.
func TestCatalogVersionsInLogs(t *testing.T) {
	cases := []struct{ image, want, not string }{
		{"mysql:8.0", "/usr/sbin/mysqld (mysqld 8.0.40) starting as process 1", "5.6.51"},
		{"mysql:5.6", "mysqld (mysqld 5.6.51) starting as process 1", "MY-010116"},
		{"mysql:5.7.44", "mysqld (mysqld 5.7.44) starting", ""},
		{"redis:5", "# Redis version=5.0.14", "connections tcp"},
		{"redis:7.2", "* Redis version=7.2.6", ""},
		{"redis", "Ready to accept connections tcp", ""},
		{"nginx:1.25.1", "nginx/1.25.1", ""},
		{"nginx:1.14", "nginx/1.14.2", ""},
	}
	for _, c := range cases {
		t.Run(c.image, func(t *testing.T) {
			h := newHarness(t)
			p := podFrom(t, `
metadata: {name: server}
spec:
  containers: [{name: s, image: "`+c.image+`"}]
`)
			h.run(p, 5*time.Second)
			v, _, msg := h.s.logTargetFor(p, "s")
			if v == nil {
				t.Fatalf("%s: %s", c.image, msg)
			}
			got := linesText(h.s.logLines(v, h.now))
			if !strings.Contains(got, c.want) || (c.not != "" && strings.Contains(got, c.not)) {
				t.Errorf("%s logs:\n%s\nwant %q, not %q", c.image, got, c.want, c.not)
			}
		})
	}
}

// The liveness example image's /healthz fails after 10 s: the kubelet
// restarts it, again and again.
func TestLivenessHTTPImageRestarts(t *testing.T) {
	for _, spec := range []string{
		`{name: liveness, image: registry.k8s.io/e2e-test-images/agnhost:2.40, args: [liveness],
  livenessProbe: {httpGet: {path: /healthz, port: 8080, httpHeaders: [{name: Custom-Header, value: Awesome}]}, initialDelaySeconds: 3, periodSeconds: 3}}`,
		`{name: liveness, image: registry.k8s.io/liveness, args: [/server],
  livenessProbe: {httpGet: {path: /healthz, port: 8080}, initialDelaySeconds: 3, periodSeconds: 3}}`,
	} {
		h := newHarness(t)
		p := podFrom(t, "metadata: {name: liveness-http}\nspec:\n  containers:\n  - "+spec+"\n")
		ss := h.run(p, 40*time.Second)
		expectStates(t, ss, p, "1/1 Running 0", "1/1 Running 1")
		evs := h.events()
		if !hasEvent(evs, "Unhealthy Liveness probe failed: HTTP probe failed with statuscode: 500") ||
			!hasEvent(evs, "Killing Container liveness failed liveness probe, will be restarted") {
			t.Errorf("events %v", evs)
		}
		// Not before 10 s of running.
		for _, s := range ss {
			if s.at < 10*time.Second && len(s.status.ContainerStatuses) == 1 && s.status.ContainerStatuses[0].RestartCount > 0 {
				t.Errorf("restarted at %s:\n%s", s.at, timeline(ss, p))
			}
		}
		// agnhost netexec (not liveness) stays healthy.
		q := podFrom(t, `
metadata: {name: netexec}
spec:
  containers:
  - {name: c, image: registry.k8s.io/e2e-test-images/agnhost:2.40, args: [netexec, --http-port=8080], livenessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 3}}
`)
		ss = h.run(q, 30*time.Second)
		if summary(q) != "1/1 Running 0" {
			t.Errorf("agnhost netexec: %s", timeline(ss, q))
		}
	}
}

// An init script that tests for a directory and exits finishes (the
// replicated MySQL StatefulSet's clone-mysql), and tail -F waits for a file.
func TestInitScriptsFinish(t *testing.T) {
	h := newHarness(t)
	p := podFrom(t, `
metadata: {name: mysql-1}
spec:
  volumes: [{name: data, emptyDir: {}}, {name: conf, emptyDir: {}}]
  initContainers:
  - name: init-mysql
    image: mysql:5.7
    command:
    - bash
    - "-c"
    - |
      set -ex
      [[ $HOSTNAME =~ -([0-9]+)$ ]] || exit 1
      ordinal=${BASH_REMATCH[1]}
      echo [mysqld] > /mnt/conf.d/server-id.cnf
      echo server-id=$((100 + $ordinal)) >> /mnt/conf.d/server-id.cnf
    volumeMounts: [{name: conf, mountPath: /mnt/conf.d}]
  - name: clone-mysql
    image: gcr.io/google-samples/xtrabackup:1.0
    command:
    - bash
    - "-c"
    - |
      set -ex
      [[ -d /var/lib/mysql/mysql ]] && exit 0
      [[ $(hostname) =~ -([0-9]+)$ ]] || exit 1
      ordinal=${BASH_REMATCH[1]}
      [[ $ordinal -eq 0 ]] && exit 0
      ncat --recv-only mysql-$(($ordinal-1)).mysql 3307 | xbstream -x -C /var/lib/mysql
      xtrabackup --prepare --target-dir=/var/lib/mysql
    volumeMounts: [{name: data, mountPath: /var/lib/mysql}]
  containers:
  - {name: mysql, image: mysql:5.7, volumeMounts: [{name: conf, mountPath: /etc/mysql/conf.d}]}
`)
	ss := h.run(p, 20*time.Second)
	expectStates(t, ss, p, "Init:0/2", "Init:1/2", "1/1 Running 0")
	if out := h.s.execFor(p, "mysql", "cat", "/etc/mysql/conf.d/server-id.cnf"); out != "[mysqld]\nserver-id=101\n" {
		t.Errorf("server-id.cnf: %q", out)
	}
}

// The add-ons decode, and each names its namespace.
func TestAddonsDecode(t *testing.T) {
	objs, err := addons()
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, o := range objs {
		m, err := metaOf(o)
		if err != nil || m.GetNamespace() != "kube-system" {
			t.Errorf("%T %v: namespace %q", o, err, m.GetNamespace())
		}
		kinds[fmt.Sprintf("%T", o)]++
	}
	if kinds["*v1.Deployment"] != 2 || kinds["*v1.DaemonSet"] != 2 || kinds["*v1.Service"] != 1 {
		t.Errorf("add-ons: %v", kinds)
	}
}

// The init containers of the documentation's myapp-pod wait for their
// Services: Init:0/2 until both exist, then Running.
func TestInitWaitsForServices(t *testing.T) {
	h := newHarness(t)
	p := podFrom(t, `
metadata: {name: myapp-pod, labels: {app.kubernetes.io/name: MyApp}}
spec:
  containers:
  - {name: myapp-container, image: busybox:1.28, command: ['sh', '-c', 'echo The app is running! && sleep 3600']}
  initContainers:
  - {name: init-myservice, image: busybox:1.28, command: ['sh', '-c', "until nslookup myservice.$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace).svc.cluster.local; do echo waiting for myservice; sleep 2; done"]}
  - {name: init-mydb, image: busybox:1.28, command: ['sh', '-c', "until nslookup mydb.$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace).svc.cluster.local; do echo waiting for mydb; sleep 2; done"]}
  volumes: [{name: token, projected: {sources: [{serviceAccountToken: {path: token}}]}}]
`)
	// The service account's namespace file, as the admission plugin mounts it.
	p.Spec.Volumes = []corev1.Volume{{Name: "kube-api-access", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
		Sources: []corev1.VolumeProjection{{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{
			{Path: "namespace", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}}}}}}}}}
	for i := range p.Spec.InitContainers {
		p.Spec.InitContainers[i].VolumeMounts = []corev1.VolumeMount{{Name: "kube-api-access", MountPath: "/var/run/secrets/kubernetes.io/serviceaccount"}}
	}
	ss := h.run(p, 20*time.Second)
	if summary(p) != "0/1 Init:0/2 0" {
		t.Fatalf("without Services: %s", timeline(ss, p))
	}
	v, _, _ := h.s.logTargetFor(p, "init-myservice")
	if got := linesText(h.s.logLines(v, h.now)); !strings.Contains(got, "** server can't find myservice.default.svc.cluster.local: NXDOMAIN") ||
		!strings.Contains(got, "waiting for myservice") {
		t.Errorf("init-myservice logs: %q", got)
	}
	for i, name := range []string{"myservice", "mydb"} {
		h.add("svc", &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
			Spec: corev1.ServiceSpec{ClusterIP: fmt.Sprintf("10.100.7.%d", i+1), Ports: []corev1.ServicePort{{Port: 80}}}})
	}
	ss = h.run(p, 10*time.Second)
	expectStates(t, ss, p, "1/1 Running 0")
}

// The HorizontalPodAutoscaler walkthrough: php-apache idles at about 0;
// a load generator's requests make it busy, shared among its replicas.
func TestLoadGeneratorDrivesCPU(t *testing.T) {
	h := newHarness(t)
	php := podFrom(t, `
metadata: {name: php-apache-1, labels: {run: php-apache}}
spec:
  containers: [{name: php-apache, image: registry.k8s.io/hpa-example, resources: {requests: {cpu: 200m}, limits: {cpu: 500m}}}]
`)
	h.add("pod", php)
	h.add("svc", &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "php-apache", Namespace: "default"},
		Spec: corev1.ServiceSpec{ClusterIP: "10.100.9.9", Selector: map[string]string{"run": "php-apache"}, Ports: []corev1.ServicePort{{Port: 80}}}})
	h.run(php, 20*time.Second)
	cpuOf := func(p *corev1.Pod) int64 {
		pm, ok := h.s.podUsage(p, h.now)
		if !ok {
			t.Fatalf("no metrics for %s", p.Name)
		}
		q := pm.Containers[0].Usage[corev1.ResourceCPU]
		return q.MilliValue()
	}
	if cpu := cpuOf(php); cpu > 5 {
		t.Errorf("idle php-apache uses %dm, want about 0", cpu)
	}
	gen := podFrom(t, `
metadata: {name: load-generator}
spec:
  restartPolicy: Never
  containers: [{name: load-generator, image: busybox:1.28, stdin: true, tty: true, command: [/bin/sh, -c, "while sleep 0.01; do wget -q -O- http://php-apache; done"]}]
`)
	h.add("pod", gen)
	h.run(gen, 5*time.Second)
	if cpu := cpuOf(php); cpu != 500 {
		t.Errorf("php-apache under load uses %dm, want its 500m limit", cpu)
	}
	// A second replica takes half of the load.
	php2 := podFrom(t, `
metadata: {name: php-apache-2, labels: {run: php-apache}}
spec:
  containers: [{name: php-apache, image: registry.k8s.io/hpa-example, resources: {requests: {cpu: 200m}, limits: {cpu: 500m}}}]
`)
	h.add("pod", php2)
	h.run(php2, 20*time.Second)
	if cpu := cpuOf(php); cpu < 340 || cpu > 365 {
		t.Errorf("php-apache with two replicas uses %dm, want about 350m", cpu)
	}
}

// A pod asking only for an extended resource is BestEffort, as the API
// server says: the kubelet's status must agree (the field is immutable).
func TestQOSOfExtendedResources(t *testing.T) {
	cases := []struct {
		resources string
		want      corev1.PodQOSClass
	}{
		{`{requests: {example.com/dongle: 3}, limits: {example.com/dongle: 3}}`, corev1.PodQOSBestEffort},
		{`{requests: {cpu: 100m, example.com/dongle: 1}, limits: {example.com/dongle: 1}}`, corev1.PodQOSBurstable},
		{`{limits: {cpu: 100m, memory: 64Mi, example.com/dongle: 1}}`, corev1.PodQOSGuaranteed},
	}
	for _, c := range cases {
		t.Run(c.resources, func(t *testing.T) {
			p := podFrom(t, "metadata: {name: q}\nspec:\n  containers: [{name: c, image: nginx, resources: "+c.resources+"}]\n")
			if got := qosClass(p); got != c.want {
				t.Errorf("%s: %s, want %s", c.resources, got, c.want)
			}
		})
	}
}
