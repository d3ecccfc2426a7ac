package console

import (
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/kubelab/kubelab/text"
)

// Parse splits a console line into kubectl arguments and validates them.
//
// The line is split with the quoting rules of a POSIX shell ('...', "..."
// and backslash) but nothing is expanded and no shell ever runs it; shell
// operators, substitutions, variables and comments are refused rather than
// passed on as text. The first word must be kubectl or its alias k. The
// returned argv holds the words after it, ready for Runner.Run; it is
// accepted by Validate.
//
// Every refusal is an *Error with a Code and messages in Korean and
// English.
func Parse(line string) (argv []string, err error) {
	words, err := split(line)
	if err != nil {
		return nil, err
	}
	if len(words) == 0 {
		return nil, newError(CodeEmpty, msg("empty"))
	}
	if words[0] != "kubectl" && words[0] != "k" {
		return nil, newError(CodeNotKubectl, msg("not-kubectl").Format(words[0]))
	}
	argv = words[1:]
	if err := Validate(argv); err != nil {
		return nil, err
	}
	return argv, nil
}

// AllowedCommands lists the kubectl commands that the console runs, sorted.
func AllowedCommands() []string {
	out := make([]string, 0, len(allowedCommands))
	for c := range allowedCommands {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

var allowedCommands = map[string]bool{
	"get": true, "describe": true, "create": true, "apply": true, "delete": true,
	"explain": true, "logs": true, "exec": true, "scale": true, "rollout": true,
	"set": true, "label": true, "annotate": true, "expose": true, "run": true,
	"taint": true, "cordon": true, "uncordon": true, "drain": true, "top": true,
	"api-resources": true, "api-versions": true, "version": true,
	"cluster-info": true, "config": true, "auth": true, "patch": true,
	"replace": true, "wait": true, "events": true, "autoscale": true,
	"debug": true, "help": true,
}

// allowedSubcommands limits the subcommands of some commands; the others
// run all of theirs.
var allowedSubcommands = map[string]map[string]bool{
	"config": {"view": true, "get-contexts": true, "current-context": true, "get-clusters": true, "get-users": true},
	"auth":   {"can-i": true, "whoami": true},
}

// refusedCommands explains the kubectl commands that exist but do not run
// here (kubectl edit has its own message, see useEditor).
var refusedCommands = map[string]text.Text{
	"cp":           msg("refused-cp"),
	"proxy":        msg("refused-proxy"),
	"port-forward": msg("refused-port-forward"),
	"attach":       msg("refused-attach"),
	"diff":         msg("refused-diff"),
	"kustomize":    msg("refused-kustomize"),
	"plugin":       msg("refused-plugin"),
	"completion":   msg("refused-completion"),
	"alpha":        msg("refused-alpha"),
	"certificate":  msg("refused-certificate"),
}

// Flags that change which cluster kubectl talks to, as whom, or with which
// credentials: the console always uses the learner's sandbox kubeconfig.
var targetFlags = map[string]bool{
	"kubeconfig": true, "server": true, "token": true, "as": true, "as-group": true,
	"as-uid": true, "user": true, "cluster": true, "context": true, "username": true,
	"password": true, "certificate-authority": true, "client-certificate": true,
	"client-key": true, "insecure-skip-tls-verify": true, "tls-server-name": true,
	"kuberc": true, "as-user-extra": true, "proxy-url": true,
}

// Flags that read files or directories on the server, or write to them.
var fileFlags = map[string]bool{
	"filename": true, "kustomize": true, "from-file": true, "from-env-file": true,
	"patch-file": true, "custom": true, "cert": true, "key": true,
	"output-directory": true,
}

// Flags that need a terminal or standard input.
var terminalFlags = map[string]bool{"stdin": true, "tty": true, "interactive": true}

// globalFlags are kubectl's persistent flags, which may stand before the
// command name; true if the flag takes a value in the next argument when
// written without "=". "help" is not defined yet when cobra looks for the
// command, so cobra takes the next argument as its value there, and so do
// we.
var globalFlags = map[string]bool{
	"namespace": true, "kubeconfig": true, "cache-dir": true,
	"certificate-authority": true, "client-certificate": true, "client-key": true,
	"cluster": true, "context": true, "as": true, "as-group": true, "as-uid": true,
	"password": true, "username": true, "request-timeout": true, "server": true,
	"tls-server-name": true, "token": true, "user": true, "profile": true,
	"profile-output": true, "log-flush-frequency": true, "v": true, "vmodule": true,
	"kuberc": true, "help": true, "as-user-extra": true, "proxy-url": true,
	"insecure-skip-tls-verify": false, "match-server-version": false,
	"warnings-as-errors": false, "disable-compression": false, "version": false,
}

// globalShort maps the global short flags to their long names.
var globalShort = map[byte]string{'n': "namespace", 's': "server", 'v': "v", 'h': "help"}

// boolFlags are flags, besides the global ones, known to take no value in
// the next argument (checked against kubectl's help by the integration
// tests). They matter only for exec, run and debug, to tell a "--" that
// ends kubectl's flags from a "--" that is a flag's value.
var boolFlags = map[string]map[string]bool{
	"exec":  {"quiet": true, "help": true},
	"run":   {"attach": true, "command": true, "expose": true, "help": true, "leave-stdin-open": true, "privileged": true, "quiet": true, "rm": true, "save-config": true, "show-managed-fields": true, "allow-missing-template-keys": true, "wait": true},
	"debug": {"attach": true, "help": true, "keep-annotations": true, "keep-init-containers": true, "keep-labels": true, "keep-liveness": true, "keep-readiness": true, "keep-startup": true, "quiet": true, "replace": true, "same-node": true, "share-processes": true},
}

// shortName gives the long name of a short flag of a command, and whether
// it takes a value. Unknown letters give "", false.
func shortName(cmd string, c byte) (name string, takesValue bool) {
	switch c {
	case 'f':
		if cmd == "logs" {
			return "follow", false
		}
		return "filename", true
	case 'p':
		switch cmd {
		case "logs":
			return "previous", false
		case "patch":
			return "patch", true
		}
		return "", false
	case 'i':
		if cmd == "delete" {
			return "interactive", false
		}
		return "stdin", false
	case 't':
		return "tty", false
	case 'k':
		return "kustomize", true
	case 's':
		return "server", true
	case 'o':
		return "output", true
	case 'n':
		return "namespace", true
	case 'v':
		return "v", true
	case 'l':
		return "selector", true
	case 'c':
		return "container", true
	case 'e':
		return "env", true
	case 'L':
		return "label-columns", true
	case 'r':
		return "replicas", true
	case 'A':
		return "all-namespaces", false
	case 'R':
		return "recursive", false
	case 'w':
		return "watch", false
	case 'q':
		return "quiet", false
	case 'h':
		return "help", false
	}
	return "", false
}

// normalize gives the name pflag looks a long flag up by in kubectl, which
// treats "_" as "-"; it is lowercased too, to refuse case variants as well.
func normalize(name string) string {
	return strings.ToLower(strings.ReplaceAll(name, "_", "-"))
}

// flagUse is one flag found in an argument.
type flagUse struct {
	name      string // long name, normalized
	shown     string // as the learner wrote it: --name or -x
	value     string
	hasValue  bool // value is in the same argument
	wantsNext bool // written without a value: may take the next argument
}

// parseFlagArg lists the flags in one argument that starts with "-" (not
// "-" or "--"), the way pflag reads them for command cmd. For an unknown
// short letter it goes on reading the next letters as flags, which is
// stricter than kubectl (it stops with an error there).
func parseFlagArg(cmd, arg string) []flagUse {
	if strings.HasPrefix(arg, "--") {
		name, value, ok := strings.Cut(arg[2:], "=")
		n := normalize(name)
		return []flagUse{{name: n, shown: "--" + name, value: value, hasValue: ok, wantsNext: !ok}}
	}
	var out []flagUse
	s := arg[1:]
	for len(s) > 0 {
		c := s[0]
		name, takesValue := shortName(cmd, c)
		u := flagUse{name: name, shown: "-" + string(c)}
		if name == "" {
			u.name = "-" + string(c) // never matches a long name
		}
		switch {
		case len(s) > 2 && s[1] == '=':
			// -x=value: pflag takes the rest as the value, bool or not.
			u.value, u.hasValue = s[2:], true
			return append(out, u)
		case takesValue && len(s) > 1:
			u.value, u.hasValue = s[1:], true
			return append(out, u)
		case takesValue || name == "":
			// The value (or, for an unknown letter, maybe a value) is the
			// next argument.
			u.wantsNext = len(s) == 1
		}
		out = append(out, u)
		s = s[1:]
	}
	return out
}

// Validate checks kubectl arguments (without the word kubectl) for the
// console: the command must be allowed, and no flag may change the target
// cluster or identity, read or write files on the server, need a terminal or
// standard input, or read a template file. The flag forms --flag=value,
// --flag value, -xvalue, -x=value and combined short flags (-Af) are all
// understood the way kubectl reads them. Parse calls it; Runner.Run calls it
// again on what it is given.
func Validate(argv []string) error {
	if len(argv) > MaxArgs {
		return newError(CodeTooManyArgs, msg("too-many-args").Format(len(argv), MaxArgs))
	}
	cmd, cmdAt, err := findCommand(argv, 0)
	if err != nil {
		return err
	}
	if cmd != "" {
		if err := checkCommand(cmd); err != nil {
			return err
		}
	}
	if subs, ok := allowedSubcommands[cmd]; ok {
		sub, _, err := findCommand(argv, cmdAt+1)
		if err != nil {
			return err
		}
		if sub != "" && !subs[sub] {
			return subcommandRefused(cmd, sub, subs)
		}
	}
	// kubectl create rolebinding, create clusterrolebinding and set subject
	// have a --user of their own, the subject to bind, which hides the
	// global --user. Only when the subcommand follows the command at once
	// is it sure to be the one cobra finds.
	userIsSubject := false
	if cmdAt+1 < len(argv) {
		switch sub := argv[cmdAt+1]; {
		case cmd == "create" && (sub == "rolebinding" || sub == "clusterrolebinding"),
			cmd == "set" && sub == "subject":
			userIsSubject = true
		}
	}
	if cmd == "apply" {
		for _, a := range argv {
			if a == "edit-last-applied" {
				return useEditor("kubectl apply edit-last-applied")
			}
		}
	}
	return checkFlags(scope{cmd: cmd, userIsSubject: userIsSubject}, argv)
}

// scope is where flags are checked: the command (or "" before it), and
// whether --user names a subject to bind rather than a kubeconfig user.
type scope struct {
	cmd           string
	userIsSubject bool
}

// findCommand finds the first word from argv[from:] that is not a flag or
// a flag's value, the way cobra finds kubectl's command (and then the
// subcommand); only global flags may stand before it. It returns "" if
// there is none.
func findCommand(argv []string, from int) (cmd string, at int, err error) {
	for i := from; i < len(argv); i++ {
		a := argv[i]
		switch {
		case a == "--":
			if i+1 < len(argv) {
				return "", 0, newError(CodeNoCommand, msg("dash-dash-first"))
			}
			return "", 0, nil
		case a == "" || a == "-":
			// cobra skips these when looking for the command.
		case strings.HasPrefix(a, "-"):
			// Refused flags get their own message first.
			if err := checkFlagArg(scope{}, argv, i); err != nil {
				return "", 0, err
			}
			if strings.HasPrefix(a, "--") {
				name, _, hasValue := strings.Cut(a[2:], "=")
				takesValue, known := globalFlags[normalize(name)]
				if !known {
					return "", 0, unknownGlobal(a)
				}
				if !hasValue && takesValue {
					i++
				}
				continue
			}
			long, known := globalShort[a[1]]
			if !known {
				return "", 0, unknownGlobal(a)
			}
			if len(a) == 2 && globalFlags[long] {
				i++
			}
		default:
			return a, i, nil
		}
	}
	return "", 0, nil
}

func checkCommand(cmd string) error {
	if allowedCommands[cmd] {
		return nil
	}
	if cmd == "edit" {
		return useEditor("kubectl edit")
	}
	if m, ok := refusedCommands[cmd]; ok {
		return newError(CodeCommandNotAllowed, m)
	}
	list := strings.Join(AllowedCommands(), ", ")
	return newError(CodeCommandNotAllowed, msg("command-not-allowed").Format(cmd, list))
}

func subcommandRefused(cmd, sub string, subs map[string]bool) error {
	list := make([]string, 0, len(subs))
	for s := range subs {
		list = append(list, s)
	}
	sort.Strings(list)
	var extra text.Text
	if cmd == "config" {
		extra = msg("config-sandbox-only")
	}
	return newError(CodeCommandNotAllowed,
		text.Join(" ", msg("subcommand-not-allowed").Format(cmd, sub, strings.Join(list, ", ")), extra))
}

func useEditor(what string) *Error {
	return newError(CodeUseEditor, msg("use-editor").Format(what))
}

func unknownGlobal(arg string) *Error {
	return newError(CodeUnknownFlag, msg("unknown-global-flag").Format(arg, arg))
}

// checkFlags checks every argument that looks like a flag, wherever it
// stands, even where kubectl would read it as another flag's value. Only
// for exec, run and debug, the arguments after a "--" that surely ends
// kubectl's flags are left alone: they are the container's command.
func checkFlags(sc scope, argv []string) error {
	cmd := sc.cmd
	mayBeValue := false // argv[i] may be the value of the flag before it
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		wasValue := mayBeValue
		mayBeValue = false
		if a == "--" {
			if !wasValue && (cmd == "exec" || cmd == "run" || cmd == "debug") {
				return nil
			}
			continue
		}
		if len(a) < 2 || a[0] != '-' {
			continue
		}
		if err := checkFlagArg(sc, argv, i); err != nil {
			return err
		}
		uses := parseFlagArg(cmd, a)
		last := uses[len(uses)-1]
		if last.wantsNext && !boolFlags[cmd][last.name] {
			if takesValue, global := globalFlags[last.name]; !global || takesValue || last.name == "help" {
				mayBeValue = true
			}
		}
	}
	return nil
}

// checkFlagArg checks the flags in argv[i] for command cmd ("" before the
// command name). A flag whose value is the next argument is checked with
// that value.
func checkFlagArg(sc scope, argv []string, i int) error {
	if argv[i] == "--" {
		return nil
	}
	for _, u := range parseFlagArg(sc.cmd, argv[i]) {
		value, hasValue := u.value, u.hasValue
		if !hasValue && u.wantsNext && i+1 < len(argv) {
			value, hasValue = argv[i+1], true
		}
		if err := checkFlag(sc, u, value, hasValue); err != nil {
			return err
		}
	}
	return nil
}

var urlScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)

// rawProxy reports whether a --raw path reaches a proxy subresource (of a
// pod, service or node) or the old /api/v1/proxy paths, through which the
// API server would connect to addresses of the learner's choosing. The
// path is decoded as the API server would, and more than once, to see
// through %-escapes.
func rawProxy(path string) bool {
	p, _, _ := strings.Cut(path, "?")
	for range 3 {
		u, err := url.PathUnescape(p)
		if err != nil || u == p {
			break
		}
		p = u
	}
	for _, seg := range strings.Split(strings.ToLower(p), "/") {
		if seg == "proxy" {
			return true
		}
	}
	return false
}

func checkFlag(sc scope, u flagUse, value string, hasValue bool) error {
	name, cmd := u.name, sc.cmd
	switch {
	case name == "user" && sc.userIsSubject:
		return nil
	case targetFlags[name]:
		return newError(CodeFlagNotAllowed, msg("target-flag").Format(u.shown))
	case name == "profile-output" || name == "profile" && cmd != "debug" || name == "cache-dir" || strings.HasPrefix(name, "log") || name == "alsologtostderr":
		return newError(CodeFlagNotAllowed, msg("writes-files-flag").Format(u.shown))
	case fileFlags[name]:
		if (name == "filename" || name == "kustomize" || name == "from-file" || name == "from-env-file") && hasValue && value == "-" {
			return newError(CodeNoStdin, msg("stdin-flag").Format(u.shown))
		}
		return newError(CodeFileFlag, msg("file-flag").Format(u.shown))
	case terminalFlags[name]:
		return newError(CodeNoTerminal, msg("terminal-flag").Format(u.shown))
	case name == "edit":
		return useEditor("--edit")
	case cmd == "config" && (name == "raw" || name == "flatten"):
		return newError(CodeCredentials, msg("credentials-flag").Format(u.shown))
	case name == "raw" && hasValue && (urlScheme.MatchString(value) || strings.HasPrefix(value, "//")):
		return newError(CodeRawURL, msg("raw-url").Format(value))
	case name == "raw" && hasValue && rawProxy(value):
		return newError(CodeRawURL, msg("raw-proxy").Format(value))
	case name == "output" && hasValue:
		format, _, _ := strings.Cut(value, "=")
		if strings.Contains(strings.ToLower(format), "file") {
			return newError(CodeOutputFile, msg("output-file").Format(format))
		}
	}
	return nil
}
