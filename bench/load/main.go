// Command load plays N learners against a kubelab server in class mode on
// this machine: each joins a class, opens the kubectl activity, waits for
// its sandbox, runs the lab's reference solution through the console and
// the editor, keeps the page's websocket open, answers a quiz question and
// then keeps typing `kubectl get pods` until the time is up. It prints the
// sandbox ready times, command latencies, websocket event latency and the
// server's memory, and the memory and CPU of the server with all its
// sandboxes. It only talks to loopback and stops by itself.
//
//	go run ./bench/load -n 10 -duration 60s
//	go run ./bench/load -n 30 -seats 30 -warm -arrive 10s   # a class arriving at once
//
// With -seats the class gets a seat limit, so the server keeps warm
// sandboxes for the seats not yet taken; -warm waits until they are ready
// before the first learner arrives; -arrive spreads the arrivals over a
// window (by default one every 200 ms). With -freeze-after shorter than
// -settle, every warm sandbox waits frozen when the class arrives, as it
// does when a class comes minutes after it was opened, so that runs
// compare (otherwise it depends on how long the warm-up took). -think and
// -pace make each learner read before the first command and between the
// later actions, as people do; without them the learners act at the
// machine's pace, a load no class of people makes.
//
// The arrival (first join to the last learner's sandbox ready) is reported
// apart: the CPU the server and the sandbox processes used in it, and the
// sandbox processes that started.
//
// With -course each learner, once its page is open, first runs every other
// lab's reference solution through the console and the editor (the
// course's content in its sandbox; the labs' own refusals are counted, not
// errors), and all learners wait for each other before the measured part
// begins, so that it measures a class whose sandboxes hold the course.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/sandbox/procstats"
	"github.com/kubelab/kubelab/store"
)

type sample struct {
	mu   sync.Mutex
	vals map[string][]time.Duration
	errs map[string]int
}

func (s *sample) add(name string, d time.Duration) {
	s.mu.Lock()
	s.vals[name] = append(s.vals[name], d)
	s.mu.Unlock()
}

func (s *sample) fail(name string, err error) {
	s.mu.Lock()
	s.errs[name+": "+shorten(err.Error())]++
	s.mu.Unlock()
}

func shorten(s string) string {
	if len(s) > 90 {
		return s[:90] + "…"
	}
	return s
}

func main() {
	n := flag.Int("n", 10, "learners")
	duration := flag.Duration("duration", 60*time.Second, "how long each learner keeps working after the lab")
	bin := flag.String("bin", "bin/kubelab", "the kubelab binary")
	pool := flag.Int("pool", 0, "warm sandboxes beyond the class's seats (serve --pool)")
	seats := flag.Int("seats", 0, "the class's seat limit (0 = none): the server keeps warm sandboxes for the free seats")
	warm := flag.Bool("warm", false, "wait until the warm sandboxes (-seats + -pool) are ready before the learners arrive")
	warmTimeout := flag.Duration("warm-timeout", 20*time.Minute, "how long -warm waits")
	arrive := flag.Duration("arrive", 0, "spread the arrivals over this window (0 = one every 200 ms)")
	cpuProfile := flag.String("cpuprofile", "", "profile the server's CPU into this file and report the history recording's share of it")
	freezeAfter := flag.Duration("freeze-after", 0, "serve --freeze-after (0 = the server's default)")
	var serverArgs stringList
	flag.Var(&serverArgs, "server-arg", "an extra `kubelab serve` flag (repeatable; e.g. -server-arg=--console-workers=false)")
	course := flag.Bool("course", false, "fill each learner's sandbox with every lab's reference solution before the measured part")
	serverLog := flag.String("server-log", "", "write the server's output to this file")
	think := flag.Duration("think", 0, "how long each learner reads the lab page before its first command")
	pace := flag.Duration("pace", 0, "how long each learner reads between two actions after the first, as a person does (0: at once, the machine's pace; the typing after the lab goes at most once a second)")
	arrivalProfile := flag.String("arrival-profile", "", "profile every sandbox's CPU for -arrival-window from the first join, merge the profiles into this file, and print the window's CPU by process kind")
	arrivalWindow := flag.Duration("arrival-window", 20*time.Second, "the window of -arrival-profile")
	settle := flag.Duration("settle", 5*time.Second, "with -warm, how long to wait after the warm sandboxes are ready (longer than -freeze-after: they are all frozen when the class arrives)")
	flag.Parse()
	o := options{n: *n, duration: *duration, bin: *bin, pool: *pool, seats: *seats, warm: *warm, warmTimeout: *warmTimeout, arrive: *arrive, cpuProfile: *cpuProfile,
		freezeAfter: *freezeAfter, settle: *settle, serverArgs: serverArgs, serverLog: *serverLog, course: *course, think: *think, pace: *pace,
		arrivalProfile: *arrivalProfile, arrivalWindow: *arrivalWindow}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func memAvailableMiB() int {
	b, _ := os.ReadFile("/proc/meminfo")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "MemAvailable:") {
			f := strings.Fields(l)
			kb, _ := strconv.Atoi(f[1])
			return kb / 1024
		}
	}
	return 0
}

func rssMiB(pid int) int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			kb, _ := strconv.Atoi(f[1])
			return kb / 1024
		}
	}
	return 0
}

// statFields reads /proc/PID/stat from its third field (the state) on:
// the command name before it may hold spaces. nil if pid is gone.
func statFields(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	s := string(b)
	return strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
}

// ticksAt sums two of statFields' fields (CPU clock ticks).
func ticksAt(pid, a, b int) int {
	f := statFields(pid)
	if len(f) <= b {
		return 0
	}
	x, _ := strconv.Atoi(f[a])
	y, _ := strconv.Atoi(f[b])
	return x + y
}

// cpuTicks is the CPU ticks pid used itself (utime and stime).
func cpuTicks(pid int) int { return ticksAt(pid, 11, 12) }

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, " ") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// options are the command's flags.
type options struct {
	n, pool, seats int
	duration       time.Duration
	bin            string
	warm           bool
	warmTimeout    time.Duration
	arrive         time.Duration
	cpuProfile     string
	freezeAfter    time.Duration
	settle         time.Duration
	serverArgs     []string
	serverLog      string
	course         bool
	think          time.Duration
	pace           time.Duration
	arrivalProfile string
	arrivalWindow  time.Duration
}

// isSandbox reports whether pid is a sandbox process (`kubelab sandbox up`),
// not a console command.
func isSandbox(pid int) bool {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.Contains(string(b), "sandbox\x00up\x00")
}

// sandboxes lists the server's live sandbox processes.
func sandboxes(pid int) []int {
	var out []int
	for _, c := range descendants(pid) {
		if isSandbox(c) {
			out = append(out, c)
		}
	}
	return out
}

// sandboxTicks sums the CPU ticks of the server's live sandbox processes.
func sandboxTicks(pid int) int {
	t := 0
	for _, c := range sandboxes(pid) {
		t += cpuTicks(c)
	}
	return t
}

// descendants lists the processes below pid (its sandboxes), read from /proc.
func descendants(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	parent := map[int]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if f := statFields(p); len(f) > 1 {
			parent[p], _ = strconv.Atoi(f[1])
		}
	}
	var out []int
	var walk func(int)
	walk = func(p int) {
		for c, pp := range parent {
			if pp == p {
				out = append(out, c)
				walk(c)
			}
		}
	}
	walk(pid)
	return out
}

// anonMiB reads a process's anonymous resident memory.
func anonMiB(pid int) float64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "RssAnon:") {
			f := strings.Fields(l)
			kb, _ := strconv.Atoi(f[1])
			return float64(kb) / 1024
		}
	}
	return 0
}

// reapedTicks is the CPU ticks of pid's children that have ended and
// been waited for (cutime and cstime): the console's kubectl processes
// and workers, and the sandboxes that stopped.
func reapedTicks(pid int) int { return ticksAt(pid, 13, 14) }

// treeTicks sums the CPU ticks of the server, its live children (sandboxes,
// console workers) and those that ended (reapedTicks).
func treeTicks(pid int) int {
	t := cpuTicks(pid) + reapedTicks(pid)
	for _, c := range descendants(pid) {
		t += cpuTicks(c) + reapedTicks(c)
	}
	return t
}

// readySandboxes counts the server's sandbox processes that are ready: a
// sandbox writes DIR/stats.addr once it is.
func readySandboxes(pid int) int {
	n := 0
	for _, c := range descendants(pid) {
		if dir := sandboxDir(c); dir != "" {
			if _, err := os.Stat(filepath.Join(dir, procstats.SocketFile)); err == nil {
				n++
			}
		}
	}
	return n
}

func run(o options) error {
	n, duration, bin, pool := o.n, o.duration, o.bin, o.pool
	data, err := os.MkdirTemp("", "kubelab-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(data)
	st, err := store.Open(filepath.Join(data, "kubelab.db"))
	if err != nil {
		return err
	}
	ctx := context.Background()
	inst, err := st.CreateUser(ctx, store.User{DisplayName: "Load instructor", Role: store.RoleInstructor})
	if err != nil {
		return err
	}
	class, err := st.CreateClass(ctx, inst.ID, "load")
	if err != nil {
		return err
	}
	if o.seats > 0 {
		if err := st.SetSeatLimit(ctx, class.ID, o.seats); err != nil {
			return fmt.Errorf("seat limit: %w", err)
		}
	}
	st.Close()

	port := freePort()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	memBefore := memAvailableMiB()
	args := []string{"serve", "--mode", "class", "--data", data, "--addr", fmt.Sprintf("127.0.0.1:%d", port),
		"--insecure-cookies", "--max-sandboxes", strconv.Itoa(n + pool + 1), "--pool", strconv.Itoa(pool), "--idle", "1h"}
	if o.cpuProfile != "" {
		args = append(args, "--cpuprofile", o.cpuProfile)
	}
	if o.freezeAfter > 0 {
		args = append(args, "--freeze-after", o.freezeAfter.String())
	}
	args = append(args, o.serverArgs...)
	srv := exec.Command(bin, args...)
	srv.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	srv.Stdout, srv.Stderr = io.Discard, io.Discard
	if o.serverLog != "" {
		f, err := os.Create(o.serverLog)
		if err != nil {
			return fmt.Errorf("server log: %w", err)
		}
		defer f.Close()
		srv.Stdout, srv.Stderr = f, f
	}
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() { _ = srv.Process.Signal(syscall.SIGTERM); _ = srv.Wait() }()
	healthy := false
	for i := 0; i < 150 && !healthy; i++ {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			healthy = resp.StatusCode == 200
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !healthy {
		return fmt.Errorf("the server did not answer on %s", base)
	}
	if o.warm {
		want := o.seats + pool
		t0, deadline := time.Now(), time.Now().Add(o.warmTimeout)
		for readySandboxes(srv.Process.Pid) < want {
			if time.Now().After(deadline) {
				return fmt.Errorf("%d of %d warm sandboxes ready after %s", readySandboxes(srv.Process.Pid), want, o.warmTimeout)
			}
			time.Sleep(time.Second)
		}
		fmt.Printf("warm sandboxes: %d ready after %s\n", want, time.Since(t0).Round(time.Second))
		time.Sleep(o.settle) // let the last one be counted as warm (and, past --freeze-after, frozen)
	}
	cat, err := labs.Load()
	if err != nil {
		return err
	}
	lab := cat.Lab("kubectl-activity")
	s := &sample{vals: map[string][]time.Duration{}, errs: map[string]int{}}
	var wg sync.WaitGroup
	started := time.Now()
	peakRSS, peakUsed := 0, 0
	var peakAnon float64
	peakProcs := 0
	stopMon := make(chan struct{})
	cpu0 := cpuTicks(srv.Process.Pid)
	tree0 := treeTicks(srv.Process.Pid)
	sb0 := sandboxTicks(srv.Process.Pid)
	seenSandboxes := map[int]bool{}
	for _, p := range sandboxes(srv.Process.Pid) {
		seenSandboxes[p] = true
	}
	atStart, peakSandboxes := len(seenSandboxes), len(seenSandboxes)
	var monMu sync.Mutex
	// The arrival: from the first join until every learner's sandbox is
	// ready (or failed).
	var arrivals sync.WaitGroup
	arrivals.Add(n)
	arrival := make(chan [3]float64, 1) // seconds, server CPU-s, sandboxes CPU-s
	go func() {
		arrivals.Wait()
		arrival <- [3]float64{time.Since(started).Seconds(), float64(cpuTicks(srv.Process.Pid)-cpu0) / 100,
			float64(sandboxTicks(srv.Process.Pid)-sb0) / 100}
	}()
	go func() {
		for {
			select {
			case <-stopMon:
				return
			case <-time.After(250 * time.Millisecond):
			}
			sbs := sandboxes(srv.Process.Pid)
			monMu.Lock()
			for _, p := range sbs {
				seenSandboxes[p] = true
			}
			peakSandboxes = max(peakSandboxes, len(sbs))
			monMu.Unlock()
			if r := rssMiB(srv.Process.Pid); r > peakRSS {
				peakRSS = r
			}
			if u := memBefore - memAvailableMiB(); u > peakUsed {
				peakUsed = u
			}
			kids := descendants(srv.Process.Pid)
			a := anonMiB(srv.Process.Pid)
			for _, c := range kids {
				a += anonMiB(c)
			}
			if a > peakAnon {
				peakAnon, peakProcs = a, len(kids)
			}
		}
	}()
	profiled := make(chan error, 1)
	if o.arrivalProfile != "" {
		go func() { profiled <- profileArrival(bin, srv.Process.Pid, o.arrivalWindow, o.arrivalProfile) }()
	} else {
		profiled <- nil
	}
	var fill *courseFill
	if o.course {
		fill = &courseFill{all: make(chan struct{})}
		for _, l := range cat.Labs {
			if l.ID != lab.ID { // the measured part runs that one
				fill.labs = append(fill.labs, l)
			}
		}
		fill.wg.Add(n)
		go func() {
			fill.wg.Wait()
			fmt.Printf("course filled in every sandbox %s after the first join: %d actions, %d refused (as some labs teach)\n",
				time.Since(started).Round(time.Second), fill.actions.Load(), fill.refused.Load())
			close(fill.all)
		}()
	}
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			learner(base, class.JoinCode, i, lab, duration, o.think, o.pace, s, arrivals.Done, fill)
		}(i)
		if o.arrive > 0 {
			time.Sleep(o.arrive / time.Duration(max(n-1, 1)))
		} else {
			time.Sleep(200 * time.Millisecond)
		}
	}
	wg.Wait()
	if err := <-profiled; err != nil {
		fmt.Println(err)
	}
	elapsed := time.Since(started)
	cpu := float64(cpuTicks(srv.Process.Pid)-cpu0) / 100 / elapsed.Seconds() * 100
	treeCPU := float64(treeTicks(srv.Process.Pid)-tree0) / 100 / elapsed.Seconds() * 100
	close(stopMon)

	fmt.Printf("learners: %d, wall time %s\n", n, elapsed.Round(time.Second))
	a := <-arrival
	monMu.Lock()
	fmt.Printf("arrival (first join to last sandbox ready): %.1f s; CPU-seconds in it: server %.1f, sandbox processes %.1f (those alive at its end)\n",
		a[0], a[1], a[2])
	fmt.Printf("sandbox processes: %d at the first join, peak %d, %d started during the run\n",
		atStart, peakSandboxes, len(seenSandboxes)-atStart)
	monMu.Unlock()
	names := make([]string, 0, len(s.vals))
	for k := range s.vals {
		names = append(names, k)
	}
	sort.Strings(names)
	fmt.Printf("%-28s %6s %9s %9s %9s\n", "metric", "count", "p50", "p99", "max")
	for _, k := range names {
		v := s.vals[k]
		sort.Slice(v, func(a, b int) bool { return v[a] < v[b] })
		fmt.Printf("%-28s %6d %9s %9s %9s\n", k, len(v), v[len(v)/2].Round(time.Millisecond), v[(len(v)*99)/100].Round(time.Millisecond), v[len(v)-1].Round(time.Millisecond))
	}
	errs := 0
	for k, c := range s.errs {
		fmt.Printf("error x%d: %s\n", c, k)
		errs += c
	}
	fmt.Printf("errors: %d\nserver process: peak RSS %d MiB, CPU %.1f%% of one core on average\nmachine: peak memory used by kubelab and its sandboxes %d MiB (%d MiB per learner)\n",
		errs, peakRSS, cpu, peakUsed, peakUsed/max(n, 1))
	fmt.Printf("server and sandboxes: peak anonymous memory %.0f MiB (%d processes below the server: sandboxes and console workers; %.0f MiB per learner), CPU %.1f%% of one core on average (with the console's kubectl and the processes that ended)\n",
		peakAnon, peakProcs, peakAnon/float64(max(n, 1)), treeCPU)
	if o.cpuProfile != "" {
		// The profile is written when the server stops.
		_ = srv.Process.Signal(syscall.SIGTERM)
		_ = srv.Wait()
		total, rec, err := profileShare(bin, o.cpuProfile, historyFrames)
		if err != nil {
			return err
		}
		_, snaps, err := profileShare(bin, o.cpuProfile, stepSnapshotFrames)
		if err != nil {
			return err
		}
		rest := max(total-rec-snaps, 1e-9)
		fmt.Printf("server CPU profile: %.2f s, of which history recording %.2f s and step snapshots %.2f s: "+
			"recording adds %.1f%% to the rest of the server's CPU, step snapshots %.1f%%, both %.1f%%\n",
			total, rec, snaps, rec/rest*100, snaps/rest*100, (rec+snaps)/rest*100)
	}
	return nil
}

// courseFill is the -course phase: the labs each learner fills its sandbox
// with, and the barrier after it.
type courseFill struct {
	labs             []*labs.Lab
	wg               sync.WaitGroup
	all              chan struct{} // closed when every learner has filled
	actions, refused atomic.Int64
}

// run fills one learner's sandbox through post, then waits for the others.
func (f *courseFill) run(post func(metric, path string, body any) (map[string]any, error), s *sample, finished func()) {
	for _, l := range f.labs {
		for _, st := range l.Steps {
			for _, a := range st.Solution {
				f.actions.Add(1)
				switch {
				case a.Kubectl != "":
					out, err := post("course console latency", "/api/console", map[string]string{"command": a.Kubectl})
					if err != nil {
						s.fail("course", err)
					} else if code, _ := out["exitCode"].(float64); code != 0 {
						f.refused.Add(1)
					}
				case a.Apply != "":
					// A refused apply answers 4xx: some labs teach exactly that.
					if _, err := post("course apply latency", "/api/apply", map[string]any{"yaml": a.Apply}); err != nil {
						f.refused.Add(1)
					}
				}
				if a.Wait > 0 {
					time.Sleep(min(time.Duration(a.Wait*float64(time.Second)), time.Second))
				}
			}
		}
	}
	finished()
	<-f.all
}

func learner(base, code string, i int, lab *labs.Lab, duration, think, pace time.Duration, s *sample, arrived func(), fill *courseFill) {
	var once sync.Once
	arrivedOnce := func() { once.Do(arrived) }
	defer arrivedOnce()
	var filled sync.Once
	finishFill := func() {
		if fill != nil {
			filled.Do(fill.wg.Done)
		}
	}
	defer finishFill() // a learner that gave up does not hold the others back
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 3 * time.Minute}
	if _, err := c.PostForm(base+"/join", url.Values{"code": {code}, "name": {fmt.Sprintf("learner %d", i)}}); err != nil {
		s.fail("join", err)
		return
	}
	t0 := time.Now()
	resp, err := c.Get(base + "/labs/kubectl-activity")
	if err != nil || resp.StatusCode != 200 {
		s.fail("open lab", fmt.Errorf("%v %v", err, resp))
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	s.add("lab page latency", time.Since(t0))
	for {
		resp, err := c.Get(base + "/api/sandbox?start=1")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(b), `"ready"`) {
				break
			}
			if strings.Contains(string(b), `"failed"`) {
				s.fail("sandbox", fmt.Errorf("%s", b))
				return
			}
		}
		if time.Since(t0) > 3*time.Minute {
			s.fail("sandbox", fmt.Errorf("not ready after 3 minutes"))
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.add("sandbox ready", time.Since(t0))
	arrivedOnce()

	u, _ := url.Parse(base)
	hdr := http.Header{"Origin": {base}}
	for _, ck := range jar.Cookies(u) {
		hdr.Add("Cookie", ck.Name+"="+ck.Value)
	}
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+u.Host+"/ws", hdr)
	if err != nil {
		s.fail("websocket", err)
		return
	}
	defer ws.Close()
	var mu sync.Mutex
	seen := map[string]time.Time{}
	verdicts := map[string]time.Time{}
	go func() {
		for {
			var m map[string]any
			if err := ws.ReadJSON(&m); err != nil {
				return
			}
			now := time.Now()
			mu.Lock()
			see := func(o map[string]any) {
				str := func(v any) string { s, _ := v.(string); return s }
				key := str(o["kind"]) + "/" + str(o["namespace"]) + "/" + str(o["name"])
				if _, ok := seen[key]; !ok {
					seen[key] = now
				}
			}
			switch m["type"] {
			case "upsert":
				o, _ := m["obj"].(map[string]any)
				see(o)
			case "snapshot":
				// The page's first state: a change made while the page's
				// watch was still listing the cluster arrives in it.
				objs, _ := m["objects"].([]any)
				for _, o := range objs {
					if o, ok := o.(map[string]any); ok {
						see(o)
					}
				}
			case "verdict":
				if m["passed"] == true {
					if _, ok := verdicts[fmt.Sprint(m["step"])]; !ok {
						verdicts[fmt.Sprint(m["step"])] = now
					}
				}
			}
			mu.Unlock()
		}
	}()
	postAs := func(metric, path string, body any) (map[string]any, error) {
		b, _ := json.Marshal(body)
		start := time.Now()
		resp, err := c.Post(base+path, "application/json", bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		s.add(metric, time.Since(start))
		if resp.StatusCode >= 300 {
			return out, fmt.Errorf("%s: %d %v", path, resp.StatusCode, out)
		}
		return out, nil
	}
	post := func(path string, body any) (map[string]any, error) {
		return postAs(strings.TrimPrefix(path, "/api/")+" latency", path, body)
	}
	if fill != nil {
		fill.run(postAs, s, finishFill)
	}
	time.Sleep(think) // the learner reads the step before typing
	firstCommand, firstAction := true, true
	for _, st := range lab.Steps {
		stepStart := time.Now()
		var read time.Duration // the learner's reading in the step, not the server's
		for _, a := range st.Solution {
			if !firstAction {
				time.Sleep(pace) // the learner reads the output and the next step
				read += pace
			}
			firstAction = false
			switch {
			case a.Kubectl != "":
				t0 := time.Now()
				out, err := post("/api/console", map[string]string{"command": a.Kubectl})
				if firstCommand {
					// also counted apart: the learner's first command
					// meets a sandbox and a console that just started
					s.add("first console latency", time.Since(t0))
					firstCommand = false
				}
				if err != nil {
					s.fail("console", err)
				} else if code, _ := out["exitCode"].(float64); code != 0 {
					// The console ran kubectl, which failed: the learner sees its error.
					s.fail("console", fmt.Errorf("%s: exit %v: %v %v", a.Kubectl, code, out["output"], out["error"]))
				}
				done := time.Now()
				if strings.Contains(a.Kubectl, "create namespace my-ns") {
					waitSeen(&mu, seen, "Namespace//my-ns", done, s)
				}
			case a.Apply != "":
				if _, err := post("/api/apply", map[string]any{"yaml": a.Apply}); err != nil {
					s.fail("apply", err)
				}
				done := time.Now()
				waitSeen(&mu, seen, "Deployment/my-ns/nginx-deploy", done, s)
			}
			if a.Wait > 0 {
				time.Sleep(time.Duration(a.Wait * float64(time.Second)))
			}
		}
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			mu.Lock()
			at, ok := verdicts[st.ID]
			mu.Unlock()
			if ok {
				s.add("step verdict after action", at.Sub(stepStart)-read)
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	start := time.Now()
	if resp, err := c.PostForm(base+"/quizzes/pod-basics/"+quizQuestion, url.Values{"answer": {"b"}}); err != nil {
		s.fail("quiz", err)
	} else {
		resp.Body.Close()
		s.add("quiz answer latency", time.Since(start))
	}
	end := time.Now().Add(duration)
	for time.Now().Before(end) {
		if _, err := post("/api/console", map[string]string{"command": "kubectl get pods -A"}); err != nil {
			s.fail("console", err)
		}
		time.Sleep(max(time.Second, pace))
	}
}

// quizQuestion is a question of the pod-basics quiz.
var quizQuestion = "unit-of-scaling"

func waitSeen(mu *sync.Mutex, seen map[string]time.Time, key string, after time.Time, s *sample) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		at, ok := seen[key]
		mu.Unlock()
		if ok {
			d := at.Sub(after)
			if d < 0 {
				d = 0
			}
			s.add("change to websocket", d) // after the API answered
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.fail("websocket", fmt.Errorf("no event for %s", key))
}
