// Command schedcpu measures what recording the scheduler's decisions costs
// the scheduler, per scheduled pod, with CPU clocks rather than a profile.
//
//	make build && go run ./bench/schedcpu [-bin bin/kubelab] [-rounds 5] [-pods 100]
//
// Inside a sandbox all components share one process, where a profile at
// 100 samples a second holds about one sample of the scheduler per 10
// pods. So this benchmark starts one embedded sandbox and, next to it, three
// kube-schedulers of its own, each in a process of its own, built from the
// same code and profile as the sandbox's (controlplane.StartScheduler):
// one with the decision recorder sending its records in batches (the way
// of a scheduler in a process of its own), one with the recorder sending
// one request per record, one without; their process CPU time (getrusage)
// is exact. Each takes the pods that name it
// (spec.schedulerName) and watches the whole cluster, as the sandbox's
// scheduler does. The recorder counts its own CPU time on its threads'
// clocks (schedrecord.Spent), in those processes and in the sandbox's own
// scheduler, which takes a fourth set of pods and whose records go to the
// API server in its process (the product's way; the benchmark's own
// recording schedulers write over TLS, which costs them more).
//
// Each round scales a Deployment of the given size for each scheduler in
// turn (the order alternating) and reads the CPU times from the moment of
// the scale to 2 s after the last pod is bound.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubelab/kubelab/internal/testcluster"
	"github.com/kubelab/kubelab/sandbox/controlplane"
	"github.com/kubelab/kubelab/sandbox/procstats"
	"github.com/kubelab/kubelab/sandbox/schedrecord"
)

func main() {
	child := flag.Bool("scheduler", false, "run one scheduler (the benchmark starts these itself)")
	kubeconfig := flag.String("kubeconfig", "", "with -scheduler: the cluster")
	name := flag.String("name", "", "with -scheduler: the scheduler's name")
	record := flag.Bool("record", false, "with -scheduler: record its decisions")
	batch := flag.Bool("batch", false, "with -scheduler -record: send the records in batches")
	dir := flag.String("dir", "", "with -scheduler: where to write its configuration")
	bin := flag.String("bin", "bin/kubelab", "the kubelab binary whose sandbox is used")
	rounds := flag.Int("rounds", 5, "rounds; each schedules -pods pods per scheduler")
	pods := flag.Int("pods", 100, "pods per round and scheduler (they must fit the sandbox's nodes)")
	profiles := flag.String("cpuprofile", "", "write each scheduler's CPU profile (1000 samples a second) into this directory")
	flag.Parse()
	if *child {
		if err := runScheduler(*kubeconfig, *name, *dir, *record, *batch, *profiles); err != nil {
			fail(err)
		}
		return
	}
	if err := run(*bin, *rounds, *pods, *profiles); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "schedcpu:", err)
	os.Exit(1)
}

// runScheduler runs one scheduler and answers each line "cpu" on stdin
// with the process's CPU time and the recorder's (schedrecord.Spent) in
// microseconds, until stdin ends.
func runScheduler(kubeconfig, name, dir string, record, batch bool, profiles string) error {
	if profiles != "" {
		f, err := os.Create(filepath.Join(profiles, name+".pb.gz"))
		if err != nil {
			return err
		}
		runtime.SetCPUProfileRate(1000)
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	spec := controlplane.SchedulerSpec{Dir: dir, Kubeconfig: kubeconfig, Name: name}
	if record {
		rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
		if err != nil {
			return fmt.Errorf("kubeconfig: %w", err)
		}
		spec.Records = rc
		spec.BatchRecords = batch
	}
	errc := make(chan error, 1)
	if err := controlplane.StartScheduler(ctx, spec, errc); err != nil {
		return err
	}
	go func() {
		fail(<-errc)
	}()
	fmt.Println("started")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		rec := schedrecord.Spent.Read()
		fmt.Println(procstats.CPU().Microseconds(), int64(rec.CPUSeconds*1e6))
	}
	return nil
}

// scheduler is a scheduler being measured: one of the benchmark's own
// processes, or the sandbox's own scheduler (only its recorder's CPU is
// known: it shares the sandbox's process).
type scheduler struct {
	name string
	// ns is the namespace of its pods.
	ns  string
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
	// read returns the CPU time so far: the process's (0 when unknown)
	// and the recorder's.
	read func() (process, recorder time.Duration, err error)
	// cpu, rec and pods add up the measured windows.
	cpu, rec time.Duration
	pods     int
}

func startScheduler(work, kubeconfig, name string, record, batch bool, profiles string) (*scheduler, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(work, name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	args := []string{"-scheduler", "-kubeconfig", kubeconfig, "-name", name, "-dir", dir}
	if record {
		args = append(args, "-record")
	}
	if batch {
		args = append(args, "-batch")
	}
	if profiles != "" {
		args = append(args, "-cpuprofile", profiles)
	}
	cmd := exec.Command(self, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	logFile, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		return nil, err
	}
	cmd.Stderr = logFile
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &scheduler{name: name, cmd: cmd, in: in, out: bufio.NewScanner(out)}
	s.read = s.cpuTime
	if !s.out.Scan() || s.out.Text() != "started" {
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("scheduler %s did not start (its log: %s)", name, logFile.Name())
	}
	return s, nil
}

// stop ends the scheduler: its stdin closes, so it writes its profile.
func (s *scheduler) stop() {
	if s.cmd == nil {
		return
	}
	_ = s.in.Close()
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

// cpuTime asks a scheduler process for its CPU time so far.
func (s *scheduler) cpuTime() (time.Duration, time.Duration, error) {
	if _, err := fmt.Fprintln(s.in, "cpu"); err != nil {
		return 0, 0, fmt.Errorf("scheduler %s: %w", s.name, err)
	}
	if !s.out.Scan() {
		return 0, 0, fmt.Errorf("scheduler %s ended", s.name)
	}
	var proc, rec int64
	if _, err := fmt.Sscan(s.out.Text(), &proc, &rec); err != nil {
		return 0, 0, fmt.Errorf("scheduler %s: %q: %w", s.name, s.out.Text(), err)
	}
	return time.Duration(proc) * time.Microsecond, time.Duration(rec) * time.Microsecond, nil
}

// sandboxRecorder reads the sandbox's own recorder's CPU time from the
// sandbox's stats.
func sandboxRecorder(dir string) func() (time.Duration, time.Duration, error) {
	return func() (time.Duration, time.Duration, error) {
		st, err := procstats.Read(context.Background(), dir)
		if err != nil {
			return 0, 0, err
		}
		rec, _ := st.Extra["schedulingRecorder"].(map[string]any)
		secs, ok := rec["cpuSeconds"].(float64)
		if !ok {
			return 0, 0, fmt.Errorf("the sandbox's stats hold no schedulingRecorder (a build before it)")
		}
		return 0, time.Duration(secs * float64(time.Second)), nil
	}
}

func run(bin string, rounds, pods int, profiles string) error {
	if profiles != "" {
		if err := os.MkdirAll(profiles, 0o755); err != nil {
			return err
		}
	}
	work, err := os.MkdirTemp("", "kubelab-schedcpu-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	sandbox, err := testcluster.Start(context.Background(), bin, filepath.Join(work, "sandbox"), "--object-quota", "-1")
	if err != nil {
		return err
	}
	defer sandbox.Stop()
	kubeconfig := sandbox.Kubeconfig
	rc := rest.CopyConfig(sandbox.REST)
	rc.QPS, rc.Burst = 100, 200
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	var scheds []*scheduler
	for _, v := range []struct {
		name          string
		record, batch bool
	}{{"bench-record", true, true}, {"bench-record-each", true, false}, {"bench-plain", false, false}} {
		s, err := startScheduler(work, kubeconfig, v.name, v.record, v.batch, profiles)
		if err != nil {
			return err
		}
		defer s.stop()
		s.ns = s.name
		scheds = append(scheds, s)
	}
	// The sandbox's own scheduler, whose records go to the API server in
	// its process: only its recorder's CPU is read.
	own := &scheduler{name: "default-scheduler", ns: "bench-sandbox", read: sandboxRecorder(filepath.Join(work, "sandbox"))}
	if _, _, err := own.read(); err != nil {
		return err
	}
	scheds = append(scheds, own)
	ctx := context.Background()
	for _, s := range scheds {
		if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: s.ns}}, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("namespace %s: %w", s.ns, err)
		}
	}
	fmt.Printf("%d rounds of %d pods per scheduler (load average %s)\n", rounds, pods, loadAverage())
	for r := 1; r <= rounds; r++ {
		order := scheds
		if r%2 == 0 {
			order = []*scheduler{scheds[3], scheds[2], scheds[1], scheds[0]}
		}
		for _, s := range order {
			cpu, rec, wall, err := round(ctx, client, s, pods)
			if err != nil {
				return err
			}
			s.cpu += cpu
			s.rec += rec
			s.pods += pods
			fmt.Printf("round %d %-17s process %7.1f ms CPU, recorder %6.1f ms, for %d pods (%.3f and %.3f ms/pod) in %.1f s\n", r, s.name,
				ms(cpu), ms(rec), pods, ms(cpu)/float64(pods), ms(rec)/float64(pods), wall.Seconds())
		}
	}
	per := func(d time.Duration, s *scheduler) float64 { return ms(d) / float64(s.pods) }
	rec, each, plain := scheds[0], scheds[1], scheds[2]
	fmt.Printf("plain scheduler: %.3f ms CPU per scheduled pod (its own process)\n", per(plain.cpu, plain))
	for _, v := range []struct {
		s    *scheduler
		what string
	}{{rec, "records over TLS in batches"}, {each, "records over TLS one request each"}} {
		fmt.Printf("recording scheduler, %s: %.3f ms CPU per pod, %+.1f %%; its recorder %.3f ms per pod (%.1f %% of plain)\n", v.what,
			per(v.s.cpu, v.s), (per(v.s.cpu, v.s)/per(plain.cpu, plain)-1)*100, per(v.s.rec, v.s), per(v.s.rec, v.s)/per(plain.cpu, plain)*100)
	}
	fmt.Printf("the sandbox's recorder, records in-process: %.3f ms CPU per pod (%.1f %% of the plain scheduler)\n",
		per(own.rec, own), per(own.rec, own)/per(plain.cpu, plain)*100)
	fmt.Printf("load average %s\n", loadAverage())
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// round schedules pods pods with one scheduler and returns its CPU time
// (the process's and the recorder's) from the scale to 2 s after the last
// pod was bound, and that time.
func round(ctx context.Context, client kubernetes.Interface, s *scheduler, pods int) (cpu, rec, wall time.Duration, err error) {
	deployments := client.AppsV1().Deployments(s.ns)
	zero := int32(0)
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "bench"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &zero,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "bench"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "bench"}},
				Spec: corev1.PodSpec{
					SchedulerName: s.name,
					Containers:    []corev1.Container{{Name: "web", Image: "nginx:1.27"}},
				},
			},
		},
	}
	if _, err := deployments.Create(ctx, d, metav1.CreateOptions{}); err != nil {
		return 0, 0, 0, fmt.Errorf("%s: create the Deployment: %w", s.name, err)
	}
	time.Sleep(time.Second)
	cpu0, rec0, err := s.read()
	if err != nil {
		return 0, 0, 0, err
	}
	began := time.Now()
	scale, err := deployments.GetScale(ctx, "bench", metav1.GetOptions{})
	if err != nil {
		return 0, 0, 0, fmt.Errorf("%s: scale: %w", s.name, err)
	}
	scale.Spec.Replicas = int32(pods)
	if _, err := deployments.UpdateScale(ctx, "bench", scale, metav1.UpdateOptions{}); err != nil {
		return 0, 0, 0, fmt.Errorf("%s: scale: %w", s.name, err)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		list, err := client.CoreV1().Pods(s.ns).List(ctx, metav1.ListOptions{LabelSelector: "app=bench"})
		if err != nil {
			return 0, 0, 0, fmt.Errorf("%s: list pods: %w", s.name, err)
		}
		bound := 0
		for _, p := range list.Items {
			if p.Spec.NodeName != "" {
				bound++
			}
		}
		if bound >= pods {
			break
		}
		if time.Now().After(deadline) {
			return 0, 0, 0, fmt.Errorf("%s: %d of %d pods bound after 3 minutes", s.name, bound, pods)
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	cpu1, rec1, err := s.read()
	if err != nil {
		return 0, 0, 0, err
	}
	wall = time.Since(began)
	if err := deployments.Delete(ctx, "bench", metav1.DeleteOptions{}); err != nil {
		return 0, 0, 0, fmt.Errorf("%s: delete: %w", s.name, err)
	}
	for {
		list, err := client.CoreV1().Pods(s.ns).List(ctx, metav1.ListOptions{LabelSelector: "app=bench"})
		if err == nil && len(list.Items) == 0 {
			break
		}
		if err != nil && !apierrors.IsNotFound(err) {
			return 0, 0, 0, fmt.Errorf("%s: list pods: %w", s.name, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	return cpu1 - cpu0, rec1 - rec0, wall, nil
}

func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(data))[:3], " ")
}
