package conformance_test

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kubelab/kubelab/internal/testcluster"
)

// corpusCase is one row of EXPECTED.md.
type corpusCase struct {
	row   string   // the row's files, as EXPECTED.md names them
	ns    string   // the namespace the files name, if they do
	files []string // applied in this order before check (check may apply more)
	// deviation, if set, is why the simulated kubelet does not do what
	// EXPECTED.md says: what a real kubelet does instead. The case is then
	// counted as a mismatch when it does not match, without failing the test.
	deviation string
	check     func(e *env) error
}

var nsRe = regexp.MustCompile(`[^a-z0-9-]+`)

func (c corpusCase) namespace() string {
	if c.ns != "" {
		return c.ns
	}
	s := strings.ToLower(strings.TrimSuffix(c.files[0], ".yaml"))
	s = strings.Trim(nsRe.ReplaceAllString(strings.ReplaceAll(s, "__", "-"), "-"), "-")
	if len(s) > 50 {
		s = s[:50]
	}
	return "cx-" + strings.Trim(s, "-")
}

func TestCorpus(t *testing.T) {
	dir := corpusDir()
	if !exists(dir + "/EXPECTED.md") {
		t.Skipf("conformance corpus not found at %s (it lives outside the repository, in ../shared/corpus/k8s-docs-examples)", dir)
	}
	c := shared
	var mu sync.Mutex
	var results []result
	record := func(r result) {
		mu.Lock()
		results = append(results, r)
		mu.Unlock()
	}
	t.Run("cases", func(t *testing.T) {
		// All at once: concurrent t.Run calls are not held to -parallel
		// (GOMAXPROCS), and the cases mostly wait on simulated time.
		var wg sync.WaitGroup
		defer wg.Wait()
		for _, cc := range cases() {
			cc := cc
			wg.Add(1)
			go func() {
				defer wg.Done() // also when -run filters the case out
				t.Run(cc.row, func(t *testing.T) { runCase(t, dir, c, cc, record) })
			}()
		}
	})
	sort.Slice(results, func(i, j int) bool { return results[i].row < results[j].row })
	match := 0
	var report strings.Builder
	for _, r := range results {
		if r.err == "" {
			match++
			continue
		}
		why := r.deviation
		if why == "" {
			why = "simulator gap"
		}
		fmt.Fprintf(&report, "  - %s: %s\n    why: %s\n", r.row, r.err, why)
	}
	t.Logf("corpus: %d/%d rows of EXPECTED.md match", match, len(results))
	if report.Len() > 0 {
		t.Logf("mismatches:\n%s", report.String())
	}
	if out := os.Getenv("KUBELAB_CORPUS_REPORT"); out != "" {
		_ = os.WriteFile(out, []byte(fmt.Sprintf("corpus: %d/%d\n%s", match, len(results), report.String())), 0o644)
	}
}

// result is how one case went.
type result struct {
	row, err, deviation string
}

// runCase applies a case's files in its namespace and checks it.
func runCase(t *testing.T, dir string, c *testcluster.Cluster, cc corpusCase, record func(result)) {
	for _, f := range cc.files {
		if !exists(dir + "/" + f + ".yaml") {
			t.Fatalf("corpus file %s.yaml is missing", f)
		}
	}
	e := newEnv(t, c, cc.namespace())
	var err error
	if err = e.apply(cc.files...); err == nil {
		err = cc.check(e)
	}
	r := result{row: cc.row, deviation: cc.deviation}
	if err != nil {
		r.err = err.Error()
		if cc.deviation != "" {
			t.Logf("does not match EXPECTED.md, by design: %v\n  (%s)", err, cc.deviation)
		} else {
			t.Errorf("does not match EXPECTED.md: %v", err)
		}
	}
	record(r)
}

func podRunningReady(e *env, name string, timeout time.Duration) error {
	return e.waitPod(name, timeout, "Running and Ready", func(p *corev1.Pod) bool { return running(p) && ready(p) })
}

func deploymentReady(e *env, name string, n int32, timeout time.Duration) error {
	return e.waitFor(timeout, fmt.Sprintf("deployment %s %d/%d", name, n, n), func() (bool, string) {
		d, err := e.c.Client.AppsV1().Deployments(e.ns).Get(e.ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return d.Status.ReadyReplicas == n && d.Status.AvailableReplicas == n, fmt.Sprintf("%+v", d.Status)
	})
}

func jobCondition(e *env, name string, cond batchv1.JobConditionType, timeout time.Duration) (*batchv1.Job, error) {
	var job *batchv1.Job
	err := e.waitFor(timeout, "job "+name+" "+string(cond), func() (bool, string) {
		j, err := e.c.Client.BatchV1().Jobs(e.ns).Get(e.ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		job = j
		for _, c := range j.Status.Conditions {
			if c.Type == cond && c.Status == corev1.ConditionTrue {
				return true, ""
			}
		}
		return false, fmt.Sprintf("active=%d succeeded=%d failed=%d conditions=%v", j.Status.Active, j.Status.Succeeded, j.Status.Failed, j.Status.Conditions)
	})
	return job, err
}

func pvcBound(e *env, name string, timeout time.Duration) (*corev1.PersistentVolumeClaim, error) {
	var pvc *corev1.PersistentVolumeClaim
	err := e.waitFor(timeout, "claim "+name+" Bound", func() (bool, string) {
		c, err := e.c.Client.CoreV1().PersistentVolumeClaims(e.ns).Get(e.ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		pvc = c
		return c.Status.Phase == corev1.ClaimBound, string(c.Status.Phase)
	})
	return pvc, err
}

func cases() []corpusCase {
	return []corpusCase{
		{row: "pods__simple-pod", files: []string{"pods__simple-pod"}, check: func(e *env) error {
			if err := podRunningReady(e, "nginx", 30*time.Second); err != nil {
				return err
			}
			p, _ := e.pod("nginx")
			if p.Status.PodIP == "" {
				return fmt.Errorf("no pod IP")
			}
			return nil
		}},
		{row: "pods__init-containers", files: []string{"pods__init-containers"}, check: func(e *env) error {
			if err := podRunningReady(e, "init-demo", 30*time.Second); err != nil {
				return err
			}
			initRunning := e.seen("init-demo", func(p *corev1.Pod) bool {
				return len(p.Status.InitContainerStatuses) == 1 && p.Status.InitContainerStatuses[0].State.Running != nil &&
					p.Status.Phase == corev1.PodPending
			})
			if !initRunning {
				return fmt.Errorf("the init container was never seen running first (Init:0/1)")
			}
			p, _ := e.pod("init-demo")
			if t := p.Status.InitContainerStatuses[0].State.Terminated; t == nil || t.Reason != "Completed" {
				return fmt.Errorf("init container not Completed: %s", describe(p))
			}
			return nil
		}},
		{row: "pods__pod-nginx", files: []string{"pods__pod-nginx"}, check: func(e *env) error {
			if err := e.event("nginx", "FailedScheduling", "didn't match Pod's node affinity/selector", 30*time.Second); err != nil {
				return err
			}
			if p, _ := e.pod("nginx"); p.Status.Phase != corev1.PodPending {
				return fmt.Errorf("not Pending: %s", describe(p))
			}
			nodes, err := e.c.Client.CoreV1().Nodes().List(e.ctx, metav1.ListOptions{})
			if err != nil {
				return err
			}
			node := nodes.Items[0].Name
			if out, err := e.kubectl("label", "node", node, "disktype=ssd"); err != nil {
				return fmt.Errorf("label: %v %s", err, out)
			}
			defer func() { _, _ = e.kubectl("label", "node", node, "disktype-") }()
			if err := podRunningReady(e, "nginx", 60*time.Second); err != nil {
				return err
			}
			if p, _ := e.pod("nginx"); p.Spec.NodeName != node {
				return fmt.Errorf("running on %s, not on the labelled %s", p.Spec.NodeName, node)
			}
			return nil
		}},
		{row: "pods__pod-with-pod-affinity", files: []string{"pods__pod-with-pod-affinity"}, check: func(e *env) error {
			if err := e.event("with-pod-affinity", "FailedScheduling", "affinity", 30*time.Second); err != nil {
				return err
			}
			if p, _ := e.pod("with-pod-affinity"); p.Status.Phase != corev1.PodPending || p.Spec.NodeName != "" {
				return fmt.Errorf("not Pending and unscheduled: %s", describe(p))
			}
			return nil
		}},
		{row: "pods__commands", files: []string{"pods__commands"}, check: func(e *env) error {
			err := e.waitPod("command-demo", 30*time.Second, "Completed", func(p *corev1.Pod) bool {
				return p.Status.Phase == corev1.PodSucceeded && len(p.Status.ContainerStatuses) == 1 &&
					p.Status.ContainerStatuses[0].State.Terminated != nil && p.Status.ContainerStatuses[0].State.Terminated.Reason == "Completed"
			})
			if err != nil {
				return err
			}
			out, err := e.logs("command-demo")
			if err != nil {
				return err
			}
			if want := "command-demo\ntcp://10.100.0.1:443\n"; out != want {
				return fmt.Errorf("kubectl logs: %q, want %q", out, want)
			}
			return nil
		}},
		{row: "pods__lifecycle-events", files: []string{"pods__lifecycle-events"}, check: func(e *env) error {
			if err := podRunningReady(e, "lifecycle-demo", 30*time.Second); err != nil {
				return err
			}
			// The postStart hook ran: the file it wrote is there.
			if out, err := e.kubectl("exec", "lifecycle-demo", "--", "cat", "/usr/share/message"); err != nil ||
				strings.TrimSpace(out) != "Hello from the postStart handler" {
				return fmt.Errorf("postStart's /usr/share/message: %v %q", err, out)
			}
			deleted := time.Now()
			if out, err := e.kubectl("delete", "pod", "lifecycle-demo", "--wait=false"); err != nil {
				return fmt.Errorf("delete: %v %s", err, out)
			}
			time.Sleep(time.Second)
			p, err := e.pod("lifecycle-demo")
			if err != nil || p.DeletionTimestamp == nil {
				return fmt.Errorf("not Terminating one second after delete: %v", err)
			}
			if err := e.event("lifecycle-demo", "Killing", "Stopping container lifecycle-demo-container", 10*time.Second); err != nil {
				return err
			}
			err = e.waitFor(40*time.Second, "pod gone", func() (bool, string) {
				_, err := e.pod("lifecycle-demo")
				return apierrors.IsNotFound(err), fmt.Sprint(err)
			})
			if err != nil {
				return err
			}
			if took := time.Since(deleted); took > 31*time.Second {
				return fmt.Errorf("Terminating for %s, longer than the grace period", took)
			}
			return nil
		}},
		{row: "pods__pod-configmap-volume (+configmap__configmaps)", files: []string{"pods__pod-configmap-volume"}, check: func(e *env) error {
			if err := e.event("dapi-test-pod", "FailedMount", `configmap "special-config" not found`, 30*time.Second); err != nil {
				return err
			}
			if p, _ := e.pod("dapi-test-pod"); waitingReason(p, "") != "ContainerCreating" {
				return fmt.Errorf("not ContainerCreating: %s", describe(p))
			}
			// "With it": the ConfigMaps of configmap__configmaps, in this namespace.
			b, err := os.ReadFile(e.file("configmap__configmaps"))
			if err != nil {
				return err
			}
			for _, doc := range strings.Split(string(b), "\n---") {
				var cm corev1.ConfigMap
				if err := yaml.Unmarshal([]byte(doc), &cm); err != nil || cm.Name == "" {
					continue
				}
				cm.Namespace, cm.ResourceVersion = e.ns, ""
				if _, err := e.c.Client.CoreV1().ConfigMaps(e.ns).Create(e.ctx, &cm, metav1.CreateOptions{}); err != nil {
					return err
				}
			}
			err = e.waitPod("dapi-test-pod", 60*time.Second, "Succeeded", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodSucceeded })
			if err != nil {
				return err
			}
			out, err := e.logs("dapi-test-pod")
			if err != nil {
				return err
			}
			if out != "special.how\n" {
				return fmt.Errorf("kubectl logs (ls /etc/config/): %q", out)
			}
			return nil
		}},
		{row: "configmap__configure-pod", files: []string{"configmap__configure-pod"},
			deviation: "a real kubelet mounts volumes before it makes the container's environment: the missing ConfigMap game-demo, " +
				"mounted as a volume here, keeps the pod ContainerCreating with FailedMount (kubelet.go SyncPod: WaitForAttachAndMount " +
				"comes before the runtime's SyncPod); CreateContainerConfigError only shows once the volume can be set up",
			check: func(e *env) error {
				err := e.waitPod("configmap-demo-pod", 20*time.Second, "CreateContainerConfigError", func(p *corev1.Pod) bool {
					return waitingReason(p, "demo") == "CreateContainerConfigError"
				})
				if err == nil {
					return nil
				}
				// What the sandbox does instead, as a real kubelet: checked, so a regression shows.
				if e2 := e.event("configmap-demo-pod", "FailedMount", `configmap "game-demo" not found`, 10*time.Second); e2 != nil {
					return fmt.Errorf("%v; and no FailedMount either: %v", err, e2)
				}
				// With a game-demo that has the files but not the keys of the environment: CreateContainerConfigError.
				_, e3 := e.c.Client.CoreV1().ConfigMaps(e.ns).Create(e.ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "game-demo"},
					Data: map[string]string{"game.properties": "enemy.types=aliens", "user-interface.properties": "color.good=purple"}}, metav1.CreateOptions{})
				if e3 != nil {
					return e3
				}
				if e4 := e.waitPod("configmap-demo-pod", 20*time.Second, "CreateContainerConfigError", func(p *corev1.Pod) bool {
					return waitingReason(p, "demo") == "CreateContainerConfigError"
				}); e4 != nil {
					return fmt.Errorf("%v; with the volume's keys only: %v", err, e4)
				}
				return fmt.Errorf("alone the pod is ContainerCreating with FailedMount (configmap \"game-demo\" not found), " +
					"not CreateContainerConfigError; that comes once game-demo exists without the environment's keys")
			}},
		{row: "configmap__configmaps", ns: "default", files: []string{"configmap__configmaps"}, check: func(e *env) error {
			for _, name := range []string{"special-config", "env-config"} {
				if _, err := e.c.Client.CoreV1().ConfigMaps("default").Get(e.ctx, name, metav1.GetOptions{}); err != nil {
					return err
				}
			}
			return nil
		}},
		{row: "pods_inject__secret-envars-pod (+pods_inject__secret)", files: []string{"pods_inject__secret-envars-pod"}, check: func(e *env) error {
			err := e.waitPod("secret-envars-test-pod", 30*time.Second, "CreateContainerConfigError", func(p *corev1.Pod) bool {
				return waitingReason(p, "") == "CreateContainerConfigError"
			})
			if err != nil {
				return err
			}
			if err := e.event("secret-envars-test-pod", "Failed", `secret "test-secret" not found`, 10*time.Second); err != nil {
				return err
			}
			if err := e.apply("pods_inject__secret"); err != nil {
				return err
			}
			if err := podRunningReady(e, "secret-envars-test-pod", 30*time.Second); err != nil {
				return err
			}
			out, err := e.kubectl("exec", "secret-envars-test-pod", "--", "printenv", "SECRET_USERNAME")
			if err != nil || strings.TrimSpace(out) != "my-app" {
				return fmt.Errorf("printenv SECRET_USERNAME: %v %q", err, out)
			}
			return nil
		}},
		{row: "pods_inject__dapi-envars-pod", files: []string{"pods_inject__dapi-envars-pod"}, check: func(e *env) error {
			if err := podRunningReady(e, "dapi-envars-fieldref", 30*time.Second); err != nil {
				return err
			}
			p, _ := e.pod("dapi-envars-fieldref")
			time.Sleep(11 * time.Second)
			out, err := e.logs("dapi-envars-fieldref")
			if err != nil {
				return err
			}
			for _, want := range []string{p.Spec.NodeName, "dapi-envars-fieldref", e.ns, p.Status.PodIP, "default"} {
				if strings.Count(out, want+"\n") < 2 {
					return fmt.Errorf("kubectl logs should print %q in a loop:\n%s", want, out)
				}
			}
			return nil
		}},
		{row: "pods__private-reg-pod", files: []string{"pods__private-reg-pod"}, check: func(e *env) error {
			err := e.waitPod("private-reg", 30*time.Second, "InvalidImageName", func(p *corev1.Pod) bool {
				return waitingReason(p, "") == "InvalidImageName"
			})
			if err != nil {
				return err
			}
			return e.event("private-reg", "FailedToRetrieveImagePullSecret", "regcred", 10*time.Second)
		}},
		{row: "pods_probe__exec-liveness", files: []string{"pods_probe__exec-liveness"}, check: func(e *env) error {
			if err := podRunningReady(e, "liveness-exec", 30*time.Second); err != nil {
				return err
			}
			if err := e.event("liveness-exec", "Unhealthy", "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory", 60*time.Second); err != nil {
				return err
			}
			if err := e.event("liveness-exec", "Killing", "failed liveness probe, will be restarted", 30*time.Second); err != nil {
				return err
			}
			return e.waitPod("liveness-exec", 60*time.Second, "restarted", func(p *corev1.Pod) bool {
				return len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].RestartCount >= 1
			})
		}},
		{row: "pods_probe__tcp-liveness-readiness", files: []string{"pods_probe__tcp-liveness-readiness"}, check: func(e *env) error {
			err := e.waitPod("goproxy", 30*time.Second, "running", func(p *corev1.Pod) bool { return running(p) })
			if err != nil {
				return err
			}
			if err := podRunningReady(e, "goproxy", 40*time.Second); err != nil {
				return err
			}
			p, _ := e.pod("goproxy")
			started := p.Status.ContainerStatuses[0].State.Running.StartedAt.Time
			var readyAt time.Time
			for _, c := range p.Status.Conditions {
				if c.Type == corev1.PodReady {
					readyAt = c.LastTransitionTime.Time
				}
			}
			if d := readyAt.Sub(started); d < 15*time.Second || d > 27*time.Second {
				return fmt.Errorf("Ready %s after start; want after initialDelaySeconds (15s), within a probe period", d)
			}
			return nil
		}},
		{row: "pods_resource__memory-request-limit-2", ns: "mem-example", files: []string{"pods_resource__memory-request-limit-2"}, check: func(e *env) error {
			err := e.waitFor(60*time.Second, "OOMKilled then CrashLoopBackOff", func() (bool, string) {
				oom := e.seen("memory-demo-2", func(p *corev1.Pod) bool {
					for _, cs := range p.Status.ContainerStatuses {
						for _, s := range []corev1.ContainerState{cs.State, cs.LastTerminationState} {
							if s.Terminated != nil && s.Terminated.Reason == "OOMKilled" {
								return true
							}
						}
					}
					return false
				})
				p, err := e.pod("memory-demo-2")
				if err != nil {
					return false, err.Error()
				}
				return oom && waitingReason(p, "") == "CrashLoopBackOff", describe(p)
			})
			if err != nil {
				return err
			}
			return e.event("memory-demo-2", "BackOff", "Back-off restarting failed container", 10*time.Second)
		}},
		{row: "pods_resource__cpu-request-limit-2", ns: "cpu-example", files: []string{"pods_resource__cpu-request-limit-2"}, check: func(e *env) error {
			if err := e.event("cpu-demo-2", "FailedScheduling", "Insufficient cpu", 30*time.Second); err != nil {
				return err
			}
			if p, _ := e.pod("cpu-demo-2"); p.Status.Phase != corev1.PodPending {
				return fmt.Errorf("not Pending: %s", describe(p))
			}
			return nil
		}},
		{row: "pods_storage__pv-volume, -pv-claim, -pv-pod", files: []string{"pods_storage__pv-volume"}, check: func(e *env) error {
			err := e.waitFor(20*time.Second, "PV Available", func() (bool, string) {
				pv, err := e.c.Client.CoreV1().PersistentVolumes().Get(e.ctx, "task-pv-volume", metav1.GetOptions{})
				if err != nil {
					return false, err.Error()
				}
				return pv.Status.Phase == corev1.VolumeAvailable || pv.Status.Phase == corev1.VolumeBound, string(pv.Status.Phase)
			})
			if err != nil {
				return err
			}
			if err := e.apply("pods_storage__pv-claim", "pods_storage__pv-pod"); err != nil {
				return err
			}
			pvc, err := pvcBound(e, "task-pv-claim", 30*time.Second)
			if err != nil {
				return err
			}
			if pvc.Spec.VolumeName != "task-pv-volume" {
				return fmt.Errorf("claim bound to %s, not task-pv-volume", pvc.Spec.VolumeName)
			}
			return podRunningReady(e, "task-pv-pod", 30*time.Second)
		}},
		{row: "application__deployment", files: []string{"application__deployment"}, check: func(e *env) error {
			return deploymentReady(e, "nginx-deployment", 2, 40*time.Second)
		}},
		{row: "application__basic-daemonset", files: []string{"application__basic-daemonset"}, check: func(e *env) error {
			nodes, err := e.c.Client.CoreV1().Nodes().List(e.ctx, metav1.ListOptions{})
			if err != nil {
				return err
			}
			return e.waitFor(40*time.Second, "one pod per node, init Completed", func() (bool, string) {
				ps := e.podsWith("app.kubernetes.io/name=example")
				on := map[string]bool{}
				for _, p := range ps {
					if !running(&p) || len(p.Status.InitContainerStatuses) != 1 || p.Status.InitContainerStatuses[0].State.Terminated == nil ||
						p.Status.InitContainerStatuses[0].State.Terminated.Reason != "Completed" {
						return false, describe(&p)
					}
					on[p.Spec.NodeName] = true
				}
				return len(ps) == len(nodes.Items) && len(on) == len(nodes.Items), fmt.Sprintf("%d pods on %d nodes", len(ps), len(on))
			})
		}},
		{row: "application__shell-demo", files: []string{"application__shell-demo"}, check: func(e *env) error {
			if err := podRunningReady(e, "shell-demo", 30*time.Second); err != nil {
				return err
			}
			out, err := e.pipeKubectl("hostname\nls /usr/share/nginx/html\nexit\n", "exec", "-i", "shell-demo", "--", "/bin/bash")
			if err != nil || !strings.Contains(out, "shell-demo") {
				return fmt.Errorf("kubectl exec -i shell-demo -- /bin/bash: %v %q", err, out)
			}
			return nil
		}},
		{row: "application_guestbook__redis-leader-deployment, -service", files: []string{"application_guestbook__redis-leader-deployment", "application_guestbook__redis-leader-service"}, check: func(e *env) error {
			if err := deploymentReady(e, "redis-leader", 1, 40*time.Second); err != nil {
				return err
			}
			return e.waitFor(20*time.Second, "EndpointSlice with the pod's IP on 6379", func() (bool, string) {
				ps := e.podsWith("app.kubernetes.io/name=redis")
				ips, ports := e.readyEndpoints("redis-leader")
				return len(ps) == 1 && len(ips) == 1 && ips[0] == ps[0].Status.PodIP && len(ports) == 1 && ports[0] == 6379,
					fmt.Sprintf("%v %v", ips, ports)
			})
		}},
		{row: "application_job__cronjob", ns: "cx-application-job-cronjob", files: nil, check: func(e *env) error {
			out, err := e.kubectl("apply", "-f", e.file("application_job__cronjob"))
			if err == nil {
				return fmt.Errorf("batch/v1beta1 CronJob accepted: %s", out)
			}
			if !strings.Contains(out, `no matches for kind "CronJob" in version "batch/v1beta1"`) {
				return fmt.Errorf("rejected, but with %q", out)
			}
			return nil
		}},
		{row: "application_job__indexed-job", files: []string{"application_job__indexed-job"}, check: func(e *env) error {
			job, err := jobCondition(e, "indexed-job", batchv1.JobComplete, 90*time.Second)
			if err != nil {
				return err
			}
			if job.Status.Succeeded != 5 {
				return fmt.Errorf("succeeded %d, want 5", job.Status.Succeeded)
			}
			idx := map[string]bool{}
			for _, p := range e.podsWith("job-name=indexed-job") {
				if p.Status.Phase == corev1.PodSucceeded {
					idx[p.Annotations["batch.kubernetes.io/job-completion-index"]] = true
					if p.Annotations["batch.kubernetes.io/job-completion-index"] == "0" {
						if out, err := e.logs(p.Name, "-c", "worker"); err != nil || out != "oof\n" {
							return fmt.Errorf("index 0 worker's logs (rev of foo): %v %q", err, out)
						}
					}
				}
			}
			if len(idx) != 5 {
				return fmt.Errorf("completion indexes %v", idx)
			}
			return nil
		}},
		{row: "application_mysql__mysql-pv, -mysql-deployment", files: []string{"application_mysql__mysql-pv", "application_mysql__mysql-deployment"}, check: func(e *env) error {
			if _, err := pvcBound(e, "mysql-pv-claim", 30*time.Second); err != nil {
				return err
			}
			if err := deploymentReady(e, "mysql", 1, 40*time.Second); err != nil {
				return err
			}
			return e.waitFor(20*time.Second, "headless Service endpoint", func() (bool, string) {
				ps := e.podsWith("app=mysql")
				ips, _ := e.readyEndpoints("mysql")
				return len(ps) == 1 && len(ips) == 1 && ips[0] == ps[0].Status.PodIP, fmt.Sprint(ips)
			})
		}},
		{row: "application_web__web", files: []string{"application_web__web"}, check: func(e *env) error {
			for _, name := range []string{"web-0", "web-1"} {
				if err := podRunningReady(e, name, 60*time.Second); err != nil {
					return err
				}
			}
			for _, name := range []string{"www-web-0", "www-web-1"} {
				pvc, err := pvcBound(e, name, 10*time.Second)
				if err != nil {
					return err
				}
				if pvc.Spec.StorageClassName == nil || *pvc.Spec.StorageClassName != "gp2" {
					return fmt.Errorf("%s not of the default StorageClass", name)
				}
			}
			w0, _ := e.pod("web-0")
			w1, _ := e.pod("web-1")
			var ready0 time.Time
			for _, c := range w0.Status.Conditions {
				if c.Type == corev1.PodReady {
					ready0 = c.LastTransitionTime.Time
				}
			}
			if w1.CreationTimestamp.Time.Before(ready0.Truncate(time.Second)) {
				return fmt.Errorf("web-1 created (%s) before web-0 was Ready (%s)", w1.CreationTimestamp, ready0)
			}
			return nil
		}},
		{row: "application_zookeeper__zookeeper", files: []string{"application_zookeeper__zookeeper"}, check: func(e *env) error {
			for _, name := range []string{"zk-0", "zk-1", "zk-2"} {
				if err := podRunningReady(e, name, 90*time.Second); err != nil {
					return err
				}
				if _, err := pvcBound(e, "datadir-"+name, 10*time.Second); err != nil {
					return err
				}
			}
			created := func(n string) time.Time { p, _ := e.pod(n); return p.CreationTimestamp.Time }
			if !created("zk-0").Before(created("zk-1").Add(time.Second)) || !created("zk-1").Before(created("zk-2").Add(time.Second)) {
				return fmt.Errorf("not created in order")
			}
			// Each waited for the one before to be Ready (its readiness probe).
			readyAt := func(n string) time.Time {
				p, _ := e.pod(n)
				for _, c := range p.Status.Conditions {
					if c.Type == corev1.PodReady {
						return c.LastTransitionTime.Time
					}
				}
				return time.Time{}
			}
			if created("zk-1").Before(readyAt("zk-0").Truncate(time.Second)) || created("zk-2").Before(readyAt("zk-1").Truncate(time.Second)) {
				return fmt.Errorf("a pod was created before the one before it was Ready")
			}
			return e.waitFor(30*time.Second, "PodDisruptionBudget tracks 3 healthy", func() (bool, string) {
				pdb, err := e.c.Client.PolicyV1().PodDisruptionBudgets(e.ns).Get(e.ctx, "zk-pdb", metav1.GetOptions{})
				if err != nil {
					return false, err.Error()
				}
				return pdb.Status.CurrentHealthy == 3 && pdb.Status.DesiredHealthy == 2 && pdb.Status.DisruptionsAllowed == 1, fmt.Sprintf("%+v", pdb.Status)
			})
		}},
		{row: "controllers__nginx-deployment, controllers__frontend, controllers__job", files: []string{"controllers__nginx-deployment", "controllers__frontend", "controllers__job"}, check: func(e *env) error {
			if err := deploymentReady(e, "nginx-deployment", 3, 40*time.Second); err != nil {
				return err
			}
			err := e.waitFor(40*time.Second, "ReplicaSet frontend 3/3", func() (bool, string) {
				rs, err := e.c.Client.AppsV1().ReplicaSets(e.ns).Get(e.ctx, "frontend", metav1.GetOptions{})
				if err != nil {
					return false, err.Error()
				}
				return rs.Status.ReadyReplicas == 3, fmt.Sprintf("%+v", rs.Status)
			})
			if err != nil {
				return err
			}
			if _, err := jobCondition(e, "pi", batchv1.JobComplete, 60*time.Second); err != nil {
				return err
			}
			out, err := e.logs("job/pi")
			if err != nil {
				return err
			}
			if !strings.HasPrefix(out, "3.14159265358979323846") || len(strings.TrimSpace(out)) != 2001 {
				return fmt.Errorf("pi's logs: %.40q... (%d characters)", out, len(out))
			}
			return nil
		}},
		{row: "controllers__job-pod-failure-policy-example", files: []string{"controllers__job-pod-failure-policy-example"}, check: func(e *env) error {
			job, err := jobCondition(e, "job-pod-failure-policy-example", batchv1.JobFailed, 60*time.Second)
			if err != nil {
				return err
			}
			for _, c := range job.Status.Conditions {
				if c.Type == batchv1.JobFailed && c.Reason != "PodFailurePolicy" {
					return fmt.Errorf("failed with reason %s: %s", c.Reason, c.Message)
				}
			}
			return nil
		}},
		{row: "controllers__hpa-rs (+controllers__frontend)", files: []string{"controllers__frontend", "controllers__hpa-rs"},
			deviation: "the frontend ReplicaSet's container has no CPU request, so a real HPA cannot compute a utilization: " +
				"ScalingActive is False with FailedGetResourceMetric \"missing request for cpu in container php-redis\" " +
				"(replica_calculator.go GetResourceReplicas); the sandbox's metrics.k8s.io works (the HPA gets past fetching metrics)",
			check: func(e *env) error {
				var last string
				err := e.waitFor(90*time.Second, "HPA ScalingActive True", func() (bool, string) {
					h, err := e.c.Client.AutoscalingV2().HorizontalPodAutoscalers(e.ns).Get(e.ctx, "frontend-scaler", metav1.GetOptions{})
					if err != nil {
						return false, err.Error()
					}
					for _, c := range h.Status.Conditions {
						if c.Type == "ScalingActive" {
							last = fmt.Sprintf("ScalingActive=%s %s: %s", c.Status, c.Reason, c.Message)
							if c.Status == corev1.ConditionTrue {
								return true, ""
							}
							if strings.Contains(c.Message, "missing request for cpu") {
								return true, ""
							}
						}
					}
					return false, last
				})
				if err != nil {
					return err
				}
				if strings.Contains(last, "missing request for cpu") {
					return fmt.Errorf("%s", last)
				}
				return nil
			}},
		{row: "admin_resource__quota-mem-cpu, -pod, -pod-2", files: []string{"admin_resource__quota-mem-cpu"}, check: func(e *env) error {
			err := e.waitFor(20*time.Second, "quota status", func() (bool, string) {
				q, err := e.c.Client.CoreV1().ResourceQuotas(e.ns).Get(e.ctx, "mem-cpu-demo", metav1.GetOptions{})
				return err == nil && len(q.Status.Hard) > 0, fmt.Sprint(err)
			})
			if err != nil {
				return err
			}
			if err := e.apply("admin_resource__quota-mem-cpu-pod"); err != nil {
				return err
			}
			err = e.waitFor(20*time.Second, "quota usage", func() (bool, string) {
				q, err := e.c.Client.CoreV1().ResourceQuotas(e.ns).Get(e.ctx, "mem-cpu-demo", metav1.GetOptions{})
				if err != nil {
					return false, err.Error()
				}
				used := q.Status.Used[corev1.ResourceRequestsMemory]
				cpu := q.Status.Used[corev1.ResourceRequestsCPU]
				return used.String() == "600Mi" && cpu.String() == "400m", fmt.Sprint(q.Status.Used)
			})
			if err != nil {
				return err
			}
			out, err := e.kubectl("apply", "-f", e.file("admin_resource__quota-mem-cpu-pod-2"))
			if err == nil || !strings.Contains(out, "exceeded quota") {
				return fmt.Errorf("second pod not refused for quota: %v %s", err, out)
			}
			return podRunningReady(e, "quota-mem-cpu-demo", 30*time.Second)
		}},
		{row: "admin_resource__cpu-constraints, -pod-2", files: []string{"admin_resource__cpu-constraints"}, check: func(e *env) error {
			var out string
			err := e.waitFor(10*time.Second, "pod refused", func() (bool, string) {
				o, err := e.kubectl("apply", "-f", e.file("admin_resource__cpu-constraints-pod-2"))
				out = o
				if err == nil {
					_, _ = e.kubectl("delete", "pod", "constraints-cpu-demo-2", "--wait=false")
				}
				return err != nil, o
			})
			if err != nil {
				return err
			}
			if !strings.Contains(out, "maximum cpu usage per Container is 800m") {
				return fmt.Errorf("refused with %q", out)
			}
			return nil
		}},
		{row: "service__nginx-service (+controllers__nginx-deployment)", files: []string{"service__nginx-service"}, check: func(e *env) error {
			time.Sleep(2 * time.Second)
			svc, err := e.c.Client.CoreV1().Services(e.ns).Get(e.ctx, "nginx-service", metav1.GetOptions{})
			if err != nil {
				return err
			}
			if svc.Spec.Type != corev1.ServiceTypeClusterIP || svc.Spec.ClusterIP == "" {
				return fmt.Errorf("not a ClusterIP Service: %+v", svc.Spec)
			}
			if ips, _ := e.readyEndpoints("nginx-service"); len(ips) != 0 {
				return fmt.Errorf("endpoints without pods: %v", ips)
			}
			if err := e.apply("controllers__nginx-deployment"); err != nil {
				return err
			}
			return e.waitFor(40*time.Second, "3 ready endpoints on port 80", func() (bool, string) {
				ips, ports := e.readyEndpoints("nginx-service")
				return len(ips) == 3 && len(ports) == 1 && ports[0] == 80 && svc.Spec.Ports[0].Port == 8000, fmt.Sprintf("%v %v", ips, ports)
			})
		}},
		{row: "service_networking__run-my-nginx, -nginx-svc", files: []string{"service_networking__run-my-nginx", "service_networking__nginx-svc"}, check: func(e *env) error {
			if err := deploymentReady(e, "my-nginx", 2, 40*time.Second); err != nil {
				return err
			}
			return e.waitFor(20*time.Second, "EndpointSlice with the 2 ready IPs", func() (bool, string) {
				var want []string
				for _, p := range e.podsWith("run=my-nginx") {
					want = append(want, p.Status.PodIP)
				}
				sort.Strings(want)
				ips, _ := e.readyEndpoints("my-nginx")
				return len(ips) == 2 && strings.Join(ips, ",") == strings.Join(want, ","), fmt.Sprintf("%v vs pods %v", ips, want)
			})
		}},
		{row: "secret__optional-secret", files: []string{"secret__optional-secret"}, check: func(e *env) error {
			return podRunningReady(e, "mypod", 30*time.Second)
		}},
	}
}
