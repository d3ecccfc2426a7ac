package nodesim

import (
	"path"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kubelab/kubelab/sandbox/nodesim/internal/shell"
)

// Annotations that let a lab script a container's simulated process. Each
// applies to every container of the pod, or to one when suffixed with
// "." and the container's name (sim.kubelab.dev/exit-code.worker).
const (
	// AnnotationExitCode makes the container end with this code.
	AnnotationExitCode = "sim.kubelab.dev/exit-code"
	// AnnotationRunSeconds makes the container end after this many seconds.
	AnnotationRunSeconds = "sim.kubelab.dev/run-seconds"
	// AnnotationKeepRunning ("true") makes the container run until stopped.
	AnnotationKeepRunning = "sim.kubelab.dev/keep-running"
	// AnnotationMemoryUsage is the memory the container uses (250Mi): past
	// its limit it is OOMKilled; metrics.k8s.io reports it.
	AnnotationMemoryUsage = "sim.kubelab.dev/memory-usage"
	// AnnotationCPUUsage is the CPU the container uses (300m), for metrics.k8s.io.
	AnnotationCPUUsage = "sim.kubelab.dev/cpu-usage"
	// AnnotationLiveness, AnnotationReadiness and AnnotationStartup script
	// probe results: "pass", "fail", "fail-after=30s", "pass-after=20s",
	// or both ("fail-after=30s,pass-after=90s": failing in between).
	AnnotationLiveness  = "sim.kubelab.dev/liveness"
	AnnotationReadiness = "sim.kubelab.dev/readiness"
	AnnotationStartup   = "sim.kubelab.dev/startup"
	// AnnotationPreStopSeconds is how long the preStop hook takes.
	AnnotationPreStopSeconds = "sim.kubelab.dev/prestop-seconds"
	// AnnotationKubelet on a Node: "stopped" stops its kubelet (the node
	// goes NotReady and its pods are evicted), "running" starts it again.
	AnnotationKubelet = "sim.kubelab.dev/kubelet"
)

// annotation returns a pod annotation for a container (suffixed first).
func annotation(p *corev1.Pod, key, container string) (string, bool) {
	if v, ok := p.Annotations[key+"."+container]; ok {
		return v, true
	}
	v, ok := p.Annotations[key]
	return v, ok
}

// procPlan is what one run of a container does.
type procPlan struct {
	argv     []string
	ends     bool
	runFor   time.Duration
	exitCode int32
	reason   string // Completed, Error or OOMKilled
	server   string // the long-running program, for its logs
	oneShot  []string
	ops      []shell.Op
	memory   int64 // bytes it declares it uses (0: unknown)
	cpu      int64 // millicores it declares it uses (0: unknown)
	sigterm  bool  // it stops on SIGTERM (else it is killed at the end of the grace period)
	// interactive: a shell waiting on its open stdin (kubectl attach talks to it).
	interactive bool
	dnsMiss     []string // names it looked up that did not resolve
	// loadTargets: it sends HTTP requests to these hosts for as long as it
	// runs (a load generator).
	loadTargets []string
}

func hasScript(args []string) bool {
	src, _ := shell.Script(args)
	return src != ""
}

// planHorizon is how far ahead a process is simulated to see if it ends.
const planHorizon = 30 * 24 * time.Hour

// commandLine is what the container runs: command and args with $(VAR)
// references expanded, or the image's default.
func commandLine(c *corev1.Container, env []envVar) []string {
	vals := map[string]string{}
	for _, e := range env {
		vals[e.name] = e.value
	}
	lookup := func(k string) (string, bool) { v, ok := vals[k]; return v, ok }
	var argv []string
	for _, a := range c.Command {
		argv = append(argv, expandK8s(a, lookup))
	}
	var args []string
	for _, a := range c.Args {
		args = append(args, expandK8s(a, lookup))
	}
	if len(argv) == 0 && len(args) > 0 {
		if strings.HasPrefix(args[0], "-") {
			// Flags for the image's entrypoint.
			argv = []string{imageName(c.Image)}
		}
	}
	return append(argv, args...)
}

// plan decides what a container started at start does.
func (s *Simulator) plan(p *corev1.Pod, c *corev1.Container, env *shell.Env, argv []string) *procPlan {
	procs := s.cfg.Behaviour.Processes
	b := &s.cfg.Behaviour
	pl := &procPlan{argv: argv, sigterm: true}
	img := imageName(c.Image)
	interactiveShell := (len(argv) == 0 && contains(procs.ShellImages, img)) ||
		(len(argv) > 0 && shell.IsShell(path.Base(argv[0])) && !hasScript(argv[1:]))
	switch {
	case interactiveShell && c.Stdin:
		// A shell whose stdin is kept open (kubectl run -it) waits for input.
		pl.argv, pl.sigterm = append([]string{}, argv...), false
		if len(pl.argv) == 0 {
			pl.argv = []string{"sh"}
		}
		pl.interactive = true
	case len(argv) == 0 && contains(procs.ShellImages, img):
		// The default command is a shell; with no terminal it reads an empty stdin and exits.
		pl.ends, pl.runFor = true, b.d("run")
		pl.sigterm = false
	case len(argv) == 0 && procs.OneShotImages[img] != nil:
		pl.ends, pl.runFor, pl.oneShot = true, b.d("run"), procs.OneShotImages[img]
	case len(argv) == 0:
		// A server image (or one we do not know): it runs until stopped,
		// except in a Job, where its work ends.
		pl.server = img
		if (ownedByJob(p) || isInitContainer(p, c)) && !s.servers[img] {
			pl.ends, pl.runFor, pl.server = true, b.d("run"), ""
		}
	default:
		res := shell.Run(argv, env, planHorizon)
		if interactiveShell {
			// No terminal, no open stdin: the shell reads nothing and exits.
			pl.ends, pl.runFor = true, b.d("run")
			break
		}
		pl.ops, pl.memory, pl.cpu, pl.dnsMiss = res.Ops, res.Memory, res.CPU, res.DNSMiss
		pl.server = res.Server
		if res.Ended {
			pl.ends, pl.runFor, pl.exitCode = true, res.Took+b.d("run"), int32(res.Code)
		} else if res.Forever || res.Took >= planHorizon {
			pl.loadTargets = res.Fetched
		}
		prog := path.Base(argv[0])
		if contains(procs.IgnoreSigterm, prog) && res.Server == "" {
			pl.sigterm = false
		}
		if shell.IsShell(prog) && res.Server != "" && !strings.Contains(strings.Join(argv, " "), "exec ") {
			// sh -c "server ...": the shell is PID 1 and does not pass SIGTERM on.
			pl.sigterm = false
		}
	}
	// What a lab says wins.
	if v, ok := annotation(p, AnnotationKeepRunning, c.Name); ok && v == "true" {
		pl.ends, pl.exitCode = false, 0
	}
	if v, ok := annotation(p, AnnotationRunSeconds, c.Name); ok {
		if n, err := strconv.ParseFloat(v, 64); err == nil {
			pl.ends, pl.runFor = true, time.Duration(n*float64(time.Second))
		}
	}
	if v, ok := annotation(p, AnnotationExitCode, c.Name); ok {
		if n, err := strconv.Atoi(v); err == nil {
			pl.exitCode = int32(n)
			if !pl.ends {
				pl.ends, pl.runFor = true, b.d("run")
			}
		}
	}
	if v, ok := annotation(p, AnnotationMemoryUsage, c.Name); ok {
		if q, err := resource.ParseQuantity(v); err == nil {
			pl.memory = q.Value()
		}
	}
	if v, ok := annotation(p, AnnotationCPUUsage, c.Name); ok {
		if q, err := resource.ParseQuantity(v); err == nil {
			pl.cpu = q.MilliValue()
		}
	}
	pl.reason = "Completed"
	if pl.exitCode != 0 {
		pl.reason = "Error"
	}
	if lim, ok := c.Resources.Limits[corev1.ResourceMemory]; ok && pl.memory > lim.Value() {
		oom := b.d("oomKill")
		if !pl.ends || pl.runFor > oom {
			pl.ends, pl.runFor = true, oom
		}
		pl.exitCode, pl.reason = 137, "OOMKilled"
	}
	return pl
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func imageName(image string) string {
	name := image
	if i := strings.IndexByte(name, '@'); i >= 0 {
		name = name[:i]
	}
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.IndexByte(name, ':'); i >= 0 {
		name = name[:i]
	}
	return name
}

func ownedByJob(p *corev1.Pod) bool {
	for _, o := range p.OwnerReferences {
		if o.Kind == "Job" {
			return true
		}
	}
	return false
}

// hookDuration is how long a lifecycle hook runs, and whether it succeeds.
func (s *Simulator) hook(p *corev1.Pod, c *corev1.Container, h *corev1.LifecycleHandler, env *shell.Env, kind string) (time.Duration, bool, []shell.Op) {
	def := s.cfg.Behaviour.d(kind)
	switch {
	case h == nil:
		return 0, true, nil
	case h.Sleep != nil:
		return time.Duration(h.Sleep.Seconds) * time.Second, true, nil
	case h.Exec != nil:
		e := *env
		e.EndsUnknown = true // a hook's unknown program runs and ends
		res := shell.Run(h.Exec.Command, &e, time.Hour)
		d := res.Took
		if d == 0 || res.Forever {
			d = def
		}
		if kind == "preStop" {
			if v, ok := annotation(p, AnnotationPreStopSeconds, c.Name); ok {
				if n, err := strconv.ParseFloat(v, 64); err == nil {
					d = time.Duration(n * float64(time.Second))
				}
			}
		}
		return d, res.Ended && res.Code == 0, res.Ops
	}
	d := def
	if kind == "preStop" {
		if v, ok := annotation(p, AnnotationPreStopSeconds, c.Name); ok {
			if n, err := strconv.ParseFloat(v, 64); err == nil {
				d = time.Duration(n * float64(time.Second))
			}
		}
	}
	return d, true, nil
}
