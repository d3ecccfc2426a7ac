package conformance_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Behaviour of the simulated kubelet beyond the corpus: what labs script
// with annotations, logs and exec, metrics, termination, a stopped node.

func (e *env) applyYAML(manifest string) {
	e.t.Helper()
	f, err := os.CreateTemp(e.t.TempDir(), "*.yaml")
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := f.WriteString(manifest); err != nil {
		e.t.Fatal(err)
	}
	f.Close()
	if out, err := e.kubectl("apply", "-f", f.Name()); err != nil {
		e.t.Fatalf("kubectl apply: %v\n%s", err, out)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestScriptedProbes(t *testing.T) {
	e := newEnv(t, shared, "probes")
	e.applyYAML(`apiVersion: apps/v1
kind: Deployment
metadata: {name: flaky}
spec:
  replicas: 2
  selector: {matchLabels: {app: flaky}}
  template:
    metadata:
      labels: {app: flaky}
      annotations: {sim.kubelab.dev/readiness: "fail-after=8s"}
    spec:
      containers:
      - name: web
        image: nginx:1.25.1
        readinessProbe: {httpGet: {path: /, port: 80}, periodSeconds: 2, failureThreshold: 1}
---
apiVersion: v1
kind: Service
metadata: {name: flaky}
spec:
  selector: {app: flaky}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Pod
metadata:
  name: doomed
  annotations: {sim.kubelab.dev/liveness: "fail-after=4s"}
spec:
  containers:
  - name: web
    image: nginx:1.25.1
    livenessProbe: {httpGet: {path: /healthz, port: 80}, periodSeconds: 2, failureThreshold: 2}
`)
	must(t, e.waitFor(30*time.Second, "2 ready endpoints", func() (bool, string) {
		ips, _ := e.readyEndpoints("flaky")
		return len(ips) == 2, fmt.Sprint(ips)
	}))
	must(t, e.waitFor(30*time.Second, "endpoints drop out when readiness fails", func() (bool, string) {
		ips, _ := e.readyEndpoints("flaky")
		return len(ips) == 0, fmt.Sprint(ips)
	}))
	p := e.podsWith("app=flaky")[0]
	must(t, e.event(p.Name, "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 500", 10*time.Second))
	must(t, e.event("doomed", "Killing", "Container web failed liveness probe, will be restarted", 30*time.Second))
	must(t, e.waitPod("doomed", 30*time.Second, "restarted", func(p *corev1.Pod) bool {
		return len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].RestartCount >= 1
	}))
}

func TestLogsAndExec(t *testing.T) {
	e := newEnv(t, shared, "logs-exec")
	e.applyYAML(`apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {greeting: "hello from a ConfigMap"}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: s3cret}
---
apiVersion: v1
kind: Pod
metadata: {name: ticker}
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: busybox:1.36
    command: [sh, -c, 'for i in 1 2 3; do echo "tick $i of $POD"; sleep 1; done']
    env: [{name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
---
apiVersion: v1
kind: Pod
metadata: {name: talker}
spec:
  securityContext: {runAsUser: 1000, runAsGroup: 3000}
  containers:
  - name: app
    image: busybox:1.36
    command: [sh, -c, 'echo started; sleep 3600']
    env:
    - {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: PASSWORD, valueFrom: {secretKeyRef: {name: creds, key: password}}}
    volumeMounts: [{name: settings, mountPath: /etc/settings}]
  volumes: [{name: settings, configMap: {name: settings}}]
---
apiVersion: v1
kind: Pod
metadata: {name: crasher}
spec:
  containers: [{name: app, image: busybox:1.36, command: [sh, -c, 'echo "run at $(date +%s)"; exit 1']}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25.1
        readinessProbe: {httpGet: {path: /, port: 80}, periodSeconds: 1}
`)
	must(t, e.waitPod("ticker", 30*time.Second, "running", running))
	// Follow: the lines come as the loop prints them; it returns when the container ends.
	start := time.Now()
	out, err := e.kubectl("logs", "-f", "ticker")
	must(t, err)
	if out != "tick 1 of ticker\ntick 2 of ticker\ntick 3 of ticker\n" {
		t.Errorf("kubectl logs -f ticker: %q", out)
	}
	if took := time.Since(start); took < 2*time.Second {
		t.Errorf("kubectl logs -f returned after %s: it should follow the running container", took)
	}
	must(t, e.waitPod("talker", 30*time.Second, "running", running))
	for cmd, want := range map[string]string{
		"cat /etc/settings/greeting": "hello from a ConfigMap",
		"ls /etc/settings":           "greeting",
		"id":                         "uid=1000 gid=3000 groups=3000",
		"printenv PASSWORD":          "s3cret",
		"hostname":                   "talker",
	} {
		if out, err := e.kubectl(append([]string{"exec", "talker", "--"}, strings.Fields(cmd)...)...); err != nil || !strings.Contains(out, want) {
			t.Errorf("kubectl exec talker -- %s: %v %q, want %q", cmd, err, out, want)
		}
	}
	out, err = e.kubectl("exec", "talker", "--", "rm", "-rf", "/")
	if err == nil || !strings.Contains(out, "this node is simulated") {
		t.Errorf("kubectl exec talker -- rm -rf /: %v %q, want a refusal that says the node is simulated", err, out)
	}
	// A container that crashes: its previous run's logs.
	must(t, e.waitPod("crasher", 40*time.Second, "restarted", func(p *corev1.Pod) bool {
		return len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].RestartCount >= 1 &&
			p.Status.ContainerStatuses[0].State.Running == nil
	}))
	prev, err := e.logs("crasher", "--previous")
	must(t, err)
	if !strings.HasPrefix(prev, "run at ") {
		t.Errorf("kubectl logs --previous crasher: %q", prev)
	}
	// A web server probed over HTTP logs the probes as access lines.
	must(t, e.waitFor(30*time.Second, "web ready", func() (bool, string) {
		ps := e.podsWith("app=web")
		return len(ps) == 1 && ready(&ps[0]), ""
	}))
	time.Sleep(2 * time.Second)
	out, err = e.logs("deployment/web")
	must(t, err)
	if !strings.Contains(out, `"GET / HTTP/1.1" 200 615 "-" "kube-probe/1.37"`) || !strings.Contains(out, "Configuration complete; ready for start up") {
		t.Errorf("nginx logs: %q", out)
	}
}

func TestMetricsAndHPA(t *testing.T) {
	e := newEnv(t, shared, "metrics")
	e.applyYAML(`apiVersion: apps/v1
kind: Deployment
metadata: {name: php-apache}
spec:
  replicas: 1
  selector: {matchLabels: {run: php-apache}}
  template:
    metadata:
      labels: {run: php-apache}
      annotations: {sim.kubelab.dev/cpu-usage: 180m}
    spec:
      containers:
      - name: php-apache
        image: registry.k8s.io/hpa-example
        resources: {requests: {cpu: 200m}, limits: {cpu: 500m}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: php-apache}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: php-apache}
  minReplicas: 1
  maxReplicas: 4
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
`)
	must(t, e.waitFor(90*time.Second, "kubectl top pods", func() (bool, string) {
		out, err := e.kubectl("top", "pods")
		return err == nil && strings.Contains(out, "php-apache") && strings.Contains(out, "m "), out
	}))
	must(t, e.waitFor(120*time.Second, "the HPA scales up", func() (bool, string) {
		h, err := e.c.Client.AutoscalingV2().HorizontalPodAutoscalers(e.ns).Get(e.ctx, "php-apache", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		active := false
		for _, c := range h.Status.Conditions {
			if c.Type == autoscalingv2.ScalingActive && c.Status == corev1.ConditionTrue {
				active = true
			}
		}
		return active && h.Status.DesiredReplicas > 1, fmt.Sprintf("%+v", h.Status)
	}))
	out, err := shared.Kubectl(t, "top", "nodes")
	if err != nil || !strings.Contains(out, "ip-192-168-") {
		t.Errorf("kubectl top nodes: %v %q", err, out)
	}
}

func TestGracePeriodCapsPreStop(t *testing.T) {
	e := newEnv(t, shared, "grace")
	e.applyYAML(`apiVersion: v1
kind: Pod
metadata: {name: slow-stop}
spec:
  terminationGracePeriodSeconds: 4
  containers:
  - name: web
    image: nginx:1.25.1
    lifecycle: {preStop: {exec: {command: [sh, -c, "sleep 20"]}}}
`)
	must(t, e.waitPod("slow-stop", 30*time.Second, "running", running))
	start := time.Now()
	if out, err := e.kubectl("delete", "pod", "slow-stop", "--wait=false"); err != nil {
		t.Fatal(err, out)
	}
	time.Sleep(2 * time.Second)
	if p, err := e.pod("slow-stop"); err != nil || p.DeletionTimestamp == nil {
		t.Fatalf("not Terminating 2s after delete: %v", err)
	}
	must(t, e.waitFor(20*time.Second, "gone", func() (bool, string) {
		_, err := e.pod("slow-stop")
		return apierrors.IsNotFound(err), fmt.Sprint(err)
	}))
	if took := time.Since(start); took < 3*time.Second || took > 9*time.Second {
		t.Errorf("Terminating for %s; the 20s preStop hook is cut by the 4s grace period", took)
	}
}

// TestStoppedNode stops the kubelet of the only node in us-east-1b: it goes
// NotReady, its pods are evicted (they tolerate unreachable for 5s here)
// and replaced in us-east-1a.
func TestStoppedNode(t *testing.T) {
	e := newEnv(t, shared, "node-down")
	nodes, err := shared.Client.CoreV1().Nodes().List(e.ctx, metav1.ListOptions{LabelSelector: "topology.kubernetes.io/zone=us-east-1b"})
	if err != nil || len(nodes.Items) != 1 {
		t.Fatalf("want the one node of us-east-1b: %v", err)
	}
	node := nodes.Items[0].Name
	e.applyYAML(`apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  replicas: 2
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      affinity:
        nodeAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 100
            preference: {matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [us-east-1b]}]}
      tolerations:
      - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 5}
      - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 5}
      containers: [{name: app, image: nginx:1.25.1}]
`)
	must(t, e.waitFor(30*time.Second, "2 pods running in us-east-1b", func() (bool, string) {
		n := 0
		for _, p := range e.podsWith("app=app") {
			if running(&p) && p.Spec.NodeName == node {
				n++
			}
		}
		return n == 2, fmt.Sprint(n)
	}))
	if out, err := shared.Kubectl(t, "annotate", "node", node, "sim.kubelab.dev/kubelet=stopped", "--overwrite"); err != nil {
		t.Fatal(err, out)
	}
	defer func() {
		_, _ = shared.Kubectl(t, "annotate", "node", node, "sim.kubelab.dev/kubelet=running", "--overwrite")
	}()
	must(t, e.waitFor(90*time.Second, "node NotReady", func() (bool, string) {
		n, err := shared.Client.CoreV1().Nodes().Get(e.ctx, node, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady {
				return c.Status != corev1.ConditionTrue, string(c.Status) + " " + c.Reason
			}
		}
		return false, "no Ready condition"
	}))
	must(t, e.waitFor(60*time.Second, "2 replacements running in us-east-1a", func() (bool, string) {
		n, evicted := 0, 0
		for _, p := range e.podsWith("app=app") {
			if p.Spec.NodeName == node && p.DeletionTimestamp != nil {
				evicted++
			}
			if running(&p) && p.Spec.NodeName != node {
				nd, _ := shared.Client.CoreV1().Nodes().Get(e.ctx, p.Spec.NodeName, metav1.GetOptions{})
				if nd != nil && nd.Labels["topology.kubernetes.io/zone"] == "us-east-1a" {
					n++
				}
			}
		}
		return n == 2 && evicted == 2, fmt.Sprintf("%d replacements, %d evicted (Terminating)", n, evicted)
	}))
	// The kubelet comes back: the node is Ready and the evicted pods go.
	if out, err := shared.Kubectl(t, "annotate", "node", node, "sim.kubelab.dev/kubelet=running", "--overwrite"); err != nil {
		t.Fatal(err, out)
	}
	must(t, e.waitFor(60*time.Second, "node Ready and evicted pods gone", func() (bool, string) {
		n, err := shared.Client.CoreV1().Nodes().Get(e.ctx, node, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		readyNode := false
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				readyNode = true
			}
		}
		left := 0
		for _, p := range e.podsWith("app=app") {
			if p.Spec.NodeName == node {
				left++
			}
		}
		return readyNode && left == 0, fmt.Sprintf("ready=%v, %d pods left on the node", readyNode, left)
	}))
}
