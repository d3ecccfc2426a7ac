package conformance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/util/jsonpath"
	"sigs.k8s.io/yaml"

	"github.com/kubelab/kubelab/internal/testcluster"
)

// scenariosDir holds the project's own conformance corpus: behaviours the
// Kubernetes documentation and tutorials describe, each written as a
// scenario with what a real cluster does.
const scenariosDir = "testdata/scenarios"

// scenarioConcurrency is how many scenarios run at once.
const scenarioConcurrency = 16

// scenario is one documented behaviour: manifests applied in a namespace of
// its own, then steps that act on the cluster and check what a real
// cluster does.
type scenario struct {
	// Name names the scenario and its namespace (sc-<name>).
	Name string `json:"name"`
	// Doc is the documentation page the behaviour comes from.
	Doc string `json:"doc"`
	// Deviation, if set, says what a real cluster does that the sandbox
	// knowingly does not: the scenario is then counted as differing when
	// it fails, and does not fail the test.
	Deviation string `json:"deviation,omitempty"`
	// Node, for a scenario that changes a node (taints, cordon), names it:
	// such scenarios run after the others, one at a time per node.
	Node string `json:"node,omitempty"`
	// Manifests are applied first, with kubectl apply.
	Manifests string `json:"manifests,omitempty"`
	// Steps run in order; the first that does not hold ends the scenario.
	Steps []step `json:"steps"`
	// Cleanup runs at the end whatever happened (kubectl argument lists),
	// for cluster-scoped objects and nodes the scenario changed.
	Cleanup [][]string `json:"cleanup,omitempty"`

	file string // where the scenario is written
}

// step is one action, with what must hold after it. In every string,
// $NS stands for the scenario's namespace.
type step struct {
	// Apply is manifests for kubectl apply -f -.
	Apply string `json:"apply,omitempty"`
	// Kubectl is a kubectl command line, run in the namespace; its output
	// (stdout and stderr) is what equals/contains/matches see.
	Kubectl []string `json:"kubectl,omitempty"`
	// Get reads an object (kind/name) or a list (kind, with Selector) from
	// the API; Path is a kubectl JSONPath over it (a list is read as
	// {"items": [...]}).
	Get      string `json:"get,omitempty"`
	Selector string `json:"selector,omitempty"`
	Path     string `json:"path,omitempty"`
	// Event waits for an event about an object.
	Event *eventCheck `json:"event,omitempty"`
	// Sleep waits this long (a Go duration) and checks nothing.
	Sleep string `json:"sleep,omitempty"`

	// Equals, Contains and Matches check the output (trimmed for Equals).
	Equals   *string `json:"equals,omitempty"`
	Contains string  `json:"contains,omitempty"`
	Matches  string  `json:"matches,omitempty"`
	// Count is the number of objects a list must have.
	Count *int `json:"count,omitempty"`
	// Gone says the object must not exist.
	Gone bool `json:"gone,omitempty"`
	// Fails says the command must fail, its output containing this text
	// ("-": any output).
	Fails string `json:"fails,omitempty"`
	// Within retries the step until it holds, up to this long.
	Within string `json:"within,omitempty"`
	// Holds says the step must keep holding for this long.
	Holds string `json:"holds,omitempty"`
}

// eventCheck is an event about Object with Reason whose message contains Message.
type eventCheck struct {
	Object  string `json:"object"`
	Reason  string `json:"reason"`
	Message string `json:"message,omitempty"`
}

// loadScenarios reads every scenario file of dir.
func loadScenarios(dir string) ([]scenario, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, fmt.Errorf("list scenarios: %w", err)
	}
	var all []scenario
	names := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read scenarios: %w", err)
		}
		var list []scenario
		if err := yaml.UnmarshalStrict(b, &list); err != nil {
			return nil, fmt.Errorf("parse %s: %w", f, err)
		}
		for _, s := range list {
			s.file = filepath.Base(f)
			if err := s.validate(); err != nil {
				return nil, fmt.Errorf("%s: %w", s.file, err)
			}
			if prev, ok := names[s.Name]; ok {
				return nil, fmt.Errorf("%s: scenario %q is already in %s", s.file, s.Name, prev)
			}
			names[s.Name] = s.file
			all = append(all, s)
		}
	}
	return all, nil
}

var scenarioName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,55}[a-z0-9])?$`)

// validate checks what the runner relies on.
func (s scenario) validate() error {
	if !scenarioName.MatchString(s.Name) {
		return fmt.Errorf("scenario name %q: want a DNS label of at most 57 characters", s.Name)
	}
	if !strings.HasPrefix(s.Doc, "https://kubernetes.io/") {
		return fmt.Errorf("scenario %s: doc %q is not a kubernetes.io page", s.Name, s.Doc)
	}
	if len(s.Steps) == 0 {
		return fmt.Errorf("scenario %s: no steps", s.Name)
	}
	for i, st := range s.Steps {
		n := 0
		for _, set := range []bool{st.Apply != "", len(st.Kubectl) > 0, st.Get != "", st.Event != nil, st.Sleep != ""} {
			if set {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("scenario %s step %d: want exactly one of apply, kubectl, get, event, sleep", s.Name, i+1)
		}
		for _, d := range []string{st.Within, st.Holds, st.Sleep} {
			if d != "" {
				if _, err := time.ParseDuration(d); err != nil {
					return fmt.Errorf("scenario %s step %d: %w", s.Name, i+1, err)
				}
			}
		}
		if st.Matches != "" {
			if _, err := regexp.Compile(st.Matches); err != nil {
				return fmt.Errorf("scenario %s step %d: %w", s.Name, i+1, err)
			}
		}
	}
	return nil
}

// TestScenarios runs the project's own conformance corpus against the shared
// sandbox and reports how many scenarios behave as on a real cluster.
func TestScenarios(t *testing.T) {
	all, err := loadScenarios(scenariosDir)
	if err != nil {
		t.Fatal(err)
	}
	api, err := newAPIReader()
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var results []result
	record := func(r result) {
		mu.Lock()
		results = append(results, r)
		mu.Unlock()
	}
	run := func(t *testing.T, s scenario) {
		t.Run(s.Name, func(t *testing.T) { runScenario(t, api, s, record) })
	}
	// At most this many at once: more and the API server of a small
	// machine times out (etcd, quota evaluation) where a real one would not.
	slots := make(chan struct{}, scenarioConcurrency)
	t.Run("parallel", func(t *testing.T) {
		// All at once, as TestCorpus does: the scenarios mostly wait on
		// the simulation, and t.Parallel would hold them to GOMAXPROCS.
		var wg sync.WaitGroup
		defer wg.Wait()
		for _, s := range all {
			if s.Node != "" {
				continue
			}
			s := s
			wg.Add(1)
			go func() {
				defer wg.Done()
				slots <- struct{}{}
				defer func() { <-slots }()
				run(t, s)
			}()
		}
	})
	// The node lanes need room on their nodes (an m5.large takes 29 pods):
	// wait until the parallel scenarios' namespaces, and their pods, are gone.
	waitScenarioNamespacesGone(t, 3*time.Minute)
	t.Run("nodes", func(t *testing.T) {
		lanes := map[string][]scenario{}
		for _, s := range all {
			if s.Node != "" {
				lanes[s.Node] = append(lanes[s.Node], s)
			}
		}
		var wg sync.WaitGroup
		defer wg.Wait()
		for _, lane := range lanes {
			lane := lane
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, s := range lane {
					// The lane's scenario before, and the package's other
					// tests, may still be removing pods from this node: an
					// m5.large takes 29, which a scenario may need.
					waitNodeEmpty(t, s.Node, 2*time.Minute)
					run(t, s)
				}
			}()
		}
	})
	sort.Slice(results, func(i, j int) bool { return results[i].row < results[j].row })
	behave, differ := 0, 0
	var report strings.Builder
	for _, r := range results {
		if r.err == "" {
			behave++
			continue
		}
		if r.deviation != "" {
			differ++
		}
		fmt.Fprintf(&report, "  - %s: %s\n", r.row, r.err)
	}
	// The sandbox refuses Events past its own limit (docs/fidelity.md):
	// say how close the run came, as missing events may come from it.
	if evs, err := shared.Client.CoreV1().Events("").List(context.Background(), metav1.ListOptions{}); err == nil {
		t.Logf("events in the sandbox after the run: %d", len(evs.Items))
	}
	t.Logf("scenarios: %d behave as on a real cluster, %d differ", behave, differ)
	if report.Len() > 0 {
		t.Logf("differences:\n%s", report.String())
	}
}

// runScenario applies one scenario in its namespace and runs its steps.
func runScenario(t *testing.T, api *apiReader, s scenario, record func(result)) {
	e := &env{t: t, c: shared, ns: "sc-" + s.Name, ctx: context.Background()}
	defer func() {
		for _, args := range s.Cleanup {
			if out, err := runKubectl(e, "", expand(args, e.ns)...); err != nil {
				t.Logf("cleanup kubectl %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(out))
			}
		}
		// The namespace goes, so that its pods stop taking the nodes'
		// room from the scenarios still running.
		_ = shared.Client.CoreV1().Namespaces().Delete(context.Background(), e.ns, metav1.DeleteOptions{})
	}()
	err := func() error {
		if err := makeNamespace(e); err != nil {
			return err
		}
		if s.Manifests != "" {
			if err := applyText(e, s.Manifests); err != nil {
				return err
			}
		}
		for i, st := range s.Steps {
			if err := runStep(e, api, st); err != nil {
				return fmt.Errorf("step %d: %w", i+1, err)
			}
		}
		return nil
	}()
	r := result{row: s.Name, deviation: s.Deviation}
	switch {
	case err != nil && s.Deviation != "":
		r.err = err.Error()
		t.Logf("differs from a real cluster, as documented: %v\n  (a real cluster: %s)", err, s.Deviation)
	case err != nil:
		r.err = err.Error()
		t.Errorf("does not behave as on a real cluster (%s, %s): %v\n%s", s.file, s.Doc, err, describeNamespace(e))
	case s.Deviation != "":
		t.Logf("behaves as on a real cluster although it carries a deviation: remove it")
	}
	record(r)
}

// makeNamespace creates the scenario's namespace and waits for its default
// service account, without which no pod can be created.
func makeNamespace(e *env) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: e.ns}}
	if _, err := e.c.Client.CoreV1().Namespaces().Create(e.ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s: %w", e.ns, err)
	}
	return e.waitFor(60*time.Second, "default service account", func() (bool, string) {
		_, err := e.c.Client.CoreV1().ServiceAccounts(e.ns).Get(e.ctx, "default", metav1.GetOptions{})
		return err == nil, fmt.Sprint(err)
	})
}

// applyText applies manifests with kubectl apply -f -.
func applyText(e *env, manifests string) error {
	out, err := runKubectl(e, strings.ReplaceAll(manifests, "$NS", e.ns), "apply", "-f", "-")
	if err != nil {
		return fmt.Errorf("kubectl apply: %v: %s", err, strings.TrimSpace(out))
	}
	return nil
}

// in returns the step with $NS replaced by ns in what it checks.
func (st step) in(ns string) step {
	r := strings.NewReplacer("$NS", ns)
	if st.Equals != nil {
		v := r.Replace(*st.Equals)
		st.Equals = &v
	}
	st.Contains, st.Matches, st.Fails = r.Replace(st.Contains), r.Replace(st.Matches), r.Replace(st.Fails)
	st.Get, st.Selector = r.Replace(st.Get), r.Replace(st.Selector)
	return st
}

func expand(args []string, ns string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = strings.ReplaceAll(a, "$NS", ns)
	}
	return out
}

// runStep runs one step, retrying it while Within allows and keeping it
// checked while Holds asks.
func runStep(e *env, api *apiReader, st step) error {
	st = st.in(e.ns)
	if st.Sleep != "" {
		d, _ := time.ParseDuration(st.Sleep)
		time.Sleep(d)
		return nil
	}
	within, _ := time.ParseDuration(st.Within)
	holds, _ := time.ParseDuration(st.Holds)
	deadline := time.Now().Add(within)
	var err error
	for {
		if err = attempt(e, api, st); err == nil {
			break
		}
		if time.Now().After(deadline) {
			if within > 0 {
				return fmt.Errorf("%w (for %s)", err, st.Within)
			}
			return err
		}
		time.Sleep(time.Second)
	}
	for end := time.Now().Add(holds); time.Now().Before(end); {
		time.Sleep(time.Second)
		if err := attempt(e, api, st); err != nil {
			return fmt.Errorf("held for less than %s: %w", st.Holds, err)
		}
	}
	return nil
}

// attempt runs a step once and checks what it asks.
func attempt(e *env, api *apiReader, st step) error {
	switch {
	case st.Apply != "":
		out, err := runKubectl(e, strings.ReplaceAll(st.Apply, "$NS", e.ns), "apply", "-f", "-")
		return checkCommand("kubectl apply", st, out, err)
	case len(st.Kubectl) > 0:
		args := expand(st.Kubectl, e.ns)
		out, err := runKubectl(e, "", args...)
		return checkCommand("kubectl "+strings.Join(args, " "), st, out, err)
	case st.Event != nil:
		return eventSeen(e, st.Event)
	}
	obj, err := api.read(e.ns, st.Get, st.Selector)
	what := "get " + st.Get
	if st.Gone {
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return fmt.Errorf("%s: still there", what)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if st.Count != nil {
		items, _ := obj["items"].([]interface{})
		if len(items) != *st.Count {
			return fmt.Errorf("%s: %d objects, want %d", what, len(items), *st.Count)
		}
	}
	if st.Path == "" {
		return nil
	}
	out, err := evalPath(obj, st.Path)
	if err != nil {
		return fmt.Errorf("%s %s: %w", what, st.Path, err)
	}
	return checkOutput(what+" "+st.Path, st, out)
}

// runKubectl runs kubectl in the scenario's namespace with stdin. It
// returns stdout when kubectl succeeds (so that client-side warnings do not
// count as output) and stdout with stderr when it fails.
func runKubectl(e *env, stdin string, args ...string) (string, error) {
	full := append([]string{"--kubeconfig", e.c.Kubeconfig, "-n", e.ns}, args...)
	var cmd *exec.Cmd
	if bin, err := exec.LookPath("kubectl"); err == nil {
		cmd = exec.Command(bin, full...)
	} else {
		cmd = exec.Command(testcluster.Binary(e.t), append([]string{"kubectl"}, full...)...)
	}
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String() + stderr.String(), err
	}
	return stdout.String(), nil
}

// checkCommand checks a command's result against Fails and the output checks.
func checkCommand(what string, st step, out string, err error) error {
	if st.Fails != "" {
		if err == nil {
			return fmt.Errorf("%s: succeeded, want a failure: %s", what, clip(out))
		}
		if st.Fails != "-" && !strings.Contains(out, st.Fails) {
			return fmt.Errorf("%s: failed without %q: %s", what, st.Fails, clip(out))
		}
	} else if err != nil {
		return fmt.Errorf("%s: %v: %s", what, err, clip(out))
	}
	return checkOutput(what, st, out)
}

// checkOutput checks text against Equals, Contains and Matches.
func checkOutput(what string, st step, out string) error {
	if st.Equals != nil && strings.TrimSpace(out) != *st.Equals {
		return fmt.Errorf("%s: %q, want %q", what, clip(strings.TrimSpace(out)), *st.Equals)
	}
	if st.Contains != "" && !strings.Contains(out, st.Contains) {
		return fmt.Errorf("%s: %q does not contain %q", what, clip(out), st.Contains)
	}
	if st.Matches != "" && !regexp.MustCompile(st.Matches).MatchString(out) {
		return fmt.Errorf("%s: %q does not match %q", what, clip(out), st.Matches)
	}
	return nil
}

func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 400 {
		return s[:400] + "..."
	}
	return s
}

// eventSeen checks once for an event about an object.
func eventSeen(e *env, ev *eventCheck) error {
	list, err := e.c.Client.CoreV1().Events(e.ns).List(e.ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=" + ev.Object})
	if err != nil {
		return fmt.Errorf("list events of %s: %w", ev.Object, err)
	}
	var seen []string
	for _, x := range list.Items {
		if x.Reason == ev.Reason && strings.Contains(x.Message, ev.Message) {
			return nil
		}
		seen = append(seen, x.Reason+": "+x.Message)
	}
	sort.Strings(seen)
	return fmt.Errorf("no event %s %q about %s (seen: %s)", ev.Reason, ev.Message, ev.Object, clip(strings.Join(seen, " | ")))
}

// evalPath runs a kubectl JSONPath over an object.
func evalPath(obj map[string]interface{}, path string) (string, error) {
	jp := jsonpath.New("step").AllowMissingKeys(true)
	if err := jp.Parse(path); err != nil {
		return "", fmt.Errorf("parse JSONPath: %w", err)
	}
	var b bytes.Buffer
	if err := jp.Execute(&b, obj); err != nil {
		return "", fmt.Errorf("JSONPath: %w", err)
	}
	return b.String(), nil
}

// apiReader reads any kind of object, custom ones included, by the names
// kubectl accepts (deployment, deploy, deployments.apps, ...).
type apiReader struct {
	mu      sync.Mutex
	mapper  *restmapper.DeferredDiscoveryRESTMapper
	expand  meta.RESTMapper
	dynamic dynamic.Interface
}

func newAPIReader() (*apiReader, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(shared.REST)
	if err != nil {
		return nil, fmt.Errorf("discovery client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(shared.REST)
	if err != nil {
		return nil, fmt.Errorf("dynamic client: %w", err)
	}
	cached := memory.NewMemCacheClient(dc)
	m := restmapper.NewDeferredDiscoveryRESTMapper(cached)
	return &apiReader{mapper: m, expand: restmapper.NewShortcutExpander(m, cached, nil), dynamic: dyn}, nil
}

// mapping finds a resource, rediscovering once for kinds created since
// (custom resources).
func (a *apiReader) mapping(kind string) (*meta.RESTMapping, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	gr := schema.ParseGroupResource(kind)
	var err error
	for try := 0; try < 2; try++ {
		var gvk schema.GroupVersionKind
		gvk, err = a.expand.KindFor(gr.WithVersion(""))
		if err == nil {
			return a.expand.RESTMapping(gvk.GroupKind(), gvk.Version)
		}
		a.mapper.Reset()
	}
	return nil, fmt.Errorf("resource %q: %w", kind, err)
}

// read gets kind/name, or lists kind with a label selector, in ns (or
// cluster-wide for cluster-scoped kinds).
func (a *apiReader) read(ns, ref, selector string) (map[string]interface{}, error) {
	kind, name, _ := strings.Cut(ref, "/")
	m, err := a.mapping(kind)
	if err != nil {
		return nil, err
	}
	var ri dynamic.ResourceInterface = a.dynamic.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		ri = a.dynamic.Resource(m.Resource).Namespace(ns)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if name != "" {
		u, err := ri.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		return u.Object, nil
	}
	list, err := ri.List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", kind, err)
	}
	return listObject(list)
}

// listObject turns a list into {"items": [...]} with plain values.
func listObject(list *unstructured.UnstructuredList) (map[string]interface{}, error) {
	items := make([]interface{}, 0, len(list.Items))
	for _, it := range list.Items {
		items = append(items, it.Object)
	}
	// A round trip makes the values those of encoding/json, as JSONPath
	// filters expect.
	b, err := json.Marshal(map[string]interface{}{"items": items})
	if err != nil {
		return nil, fmt.Errorf("encode list: %w", err)
	}
	var obj map[string]interface{}
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, fmt.Errorf("decode list: %w", err)
	}
	return obj, nil
}

// describeNamespace says what a failed scenario left in its namespace (its
// pods, where they are and why, and its last events) and what its node
// carries, so that a failure seen once can be explained.
func describeNamespace(e *env) string {
	var b strings.Builder
	pods, err := e.c.Client.CoreV1().Pods(e.ns).List(e.ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Sprintf("list pods: %v", err)
	}
	nodes := map[string]bool{}
	for _, p := range pods.Items {
		fmt.Fprintf(&b, "  pod %s: node=%q phase=%s deleting=%v", p.Name, p.Spec.NodeName, p.Status.Phase, p.DeletionTimestamp != nil)
		for _, c := range p.Status.Conditions {
			fmt.Fprintf(&b, " %s=%s", c.Type, c.Status)
			if c.Message != "" {
				fmt.Fprintf(&b, "(%s)", c.Message)
			}
		}
		b.WriteString("\n")
		if p.Spec.NodeName != "" {
			nodes[p.Spec.NodeName] = true
		}
	}
	evs, err := e.c.Client.CoreV1().Events(e.ns).List(e.ctx, metav1.ListOptions{})
	if err == nil {
		sort.Slice(evs.Items, func(i, j int) bool { return evs.Items[i].LastTimestamp.Before(&evs.Items[j].LastTimestamp) })
		for _, ev := range evs.Items[max(0, len(evs.Items)-12):] {
			fmt.Fprintf(&b, "  event %s %s/%s %s: %s\n", ev.Type, ev.InvolvedObject.Kind, ev.InvolvedObject.Name, ev.Reason, ev.Message)
		}
	}
	for name := range nodes {
		all, err := e.c.Client.CoreV1().Pods("").List(e.ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + name})
		if err != nil {
			continue
		}
		n, err := e.c.Client.CoreV1().Nodes().Get(e.ctx, name, metav1.GetOptions{})
		if err != nil {
			continue
		}
		fmt.Fprintf(&b, "  node %s: %d pods, unschedulable=%v, taints=%v\n", name, len(all.Items), n.Spec.Unschedulable, n.Spec.Taints)
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady {
				fmt.Fprintf(&b, "    Ready=%s since %s\n", c.Status, c.LastTransitionTime)
			}
		}
	}
	return b.String()
}

// waitScenarioNamespacesGone waits until no scenario namespace (sc-*) is
// left, or says how many were after limit.
func waitScenarioNamespacesGone(t *testing.T, limit time.Duration) {
	t.Helper()
	left := waitNone(limit, func() (int, error) {
		list, err := shared.Client.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{})
		if err != nil {
			return 0, err
		}
		n := 0
		for _, ns := range list.Items {
			if strings.HasPrefix(ns.Name, "sc-") {
				n++
			}
		}
		return n, nil
	})
	if left > 0 {
		t.Logf("%d scenario namespaces still terminating after %s", left, limit)
	}
}

// waitNodeEmpty waits until node holds no pod outside kube-system, or
// says how many are left after limit (the scenario's own checks then tell
// whether they were in its way).
func waitNodeEmpty(t *testing.T, node string, limit time.Duration) {
	t.Helper()
	left := waitNone(limit, func() (int, error) {
		list, err := shared.Client.CoreV1().Pods("").List(context.Background(), metav1.ListOptions{FieldSelector: "spec.nodeName=" + node})
		if err != nil {
			return 0, err
		}
		n := 0
		for _, p := range list.Items {
			if p.Namespace != "kube-system" {
				n++
			}
		}
		return n, nil
	})
	if left > 0 {
		t.Logf("%d pods still on %s after %s", left, node, limit)
	}
}

// waitNone asks count every second until it answers none, or limit
// passes; it returns the last count (a failed read counts as unknown, and
// the count before it stands).
func waitNone(limit time.Duration, count func() (int, error)) int {
	left := 0
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(time.Second) {
		n, err := count()
		if err != nil {
			continue
		}
		if left = n; left == 0 {
			return 0
		}
	}
	return left
}
