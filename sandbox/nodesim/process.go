package nodesim

import (
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Annotations that let a lab script a container's simulated process.
const (
	// AnnotationExitCode makes every container of the pod end with this code.
	AnnotationExitCode = "sim.kubelab.dev/exit-code"
	// AnnotationRunSeconds makes every container end after this many seconds.
	AnnotationRunSeconds = "sim.kubelab.dev/run-seconds"
)

// process says what a simulated container's main process does.
type process struct {
	// ends is false for a server that runs until it is stopped.
	ends bool
	// runFor is how long it runs before it ends.
	runFor time.Duration
	// exitCode is its exit status when it ends.
	exitCode int32
	// output is what it prints (for kubectl logs).
	output []string
}

var (
	exitRe  = regexp.MustCompile(`\bexit\s+(\d+)`)
	sleepRe = regexp.MustCompile(`^\s*sleep\s+(\d+)\s*$`)
	loopRe  = regexp.MustCompile(`while\s+(true|:)|sleep\s+infinity|tail\s+-f|for\s*\(\(\s*;\s*;\s*\)\)`)
	// servers are images whose default command keeps running.
	shells = map[string]bool{"sh": true, "bash": true, "ash": true}
	finite = map[string]bool{"date": true, "echo": true, "printenv": true, "env": true, "ls": true, "true": true,
		"false": true, "cat": true, "hostname": true, "whoami": true, "id": true, "uname": true, "perl": true, "printf": true}
)

// planProcess decides from a container's image, command and args whether it
// keeps running or ends, when and how.
func planProcess(pod *corev1.Pod, c *corev1.Container, b Behaviour, ownedByJob bool) process {
	p := process{runFor: b.FiniteRunDuration.Duration}
	argv := append(append([]string{}, c.Command...), c.Args...)
	if v, ok := pod.Annotations[AnnotationRunSeconds]; ok {
		if n, err := strconv.Atoi(v); err == nil {
			p.ends, p.runFor = true, time.Duration(n)*time.Second
		}
	}
	if v, ok := pod.Annotations[AnnotationExitCode]; ok {
		if n, err := strconv.Atoi(v); err == nil {
			p.ends, p.exitCode = true, int32(n)
		}
	}
	if p.ends {
		p.output = []string{"(simulated process)"}
		return p
	}
	if len(argv) == 0 {
		img := imageName(c.Image)
		if shells[img] || img == "busybox" || img == "alpine" || img == "ubuntu" || img == "centos" || img == "debian" || img == "amazonlinux" {
			// A shell with no terminal attached exits at once.
			p.ends, p.runFor = true, b.FiniteRunDuration.Duration/2
			return p
		}
		p.output = serverLog(img)
		if ownedByJob {
			p.ends = true
		}
		return p
	}
	prog := path.Base(argv[0])
	switch {
	case shells[prog]:
		script := strings.Join(argv[1:], " ")
		if i := strings.Index(script, "-c "); i >= 0 {
			script = script[i+3:]
		}
		if loopRe.MatchString(script) {
			p.output = echoes(script)
			return p
		}
		p.ends = true
		if m := sleepRe.FindStringSubmatch(script); m != nil {
			n, _ := strconv.Atoi(m[1])
			p.runFor = time.Duration(n) * time.Second
		}
		if m := exitRe.FindStringSubmatch(script); m != nil {
			n, _ := strconv.Atoi(m[1])
			p.exitCode = int32(n)
		}
		p.output = echoes(script)
	case prog == "sleep":
		p.ends = true
		if len(argv) > 1 {
			if argv[1] == "infinity" {
				p.ends = false
			} else if n, err := strconv.Atoi(argv[1]); err == nil {
				p.runFor = time.Duration(n) * time.Second
			}
		}
	case finite[prog]:
		p.ends = true
		if prog == "false" {
			p.exitCode = 1
		}
		p.output = simpleOutput(prog, argv[1:], c)
	default:
		p.ends = ownedByJob
		p.output = serverLog(imageName(c.Image))
	}
	return p
}

func imageName(image string) string {
	name := image
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.IndexAny(name, ":@"); i >= 0 {
		name = name[:i]
	}
	return name
}

func simpleOutput(prog string, args []string, c *corev1.Container) []string {
	switch prog {
	case "date":
		return []string{time.Now().UTC().Format("Mon Jan _2 15:04:05 UTC 2006")}
	case "echo", "printf":
		return []string{strings.Join(args, " ")}
	case "printenv", "env":
		var out []string
		out = append(out, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=simulated")
		for _, e := range c.Env {
			if e.ValueFrom == nil {
				out = append(out, e.Name+"="+e.Value)
			}
		}
		return out
	case "hostname":
		return []string{"simulated"}
	}
	return nil
}

var echoRe = regexp.MustCompile(`echo\s+("([^"]*)"|'([^']*)'|([^;&|]+))`)

func echoes(script string) []string {
	var out []string
	for _, m := range echoRe.FindAllStringSubmatch(script, 5) {
		switch {
		case m[2] != "":
			out = append(out, m[2])
		case m[3] != "":
			out = append(out, m[3])
		default:
			out = append(out, strings.TrimSpace(m[4]))
		}
	}
	return out
}

func serverLog(img string) []string {
	switch img {
	case "nginx":
		return []string{
			"/docker-entrypoint.sh: Configuration complete; ready for start up",
			"nginx: [notice] using the \"epoll\" event method",
			"nginx: [notice] start worker processes",
		}
	case "redis":
		return []string{"* Server initialized", "* Ready to accept connections tcp"}
	case "mysql":
		return []string{"[System] [MY-010931] [Server] /usr/sbin/mysqld: ready for connections. port: 3306"}
	}
	return []string{"(simulated container: " + img + " started)"}
}
