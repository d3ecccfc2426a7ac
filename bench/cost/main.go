// Command cost measures what an embedded sandbox costs, side by side for
// two kubelab binaries (for example the build before a change and after
// it) in one run on one machine, so that ratios hold on a noisy machine:
//
//	go run ./bench/cost -new bin/kubelab -old /tmp/kubelab-before [-starts 7] [-idle 60s]
//
// For each binary: cold start to ready (wall time and the CPU seconds the
// process used to get there), resume of a stopped sandbox, then an empty
// sandbox's anonymous memory and idle CPU, then the same sandbox filled
// with every lab's reference solution and the documentation corpus: its
// anonymous memory, idle CPU and (where the binary serves it) the garbage
// collector's CPU from runtime/metrics. For binaries that can be frozen,
// the time from SIGCONT to an answer from the API server (p50/p99).
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
	"syscall"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kubelab/kubelab/internal/coursefill"
	"github.com/kubelab/kubelab/sandbox"
	"github.com/kubelab/kubelab/sandbox/procstats"
)

type variant struct {
	name string
	bin  string
	args []string
}

type figures struct {
	coldWall, coldCPU, resumeWall, resumeCPU []float64
	emptyAnon, emptyIdle                     float64
	fullAnon, fullIdle, fullGC, fullHeap     float64
	thaw                                     []float64
	fillErrors                               int
	// templateWall and templateCPU are the template's build, made once
	// per server run (0: started from scratch).
	templateWall, templateCPU float64
}

// hasTemplate reports whether bin can make templates (`sandbox template`).
func hasTemplate(bin string) bool {
	out, err := exec.Command(bin, "sandbox", "template", "--help").CombinedOutput()
	return err == nil && strings.Contains(string(out), "--dir")
}

// makeTemplate runs `sandbox template` into dir, as the server does before
// its first new sandbox; it returns the wall time and CPU it took.
func makeTemplate(bin, dir string) (wall, cpu float64, err error) {
	began := time.Now()
	cmd := exec.Command(bin, "sandbox", "template", "--dir", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, 0, fmt.Errorf("sandbox template: %w: %s", err, out)
	}
	st := cmd.ProcessState
	return time.Since(began).Seconds(), (st.UserTime() + st.SystemTime()).Seconds(), nil
}

func main() {
	newBin := flag.String("new", "bin/kubelab", "the kubelab binary to measure")
	oldBin := flag.String("old", "", "a second binary to measure side by side (e.g. the build before a change)")
	newArgs := flag.String("new-args", "", "extra `sandbox up` arguments for -new")
	oldArgs := flag.String("old-args", "", "extra `sandbox up` arguments for -old")
	starts := flag.Int("starts", 7, "cold starts per binary")
	idle := flag.Duration("idle", 60*time.Second, "how long idle CPU is measured")
	settle := flag.Duration("settle", 30*time.Second, "wait after filling before measuring")
	thaws := flag.Int("thaws", 50, "freeze/thaw cycles for the thaw latency")
	corpus := flag.String("corpus", "../shared/corpus/k8s-docs-examples", "documentation examples to fill the sandbox with ('' = none)")
	coldOnly := flag.Bool("cold-only", false, "measure cold starts and resumes only")
	useTemplate := flag.Bool("template", true, "start new sandboxes as the server does: from a template (`sandbox template`), for a binary that has it")
	flag.Parse()
	vs := []variant{{"new", *newBin, strings.Fields(*newArgs)}}
	if *oldBin != "" {
		vs = append(vs, variant{"old", *oldBin, strings.Fields(*oldArgs)})
	}
	work, err := os.MkdirTemp("", "kubelab-cost-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(work)
	res := map[string]*figures{}
	for _, v := range vs {
		f := &figures{}
		res[v.name] = f
		if *useTemplate && hasTemplate(v.bin) {
			tdir := filepath.Join(work, v.name+"-template")
			wall, cpu, err := makeTemplate(v.bin, tdir)
			if err != nil {
				fail(err)
			}
			f.templateWall, f.templateCPU = wall, cpu
			v.args = append(v.args, "--template", tdir)
			fmt.Fprintf(os.Stderr, "%s: template made in %.2fs, %.2f CPU-s\n", v.name, wall, cpu)
		}
		for i := 0; i < *starts; i++ {
			dir := filepath.Join(work, fmt.Sprintf("%s-cold%d", v.name, i))
			p, err := start(v, dir)
			if err != nil {
				fail(err)
			}
			f.coldWall = append(f.coldWall, p.wall)
			f.coldCPU = append(f.coldCPU, p.cpu)
			p.stop()
			if i < 3 { // resume the same directory
				p, err := start(v, dir)
				if err != nil {
					fail(err)
				}
				f.resumeWall = append(f.resumeWall, p.wall)
				f.resumeCPU = append(f.resumeCPU, p.cpu)
				p.stop()
			}
			fmt.Fprintf(os.Stderr, "%s: cold start %d: %.2fs, %.2f CPU-s\n", v.name, i+1, p.wall, p.cpu)
		}
		if *coldOnly {
			f.fullGC = -1
			continue
		}
		dir := filepath.Join(work, v.name+"-full")
		p, err := start(v, dir)
		if err != nil {
			fail(err)
		}
		time.Sleep(*settle)
		f.emptyAnon = anonMiB(p.pid)
		f.emptyIdle = idleCPU(p.pid, *idle)
		fmt.Fprintf(os.Stderr, "%s: empty: %.0f MiB anonymous, %.2f%% idle CPU\n", v.name, f.emptyAnon, f.emptyIdle)
		rc, err := sandbox.RESTFromKubeconfig(p.kubeconfig)
		if err != nil {
			fail(err)
		}
		ctx := context.Background()
		r, err := coursefill.Course(ctx, rc, p.kubeconfig, *newBin)
		if err != nil {
			fail(err)
		}
		f.fillErrors += len(r.Errors)
		if *corpus != "" {
			r, err := coursefill.Corpus(ctx, p.kubeconfig, *newBin, *corpus)
			if err != nil {
				fail(err)
			}
			f.fillErrors += len(r.Errors)
		}
		time.Sleep(*settle)
		s0, haveStats := readStats(dir)
		f.fullAnon = anonMiB(p.pid)
		f.fullIdle = idleCPU(p.pid, *idle)
		if s1, ok := readStats(dir); haveStats && ok {
			f.fullGC = (s1.GCCPUSeconds - s0.GCCPUSeconds) / (s1.Uptime - s0.Uptime) * 100
			f.fullHeap = float64(s1.HeapLive) / (1 << 20)
		} else {
			f.fullGC = -1
		}
		fmt.Fprintf(os.Stderr, "%s: full: %.0f MiB anonymous, %.2f%% idle CPU, GC %.2f%%\n", v.name, f.fullAnon, f.fullIdle, f.fullGC)
		if haveStats {
			f.thaw = thawLatency(rc, p.pid, *thaws)
		}
		p.stop()
	}
	report(vs, res)
}

type proc struct {
	pid        int
	cmd        *exec.Cmd
	wall, cpu  float64
	kubeconfig string
}

func (p *proc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

// start runs `sandbox up --json` and returns once it says ready.
func start(v variant, dir string) (*proc, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	cmd := exec.Command(v.bin, append([]string{"sandbox", "up", "--json", "--dir", dir}, v.args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		var s struct {
			Event, Kubeconfig, Error string
		}
		if json.Unmarshal(sc.Bytes(), &s) != nil {
			continue
		}
		switch s.Event {
		case "ready":
			p := &proc{pid: cmd.Process.Pid, cmd: cmd, wall: time.Since(began).Seconds(), cpu: cpuSeconds(cmd.Process.Pid), kubeconfig: s.Kubeconfig}
			go func() { _, _ = bufioDrain(sc) }()
			return p, nil
		case "failed":
			_ = cmd.Process.Kill()
			return nil, fmt.Errorf("%s: sandbox failed: %s", v.name, s.Error)
		}
	}
	_ = cmd.Wait()
	return nil, fmt.Errorf("%s: sandbox process ended before it was ready", v.name)
}

func bufioDrain(sc *bufio.Scanner) (int, error) {
	n := 0
	for sc.Scan() {
		n++
	}
	return n, sc.Err()
}

func cpuSeconds(pid int) float64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ is 100 on Linux
}

func idleCPU(pid int, d time.Duration) float64 {
	c0, t0 := cpuSeconds(pid), time.Now()
	time.Sleep(d)
	return (cpuSeconds(pid) - c0) / time.Since(t0).Seconds() * 100
}

func anonMiB(pid int) float64 {
	_, anon := procstats.Memory(pid)
	return float64(anon) / (1 << 20)
}

func readStats(dir string) (procstats.Stats, bool) {
	s, err := procstats.Read(context.Background(), dir)
	return s, err == nil
}

// thawLatency stops the process, waits, continues it and times a request
// made on a new connection, as a learner's next kubectl would.
func thawLatency(rc0 *rest.Config, pid, n int) []float64 {
	var out []float64
	for i := 0; i < n; i++ {
		_ = syscall.Kill(pid, syscall.SIGSTOP)
		time.Sleep(500 * time.Millisecond)
		rc := *rc0
		client, err := kubernetes.NewForConfig(&rc)
		if err != nil {
			fail(err)
		}
		t0 := time.Now()
		_ = syscall.Kill(pid, syscall.SIGCONT)
		if _, err := client.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{}); err != nil {
			fmt.Fprintln(os.Stderr, "thaw: list after thaw:", err)
			continue
		}
		out = append(out, time.Since(t0).Seconds()*1000)
	}
	return out
}

func pct(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	i := int(p*float64(len(s)-1) + 0.5)
	return s[i]
}

func report(vs []variant, res map[string]*figures) {
	row := func(name string, get func(*figures) float64, unit string) {
		fmt.Printf("| %-44s", name)
		var vals []float64
		for _, v := range vs {
			x := get(res[v.name])
			vals = append(vals, x)
			if x < 0 {
				fmt.Printf("| %12s ", "n/a")
			} else {
				fmt.Printf("| %10.2f %-2s", x, unit)
			}
		}
		if len(vals) == 2 && vals[1] > 0 && vals[0] >= 0 {
			fmt.Printf("| %6.2f× ", vals[0]/vals[1])
		}
		fmt.Println("|")
	}
	fmt.Printf("\n| %-44s", "figure")
	for _, v := range vs {
		fmt.Printf("| %-14s", v.name)
	}
	if len(vs) == 2 {
		fmt.Printf("| new/old ")
	}
	fmt.Println("|")
	row("template, made once per server (s)", func(f *figures) float64 { return f.templateWall }, "s")
	row("template CPU (CPU-s)", func(f *figures) float64 { return f.templateCPU }, "s")
	row("cold start to ready, median (s)", func(f *figures) float64 { return pct(f.coldWall, .5) }, "s")
	row("cold start CPU, median (CPU-s)", func(f *figures) float64 { return pct(f.coldCPU, .5) }, "s")
	row("resume to ready, median (s)", func(f *figures) float64 { return pct(f.resumeWall, .5) }, "s")
	row("resume CPU, median (CPU-s)", func(f *figures) float64 { return pct(f.resumeCPU, .5) }, "s")
	row("empty: anonymous memory (MiB)", func(f *figures) float64 { return f.emptyAnon }, "Mi")
	row("empty: idle CPU (% of a core)", func(f *figures) float64 { return f.emptyIdle }, "%")
	row("full: anonymous memory (MiB)", func(f *figures) float64 { return f.fullAnon }, "Mi")
	row("full: idle CPU (% of a core)", func(f *figures) float64 { return f.fullIdle }, "%")
	row("full: GC CPU (% of a core)", func(f *figures) float64 { return f.fullGC }, "%")
	row("full: live heap (MiB)", func(f *figures) float64 {
		if f.fullGC < 0 {
			return -1
		}
		return f.fullHeap
	}, "Mi")
	row("thaw to first answer, p50 (ms)", func(f *figures) float64 {
		if len(f.thaw) == 0 {
			return -1
		}
		return pct(f.thaw, .5)
	}, "ms")
	row("thaw to first answer, p90 (ms)", func(f *figures) float64 {
		if len(f.thaw) == 0 {
			return -1
		}
		return pct(f.thaw, .9)
	}, "ms")
	row("thaw to first answer, p99 (ms)", func(f *figures) float64 {
		if len(f.thaw) == 0 {
			return -1
		}
		return pct(f.thaw, .99)
	}, "ms")
	for _, v := range vs {
		fmt.Printf("%s: %s %s; fill errors (names reused across labs, corpus files a real cluster also refuses): %d\n",
			v.name, v.bin, strings.Join(v.args, " "), res[v.name].fillErrors)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "cost:", err)
	os.Exit(1)
}
