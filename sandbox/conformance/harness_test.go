// Package conformance_test applies the Kubernetes documentation examples of
// the shared corpus to an embedded sandbox and checks that its simulated
// nodes behave as the corpus's EXPECTED.md says a real cluster does.
package conformance_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kubelab/kubelab/internal/testcluster"
)

// shared is the sandbox the tests of this package use, one after the other.
var shared *testcluster.Cluster

// TestMain runs the conformance tests on one sandbox. They make about 150
// namespaces (the documentation corpus and the scenarios, one each, and a
// deleted namespace counts until it is gone), more than the 100 a
// learner's sandbox holds at the default object quota: this one holds 200.
func TestMain(m *testing.M) { testcluster.Main(m, &shared, "--object-quota", "400") }

// corpusDir is ../shared/corpus/k8s-docs-examples from the repository root.
func corpusDir() string {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	return filepath.Clean(filepath.Join(root, "..", "shared", "corpus", "k8s-docs-examples"))
}

// env is one corpus case's namespace on the shared sandbox.
type env struct {
	t   *testing.T
	c   *testcluster.Cluster
	ns  string
	ctx context.Context

	mu      sync.Mutex
	history map[string][]corev1.Pod // every status seen, by pod name
	stop    func()
}

func newEnv(t *testing.T, c *testcluster.Cluster, ns string) *env {
	e := &env{t: t, c: c, ns: ns, ctx: context.Background(), history: map[string][]corev1.Pod{}}
	if ns != "default" {
		_, err := c.Client.CoreV1().Namespaces().Create(e.ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
		// The namespace's default service account comes from a controller.
		_ = e.waitFor(20*time.Second, "default service account", func() (bool, string) {
			_, err := c.Client.CoreV1().ServiceAccounts(ns).Get(e.ctx, "default", metav1.GetOptions{})
			return err == nil, fmt.Sprint(err)
		})
	}
	e.watchPods()
	t.Cleanup(func() { e.stop() })
	return e
}

// watchPods records every pod status of the namespace.
func (e *env) watchPods() {
	ctx, cancel := context.WithCancel(e.ctx)
	e.stop = cancel
	go func() {
		for ctx.Err() == nil {
			w, err := e.c.Client.CoreV1().Pods(e.ns).Watch(ctx, metav1.ListOptions{})
			if err != nil {
				time.Sleep(200 * time.Millisecond)
				continue
			}
			for ev := range w.ResultChan() {
				if p, ok := ev.Object.(*corev1.Pod); ok && ev.Type != watch.Error {
					e.mu.Lock()
					e.history[p.Name] = append(e.history[p.Name], *p)
					e.mu.Unlock()
				}
			}
		}
	}()
}

// seen reports whether a pod was ever seen in a state cond accepts.
func (e *env) seen(name string, cond func(*corev1.Pod) bool) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range e.history[name] {
		if cond(&e.history[name][i]) {
			return true
		}
	}
	return false
}

func (e *env) file(name string) string { return filepath.Join(corpusDir(), name+".yaml") }

// kubectl runs kubectl in the case's namespace.
func (e *env) kubectl(args ...string) (string, error) {
	return e.c.Kubectl(e.t, append([]string{"-n", e.ns}, args...)...)
}

func (e *env) apply(files ...string) error {
	for _, f := range files {
		if out, err := e.kubectl("apply", "-f", e.file(f)); err != nil {
			return fmt.Errorf("kubectl apply %s: %v: %s", f, err, strings.TrimSpace(out))
		}
	}
	return nil
}

// waitFor polls cond until it holds or the time is up.
func (e *env) waitFor(timeout time.Duration, what string, cond func() (bool, string)) error {
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		ok, state := cond()
		if ok {
			return nil
		}
		last = state
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not after %s (last: %s)", what, timeout, last)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func (e *env) pod(name string) (*corev1.Pod, error) {
	return e.c.Client.CoreV1().Pods(e.ns).Get(e.ctx, name, metav1.GetOptions{})
}

func (e *env) podsWith(selector string) []corev1.Pod {
	list, err := e.c.Client.CoreV1().Pods(e.ns).List(e.ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil
	}
	return list.Items
}

// waitPod waits until the pod satisfies cond.
func (e *env) waitPod(name string, timeout time.Duration, what string, cond func(*corev1.Pod) bool) error {
	return e.waitFor(timeout, name+" "+what, func() (bool, string) {
		p, err := e.pod(name)
		if err != nil {
			return false, err.Error()
		}
		return cond(p), describe(p)
	})
}

func describe(p *corev1.Pod) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s phase=%s", p.Name, p.Status.Phase)
	for _, cs := range append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
		fmt.Fprintf(&b, " [%s ready=%v restarts=%d %s]", cs.Name, cs.Ready, cs.RestartCount, stateString(cs.State))
	}
	for _, c := range p.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			fmt.Fprintf(&b, " %s=%s(%s: %s)", c.Type, c.Status, c.Reason, c.Message)
		}
	}
	return b.String()
}

func stateString(s corev1.ContainerState) string {
	switch {
	case s.Running != nil:
		return "running"
	case s.Terminated != nil:
		return fmt.Sprintf("terminated:%s:%d", s.Terminated.Reason, s.Terminated.ExitCode)
	case s.Waiting != nil:
		return "waiting:" + s.Waiting.Reason
	}
	return "-"
}

func running(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil
}

func ready(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func waitingReason(p *corev1.Pod, container string) string {
	for _, cs := range append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
		if (container == "" || cs.Name == container) && cs.State.Waiting != nil {
			return cs.State.Waiting.Reason
		}
	}
	return ""
}

// event waits for an event about an object whose reason is reason and
// whose message contains text.
func (e *env) event(object, reason, text string, timeout time.Duration) error {
	return e.waitFor(timeout, fmt.Sprintf("event %s %q on %s", reason, text, object), func() (bool, string) {
		list, err := e.c.Client.CoreV1().Events(e.ns).List(e.ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=" + object})
		if err != nil {
			return false, err.Error()
		}
		var seen []string
		for _, ev := range list.Items {
			if ev.Reason == reason && strings.Contains(ev.Message, text) {
				return true, ""
			}
			seen = append(seen, ev.Reason+": "+ev.Message)
		}
		sort.Strings(seen)
		return false, strings.Join(seen, " | ")
	})
}

// logs returns kubectl logs' output.
func (e *env) logs(args ...string) (string, error) {
	out, err := e.kubectl(append([]string{"logs"}, args...)...)
	if err != nil {
		return "", fmt.Errorf("kubectl logs %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return out, nil
}

// readyEndpoints returns the ready addresses and ports of a Service's EndpointSlices.
func (e *env) readyEndpoints(svc string) ([]string, []int32) {
	list, err := e.c.Client.DiscoveryV1().EndpointSlices(e.ns).List(e.ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + svc})
	if err != nil {
		return nil, nil
	}
	var ips []string
	var ports []int32
	for _, s := range list.Items {
		for _, p := range s.Ports {
			if p.Port != nil {
				ports = append(ports, *p.Port)
			}
		}
		for _, ep := range s.Endpoints {
			if ep.Conditions.Ready != nil && *ep.Conditions.Ready {
				ips = append(ips, ep.Addresses...)
			}
		}
	}
	sort.Strings(ips)
	return ips, ports
}

// pipeKubectl runs kubectl with stdin.
func (e *env) pipeKubectl(stdin string, args ...string) (string, error) {
	bin, err := exec.LookPath("kubectl")
	var cmd *exec.Cmd
	full := append([]string{"--kubeconfig", e.c.Kubeconfig, "-n", e.ns}, args...)
	if err == nil {
		cmd = exec.Command(bin, full...)
	} else {
		cmd = exec.Command(testcluster.Binary(e.t), append([]string{"kubectl"}, full...)...)
	}
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
