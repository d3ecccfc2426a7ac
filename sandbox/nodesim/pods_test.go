package nodesim

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	testingclock "k8s.io/utils/clock/testing"
	"sigs.k8s.io/yaml"

	"github.com/kubelab/kubelab/sandbox/nodesim/internal/shell"
)

// harness drives the simulated kubelet synchronously on a virtual clock.
type harness struct {
	t       *testing.T
	s       *Simulator
	n       *simNode
	rec     *record.FakeRecorder
	idx     map[string]cache.Indexer
	clk     *testingclock.FakePassiveClock
	t0, now time.Time
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	cfg, err := DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, fake.NewSimpleClientset(), 10250)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, s: s, idx: map[string]cache.Indexer{}}
	for _, kind := range []string{"cm", "secret", "pvc", "svc", "pod"} {
		h.idx[kind] = cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	}
	s.cms = corelisters.NewConfigMapLister(h.idx["cm"])
	s.secrets = corelisters.NewSecretLister(h.idx["secret"])
	s.pvcs = corelisters.NewPersistentVolumeClaimLister(h.idx["pvc"])
	s.services = corelisters.NewServiceLister(h.idx["svc"])
	s.pods = corelisters.NewPodLister(h.idx["pod"])
	h.rec = record.NewFakeRecorder(10000)
	for _, n := range s.nodes {
		n.recorder = h.rec
		if h.n == nil || n.spec.Name < h.n.spec.Name {
			h.n = n
		}
	}
	h.t0 = time.Date(2025, 11, 26, 10, 0, 0, 0, time.UTC)
	h.now = h.t0
	h.clk = testingclock.NewFakePassiveClock(h.t0)
	s.clock = h.clk
	return h
}

func (h *harness) add(kind string, obj runtime.Object) {
	h.t.Helper()
	if err := h.idx[kind].Add(obj); err != nil {
		h.t.Fatal(err)
	}
}

func podFrom(t *testing.T, y string) *corev1.Pod {
	t.Helper()
	var p corev1.Pod
	if err := yaml.UnmarshalStrict([]byte(y), &p); err != nil {
		t.Fatal(err)
	}
	if p.Namespace == "" {
		p.Namespace = "default"
	}
	p.UID = types.UID("uid-" + p.Name)
	if p.Spec.RestartPolicy == "" {
		p.Spec.RestartPolicy = corev1.RestartPolicyAlways
	}
	if p.Spec.ServiceAccountName == "" {
		p.Spec.ServiceAccountName = "default"
	}
	for i := range p.Spec.Containers {
		if p.Spec.Containers[i].ImagePullPolicy == "" {
			p.Spec.Containers[i].ImagePullPolicy = corev1.PullIfNotPresent
			if imageTag(p.Spec.Containers[i].Image) == "latest" {
				p.Spec.Containers[i].ImagePullPolicy = corev1.PullAlways
			}
		}
	}
	return &p
}

// sample is one observation of the pod.
type sample struct {
	at     time.Duration
	status corev1.PodStatus
}

// run advances the simulated kubelet for d in steps, applying the status
// it writes to the pod, and returns what kubectl get pods would have shown
// at each change.
func (h *harness) run(p *corev1.Pod, d time.Duration) []sample {
	h.t.Helper()
	p.Spec.NodeName = h.n.spec.Name
	st := h.s.stateFor(p)
	if st.accepted.IsZero() {
		st.accepted = h.now
	}
	var out []sample
	last := ""
	end := h.now.Add(d)
	for ; !h.now.After(end); h.now = h.now.Add(50 * time.Millisecond) {
		h.clk.SetTime(h.now)
		st.mu.Lock()
		h.s.runFor(p, h.n, st).advance(h.now)
		status := h.s.runFor(p, h.n, st).render(h.now)
		st.mu.Unlock()
		p.Status = *status
		if k := summary(p); k != last {
			last = k
			out = append(out, sample{at: h.now.Sub(h.t0), status: *p.Status.DeepCopy()})
		}
	}
	return out
}

// summary is roughly kubectl get pods' STATUS, READY and RESTARTS columns.
func summary(p *corev1.Pod) string {
	ready, restarts := 0, int32(0)
	reason := string(p.Status.Phase)
	for i, c := range p.Status.InitContainerStatuses {
		switch {
		case c.State.Terminated != nil && c.State.Terminated.ExitCode == 0:
			continue
		case c.Started != nil && *c.Started && i < len(p.Spec.InitContainers) && p.Spec.InitContainers[i].RestartPolicy != nil:
			continue // a started sidecar
		case c.State.Terminated != nil:
			reason = "Init:" + c.State.Terminated.Reason
		case c.State.Waiting != nil && c.State.Waiting.Reason != "" && c.State.Waiting.Reason != "PodInitializing":
			reason = "Init:" + c.State.Waiting.Reason
		default:
			reason = fmt.Sprintf("Init:%d/%d", i, len(p.Spec.InitContainers))
		}
		break
	}
	if !strings.HasPrefix(reason, "Init:") {
		for _, c := range p.Status.ContainerStatuses {
			restarts += c.RestartCount
			if c.Ready {
				ready++
			}
			switch {
			case c.State.Waiting != nil && c.State.Waiting.Reason != "":
				reason = c.State.Waiting.Reason
			case c.State.Terminated != nil && c.State.Terminated.Reason != "":
				reason = c.State.Terminated.Reason
			}
		}
	}
	if p.DeletionTimestamp != nil {
		reason = "Terminating"
	}
	return fmt.Sprintf("%d/%d %s %d", ready, len(p.Spec.Containers), reason, restarts)
}

func (h *harness) events() []string {
	var out []string
	for {
		select {
		case e := <-h.rec.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

func timeline(ss []sample, p *corev1.Pod) string {
	var b strings.Builder
	for _, s := range ss {
		q := p.DeepCopy()
		q.Status = s.status
		fmt.Fprintf(&b, "%6.2fs %s\n", s.at.Seconds(), summary(q))
	}
	return b.String()
}

func hasEvent(evs []string, want string) bool {
	for _, e := range evs {
		if strings.Contains(e, want) {
			return true
		}
	}
	return false
}

func expectStates(t *testing.T, ss []sample, p *corev1.Pod, want ...string) {
	t.Helper()
	tl := timeline(ss, p)
	i := 0
	for _, line := range strings.Split(strings.TrimSpace(tl), "\n") {
		if i < len(want) && strings.Contains(line, want[i]) {
			i++
		}
	}
	if i < len(want) {
		t.Fatalf("missing state %q in order; timeline:\n%s", want[i], tl)
	}
}

func TestInitContainersThenRunning(t *testing.T) {
	h := newHarness(t)
	p := podFrom(t, `
metadata: {name: init-demo}
spec:
  containers: [{name: nginx, image: nginx, volumeMounts: [{name: workdir, mountPath: /usr/share/nginx/html}]}]
  initContainers:
  - name: install
    image: busybox:1.28
    command: [wget, -O, /work-dir/index.html, http://info.cern.ch]
    volumeMounts: [{name: workdir, mountPath: /work-dir}]
  volumes: [{name: workdir, emptyDir: {}}]
`)
	ss := h.run(p, 10*time.Second)
	expectStates(t, ss, p, "0/1 Init:0/1 0", "0/1 PodInitializing 0", "1/1 Running 0")
	evs := h.events()
	for _, want := range []string{"Pulling Pulling image \"busybox:1.28\"", "Created Container created", "Pulled Successfully pulled image \"nginx\""} {
		if !hasEvent(evs, want) {
			t.Errorf("no event %q in %v", want, evs)
		}
	}
	// The init container's download is in the shared emptyDir.
	if out := h.s.execFor(p, "nginx", "cat", "/usr/share/nginx/html/index.html"); !strings.Contains(out, "<html>") {
		t.Errorf("init container's file not shared: %q", out)
	}
	if c := findStatus(p.Status.InitContainerStatuses, "install"); c == nil || c.State.Terminated == nil || c.State.Terminated.Reason != "Completed" {
		t.Errorf("init status %+v", c)
	}
}

func TestMissingConfigMapThenAppears(t *testing.T) {
	h := newHarness(t)
	p := podFrom(t, `
metadata: {name: dapi-test-pod}
spec:
  restartPolicy: Never
  containers:
  - name: test-container
    image: registry.k8s.io/busybox:1.27.2
    command: ["/bin/sh", "-c", "ls /etc/config/"]
    volumeMounts: [{name: config-volume, mountPath: /etc/config}]
  volumes: [{name: config-volume, configMap: {name: special-config}}]
`)
	ss := h.run(p, 5*time.Second)
	expectStates(t, ss, p, "0/1 ContainerCreating 0")
	if hasEvent(h.events(), `FailedMount MountVolume.SetUp failed for volume "config-volume" : configmap "special-config" not found`) == false {
		t.Fatal("no FailedMount event")
	}
	h.add("cm", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "special-config", Namespace: "default"},
		Data: map[string]string{"special.how": "very", "special.type": "charm"}})
	ss = h.run(p, 8*time.Second)
	expectStates(t, ss, p, "Running", "0/1 Completed 0")
	if p.Status.Phase != corev1.PodSucceeded {
		t.Fatalf("phase %s", p.Status.Phase)
	}
	v, _, msg := h.s.logTargetFor(p, "test-container")
	if v == nil {
		t.Fatal(msg)
	}
	if got := linesText(h.s.logLines(v, h.now)); got != "special.how\nspecial.type" {
		t.Fatalf("logs %q", got)
	}
	var ready *corev1.PodCondition
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == corev1.PodReady {
			ready = &p.Status.Conditions[i]
		}
	}
	if ready == nil || ready.Status != corev1.ConditionFalse || ready.Reason != "PodCompleted" {
		t.Fatalf("Ready condition %+v", ready)
	}
}

func linesText(ls []shell.Line) string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Text)
	}
	return strings.Join(out, "\n")
}

func TestEnvFromMissingSecretThenRuns(t *testing.T) {
	h := newHarness(t)
	p := podFrom(t, `
metadata: {name: secret-envars-test-pod}
spec:
  containers:
  - name: envars-test-container
    image: nginx
    env:
    - {name: SECRET_USERNAME, valueFrom: {secretKeyRef: {name: test-secret, key: username}}}
    - {name: OPTIONAL, valueFrom: {configMapKeyRef: {name: nothing, key: x, optional: true}}}
`)
	ss := h.run(p, 5*time.Second)
	expectStates(t, ss, p, "0/1 CreateContainerConfigError 0")
	if !hasEvent(h.events(), `Failed Error: secret "test-secret" not found`) {
		t.Fatal("no Failed event")
	}
	h.add("secret", &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "test-secret", Namespace: "default"},
		Data: map[string][]byte{"username": []byte("my-app")}})
	ss = h.run(p, 3*time.Second)
	expectStates(t, ss, p, "1/1 Running 0")
}

func TestImages(t *testing.T) {
	h := newHarness(t)
	p := podFrom(t, `
metadata: {name: private-reg}
spec:
  containers: [{name: private-reg-container, image: <your-private-image>}]
  imagePullSecrets: [{name: regcred}]
`)
	ss := h.run(p, 3*time.Second)
	expectStates(t, ss, p, "0/1 InvalidImageName 0")
	evs := h.events()
	if !hasEvent(evs, "FailedToRetrieveImagePullSecret Unable to retrieve some image pull secrets (regcred)") || !hasEvent(evs, "InspectFailed") {
		t.Fatalf("events %v", evs)
	}
	q := podFrom(t, `
metadata: {name: upper}
spec:
  containers: [{name: upper, image: Fluent/fluent-bit}]
`)
	ss = h.run(q, 5*time.Second)
	expectStates(t, ss, q, "ContainerCreating", "ErrImagePull", "ImagePullBackOff")
}

func TestPrintenvCompletesWithLogs(t *testing.T) {
	h := newHarness(t)
	p := podFrom(t, `
metadata: {name: command-demo}
spec:
  restartPolicy: OnFailure
  containers: [{name: command-demo-container, image: debian, command: [printenv], args: [HOSTNAME, KUBERNETES_PORT]}]
`)
	ss := h.run(p, 6*time.Second)
	expectStates(t, ss, p, "ContainerCreating", "1/1 Running", "0/1 Completed 0")
	v, _, msg := h.s.logTargetFor(p, "command-demo-container")
	if v == nil {
		t.Fatal(msg)
	}
	if got := linesText(h.s.logLines(v, h.now)); got != "command-demo\ntcp://10.100.0.1:443" {
		t.Fatalf("logs %q", got)
	}
}

func TestOOMKilledThenCrashLoopBackOff(t *testing.T) {
	h := newHarness(t)
	p := podFrom(t, `
metadata: {name: memory-demo-2, namespace: mem-example}
spec:
  containers:
  - name: memory-demo-2-ctr
    image: polinux/stress
    resources: {requests: {memory: 50Mi}, limits: {memory: 100Mi}}
    command: [stress]
    args: [--vm, "1", --vm-bytes, 250M, --vm-hang, "1"]
`)
	ss := h.run(p, 40*time.Second)
	expectStates(t, ss, p, "1/1 Running 0", "0/1 OOMKilled 0", "1/1 Running 1", "0/1 OOMKilled 1", "0/1 CrashLoopBackOff 1", "1/1 Running 2")
	if !hasEvent(h.events(), "BackOff Back-off restarting failed container memory-demo-2-ctr") {
		t.Fatal("no BackOff event")
	}
}

func TestJobExitCode(t *testing.T) {
	h := newHarness(t)
	p := podFrom(t, `
metadata: {name: job-pod, ownerReferences: [{apiVersion: batch/v1, kind: Job, name: j, uid: j1}]}
spec:
  restartPolicy: Never
  containers: [{name: main, image: "docker.io/library/bash:5", command: [bash], args: [-c, 'echo "Hello world!" && sleep 5 && exit 42']}]
`)
	ss := h.run(p, 10*time.Second)
	expectStates(t, ss, p, "1/1 Running 0", "0/1 Error 0")
	if p.Status.Phase != corev1.PodFailed || p.Status.ContainerStatuses[0].State.Terminated.ExitCode != 42 {
		t.Fatalf("status %+v", p.Status)
	}
	fin := p.Status.ContainerStatuses[0].State.Terminated
	if d := fin.FinishedAt.Sub(fin.StartedAt.Time); d < 5*time.Second || d > 7*time.Second {
		t.Fatalf("ran %s, want about 6s", d)
	}
}

func TestLivenessExecRestarts(t *testing.T) {
	h := newHarness(t)
	p := podFrom(t, `
metadata: {name: liveness-exec}
spec:
  containers:
  - name: liveness
    image: k8s.gcr.io/busybox
    args: [/bin/sh, -c, "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"]
    livenessProbe: {exec: {command: [cat, /tmp/healthy]}, initialDelaySeconds: 5, periodSeconds: 5}
`)
	ss := h.run(p, 90*time.Second)
	expectStates(t, ss, p, "1/1 Running 0", "1/1 Running 1")
	evs := h.events()
	if !hasEvent(evs, "Unhealthy Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory") ||
		!hasEvent(evs, "Killing Container liveness failed liveness probe, will be restarted") {
		t.Fatalf("events %v", evs)
	}
	t.Log(timeline(ss, p))
}

func TestReadinessAfterInitialDelay(t *testing.T) {
	h := newHarness(t)
	p := podFrom(t, `
metadata: {name: goproxy}
spec:
  containers:
  - name: goproxy
    image: registry.k8s.io/goproxy:0.1
    readinessProbe: {tcpSocket: {port: 8080}, initialDelaySeconds: 15, periodSeconds: 10}
    livenessProbe: {tcpSocket: {port: 8080}, initialDelaySeconds: 15, periodSeconds: 10}
`)
	ss := h.run(p, 30*time.Second)
	var readyAt time.Duration
	for _, s := range ss {
		if len(s.status.ContainerStatuses) > 0 && s.status.ContainerStatuses[0].Ready && readyAt == 0 {
			readyAt = s.at
		}
	}
	if readyAt < 16*time.Second || readyAt > 26*time.Second {
		t.Fatalf("ready at %s, want after initialDelaySeconds and a period\n%s", readyAt, timeline(ss, p))
	}
}

func TestDeletionWaitsForPreStop(t *testing.T) {
	h := newHarness(t)
	p := podFrom(t, `
metadata: {name: lifecycle-demo}
spec:
  containers:
  - name: lifecycle-demo-container
    image: nginx
    lifecycle:
      postStart: {exec: {command: [/bin/sh, -c, echo Hello from the postStart handler > /usr/share/message]}}
      preStop: {exec: {command: [/bin/sh, -c, "nginx -s quit; while killall -0 nginx; do sleep 1; done"]}}
`)
	h.run(p, 5*time.Second)
	if out := h.s.execFor(p, "lifecycle-demo-container", "cat", "/usr/share/message"); out != "Hello from the postStart handler\n" {
		t.Fatalf("postStart file: %q", out)
	}
	grace := int64(30)
	now := metav1.NewTime(h.now.Add(30 * time.Second))
	p.DeletionTimestamp, p.DeletionGracePeriodSeconds = &now, &grace
	st := h.s.stateFor(p)
	start := h.now
	for ; h.now.Sub(start) < 40*time.Second; h.now = h.now.Add(100 * time.Millisecond) {
		st.mu.Lock()
		h.s.runFor(p, h.n, st).advance(h.now)
		done := !st.killDone.IsZero() && !h.now.Before(st.killDone)
		st.mu.Unlock()
		if done {
			break
		}
	}
	took := h.now.Sub(start)
	if took < 2*time.Second || took > 5*time.Second {
		t.Fatalf("terminated after %s, want the preStop hook's time", took)
	}
	if !hasEvent(h.events(), "Killing Stopping container lifecycle-demo-container") {
		t.Fatal("no Killing event")
	}
}

func TestSleepIgnoresSIGTERM(t *testing.T) {
	h := newHarness(t)
	p := podFrom(t, `
metadata: {name: sleeper}
spec:
  terminationGracePeriodSeconds: 10
  containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
`)
	h.run(p, 3*time.Second)
	grace := int64(10)
	now := metav1.NewTime(h.now.Add(10 * time.Second))
	p.DeletionTimestamp, p.DeletionGracePeriodSeconds = &now, &grace
	st := h.s.stateFor(p)
	st.mu.Lock()
	h.s.runFor(p, h.n, st).advance(h.now)
	took := st.killDone.Sub(h.now)
	st.mu.Unlock()
	if took != 10*time.Second {
		t.Fatalf("sleep as PID 1 stopped after %s, want the 10s grace period", took)
	}
}

func (s *Simulator) logTargetFor(p *corev1.Pod, cname string) (*logView, int, string) {
	return s.logTargetPod(p, cname, false)
}

// execFor runs a command in a container as kubectl exec would, at the
// harness's time, and returns its stdout.
func (s *Simulator) execFor(p *corev1.Pod, cname string, argv ...string) string {
	t, msg := s.execTarget(p, cname)
	if t == nil {
		return msg
	}
	out, _, _ := s.runExec(t, argv)
	return out
}

func TestInitContainerFailure(t *testing.T) {
	h := newHarness(t)
	p := podFrom(t, `
metadata: {name: init-fail}
spec:
  restartPolicy: Never
  initContainers: [{name: check, image: busybox:1.36, command: [sh, -c, "echo checking; exit 3"]}]
  containers: [{name: app, image: nginx:1.25.1}]
`)
	ss := h.run(p, 6*time.Second)
	expectStates(t, ss, p, "Init:0/1", "Init:Error")
	if p.Status.Phase != corev1.PodFailed {
		t.Fatalf("phase %s, want Failed", p.Status.Phase)
	}
	q := podFrom(t, `
metadata: {name: init-loop}
spec:
  initContainers: [{name: check, image: busybox:1.36, command: [sh, -c, "exit 1"]}]
  containers: [{name: app, image: nginx:1.25.1}]
`)
	ss = h.run(q, 20*time.Second)
	expectStates(t, ss, q, "Init:0/1", "Init:Error", "Init:CrashLoopBackOff")
}

func TestSidecarStartsBeforeApp(t *testing.T) {
	h := newHarness(t)
	p := podFrom(t, `
metadata: {name: with-sidecar}
spec:
  initContainers: [{name: proxy, image: envoyproxy/envoy:v1.31, restartPolicy: Always}]
  containers: [{name: app, image: nginx:1.25.1}]
`)
	ss := h.run(p, 8*time.Second)
	expectStates(t, ss, p, "Init:0/1", "1/1 Running 0")
	if c := findStatus(p.Status.InitContainerStatuses, "proxy"); c == nil || c.State.Running == nil || !c.Ready {
		t.Fatalf("sidecar status %+v", c)
	}
}

func TestStdinShellKeepsRunning(t *testing.T) {
	h := newHarness(t)
	p := podFrom(t, `
metadata: {name: shell}
spec:
  containers: [{name: shell, image: busybox, stdin: true, tty: true, command: [sh]}]
`)
	ss := h.run(p, 10*time.Second)
	expectStates(t, ss, p, "1/1 Running 0")
	if summary(p) != "1/1 Running 0" {
		t.Fatalf("a shell with stdin open should keep running: %s", timeline(ss, p))
	}
}

func TestMissingImageTag(t *testing.T) {
	h := newHarness(t)
	p := podFrom(t, `
metadata: {name: typo}
spec:
  containers: [{name: nginx, image: "nginx:1.161"}]
`)
	ss := h.run(p, 5*time.Second)
	expectStates(t, ss, p, "ContainerCreating", "ErrImagePull", "ImagePullBackOff")
	if !hasEvent(h.events(), `Failed to pull image "nginx:1.161": failed to pull and unpack image "docker.io/library/nginx:1.161": failed to resolve reference "docker.io/library/nginx:1.161": docker.io/library/nginx:1.161: not found`) {
		t.Fatal("no pull failure event")
	}
	q := podFrom(t, `
metadata: {name: fine}
spec:
  containers: [{name: nginx, image: "nginx:1.16.1"}]
`)
	expectStates(t, h.run(q, 4*time.Second), q, "1/1 Running 0")
}
