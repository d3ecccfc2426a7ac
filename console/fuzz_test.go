package console

import (
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The oracle below reads arguments the way kubectl does, with cobra and
// pflag themselves rather than with this package's code: cobra finds the
// command in a tree shaped like kubectl's, and pflag parses the flags.
// Whatever Parse accepts must, read this way, run an allowed command and
// set none of the refused flags.

// oracleTree is kubectl's command tree, as far as finding commands goes:
// names, aliases and the flags cobra looks at while finding them.
func oracleTree() *cobra.Command {
	root := &cobra.Command{Use: "kubectl", Run: func(*cobra.Command, []string) {}}
	pf := root.PersistentFlags()
	pf.SetNormalizeFunc(wordSep)
	for _, name := range []string{"as", "as-uid", "cache-dir", "certificate-authority",
		"client-certificate", "client-key", "cluster", "context", "kubeconfig",
		"log-flush-frequency", "password", "profile", "profile-output", "proxy-url",
		"request-timeout", "tls-server-name", "token", "user", "username", "vmodule"} {
		pf.String(name, "", "")
	}
	pf.StringSlice("as-group", nil, "")
	pf.StringSlice("as-user-extra", nil, "")
	pf.StringP("namespace", "n", "", "")
	pf.StringP("server", "s", "", "")
	pf.StringP("v", "v", "0", "")
	for _, name := range []string{"disable-compression", "insecure-skip-tls-verify", "match-server-version", "warnings-as-errors"} {
		pf.Bool(name, false, "")
	}
	pf.String("version", "false", "")
	pf.Lookup("version").NoOptDefVal = "true"

	add := func(parent *cobra.Command, name string, aliases []string, subs ...string) *cobra.Command {
		c := &cobra.Command{Use: name, Aliases: aliases, Run: func(*cobra.Command, []string) {}}
		for _, s := range subs {
			c.AddCommand(&cobra.Command{Use: s, Run: func(*cobra.Command, []string) {}})
		}
		parent.AddCommand(c)
		return c
	}
	add(root, "create", nil, "clusterrole", "clusterrolebinding", "configmap", "cronjob", "deployment",
		"ingress", "job", "namespace", "poddisruptionbudget", "priorityclass", "quota", "role",
		"rolebinding", "secret", "service", "serviceaccount", "token")
	for _, name := range []string{"expose", "run", "explain", "get", "edit", "delete", "scale",
		"autoscale", "cordon", "uncordon", "drain", "taint", "describe", "logs", "attach", "exec",
		"port-forward", "proxy", "cp", "debug", "events", "diff", "patch", "replace", "wait",
		"kustomize", "label", "annotate", "completion", "version", "api-versions",
		"api-resources", "options"} {
		add(root, name, nil)
	}
	add(root, "set", nil, "env", "image", "resources", "selector", "serviceaccount", "subject")
	add(root, "rollout", nil, "history", "pause", "restart", "resume", "status", "undo")
	add(root, "certificate", nil, "approve", "deny")
	add(root, "cluster-info", nil, "dump")
	top := add(root, "top", nil)
	top.AddCommand(&cobra.Command{Use: "node", Aliases: []string{"nodes", "no"}, Run: func(*cobra.Command, []string) {}})
	top.AddCommand(&cobra.Command{Use: "pod", Aliases: []string{"pods", "po"}, Run: func(*cobra.Command, []string) {}})
	add(root, "auth", nil, "can-i", "reconcile", "whoami")
	apply := add(root, "apply", nil, "edit-last-applied", "set-last-applied", "view-last-applied")
	apply.Flags().Bool("prune", false, "")
	apply.Flags().Bool("server-side", false, "")
	apply.Flags().Bool("force", false, "")
	apply.Flags().Bool("overwrite", true, "")
	apply.Flags().BoolP("recursive", "R", false, "")
	config := add(root, "config", nil, "current-context", "delete-cluster", "delete-context",
		"delete-user", "get-clusters", "get-contexts", "get-users", "rename-context", "set",
		"set-cluster", "set-context", "set-credentials", "unset", "view")
	config.AddCommand(&cobra.Command{Use: "use-context", Aliases: []string{"use"}, Run: func(*cobra.Command, []string) {}})
	config.PersistentFlags().String("kubeconfig", "", "")
	add(root, "plugin", nil, "list")
	add(root, "alpha", nil)
	root.InitDefaultHelpCmd()
	return root
}

func wordSep(_ *pflag.FlagSet, name string) pflag.NormalizedName {
	return pflag.NormalizedName(strings.ReplaceAll(name, "_", "-"))
}

// oracleFlags is a flag set with kubectl's flags for a command path: the
// refused ones, and the others whose short letters or values change how
// the rest is read.
func oracleFlags(path []string) *pflag.FlagSet {
	cmd := ""
	if len(path) > 0 {
		cmd = path[0]
	}
	fs := pflag.NewFlagSet("kubectl", pflag.ContinueOnError)
	fs.SetOutput(nopWriter{})
	fs.ParseErrorsAllowlist.UnknownFlags = true
	fs.SetNormalizeFunc(wordSep)
	for _, name := range []string{"as", "as-uid", "cache-dir", "certificate-authority",
		"client-certificate", "client-key", "cluster", "context", "kubeconfig", "kuberc",
		"log-flush-frequency", "log-file", "log-dir", "password", "profile-output", "proxy-url",
		"request-timeout", "tls-server-name", "token", "username", "vmodule",
		"from-file", "from-env-file", "patch-file", "custom", "cert", "key", "output-directory",
		"template", "field-selector", "image"} {
		fs.String(name, "", "")
	}
	if !(cmd == "create" && len(path) > 1 && (path[1] == "rolebinding" || path[1] == "clusterrolebinding") ||
		cmd == "set" && len(path) > 1 && path[1] == "subject") {
		fs.String("user", "", "")
	}
	fs.String("profile", "none", "")
	fs.StringSlice("as-group", nil, "")
	fs.StringSlice("as-user-extra", nil, "")
	fs.StringP("namespace", "n", "", "")
	fs.StringP("server", "s", "", "")
	fs.StringP("v", "v", "0", "")
	fs.StringP("output", "o", "", "")
	fs.StringP("selector", "l", "", "")
	fs.StringP("container", "c", "", "")
	fs.StringP("env", "e", "", "")
	fs.StringP("label-columns", "L", "", "")
	fs.StringP("replicas", "r", "", "")
	fs.StringP("kustomize", "k", "", "")
	for _, name := range []string{"disable-compression", "insecure-skip-tls-verify",
		"match-server-version", "warnings-as-errors", "edit", "flatten", "logtostderr"} {
		fs.Bool(name, false, "")
	}
	fs.BoolP("help", "h", false, "")
	fs.BoolP("all-namespaces", "A", false, "")
	fs.BoolP("recursive", "R", false, "")
	fs.BoolP("watch", "w", false, "")
	fs.BoolP("quiet", "q", false, "")
	fs.BoolP("tty", "t", false, "")
	if cmd == "delete" {
		fs.BoolP("interactive", "i", false, "")
	} else {
		fs.BoolP("stdin", "i", false, "")
	}
	switch cmd {
	case "logs":
		fs.BoolP("follow", "f", false, "")
		fs.BoolP("previous", "p", false, "")
		fs.StringSlice("filename", nil, "")
	case "patch":
		fs.StringP("patch", "p", "", "")
		fallthrough
	default:
		fs.StringSliceP("filename", "f", nil, "")
	}
	if cmd == "config" {
		fs.Bool("raw", false, "")
	} else {
		fs.String("raw", "", "")
	}
	return fs
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }

// oracle reports what kubectl would do with argv that the console must not
// allow, or nil.
func oracle(argv []string) error {
	root := oracleTree()
	found, rest, err := root.Find(argv)
	if err != nil {
		return nil // kubectl stops with an error: nothing runs
	}
	var path []string
	for c := found; c != root && c != nil; c = c.Parent() {
		path = append([]string{c.Name()}, path...)
	}
	allowed := map[string]bool{"get": true, "describe": true, "create": true, "apply": true,
		"delete": true, "explain": true, "logs": true, "exec": true, "scale": true, "rollout": true,
		"set": true, "label": true, "annotate": true, "expose": true, "run": true, "taint": true,
		"cordon": true, "uncordon": true, "drain": true, "top": true, "api-resources": true,
		"api-versions": true, "version": true, "cluster-info": true, "config": true, "auth": true,
		"patch": true, "replace": true, "wait": true, "events": true, "autoscale": true,
		"debug": true, "help": true}
	if len(path) > 0 && !allowed[path[0]] {
		return fmt.Errorf("runs kubectl %s", strings.Join(path, " "))
	}
	if len(path) > 1 {
		switch path[0] + " " + path[1] {
		case "config view", "config get-contexts", "config current-context", "config get-clusters",
			"config get-users", "auth can-i", "auth whoami":
		default:
			if path[0] == "config" || path[0] == "auth" || path[1] == "edit-last-applied" {
				return fmt.Errorf("runs kubectl %s", strings.Join(path, " "))
			}
		}
	}
	if len(path) > 0 && path[0] == "help" {
		return nil
	}
	fs := oracleFlags(path)
	if err := fs.Parse(rest); err != nil {
		return nil // kubectl stops with an error: nothing runs
	}
	var bad error
	fs.Visit(func(f *pflag.Flag) {
		switch name := f.Name; {
		case bad != nil:
		case name == "output":
			format, _, _ := strings.Cut(f.Value.String(), "=")
			if strings.Contains(strings.ToLower(format), "file") {
				bad = fmt.Errorf("reads the template file of -o %s", f.Value)
			}
		case name == "raw":
			v := f.Value.String()
			if len(path) > 0 && path[0] == "config" || strings.Contains(v, ":") || strings.HasPrefix(v, "//") ||
				strings.Contains(strings.ToLower(v), "/proxy") {
				bad = fmt.Errorf("sets --raw=%s", v)
			}
		case name == "profile":
			if len(path) == 0 || path[0] != "debug" {
				bad = fmt.Errorf("sets --profile")
			}
		case name == "namespace", name == "v", name == "selector", name == "container", name == "env",
			name == "label-columns", name == "replicas", name == "help", name == "all-namespaces",
			name == "recursive", name == "watch", name == "quiet", name == "follow", name == "previous",
			name == "patch", name == "request-timeout", name == "vmodule", name == "template",
			name == "field-selector", name == "image", name == "disable-compression",
			name == "match-server-version", name == "warnings-as-errors":
		default:
			bad = fmt.Errorf("sets --%s=%s", name, f.Value)
		}
	})
	return bad
}

func FuzzParse(f *testing.F) {
	seeds := []string{
		"kubectl get pods", "k get po -A -o wide", "kubectl -n kube-system get pods",
		"kubectl exec web -c app -- ls -f /", "kubectl run x --image=y -- --kubeconfig=/z",
		"kubectl logs -fp web", "kubectl config view", "kubectl auth can-i get pods",
		"kubectl create rolebinding rb --role=r --user=alice", "kubectl apply view-last-applied deploy/x",
		"kubectl get --raw /api", "kubectl patch deploy x -p '{}'", "kubectl debug x --profile=general",
		"kubectl annotate pod x note='a;b'", `kubectl get pods -o "jsonpath={$.items}"`,
		"kubectl get pods; rm -rf /", "kubectl --kubeconfig=/etc/x get pods", "kubectl apply -f -",
		"kubectl -h get proxy", "kubectl config -n view use-context x", "kubectl exec pod -c -- -it",
		"kubectl get pods -Aof=x", "kubectl -v 6 config view", "kubectl --version get pods",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		argv, err := Parse(line)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Parse(%q): error of type %T", line, err)
			}
			return
		}
		if len(argv) > MaxArgs || len(line) > MaxLineLength {
			t.Fatalf("Parse(%q) accepted %d arguments", line, len(argv))
		}
		if bad := oracle(argv); bad != nil {
			t.Fatalf("Parse(%q) accepted %q, which %v", line, argv, bad)
		}
	})
}

// TestOracle checks the oracle itself on lines it must catch, so that the
// fuzz test can be trusted.
func TestOracle(t *testing.T) {
	for _, argv := range [][]string{
		{"-h", "get", "proxy"},
		{"config", "-n", "view", "use-context", "x"},
		{"config", "use", "x"},
		{"get", "pods", "--kubeconfig=/x"},
		{"get", "pods", "-Af", "/etc/passwd"},
		{"exec", "pod", "-c", "--", "--kubeconfig=/x"},
		{"get", "pods", "-ojsonpath-file=/x"},
		{"get", "--raw", "https://x/"},
		{"config", "view", "--raw"},
		{"create", "deployment", "x", "--user=admin"},
		{"apply", "--prune", "edit-last-applied"},
		{"get", "pods", "--log_file=/x"},
	} {
		if oracle(argv) == nil {
			t.Errorf("oracle(%q) found nothing wrong", argv)
		}
	}
	for _, argv := range [][]string{
		{"get", "pods"},
		{"--help", "proxy", "get"}, // cobra takes proxy as the value of --help
		{"exec", "pod", "--", "ls", "-f", "/"},
		{"logs", "-f", "pod"},
		{"create", "rolebinding", "rb", "--user=alice"},
		{"debug", "pod", "--profile=general"},
	} {
		if err := oracle(argv); err != nil {
			t.Errorf("oracle(%q): %v", argv, err)
		}
	}
}
