package embedded_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubelab/kubelab/internal/testcluster"
)

// One real sandbox serves the behaviour tests of this file.
var shared *testcluster.Cluster

func TestMain(m *testing.M) { testcluster.Main(m, &shared) }

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s; last state: %s", timeout, what, last)
}

func pods(t *testing.T, c kubernetes.Interface, ns, selector string) []corev1.Pod {
	t.Helper()
	list, err := c.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		t.Fatal(err)
	}
	return list.Items
}

func running(ps []corev1.Pod) int {
	n := 0
	for _, p := range ps {
		if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
			n++
		}
	}
	return n
}

func apply(t *testing.T, manifest string) {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(manifest); err != nil {
		t.Fatal(err)
	}
	f.Close()
	shared.MustKubectl(t, "apply", "-f", f.Name())
}

// The module's five-step activity, as a learner types it.
func TestModuleActivity(t *testing.T) {
	if out := shared.MustKubectl(t, "create", "namespace", "my-ns"); !strings.Contains(out, "namespace/my-ns created") {
		t.Fatalf("create namespace said %q", out)
	}
	if out := shared.MustKubectl(t, "get", "namespace"); !strings.Contains(out, "my-ns") || !strings.Contains(out, "kube-system") {
		t.Fatalf("get namespace:\n%s", out)
	}
	apply(t, `apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-deploy
  namespace: my-ns
spec:
  selector:
    matchLabels:
      app: nginx
  replicas: 2
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:1.25.1
`)
	out, _ := shared.Kubectl(t, "get", "pods")
	if !strings.Contains(out, "No resources found in default namespace") {
		t.Fatalf("kubectl get pods in default: %q", out)
	}
	waitFor(t, 20*time.Second, "2 Running pods in my-ns", func() (bool, string) {
		ps := pods(t, shared.Client, "my-ns", "app=nginx")
		return running(ps) == 2 && len(ps) == 2, fmt.Sprintf("%d pods, %d running", len(ps), running(ps))
	})
	out = shared.MustKubectl(t, "get", "pods", "-n", "my-ns", "-o", "wide")
	if strings.Count(out, "Running") != 2 || !strings.Contains(out, "192.168.") {
		t.Fatalf("get pods -n my-ns:\n%s", out)
	}
}

func TestVersionIsReported(t *testing.T) {
	v, err := shared.Client.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v.GitVersion != "v1.37.2" || v.Major != "1" || v.Minor != "37" {
		t.Fatalf("server version %+v, want v1.37.2", v)
	}
}

func TestTopologyIsEKSLike(t *testing.T) {
	nodes, err := shared.Client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	zones, types := map[string]int{}, map[string]string{}
	for _, n := range nodes.Items {
		zones[n.Labels["topology.kubernetes.io/zone"]]++
		types[n.Labels["node.kubernetes.io/instance-type"]] = n.Status.Allocatable.Pods().String()
		if n.Labels["topology.kubernetes.io/region"] != "us-east-1" {
			t.Errorf("node %s region %q", n.Name, n.Labels["topology.kubernetes.io/region"])
		}
	}
	if len(nodes.Items) != 3 || zones["us-east-1a"] == 0 || zones["us-east-1b"] == 0 {
		t.Fatalf("want 3 nodes over us-east-1a and us-east-1b, got %v", zones)
	}
	want := map[string]string{"m5.large": "29", "r4.large": "29", "r4.xlarge": "58"}
	for typ, pods := range want {
		if types[typ] != pods {
			t.Errorf("instance type %s: allocatable pods %q, want %s", typ, types[typ], pods)
		}
	}
}

func TestServiceEndpointsFollowReadyPods(t *testing.T) {
	shared.MustKubectl(t, "create", "deployment", "backend", "--image=nginx:1.25.1", "--replicas=3")
	shared.MustKubectl(t, "expose", "deployment", "backend", "--port=80", "--target-port=80")
	count := func() (int, string) {
		list, err := shared.Client.DiscoveryV1().EndpointSlices("default").List(context.Background(),
			metav1.ListOptions{LabelSelector: "kubernetes.io/service-name=backend"})
		if err != nil {
			return 0, err.Error()
		}
		n := 0
		var ips []string
		for _, s := range list.Items {
			for _, e := range s.Endpoints {
				if e.Conditions.Ready != nil && *e.Conditions.Ready {
					n++
					ips = append(ips, e.Addresses...)
				}
			}
		}
		return n, strings.Join(ips, ",")
	}
	waitFor(t, 20*time.Second, "3 ready endpoints", func() (bool, string) { n, s := count(); return n == 3, s })
	shared.MustKubectl(t, "scale", "deployment", "backend", "--replicas=2")
	waitFor(t, 20*time.Second, "2 ready endpoints", func() (bool, string) { n, s := count(); return n == 2, s })
}

func TestRollingUpdateAndSelfHealing(t *testing.T) {
	shared.MustKubectl(t, "create", "deployment", "roll", "--image=nginx:1.25.1", "--replicas=3")
	waitFor(t, 20*time.Second, "3 running", func() (bool, string) {
		return running(pods(t, shared.Client, "default", "app=roll")) == 3, ""
	})
	victim := pods(t, shared.Client, "default", "app=roll")[0]
	shared.MustKubectl(t, "delete", "pod", victim.Name, "--wait=false")
	waitFor(t, 20*time.Second, "a replacement pod", func() (bool, string) {
		ps := pods(t, shared.Client, "default", "app=roll")
		for _, p := range ps {
			if p.Name == victim.Name {
				return false, "victim still there"
			}
		}
		return running(ps) == 3, fmt.Sprintf("%d running", running(ps))
	})
	shared.MustKubectl(t, "set", "image", "deployment/roll", "nginx=nginx:1.25.2")
	out := ""
	waitFor(t, 40*time.Second, "rollout to finish", func() (bool, string) {
		d, err := shared.Client.AppsV1().Deployments("default").Get(context.Background(), "roll", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return d.Status.UpdatedReplicas == 3 && d.Status.ReadyReplicas == 3 && d.Status.Replicas == 3 &&
			d.Annotations["deployment.kubernetes.io/revision"] == "2", fmt.Sprintf("%+v", d.Status)
	})
	rs, err := shared.Client.AppsV1().ReplicaSets("default").List(context.Background(), metav1.ListOptions{LabelSelector: "app=roll"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.Items) != 2 {
		t.Fatalf("want old and new ReplicaSets, got %d %s", len(rs.Items), out)
	}
}

func TestTooBigPodStaysPending(t *testing.T) {
	apply(t, `apiVersion: v1
kind: Pod
metadata: {name: too-big}
spec:
  containers:
  - name: app
    image: nginx:1.25.1
    resources: {requests: {cpu: "64"}}
`)
	waitFor(t, 20*time.Second, "FailedScheduling event", func() (bool, string) {
		ev, err := shared.Client.CoreV1().Events("default").List(context.Background(), metav1.ListOptions{FieldSelector: "involvedObject.name=too-big"})
		if err != nil {
			return false, err.Error()
		}
		for _, e := range ev.Items {
			if e.Reason == "FailedScheduling" && strings.Contains(e.Message, "Insufficient cpu") {
				return true, ""
			}
		}
		return false, fmt.Sprint(len(ev.Items), " events")
	})
	p, err := shared.Client.CoreV1().Pods("default").Get(context.Background(), "too-big", metav1.GetOptions{})
	if err != nil || p.Status.Phase != corev1.PodPending || p.Spec.NodeName != "" {
		t.Fatalf("too-big should stay Pending and unscheduled: %v %s %q", err, p.Status.Phase, p.Spec.NodeName)
	}
}

func TestTaintsTolerationsAndNodeAffinity(t *testing.T) {
	shared.MustKubectl(t, "taint", "nodes", "-l", "node.kubernetes.io/instance-type=m5.large", "spot=true:NoSchedule")
	defer shared.MustKubectl(t, "taint", "nodes", "-l", "node.kubernetes.io/instance-type=m5.large", "spot=true:NoSchedule-")
	apply(t, `apiVersion: apps/v1
kind: Deployment
metadata: {name: blind}
spec:
  replicas: 6
  selector: {matchLabels: {app: blind}}
  template:
    metadata: {labels: {app: blind}}
    spec:
      containers: [{name: app, image: nginx:1.25.1}]
---
apiVersion: v1
kind: Pod
metadata: {name: tolerant}
spec:
  tolerations: [{key: spot, operator: Equal, value: "true", effect: NoSchedule}]
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions: [{key: node.kubernetes.io/instance-type, operator: In, values: [m5.large]}]
  containers: [{name: app, image: nginx:1.25.1}]
---
apiVersion: v1
kind: Pod
metadata: {name: r4-only}
spec:
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions: [{key: node.kubernetes.io/instance-type, operator: In, values: [r4.large, r4.xlarge]}]
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 1
        preference:
          matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [us-east-1a]}]
  containers: [{name: app, image: nginx:1.25.1}]
`)
	typeOf := map[string]string{}
	nodes, _ := shared.Client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	for _, n := range nodes.Items {
		typeOf[n.Name] = n.Labels["node.kubernetes.io/instance-type"]
	}
	waitFor(t, 20*time.Second, "all scheduled", func() (bool, string) {
		ps := append(pods(t, shared.Client, "default", "app=blind"), pods(t, shared.Client, "default", "")...)
		for _, p := range ps {
			if (p.Name == "tolerant" || p.Name == "r4-only" || p.Labels["app"] == "blind") && p.Spec.NodeName == "" {
				return false, p.Name + " unscheduled"
			}
		}
		return true, ""
	})
	for _, p := range pods(t, shared.Client, "default", "app=blind") {
		if typeOf[p.Spec.NodeName] == "m5.large" {
			t.Errorf("pod %s without toleration landed on the tainted m5.large", p.Name)
		}
	}
	get := func(name string) corev1.Pod {
		p, err := shared.Client.CoreV1().Pods("default").Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return *p
	}
	if n := get("tolerant").Spec.NodeName; typeOf[n] != "m5.large" {
		t.Errorf("tolerant pod on %s (%s), want the m5.large", n, typeOf[n])
	}
	if n := get("r4-only").Spec.NodeName; typeOf[n] != "r4.large" {
		t.Errorf("r4-only on %s (%s): the required r4 types with preferred us-east-1a leave only the r4.large", n, typeOf[n])
	}
}

func TestDaemonSetJobAndStatefulSet(t *testing.T) {
	apply(t, `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: fluent-bit, namespace: kube-system}
spec:
  selector: {matchLabels: {app: fluent-bit}}
  template:
    metadata: {labels: {app: fluent-bit}}
    spec:
      containers: [{name: fluent-bit, image: "cr.fluentbit.io/fluent/fluent-bit:2.0.5"}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: my-job}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: my-container, image: busybox, command: [date]}]
---
apiVersion: v1
kind: Service
metadata: {name: mysql}
spec:
  clusterIP: None
  selector: {app: mysql}
  ports: [{port: 3306}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: mysql}
spec:
  serviceName: mysql
  replicas: 2
  selector: {matchLabels: {app: mysql}}
  template:
    metadata: {labels: {app: mysql}}
    spec:
      containers:
      - name: mysql
        image: mysql
        env: [{name: MYSQL_ALLOW_EMPTY_PASSWORD, value: "true"}]
`)
	waitFor(t, 20*time.Second, "one fluent-bit pod per node", func() (bool, string) {
		ps := pods(t, shared.Client, "kube-system", "app=fluent-bit")
		nodes := map[string]bool{}
		for _, p := range ps {
			nodes[p.Spec.NodeName] = true
		}
		return running(ps) == 3 && len(nodes) == 3, fmt.Sprintf("%d running on %d nodes", running(ps), len(nodes))
	})
	waitFor(t, 30*time.Second, "my-job to complete", func() (bool, string) {
		j, err := shared.Client.BatchV1().Jobs("default").Get(context.Background(), "my-job", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		for _, c := range j.Status.Conditions {
			if c.Type == "Complete" && c.Status == corev1.ConditionTrue {
				return j.Status.Succeeded == 1, ""
			}
		}
		return false, fmt.Sprintf("%+v", j.Status)
	})
	var first, second time.Time
	waitFor(t, 30*time.Second, "mysql-0 and mysql-1 running", func() (bool, string) {
		ps := pods(t, shared.Client, "default", "app=mysql")
		for _, p := range ps {
			switch p.Name {
			case "mysql-0":
				first = p.CreationTimestamp.Time
			case "mysql-1":
				second = p.CreationTimestamp.Time
			}
		}
		return running(ps) == 2, fmt.Sprintf("%d running", running(ps))
	})
	if second.Before(first) {
		t.Fatalf("mysql-1 (%s) was created before mysql-0 (%s)", second, first)
	}
	// mysql-1 waits for mysql-0 to be ready: the ordered start is visible.
	if !second.After(first) && second.Sub(first) == 0 {
		t.Logf("mysql-0 and mysql-1 created in the same second (ordered by the controller)")
	}
}

func TestVolumeBindsInTheZoneOfItsNode(t *testing.T) {
	apply(t, `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ebs-claim}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 4Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: app}
spec:
  containers:
  - name: app
    image: centos
    command: ["/bin/sh"]
    args: ["-c", "while true; do echo $(date -u) >> /data/out.txt; sleep 5; done"]
    volumeMounts: [{name: persistent-storage, mountPath: /data}]
  volumes:
  - name: persistent-storage
    persistentVolumeClaim: {claimName: ebs-claim}
`)
	ctx := context.Background()
	waitFor(t, 30*time.Second, "claim bound and pod running", func() (bool, string) {
		pvc, err := shared.Client.CoreV1().PersistentVolumeClaims("default").Get(ctx, "ebs-claim", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		p, err := shared.Client.CoreV1().Pods("default").Get(ctx, "app", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return pvc.Status.Phase == corev1.ClaimBound && p.Status.Phase == corev1.PodRunning, string(pvc.Status.Phase) + "/" + string(p.Status.Phase)
	})
	pvc, _ := shared.Client.CoreV1().PersistentVolumeClaims("default").Get(ctx, "ebs-claim", metav1.GetOptions{})
	pv, err := shared.Client.CoreV1().PersistentVolumes().Get(ctx, pvc.Spec.VolumeName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := shared.Client.CoreV1().Pods("default").Get(ctx, "app", metav1.GetOptions{})
	node, _ := shared.Client.CoreV1().Nodes().Get(ctx, p.Spec.NodeName, metav1.GetOptions{})
	zone := pv.Spec.NodeAffinity.Required.NodeSelectorTerms[0].MatchExpressions[0].Values[0]
	if zone != node.Labels["topology.kubernetes.io/zone"] {
		t.Fatalf("volume in %s, pod's node in %s", zone, node.Labels["topology.kubernetes.io/zone"])
	}
	// A second pod pinned to the other zone cannot use the volume.
	other := "us-east-1a"
	if zone == other {
		other = "us-east-1b"
	}
	apply(t, fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: wrong-zone}
spec:
  nodeSelector: {topology.kubernetes.io/zone: %s}
  containers: [{name: app, image: nginx:1.25.1, volumeMounts: [{name: v, mountPath: /data}]}]
  volumes: [{name: v, persistentVolumeClaim: {claimName: ebs-claim}}]
`, other))
	waitFor(t, 20*time.Second, "wrong-zone to be unschedulable", func() (bool, string) {
		p, err := shared.Client.CoreV1().Pods("default").Get(ctx, "wrong-zone", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && strings.Contains(c.Message, "node affinity") {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%v", p.Status.Conditions)
	})
}

func TestInvalidImagesAndSimulatedKubelet(t *testing.T) {
	apply(t, `apiVersion: v1
kind: Pod
metadata: {name: bad-ref}
spec:
  containers: [{name: app, image: "nginx:Latest!"}]
`)
	shared.MustKubectl(t, "run", "upper", "--image=Fluent/fluent-bit")
	shared.MustKubectl(t, "run", "web", "--image=nginx:1.25.1")
	reason := func(name string) string {
		p, err := shared.Client.CoreV1().Pods("default").Get(context.Background(), name, metav1.GetOptions{})
		if err != nil || len(p.Status.ContainerStatuses) == 0 || p.Status.ContainerStatuses[0].State.Waiting == nil {
			return ""
		}
		return p.Status.ContainerStatuses[0].State.Waiting.Reason
	}
	waitFor(t, 20*time.Second, "image errors", func() (bool, string) {
		return reason("bad-ref") == "InvalidImageName" && reason("upper") == "ImagePullBackOff", reason("bad-ref") + "/" + reason("upper")
	})
	waitFor(t, 20*time.Second, "web running", func() (bool, string) {
		return running(pods(t, shared.Client, "default", "run=web")) == 1, ""
	})
	if out := shared.MustKubectl(t, "logs", "web"); !strings.Contains(out, "nginx") {
		t.Errorf("kubectl logs web: %q", out)
	}
	out, err := shared.Kubectl(t, "exec", "web", "--", "ls")
	if err == nil || !strings.Contains(out, "simulated") {
		t.Errorf("kubectl exec should fail with a clear message, got %v: %q", err, out)
	}
}

// One learner cannot fill the machine: each namespace holds at most
// --object-quota objects of each kind, counted by the API server itself.
func TestObjectQuota(t *testing.T) {
	c, err := testcluster.Start(context.Background(), testcluster.Binary(t), t.TempDir(), "--object-quota", "3")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	c.MustKubectl(t, "create", "namespace", "flood")
	// The namespace's own kube-root-ca.crt counts too: at most 2 more fit.
	waitFor(t, 10*time.Second, "kube-root-ca.crt", func() (bool, string) {
		_, err := c.Client.CoreV1().ConfigMaps("flood").Get(context.Background(), "kube-root-ca.crt", metav1.GetOptions{})
		return err == nil, fmt.Sprint(err)
	})
	refused := ""
	for i := 0; i < 4 && refused == ""; i++ {
		if out, err := c.Kubectl(t, "create", "configmap", fmt.Sprintf("c%d", i), "-n", "flood"); err != nil {
			refused = out
		}
	}
	if !strings.Contains(refused, `namespace "flood" already holds its limit of 3 configmaps in this sandbox (kubelab-sandbox-limits)`) {
		t.Fatalf("ConfigMaps past the limit should be refused with a clear message, got %q", refused)
	}
	if n, _ := c.Client.CoreV1().ConfigMaps("flood").List(context.Background(), metav1.ListOptions{}); len(n.Items) != 3 {
		t.Fatalf("the namespace holds %d ConfigMaps, want 3", len(n.Items))
	}
}
