// Command peers measures kubelab's embedded sandbox side by side with its
// closest peer, a kwok cluster (kwokctl's binary runtime: etcd,
// kube-apiserver, kube-controller-manager, kube-scheduler and the kwok
// controller as five processes, three fake nodes), in one run on one
// machine, so that the ratios hold on a noisy machine:
//
//	bench/peers/build.sh /tmp/peers-bin   # builds the peer's binaries, nothing downloaded
//	make build
//	go run ./bench/peers -bin /tmp/peers-bin [-starts 3] [-idle 60s] [-settle 30s]
//
// The peer's control plane is built from the same Go module versions as
// kubelab's (k8s.io/kubernetes and go.etcd.io/etcd/server/v3 in go.mod).
//
// Figures, for both sides: cold start to ready (wall time and the CPU
// seconds all the cluster's processes used to get there, kwokctl itself
// included), then with both clusters running at once: anonymous memory of
// all the cluster's processes (RssAnon summed) and idle CPU over the same
// window, first empty and then after the documentation corpus is applied to
// each (every file in a namespace of its own, as bench/fill does). Ready
// means the same on both sides: the API server answers, the default
// service account exists and three nodes are Ready.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubelab/kubelab/internal/coursefill"
	"github.com/kubelab/kubelab/sandbox"
	"github.com/kubelab/kubelab/sandbox/procstats"
)

// cluster is one running cluster of either side.
type cluster interface {
	// pids returns the cluster's processes by component name.
	pids() map[string]int
	kubeconfig() string
	stop()
}

// side starts clusters of one kind.
type side interface {
	name() string
	// start returns once the cluster is ready, with the wall time and the
	// CPU seconds spent to get there.
	start(ctx context.Context, dir string) (c cluster, wall, cpu float64, err error)
}

type figures struct {
	coldWall, coldCPU               []float64
	emptyAnon, emptyIdle            float64
	fullAnon, fullIdle              float64
	emptyParts, fullParts           map[string]float64
	fillFiles, fillErrors, fullPods int
}

func main() {
	kubelab := flag.String("kubelab", "bin/kubelab", "the kubelab binary (its kubectl also applies the corpus to both sides)")
	bin := flag.String("bin", "/tmp/peers-bin", "directory with kwokctl, kwok, etcd, kube-apiserver, kube-controller-manager, kube-scheduler (bench/peers/build.sh)")
	starts := flag.Int("starts", 3, "cold starts per side, interleaved")
	idle := flag.Duration("idle", 60*time.Second, "how long idle CPU is measured")
	settle := flag.Duration("settle", 30*time.Second, "wait after a start or after filling before measuring")
	corpus := flag.String("corpus", "../shared/corpus/k8s-docs-examples", "documentation examples applied to both sides")
	flag.Parse()
	for _, f := range []string{"kwokctl", "kwok", "etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"} {
		if _, err := os.Stat(filepath.Join(*bin, f)); err != nil {
			fail(fmt.Errorf("missing peer binary (run bench/peers/build.sh %s): %w", *bin, err))
		}
	}
	absBin, err := filepath.Abs(*bin)
	if err != nil {
		fail(fmt.Errorf("peer binaries: %w", err))
	}
	work, err := os.MkdirTemp("", "kubelab-peers-")
	if err != nil {
		fail(fmt.Errorf("work directory: %w", err))
	}
	defer os.RemoveAll(work)
	sides := []side{&kubelabSide{bin: *kubelab}, &kwokSide{bin: absBin, workdir: filepath.Join(work, "kwok")}}
	res := map[string]*figures{}
	for _, s := range sides {
		res[s.name()] = &figures{}
	}
	ctx := context.Background()

	// Cold starts, interleaved so that both sides see the same machine.
	for i := 0; i < *starts; i++ {
		for _, s := range sides {
			c, wall, cpu, err := s.start(ctx, filepath.Join(work, fmt.Sprintf("%s-cold%d", s.name(), i)))
			if err != nil {
				fail(err)
			}
			c.stop()
			f := res[s.name()]
			f.coldWall = append(f.coldWall, wall)
			f.coldCPU = append(f.coldCPU, cpu)
			fmt.Fprintf(os.Stderr, "%s: cold start %d: %.2fs, %.2f CPU-s\n", s.name(), i+1, wall, cpu)
		}
	}

	// Both clusters at once, measured over the same windows.
	clusters := map[string]cluster{}
	for _, s := range sides {
		c, _, _, err := s.start(ctx, filepath.Join(work, s.name()+"-full"))
		if err != nil {
			fail(err)
		}
		defer c.stop()
		clusters[s.name()] = c
	}
	time.Sleep(*settle)
	measure(sides, clusters, *idle, func(f *figures, anon, idle float64, parts map[string]float64) {
		f.emptyAnon, f.emptyIdle, f.emptyParts = anon, idle, parts
	}, res)
	for _, s := range sides {
		c := clusters[s.name()]
		r, err := coursefill.Corpus(ctx, c.kubeconfig(), *kubelab, *corpus)
		if err != nil {
			fail(fmt.Errorf("%s: corpus: %w", s.name(), err))
		}
		res[s.name()].fillFiles, res[s.name()].fillErrors = r.Actions, len(r.Errors)
		fmt.Fprintf(os.Stderr, "%s: corpus: %d files, %d refused\n", s.name(), r.Actions, len(r.Errors))
	}
	time.Sleep(*settle)
	for _, s := range sides {
		res[s.name()].fullPods = runningPods(ctx, clusters[s.name()].kubeconfig())
	}
	measure(sides, clusters, *idle, func(f *figures, anon, idle float64, parts map[string]float64) {
		f.fullAnon, f.fullIdle, f.fullParts = anon, idle, parts
	}, res)
	report(sides, res, *idle)
}

// measure reads every cluster's anonymous memory, then its CPU over the same
// idle window for all of them.
func measure(sides []side, clusters map[string]cluster, idle time.Duration, set func(*figures, float64, float64, map[string]float64), res map[string]*figures) {
	c0 := map[string]float64{}
	for _, s := range sides {
		c0[s.name()] = cpuOf(clusters[s.name()].pids())
	}
	t0 := time.Now()
	time.Sleep(idle)
	secs := time.Since(t0).Seconds()
	for _, s := range sides {
		pids := clusters[s.name()].pids()
		cpu := (cpuOf(pids) - c0[s.name()]) / secs * 100
		parts := map[string]float64{}
		var anon float64
		for name, pid := range pids {
			_, a := procstats.Memory(pid)
			parts[name] = float64(a) / (1 << 20)
			anon += parts[name]
		}
		set(res[s.name()], anon, cpu, parts)
		fmt.Fprintf(os.Stderr, "%s: %.0f MiB anonymous, %.2f%% of a core idle\n", s.name(), anon, cpu)
	}
}

// kubelabSide runs `kubelab sandbox up`: one process.
type kubelabSide struct{ bin string }

func (*kubelabSide) name() string { return "kubelab" }

type kubelabCluster struct {
	cmd *exec.Cmd
	kc  string
}

func (c *kubelabCluster) pids() map[string]int { return map[string]int{"sandbox": c.cmd.Process.Pid} }
func (c *kubelabCluster) kubeconfig() string   { return c.kc }

func (c *kubelabCluster) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
}

func (s *kubelabSide) start(ctx context.Context, dir string) (cluster, float64, float64, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, 0, 0, fmt.Errorf("kubelab: %w", err)
	}
	cmd := exec.CommandContext(ctx, s.bin, "sandbox", "up", "--json", "--dir", dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, 0, 0, fmt.Errorf("kubelab: %w", err)
	}
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, 0, fmt.Errorf("kubelab: start %s: %w", s.bin, err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		var st struct{ Event, Kubeconfig, Error string }
		if json.Unmarshal(sc.Bytes(), &st) != nil {
			continue
		}
		switch st.Event {
		case "ready":
			c := track(&kubelabCluster{cmd: cmd, kc: st.Kubeconfig})
			wall, cpu := time.Since(began).Seconds(), cpuOf(c.pids())
			go func() {
				for sc.Scan() {
				}
			}()
			return c, wall, cpu, nil
		case "failed":
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			return nil, 0, 0, fmt.Errorf("kubelab: sandbox failed: %s", st.Error)
		}
	}
	_ = cmd.Wait()
	return nil, 0, 0, fmt.Errorf("kubelab: sandbox process ended before it was ready (see %s/sandbox.log)", dir)
}

// kwokSide runs `kwokctl create cluster --runtime binary` with the binaries
// of bin, then adds three nodes the kwok controller manages.
type kwokSide struct {
	bin, workdir string
	n            int
}

func (*kwokSide) name() string { return "kwok" }

type kwokCluster struct {
	side *kwokSide
	name string
	dir  string // the cluster's directory under KWOK_WORKDIR
}

func (c *kwokCluster) kubeconfig() string { return filepath.Join(c.dir, "kubeconfig.yaml") }

// pids reads the pid files kwokctl's binary runtime writes for each
// component it forks.
func (c *kwokCluster) pids() map[string]int {
	files, _ := filepath.Glob(filepath.Join(c.dir, "pids", "*.pid"))
	out := map[string]int{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if pid, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil {
			out[strings.TrimSuffix(filepath.Base(f), ".pid")] = pid
		}
	}
	return out
}

func (c *kwokCluster) stop() {
	if _, err := c.side.kwokctl(context.Background(), "delete", "cluster", "--name", c.name); err != nil {
		fmt.Fprintln(os.Stderr, "kwok:", err)
	}
}

// kwokctl runs kwokctl with the side's work directory and returns the CPU
// seconds it used itself.
func (s *kwokSide) kwokctl(ctx context.Context, args ...string) (float64, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, "kwokctl"), args...)
	cmd.Env = append(os.Environ(), "KWOK_WORKDIR="+s.workdir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("kwokctl %s: %w: %s", strings.Join(args, " "), err, tail(string(out), 2000))
	}
	return cmd.ProcessState.UserTime().Seconds() + cmd.ProcessState.SystemTime().Seconds(), nil
}

func (s *kwokSide) start(ctx context.Context, _ string) (cluster, float64, float64, error) {
	s.n++
	c := &kwokCluster{side: s, name: fmt.Sprintf("peer%d", s.n)}
	c.dir = filepath.Join(s.workdir, "clusters", c.name)
	track(c)
	b := func(f string) string { return filepath.Join(s.bin, f) }
	began := time.Now()
	kwokctlCPU, err := s.kwokctl(ctx, "create", "cluster", "--name", c.name, "--runtime", "binary",
		"--etcd-binary", b("etcd"),
		"--kube-apiserver-binary", b("kube-apiserver"),
		"--kube-controller-manager-binary", b("kube-controller-manager"),
		"--kube-scheduler-binary", b("kube-scheduler"),
		"--kwok-controller-binary", b("kwok"),
		"--quiet-pull", "--wait", "5m",
		"--kubeconfig", filepath.Join(s.workdir, "kubeconfig"))
	if err != nil {
		c.stop()
		return nil, 0, 0, fmt.Errorf("kwok: %w", err)
	}
	if err := addNodes(ctx, c.kubeconfig(), 3); err != nil {
		c.stop()
		return nil, 0, 0, fmt.Errorf("kwok: %w", err)
	}
	return c, time.Since(began).Seconds(), kwokctlCPU + cpuOf(c.pids()), nil
}

// addNodes creates n nodes for the kwok controller (it manages the nodes
// annotated kwok.x-k8s.io/node=fake) and waits, as kubelab's own start
// does, for the nodes to be Ready and the default service account to exist.
func addNodes(ctx context.Context, kubeconfig string, n int) error {
	rc, err := sandbox.RESTFromKubeconfig(kubeconfig)
	if err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("4"),
		corev1.ResourceMemory: resource.MustParse("16Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("kwok-node-%d", i)
		node := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{
				Name:        name,
				Annotations: map[string]string{"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
				Labels: map[string]string{"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
					"kubernetes.io/arch": "amd64", "type": "kwok"},
			},
			Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity},
		}
		if _, err := client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create node %s: %w", name, err)
		}
	}
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		_, saErr := client.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		list, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if saErr == nil && err == nil && readyNodes(list.Items) >= n {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("nodes or default service account not ready after 3m")
}

func readyNodes(nodes []corev1.Node) int {
	n := 0
	for _, node := range nodes {
		for _, c := range node.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				n++
			}
		}
	}
	return n
}

// runningPods counts the pods in phase Running, to show both sides hold the
// same content.
func runningPods(ctx context.Context, kubeconfig string) int {
	rc, err := sandbox.RESTFromKubeconfig(kubeconfig)
	if err != nil {
		return -1
	}
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return -1
	}
	list, err := client.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return -1
	}
	n := 0
	for _, p := range list.Items {
		if p.Status.Phase == corev1.PodRunning {
			n++
		}
	}
	return n
}

// cpuOf sums the user and system CPU seconds of the processes.
func cpuOf(pids map[string]int) float64 {
	var sum float64
	for _, pid := range pids {
		data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		s := string(data)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		ut, _ := strconv.ParseFloat(f[11], 64)
		st, _ := strconv.ParseFloat(f[12], 64)
		sum += (ut + st) / 100 // USER_HZ is 100 on Linux
	}
	return sum
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func report(sides []side, res map[string]*figures, idle time.Duration) {
	k, w := res["kubelab"], res["kwok"]
	var once sync.Once
	row := func(name string, a, b float64, unit string) {
		once.Do(func() {
			fmt.Printf("\n| %-42s | %-12s | %-12s | kubelab/kwok |\n|---|---|---|---|\n", "figure", "kubelab", "kwok")
		})
		ratio := "n/a"
		if b > 0 {
			ratio = fmt.Sprintf("%.2f×", a/b)
		}
		fmt.Printf("| %-42s | %9.2f %-2s | %9.2f %-2s | %12s |\n", name, a, unit, b, unit, ratio)
	}
	row(fmt.Sprintf("cold start to ready, median of %d (s)", len(k.coldWall)), median(k.coldWall), median(w.coldWall), "s")
	row("cold start CPU, median (CPU-s)", median(k.coldCPU), median(w.coldCPU), "s")
	row("empty: anonymous memory (MiB)", k.emptyAnon, w.emptyAnon, "Mi")
	row(fmt.Sprintf("empty: idle CPU over %s (%% of a core)", idle), k.emptyIdle, w.emptyIdle, "%")
	row("corpus: anonymous memory (MiB)", k.fullAnon, w.fullAnon, "Mi")
	row(fmt.Sprintf("corpus: idle CPU over %s (%% of a core)", idle), k.fullIdle, w.fullIdle, "%")
	fmt.Println()
	for _, s := range sides {
		f := res[s.name()]
		fmt.Printf("%s: cold starts %s s, %s CPU-s; corpus %d files, %d refused; %d pods Running\n",
			s.name(), list(f.coldWall), list(f.coldCPU), f.fillFiles, f.fillErrors, f.fullPods)
		fmt.Printf("%s: anonymous MiB by process, empty %s; with the corpus %s\n", s.name(), parts(f.emptyParts), parts(f.fullParts))
	}
}

func list(xs []float64) string {
	var s []string
	for _, x := range xs {
		s = append(s, fmt.Sprintf("%.2f", x))
	}
	return strings.Join(s, " ")
}

func parts(m map[string]float64) string {
	var names []string
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	var s []string
	for _, n := range names {
		s = append(s, fmt.Sprintf("%s %.0f", n, m[n]))
	}
	return strings.Join(s, ", ")
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// running holds the clusters not yet stopped, so that a failure does not
// leave kwok's processes (which outlive kwokctl) behind.
var running struct {
	sync.Mutex
	clusters []cluster
}

func track(c cluster) cluster {
	running.Lock()
	defer running.Unlock()
	running.clusters = append(running.clusters, c)
	return c
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "peers:", err)
	running.Lock()
	for _, c := range running.clusters {
		c.stop()
	}
	running.Unlock()
	os.Exit(1)
}
