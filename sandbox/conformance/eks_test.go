package conformance_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// The sandbox as an EKS cluster behaves where learners look: containers of
// a pod share files, users and groups show, images fail and probes fail as
// they would, extended resources work, kube-system holds EKS's add-ons and
// LoadBalancer Services get an ELB name.

// execIn runs a shell command line in a container with kubectl exec.
func (e *env) execIn(pod, container, cmd string) (string, error) {
	return e.kubectl("exec", pod, "-c", container, "--", "sh", "-c", cmd)
}

func TestPodFilesAndUsers(t *testing.T) {
	e := newEnv(t, shared, "pod-files")
	e.applyYAML(`apiVersion: v1
kind: Pod
metadata: {name: two-containers}
spec:
  restartPolicy: Never
  volumes: [{name: shared-data, emptyDir: {}}]
  containers:
  - {name: nginx-container, image: nginx, volumeMounts: [{name: shared-data, mountPath: /usr/share/nginx/html}]}
  - name: debian-container
    image: debian
    volumeMounts: [{name: shared-data, mountPath: /pod-data}]
    command: ["/bin/sh"]
    args: ["-c", "echo Hello from the debian container > /pod-data/index.html"]
---
apiVersion: v1
kind: Pod
metadata: {name: security-context-demo}
spec:
  securityContext: {runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [4000]}
  volumes: [{name: sec-ctx-vol, emptyDir: {}}]
  containers:
  - name: sec-ctx-demo
    image: busybox:1.28
    command: [sh, -c, "sleep 1h"]
    volumeMounts: [{name: sec-ctx-vol, mountPath: /data/demo}]
    securityContext: {allowPrivilegeEscalation: false}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: game-config}
data: {game.properties: "enemies=aliens\n"}
---
apiVersion: v1
kind: Pod
metadata: {name: cm-reader}
spec:
  volumes: [{name: config, configMap: {name: game-config}}]
  containers: [{name: c, image: busybox:1.36, command: [sleep, "3600"], volumeMounts: [{name: config, mountPath: /etc/config}]}]
`)
	for _, p := range []string{"two-containers", "security-context-demo", "cm-reader"} {
		must(t, e.waitPod(p, 40*time.Second, "running", func(p *corev1.Pod) bool {
			for _, cs := range p.Status.ContainerStatuses {
				if cs.State.Running != nil {
					return true
				}
			}
			return false
		}))
	}
	time.Sleep(2 * time.Second) // the debian container has written its file
	cases := []struct{ pod, container, cmd, want string }{
		{"two-containers", "nginx-container", "cat /usr/share/nginx/html/index.html", "Hello from the debian container"},
		{"security-context-demo", "sec-ctx-demo", "id", "uid=1000 gid=3000 groups=2000,3000,4000"},
		{"security-context-demo", "sec-ctx-demo", "ls -l /data", "drwxrwsrwx    2 root     2000"},
		{"security-context-demo", "sec-ctx-demo", "cd /data/demo && echo hello > testfile && ls -l", "-rw-r--r--    1 1000     2000             6"},
		{"security-context-demo", "sec-ctx-demo", "cat /data/demo/testfile", "hello"},
		{"security-context-demo", "sec-ctx-demo", "ps", "    1 1000      0:00 sh -c sleep 1h"},
		{"cm-reader", "c", "ls -la /etc/config", "game.properties -> ..data/game.properties"},
		{"cm-reader", "c", "cat /etc/config/..data/game.properties", "enemies=aliens"},
	}
	for _, c := range cases {
		t.Run(c.pod+": "+c.cmd, func(t *testing.T) {
			out, err := e.execIn(c.pod, c.container, c.cmd)
			if err != nil || !strings.Contains(out, c.want) {
				t.Errorf("kubectl exec %s -c %s -- sh -c %q: %v %q, want %q", c.pod, c.container, c.cmd, err, out, c.want)
			}
		})
	}
}

func TestImagesAndProbesAsCatalogued(t *testing.T) {
	e := newEnv(t, shared, "catalog")
	e.applyYAML(`apiVersion: v1
kind: Pod
metadata: {name: liveness-http}
spec:
  containers:
  - name: liveness
    image: registry.k8s.io/e2e-test-images/agnhost:2.40
    args: [liveness]
    livenessProbe:
      httpGet: {path: /healthz, port: 8080, httpHeaders: [{name: Custom-Header, value: Awesome}]}
      initialDelaySeconds: 3
      periodSeconds: 3
---
apiVersion: v1
kind: Pod
metadata: {name: bad-tag}
spec:
  containers: [{name: nginx, image: "nginx:1.161"}]
---
apiVersion: v1
kind: Pod
metadata: {name: bad-registry}
spec:
  containers: [{name: app, image: "registry.example.invalid/team/app:1.0"}]
---
apiVersion: v1
kind: Pod
metadata: {name: mysql8}
spec:
  containers: [{name: mysql, image: "mysql:8.0", env: [{name: MYSQL_ROOT_PASSWORD, value: password}]}]
`)
	for _, c := range []struct{ pod, reason, text string }{
		{"bad-tag", "Failed", "docker.io/library/nginx:1.161: not found"},
		{"bad-registry", "Failed", "no such host"},
		{"bad-tag", "BackOff", `Back-off pulling image "nginx:1.161"`},
	} {
		t.Run(c.pod+" "+c.reason, func(t *testing.T) { must(t, e.event(c.pod, c.reason, c.text, 40*time.Second)) })
	}
	t.Run("bad-registry ImagePullBackOff", func(t *testing.T) {
		must(t, e.waitPod("bad-registry", 30*time.Second, "ImagePullBackOff", func(p *corev1.Pod) bool {
			return waitingReason(p, "app") == "ImagePullBackOff"
		}))
	})
	t.Run("mysql:8.0 logs its version", func(t *testing.T) {
		must(t, e.waitPod("mysql8", 30*time.Second, "running", running))
		out, err := e.logs("mysql8")
		must(t, err)
		if !strings.Contains(out, "(mysqld 8.0.40) starting as process 1") {
			t.Errorf("mysql:8.0 logs: %q", out)
		}
	})
	// The liveness image's /healthz fails after 10 s: restarted.
	t.Run("liveness image restarted", func(t *testing.T) {
		must(t, e.event("liveness-http", "Unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 500", 40*time.Second))
		must(t, e.waitPod("liveness-http", 40*time.Second, "restarted", func(p *corev1.Pod) bool {
			return len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].RestartCount >= 1
		}))
	})
}

func TestExtendedResources(t *testing.T) {
	e := newEnv(t, shared, "dongles")
	nodes, err := e.c.Client.CoreV1().Nodes().List(e.ctx, metav1.ListOptions{})
	must(t, err)
	node := nodes.Items[0].Name
	// The documented way: a JSON patch of the node's status capacity.
	patch := `[{"op": "add", "path": "/status/capacity/example.com~1dongle", "value": "4"}]`
	_, err = e.c.Client.CoreV1().Nodes().Patch(e.ctx, node, types.JSONPatchType, []byte(patch), metav1.PatchOptions{}, "status")
	must(t, err)
	t.Cleanup(func() {
		undo := `[{"op": "remove", "path": "/status/capacity/example.com~1dongle"}]`
		_, _ = e.c.Client.CoreV1().Nodes().Patch(e.ctx, node, types.JSONPatchType, []byte(undo), metav1.PatchOptions{}, "status")
	})
	must(t, e.waitFor(20*time.Second, "allocatable dongles", func() (bool, string) {
		n, err := e.c.Client.CoreV1().Nodes().Get(e.ctx, node, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		q := n.Status.Allocatable["example.com/dongle"]
		return q.Cmp(resource.MustParse("4")) == 0, fmt.Sprint(n.Status.Allocatable)
	}))
	e.applyYAML(`apiVersion: v1
kind: Pod
metadata: {name: extended-resource-demo}
spec:
  containers:
  - name: extended-resource-demo-ctr
    image: nginx
    resources: {requests: {example.com/dongle: 3}, limits: {example.com/dongle: 3}}
---
apiVersion: v1
kind: Pod
metadata: {name: extended-resource-demo-2}
spec:
  containers:
  - name: extended-resource-demo-2-ctr
    image: nginx
    resources: {requests: {example.com/dongle: 2}, limits: {example.com/dongle: 2}}
`)
	must(t, e.waitPod("extended-resource-demo", 40*time.Second, "running on the node", func(p *corev1.Pod) bool {
		return running(p) && p.Spec.NodeName == node
	}))
	must(t, e.event("extended-resource-demo-2", "FailedScheduling", "Insufficient example.com/dongle", 30*time.Second))
	// Deleting the running one ends; the waiting one then fits.
	_, err = e.kubectl("delete", "pod", "extended-resource-demo", "--wait=true", "--timeout=60s")
	must(t, err)
	must(t, e.waitPod("extended-resource-demo-2", 60*time.Second, "running", running))
}

func TestKubeSystemAsEKS(t *testing.T) {
	e := newEnv(t, shared, "kube-system")
	nodes, err := e.c.Client.CoreV1().Nodes().List(e.ctx, metav1.ListOptions{})
	must(t, err)
	must(t, e.waitFor(90*time.Second, "EKS add-ons ready", func() (bool, string) {
		var missing []string
		for _, d := range []string{"coredns", "ebs-csi-controller", "metrics-server"} {
			dep, err := e.c.Client.AppsV1().Deployments("kube-system").Get(e.ctx, d, metav1.GetOptions{})
			if err != nil || dep.Status.ReadyReplicas < 1 || dep.Status.ReadyReplicas != *dep.Spec.Replicas {
				missing = append(missing, "deployment/"+d)
			}
		}
		for _, d := range []string{"kube-proxy", "aws-node"} {
			ds, err := e.c.Client.AppsV1().DaemonSets("kube-system").Get(e.ctx, d, metav1.GetOptions{})
			if err != nil || int(ds.Status.NumberReady) != len(nodes.Items) {
				missing = append(missing, "daemonset/"+d)
			}
		}
		return len(missing) == 0, strings.Join(missing, ", ")
	}))
	svc, err := e.c.Client.CoreV1().Services("kube-system").Get(e.ctx, "kube-dns", metav1.GetOptions{})
	must(t, err)
	if svc.Spec.ClusterIP != "10.100.0.10" {
		t.Errorf("kube-dns ClusterIP %s, want 10.100.0.10 (the nameserver of pods' resolv.conf)", svc.Spec.ClusterIP)
	}
	// A LoadBalancer Service gets an ELB's DNS name.
	e.applyYAML(`apiVersion: v1
kind: Service
metadata: {name: web-lb}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]
`)
	must(t, e.waitFor(30*time.Second, "an ELB hostname", func() (bool, string) {
		s, err := e.c.Client.CoreV1().Services(e.ns).Get(e.ctx, "web-lb", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		ing := s.Status.LoadBalancer.Ingress
		return len(ing) == 1 && strings.HasSuffix(ing[0].Hostname, ".us-east-1.elb.amazonaws.com"), fmt.Sprint(ing)
	}))
	must(t, e.event("web-lb", "EnsuredLoadBalancer", "Ensured load balancer", 10*time.Second))
}

// The init containers page's myapp-pod waits for its two Services.
func TestInitContainersWaitForServices(t *testing.T) {
	e := newEnv(t, shared, "init-services")
	e.applyYAML(`apiVersion: v1
kind: Pod
metadata: {name: myapp-pod, labels: {app.kubernetes.io/name: MyApp}}
spec:
  containers:
  - {name: myapp-container, image: busybox:1.28, command: ['sh', '-c', 'echo The app is running! && sleep 3600']}
  initContainers:
  - {name: init-myservice, image: busybox:1.28, command: ['sh', '-c', "until nslookup myservice.$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace).svc.cluster.local; do echo waiting for myservice; sleep 2; done"]}
  - {name: init-mydb, image: busybox:1.28, command: ['sh', '-c', "until nslookup mydb.$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace).svc.cluster.local; do echo waiting for mydb; sleep 2; done"]}
`)
	must(t, e.waitPod("myapp-pod", 30*time.Second, "init-myservice running", func(p *corev1.Pod) bool {
		return len(p.Status.InitContainerStatuses) == 2 && p.Status.InitContainerStatuses[0].State.Running != nil
	}))
	time.Sleep(5 * time.Second)
	p, err := e.pod("myapp-pod")
	must(t, err)
	if p.Status.InitContainerStatuses[0].State.Running == nil || p.Status.Phase != corev1.PodPending {
		t.Fatalf("without its Services the pod should stay Init:0/2: %s", describe(p))
	}
	out, err := e.logs("myapp-pod", "-c", "init-myservice")
	must(t, err)
	if !strings.Contains(out, "waiting for myservice") || !strings.Contains(out, "NXDOMAIN") {
		t.Errorf("init-myservice logs: %q", out)
	}
	e.applyYAML(`apiVersion: v1
kind: Service
metadata: {name: myservice}
spec: {ports: [{protocol: TCP, port: 80, targetPort: 9376}]}
---
apiVersion: v1
kind: Service
metadata: {name: mydb}
spec: {ports: [{protocol: TCP, port: 80, targetPort: 9377}]}
`)
	must(t, e.waitPod("myapp-pod", 40*time.Second, "running", running))
}
