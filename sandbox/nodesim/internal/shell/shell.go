// Package shell is the small shell that "runs" a simulated container's
// command on a virtual clock: nothing executes, but the simple commands
// that lessons use (echo, printenv, date, sleep, exit, cat, ls, touch, rm,
// while loops...) give their output, take their time and change a virtual
// file system, so that a container's lifetime, exit code, logs and probe
// results follow from what it runs.
//
// A script runs against an Env: the process's environment and identity,
// the files of its container's mounts (Files), the pod's shared writable
// volumes (Volumes) and the cluster's DNS. Run gives a Result: the lines
// it wrote, the changes it made to the file system, how it ended and when.
package shell

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"
)

// Line is one line of output at a time offset from the process start.
type Line struct {
	At   time.Duration
	Text string
	Fd   int // 1 stdout, 2 stderr
}

// Op is a change to the virtual file system.
type Op struct {
	At     time.Duration // offset from the process start
	Path   string        // absolute path
	Data   string
	Remove bool
	Dir    bool
	// Append: Data is appended to the file (only for files in the pod's
	// shared volumes; elsewhere Data is the whole file).
	Append   bool
	UID, GID int64 // the owner of a file or directory it creates
}

// Result is what a run gives.
type Result struct {
	Lines   []Line
	Dropped int // lines left out at the start (output cap)
	Ops     []Op
	// Ended: the process ended at Took with Code. Otherwise it was still
	// running at the horizon; Forever: it never ends (a server, sleep
	// infinity, an endless loop).
	Ended   bool
	Forever bool
	Code    int
	Took    time.Duration
	// Server is the long-running program it ended up running, if any, from ServerAt.
	Server   string
	ServerAt time.Duration
	// Memory is what a program it runs declares it allocates (stress --vm-bytes).
	Memory int64
	CPU    int64  // millicores a program declares it burns (stress --cpu)
	Pwd    string // the working directory it ended in (cd)
	// DNSMiss are the names it looked up that did not resolve.
	DNSMiss []string
	// StopMain: it made the container's first process exit (kill 1).
	StopMain bool
	// Fetched are the hosts it sent HTTP requests to (wget, curl).
	Fetched []string
}

// Files is what a process reads of its container's mounts (ConfigMaps,
// Secrets, the service account token, /etc/hosts...).
type Files interface {
	// ReadFile gives the content of the file at the absolute path p.
	ReadFile(p string) (string, bool)
	// ReadDir lists the directory at the absolute path p.
	ReadDir(p string) ([]string, bool)
	// Readlink tells where the symbolic link at p points (..data in
	// ConfigMap volumes).
	Readlink(p string) (string, bool)
}

// Env is what a script runs against.
type Env struct {
	Vars     map[string]string
	Order    []string // environment order for env/printenv
	Hostname string
	Start    time.Time // wall clock at offset 0 (for date)
	Cwd      string
	UID      int64
	GID      int64
	// Groups are the process's supplementary groups (fsGroup,
	// supplementalGroups); Procs its container's processes for ps.
	Groups []int64
	Procs  []string
	// Volumes are the pod's shared volumes as this process sees them (nil:
	// none); At0 is the wall time at offset 0 of the run (zero: Start).
	Volumes Volumes
	At0     time.Time
	// Files are the container's mounts (nil: none).
	Files Files
	// MainStops: the container's first process ends on SIGTERM (kill 1).
	MainStops bool
	// Resolve looks a name up in the cluster's DNS (Services); DNSServer
	// is the address of the cluster's DNS that nslookup names.
	Resolve   func(name string) (fqdn, ip string, ok bool)
	DNSServer string
	// Servers are programs that run until stopped.
	Servers map[string]bool
	// EndsUnknown: an unknown program as the script's last command ends at
	// once (a Job's pod) instead of running on as a server.
	EndsUnknown bool
	// BaseFiles are files and their removals (nil) from earlier runs (init
	// containers sharing emptyDirs).
	BaseFiles map[string]*string
	// Restricted: kubectl exec, where only the commands of ExecCommands
	// run; Hint is a directory worth listing.
	Restricted bool
	Hint       string
}

// ExecMessage is what a restricted shell (kubectl exec) says of a command
// it cannot run; %s is the command.
const ExecMessage = "kubelab: %s: this node is simulated, so the container does not really run and only simple commands " +
	"(env, printenv, ls, cat, id, ps, hostname, whoami, pwd, echo, date, head, tail, grep, wc, touch, mkdir, cp, tee, kill, nslookup) work in kubectl exec. " +
	"Use the kind backend for real containers."

// ExecCommands are the commands a restricted shell (kubectl exec) runs.
var ExecCommands = map[string]bool{
	"env": true, "printenv": true, "ls": true, "cat": true, "id": true, "hostname": true, "whoami": true, "pwd": true,
	"echo": true, "printf": true, "date": true, "uname": true, "true": true, "false": true, ":": true, "head": true, "tail": true,
	"wc": true, "grep": true, "sort": true, "rev": true, "tac": true, "test": true, "[": true, "[[": true, "exit": true, "cd": true,
	"export": true, "set": true, "unset": true, "sleep": true, "sh": true, "bash": true, "ash": true, "dash": true,
	// Commands that change files: what they write stays in the container's
	// run, and in the pod's volumes for its other containers.
	"touch": true, "mkdir": true, "cp": true, "mv": true, "tee": true, "rm": true, "ps": true, "kill": true,
	"nslookup": true, "getent": true, "host": true,
}

// Run runs argv (a container's command and args, already expanded) until
// it ends or the horizon.
func Run(argv []string, env *Env, horizon time.Duration) Result {
	vm := newVM(env, horizon)
	if len(argv) == 0 {
		vm.res.Ended = true
		return vm.res
	}
	prog := path.Base(argv[0])
	var script *cmdList
	switch {
	case IsShell(prog):
		src, args := Script(argv[1:])
		if src == "" {
			// A shell with no script and no terminal reads an empty stdin and exits.
			vm.res.Ended, vm.res.Took = true, 0
			return vm.res
		}
		for i, a := range args {
			vm.vars[strconv.Itoa(i)] = a
		}
		var err error
		script, err = parse(src)
		if err != nil {
			vm.write(2, fmt.Sprintf("%s: syntax error: %v\n", prog, err))
			vm.finish(2)
			return vm.res
		}
	default:
		script = &cmdList{items: []*andOr{{pipes: []*pipeline{{cmds: []node{&simpleCmd{words: literalWords(argv)}}}}}}}
	}
	markLast(script)
	vm.runList(script, nil)
	vm.res.Pwd = vm.vars["PWD"]
	if vm.exited || !vm.stopped {
		vm.finish(vm.status)
	} else {
		vm.flush()
		vm.res.Took = vm.t
		if vm.steps >= maxSteps && !vm.res.Forever {
			vm.res.Forever = true
		}
	}
	return vm.res
}

// IsShell reports whether prog (a base name) is a shell.
func IsShell(prog string) bool {
	switch prog {
	case "sh", "bash", "ash", "dash", "zsh", "ksh":
		return true
	}
	return false
}

// Script finds the -c script among a shell's arguments and the arguments
// after it ($0, $1...).
func Script(args []string) (string, []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "-c" || (strings.HasPrefix(a, "-") && strings.HasSuffix(a, "c") && !strings.HasPrefix(a, "--")) {
			if i+1 < len(args) {
				return args[i+1], args[i+2:]
			}
			return "", nil
		}
		if !strings.HasPrefix(a, "-") {
			// sh script.sh: a file we do not have; it runs as an unknown program.
			return a, args[i+1:]
		}
	}
	return "", nil
}
