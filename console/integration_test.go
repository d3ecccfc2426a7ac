package console

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// These tests run the real kubectl of ../bin/kubelab against a real
// sandbox cluster; they skip when the binary has not been built.

// console runs one console line the way the server does.
func console(t *testing.T, r *Runner, line string) Result {
	t.Helper()
	argv, err := Parse(line)
	if err != nil {
		t.Fatalf("Parse(%q): %v", line, err)
	}
	res := r.Run(context.Background(), sandboxKubeconfig(t), argv)
	t.Logf("%s\n%s(exit %d, %v)", line, res.Output, res.ExitCode, res.Duration.Round(time.Millisecond))
	return res
}

func realRunner(t *testing.T) *Runner {
	t.Helper()
	return &Runner{Binary: kubelabBinary(t), HomeDir: filepath.Join(sandbox.dir, "homes")}
}

func TestIntegrationCreateNamespace(t *testing.T) {
	r := realRunner(t)
	res := console(t, r, "kubectl create namespace my-ns")
	if res.ExitCode != 0 || res.Output != "namespace/my-ns created\n" {
		t.Fatalf("result %+v", res)
	}
	res = console(t, r, "k get namespace my-ns -o jsonpath='{.metadata.name}'")
	if res.ExitCode != 0 || res.Output != "my-ns" {
		t.Fatalf("result %+v", res)
	}
}

func TestIntegrationNoPods(t *testing.T) {
	res := console(t, realRunner(t), "kubectl get pods")
	if res.ExitCode != 0 || res.Output != "No resources found in default namespace.\n" {
		t.Fatalf("result %+v", res)
	}
}

func TestIntegrationUnknownKind(t *testing.T) {
	res := console(t, realRunner(t), "kubectl get nosuchkind")
	if res.ExitCode == 0 || !strings.Contains(res.Output, `the server doesn't have a resource type "nosuchkind"`) {
		t.Fatalf("result %+v", res)
	}
}

func TestIntegrationVersion(t *testing.T) {
	res := console(t, realRunner(t), "kubectl version")
	if res.ExitCode != 0 || !regexp.MustCompile(`(?m)^Client Version: v1\.\d+`).MatchString(res.Output) ||
		!regexp.MustCompile(`(?m)^Server Version: v1\.\d+`).MatchString(res.Output) {
		t.Fatalf("result %+v", res)
	}
}

func TestIntegrationWatchTimesOut(t *testing.T) {
	r := realRunner(t)
	r.Timeout = 2 * time.Second
	kc := sandboxKubeconfig(t)
	res := console(t, r, "kubectl get pods -w")
	if !res.TimedOut || res.Duration < 2*time.Second || res.Duration > 10*time.Second {
		t.Fatalf("result %+v", res)
	}
	if !strings.Contains(res.Output, "stopped after 2s") {
		t.Fatalf("output %q", res.Output)
	}
	// No kubectl of this sandbox is left running.
	time.Sleep(100 * time.Millisecond)
	if left := processesWith("--kubeconfig=" + kc); len(left) > 0 {
		t.Fatalf("processes left: %q", left)
	}
}

// processesWith lists the command lines that have arg as one argument.
func processesWith(arg string) []string {
	var out []string
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		for _, a := range args {
			if a == arg {
				out = append(out, strings.Join(args, " "))
				break
			}
		}
	}
	return out
}

func TestIntegrationOutputCap(t *testing.T) {
	r := realRunner(t)
	r.MaxOutput = 512
	res := console(t, r, "kubectl api-resources")
	if !res.Truncated || res.ExitCode != 0 {
		t.Fatalf("result %+v", res)
	}
	body, _, _ := strings.Cut(res.Output, "[kubelab: output cut at 512 bytes")
	if len(body) > 513 || !strings.HasPrefix(body, "NAME") {
		t.Fatalf("output %q", res.Output)
	}
}

func TestIntegrationPrivateHome(t *testing.T) {
	r := realRunner(t)
	kc := sandboxKubeconfig(t)
	if res := console(t, r, "kubectl api-versions"); res.ExitCode != 0 {
		t.Fatalf("result %+v", res)
	}
	home, err := r.Home(kc)
	if err != nil {
		t.Fatal(err)
	}
	// kubectl's discovery cache is in the sandbox's home, not the server's.
	if _, err := os.Stat(filepath.Join(home, "cache", "discovery")); err != nil {
		t.Fatalf("no discovery cache in %s: %v", home, err)
	}
}

func TestIntegrationPod(t *testing.T) {
	r := realRunner(t)
	res := console(t, r, "kubectl run web --image=nginx --labels=app=web")
	if res.ExitCode != 0 || res.Output != "pod/web created\n" {
		t.Fatalf("result %+v", res)
	}
	res = console(t, r, "kubectl wait --for=condition=Ready pod/web --timeout=10s")
	if res.ExitCode != 0 || res.Output != "pod/web condition met\n" {
		t.Fatalf("result %+v", res)
	}
	res = console(t, r, "kubectl get pods -l app=web -o jsonpath='{.items[*].status.phase}'")
	if res.ExitCode != 0 || res.Output != "Running" {
		t.Fatalf("result %+v", res)
	}
	res = console(t, r, "kubectl logs web --tail=3")
	if res.ExitCode != 0 {
		t.Fatalf("result %+v", res)
	}
	// The simulated node refuses exec with a message, through kubectl.
	res = console(t, r, "kubectl exec web -- ls /")
	if res.ExitCode == 0 || res.Output == "" {
		t.Fatalf("result %+v", res)
	}
	res = console(t, r, "kubectl annotate pod web note='a;b|c'")
	if res.ExitCode != 0 || res.Output != "pod/web annotated\n" {
		t.Fatalf("result %+v", res)
	}
	res = console(t, r, `kubectl get pod web -o jsonpath="{.metadata.annotations.note}"`)
	if res.Output != "a;b|c" {
		t.Fatalf("result %+v", res)
	}
	res = console(t, r, "kubectl delete pod web --grace-period=0 --force")
	if res.ExitCode != 0 || !strings.Contains(res.Output, `pod "web" force deleted`) {
		t.Fatalf("result %+v", res)
	}
}

func TestIntegrationConfig(t *testing.T) {
	r := realRunner(t)
	// The runner's --kubeconfig reaches kubectl config's own flag too.
	res := console(t, r, "kubectl config view")
	if res.ExitCode != 0 || !strings.Contains(res.Output, "server: https://127.0.0.1:") {
		t.Fatalf("result %+v", res)
	}
	if strings.Contains(res.Output, "BEGIN") || strings.Contains(res.Output, "client-key-data: LS0") {
		t.Fatalf("credentials shown: %s", res.Output)
	}
	res = console(t, r, "kubectl config current-context")
	if res.ExitCode != 0 || strings.TrimSpace(res.Output) == "" {
		t.Fatalf("result %+v", res)
	}
	res = console(t, r, "kubectl auth can-i create pods")
	if res.ExitCode != 0 || res.Output != "yes\n" {
		t.Fatalf("result %+v", res)
	}
}

func TestIntegrationSimulatedNodes(t *testing.T) {
	r := realRunner(t)
	res := console(t, r, "kubectl get nodes")
	if res.ExitCode != 0 || !strings.HasPrefix(res.Output, "NAME") {
		t.Fatalf("result %+v", res)
	}
	// The console's own refusals never reach kubectl.
	if _, err := Parse("kubectl exec -it web -- sh"); err == nil {
		t.Fatal("exec -it accepted")
	}
}

// helpFlag is one flag in kubectl's help: its short letter, if any, and
// whether it is a boolean.
type helpFlag struct {
	short  byte
	isBool bool
	usage  string
}

var helpFlagLine = regexp.MustCompile(`^    (?:-([A-Za-z]), )?--([a-z0-9-]+)=(.*):$`)

// kubectlHelpFlags runs `kubectl ARGS --help` and reads its flags.
func kubectlHelpFlags(t *testing.T, bin string, args ...string) (flags map[string]helpFlag, subs []string) {
	t.Helper()
	r := &Runner{Binary: bin, HomeDir: filepath.Join(sandbox.dir, "homes")}
	kc := filepath.Join(sandbox.dir, "no-kubeconfig")
	res := r.Run(context.Background(), kc, append(args, "--help"))
	if res.ExitCode != 0 {
		t.Fatalf("kubectl %s --help: %+v", strings.Join(args, " "), res)
	}
	flags = map[string]helpFlag{}
	lines := strings.Split(res.Output, "\n")
	inSubs := false
	for i, line := range lines {
		if m := helpFlagLine.FindStringSubmatch(line); m != nil {
			f := helpFlag{isBool: m[3] == "false" || m[3] == "true"}
			if m[1] != "" {
				f.short = m[1][0]
			}
			if i+1 < len(lines) {
				f.usage = lines[i+1]
			}
			flags[m[2]] = f
		}
		switch {
		case strings.HasPrefix(line, "Available Commands:"):
			inSubs = true
		case inSubs && strings.HasPrefix(line, "  ") && len(strings.Fields(line)) > 0:
			subs = append(subs, strings.Fields(line)[0])
		case inSubs:
			inSubs = false
		}
	}
	return flags, subs
}

// TestIntegrationFlagTables checks this package's knowledge of kubectl's
// flags against the help of the kubectl it runs: short letters, which
// flags take values, the global flags, and that every flag that reads
// files is refused.
func TestIntegrationFlagTables(t *testing.T) {
	bin := kubelabBinary(t)

	// Global flags. `kubectl options` is refused by the console: ask the
	// binary directly.
	globals := map[string]helpFlag{}
	for _, line := range strings.Split(runDirect(t, bin, "options"), "\n") {
		if m := helpFlagLine.FindStringSubmatch(line); m != nil {
			f := helpFlag{isBool: m[3] == "false" || m[3] == "true"}
			if m[1] != "" {
				f.short = m[1][0]
			}
			globals[m[2]] = f
		}
	}
	if len(globals) < 20 {
		t.Fatalf("only %d global flags in kubectl options", len(globals))
	}
	safeGlobals := map[string]bool{"namespace": true, "request-timeout": true, "v": true, "vmodule": true,
		"match-server-version": true, "warnings-as-errors": true, "disable-compression": true, "version": true}
	for name, f := range globals {
		takesValue, known := globalFlags[name]
		if !known {
			t.Errorf("global flag --%s is not in globalFlags", name)
			continue
		}
		if name != "version" && takesValue == f.isBool {
			t.Errorf("global flag --%s: takes a value %v, but kubectl's help says bool %v", name, takesValue, f.isBool)
		}
		if f.short != 0 && globalShort[f.short] != name {
			t.Errorf("global flag -%c is --%s, globalShort says %q", f.short, name, globalShort[f.short])
		}
		if !safeGlobals[name] {
			if err := checkFlag(scope{cmd: "get"}, flagUse{name: name, shown: "--" + name}, "x", true); err == nil {
				t.Errorf("global flag --%s is allowed; review it", name)
			}
		}
	}

	// Command flags.
	var paths [][]string
	for _, c := range AllowedCommands() {
		if c == "help" {
			continue
		}
		paths = append(paths, []string{c})
	}
	safeFileFlags := map[string]bool{"local": true, "merge": true, "tail": true, "template": true,
		"recursive": true, "output": true, "patch": true, "raw": true, "allow-missing-template-keys": true,
		"profile": true, "sort-by": true}
	checkedPaths, checkedFlags := 0, 0
	defer func() { t.Logf("checked %d command paths, %d flags", checkedPaths, checkedFlags) }()
	for len(paths) > 0 {
		path := paths[0]
		paths = paths[1:]
		flags, subs := kubectlHelpFlags(t, bin, path...)
		checkedPaths++
		checkedFlags += len(flags)
		for _, s := range subs {
			sub := append(append([]string{}, path...), s)
			if Validate(sub) == nil { // the console never runs the others
				paths = append(paths, sub)
			}
		}
		cmd := path[0]
		for name, f := range flags {
			if _, global := globals[name]; global && name != "profile" {
				continue
			}
			if f.short != 0 {
				short, takesValue := shortName(cmd, f.short)
				if short == "" {
					t.Errorf("kubectl %s: -%c (--%s) is unknown to shortName", strings.Join(path, " "), f.short, name)
				} else if takesValue == f.isBool {
					t.Errorf("kubectl %s: -%c (--%s): shortName says takes a value %v, help says bool %v",
						strings.Join(path, " "), f.short, name, takesValue, f.isBool)
				}
			}
			if boolFlags[cmd][name] && !f.isBool {
				t.Errorf("kubectl %s: --%s is in boolFlags but takes a value", strings.Join(path, " "), name)
			}
			usage := strings.ToLower(f.usage)
			if (strings.Contains(usage, "file") || strings.Contains(usage, "director") || strings.Contains(usage, "path to")) && !safeFileFlags[name] {
				sc := scope{cmd: cmd}
				if err := checkFlag(sc, flagUse{name: name, shown: "--" + name}, "/etc/passwd", true); err == nil {
					t.Errorf("kubectl %s: --%s mentions files (%q) and is allowed; review it", strings.Join(path, " "), name, f.usage)
				}
			}
		}
		for name := range boolFlags[cmd] {
			if _, ok := flags[name]; !ok && len(path) == 1 && name != "help" { // help is not listed
				if _, global := globals[name]; !global {
					t.Errorf("kubectl %s has no --%s (boolFlags)", cmd, name)
				}
			}
		}
	}
}

// runDirect runs the kubelab binary's kubectl with arguments that the
// console refuses, for tests that read kubectl's own help.
func runDirect(t *testing.T, bin string, args ...string) string {
	t.Helper()
	r := &Runner{Binary: bin, HomeDir: filepath.Join(sandbox.dir, "homes")}
	cmd, _, err := r.command(filepath.Join(sandbox.dir, "no-kubeconfig"), args)
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestIntegrationWorkerKeepsNoCommandsState checks the real kubectl in a
// console worker: a failed command (kubectl's fatal-error path) does not
// end the worker, and the verbosity one command asks for (-v=6) does not
// carry over to the next.
func TestIntegrationWorkerKeepsNoCommandsState(t *testing.T) {
	r := realRunner(t)
	defer r.Close()
	kc := sandboxKubeconfig(t)
	if res := console(t, r, "kubectl get nosuchkind"); res.ExitCode != 1 {
		t.Fatalf("result %+v", res)
	}
	res := console(t, r, "kubectl get namespaces -v=6")
	if res.ExitCode != 0 || !strings.Contains(res.Output, `verb="GET"`) {
		t.Fatalf("result %+v", res)
	}
	res = console(t, r, "kubectl get namespaces")
	if res.ExitCode != 0 || strings.Contains(res.Output, `verb="GET"`) || !strings.Contains(res.Output, "kube-system") {
		t.Fatalf("verbosity carried over: %+v", res)
	}
	r.mu.Lock()
	n := len(r.idle[r.idleKey(t, kc)])
	r.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d idle workers after three commands one after another, want 1", n)
	}
}

// TestIntegrationWorkerMemoryStaysFlat checks that a worker's memory does
// not grow with the commands it serves: kubectl leaves about 1 MiB of
// flag completion functions behind per command unless the worker drops
// them (cmd/kubelab, forgetFlagCompletions).
func TestIntegrationWorkerMemoryStaysFlat(t *testing.T) {
	r := realRunner(t)
	defer r.Close()
	kc := sandboxKubeconfig(t)
	run := func(n int) {
		for range n {
			if res := r.Run(context.Background(), kc, []string{"get", "pods", "-A"}); res.ExitCode != 0 {
				t.Fatalf("result %+v", res)
			}
		}
	}
	run(10)
	before := workersAnonMiB(r)
	run(80)
	after := workersAnonMiB(r)
	t.Logf("worker's anonymous memory: %.1f MiB after 10 commands, %.1f MiB after 90", before, after)
	if before == 0 || after-before > 20 {
		t.Fatalf("worker's anonymous memory went from %.1f to %.1f MiB in 80 commands", before, after)
	}
}

// TestIntegrationSpareWorkerRunsKubectl checks that kubectl runs on a spare
// worker bound to a sandbox as on a worker started for it: its discovery
// cache goes to the sandbox's home, and nothing to the directory the spare
// was started in.
func TestIntegrationSpareWorkerRunsKubectl(t *testing.T) {
	r := realRunner(t)
	defer r.Close()
	kc := sandboxKubeconfig(t)
	r.SetSpares(1)
	waitSpares(t, r, 1)
	spare := sparePids(r)[0]
	t.Logf("a spare worker waiting: %.1f MiB anonymous memory", anonMiBOf(spare))
	if res := console(t, r, "kubectl api-versions"); res.ExitCode != 0 || !strings.Contains(res.Output, "apps/v1") {
		t.Fatalf("result %+v", res)
	}
	r.mu.Lock()
	var served []int
	for _, w := range r.idle[r.idleKey(t, kc)] {
		served = append(served, w.cmd.Process.Pid)
	}
	r.mu.Unlock()
	if len(served) != 1 || served[0] != spare {
		t.Fatalf("the command's worker %v, want the spare %d", served, spare)
	}
	home, err := r.Home(kc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(home, "cache", "discovery")); err != nil {
		out, _ := exec.Command("find", filepath.Dir(home)).CombinedOutput()
		t.Fatalf("no discovery cache in the sandbox's home %s: %v\n%s", home, err, out)
	}
	base, err := r.basePath()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(base, "cache")); err == nil {
		t.Fatalf("the spare wrote a cache in %s, where it was started", base)
	}
}
