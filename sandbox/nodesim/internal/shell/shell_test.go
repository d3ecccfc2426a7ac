package shell

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// testStart is the wall clock at the start of every test run.
var testStart = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// testFiles are a container's mounts: a ConfigMap volume at /etc/config
// (written atomically, through ..data) and /etc/hostname.
type testFiles struct{}

func (testFiles) ReadFile(p string) (string, bool) {
	switch p {
	case "/etc/config/game.properties":
		return "lives=3\ncolor=blue\nlevel=7\n", true
	case "/etc/hostname":
		return "web-0\n", true
	}
	return "", false
}

func (testFiles) ReadDir(p string) ([]string, bool) {
	if p == "/etc/config" {
		return []string{"..data", "game.properties"}, true
	}
	return nil, false
}

func (testFiles) Readlink(p string) (string, bool) {
	if p == "/etc/config/game.properties" {
		return "..data/game.properties", true
	}
	return "", false
}

// testVolumes is one shared volume, "shared", mounted at /shared, that
// another container appends "tick\n" to at /shared/log every second.
type testVolumes struct{}

func (testVolumes) Locate(p string) (Mount, string, bool) {
	m := Mount{Path: "/shared", Volume: "shared"}
	if p == m.Path {
		return m, "", true
	}
	if rel, ok := strings.CutPrefix(p, m.Path+"/"); ok {
		return m, rel, true
	}
	return Mount{}, "", false
}

func (v testVolumes) Mounts() []Mount { return []Mount{{Path: "/shared", Volume: "shared"}} }

func (v testVolumes) others(until time.Time) []Event {
	var out []Event
	for at := testStart.Add(time.Second); !at.After(until) && at.Before(testStart.Add(time.Hour)); at = at.Add(time.Second) {
		out = append(out, Event{At: at, Volume: "shared", Rel: "log", Op: Op{Path: "/shared/log", Data: "tick\n", Append: true}})
	}
	return out
}

func (v testVolumes) State(vol string, now time.Time, own []Event) map[string]*File {
	files := map[string]*File{}
	events := append(v.others(now), own...)
	slices.SortStableFunc(events, func(a, b Event) int { return a.At.Compare(b.At) })
	for _, e := range events {
		switch {
		case e.Op.Remove:
			delete(files, e.Rel)
		case e.Op.Dir:
			files[e.Rel] = &File{Dir: true, UID: e.Op.UID, GID: e.Op.GID}
		case e.Op.Append && files[e.Rel] != nil:
			files[e.Rel].Data += e.Op.Data
		default:
			files[e.Rel] = &File{Data: e.Op.Data, UID: e.Op.UID, GID: e.Op.GID}
		}
	}
	return files
}

func (v testVolumes) Changes(vol string, after, until time.Time) []Event {
	var out []Event
	for _, e := range v.others(until) {
		if e.At.After(after) {
			out = append(out, e)
		}
	}
	return out
}

func (testVolumes) GroupOf(gid int64) int64 { return 2000 }

func (testVolumes) FSGroup() *int64 { g := int64(2000); return &g }

// testEnv is the environment of a test run: a pod web-0 whose process runs
// as user 1000, group 3000, with fsGroup 2000.
func testEnv() *Env {
	return &Env{
		Vars:     map[string]string{"MY_POD_NAME": "web-0", "GREETING": "hello world", "HOME": "/root", "EMPTY": ""},
		Order:    []string{"MY_POD_NAME", "GREETING"},
		Hostname: "web-0",
		Start:    testStart,
		UID:      1000,
		GID:      3000,
		Groups:   []int64{2000},
		Procs:    []string{"sleep 3600"},
		Files:    testFiles{},
		Resolve: func(name string) (string, string, bool) {
			switch name {
			case "my-svc", "my-svc.default":
				return "my-svc.default.svc.cluster.local", "10.96.0.20", true
			}
			return name + ".default.svc.cluster.local", "", false
		},
		DNSServer: "10.96.0.10",
		Servers:   map[string]bool{"nginx": true},
	}
}

// withVolumes gives a run the shared volume at /shared.
func withVolumes(e *Env) { e.Volumes = testVolumes{} }

// scriptCase is one run of the shell and what it gives.
type scriptCase struct {
	name    string
	script  string        // run as sh -c script (unless argv)
	argv    []string      // the container's command
	horizon time.Duration // how long it may run (an hour when zero)
	env     func(*Env)    // changes to testEnv
	stdout  string        // every line with its newline
	stderr  string
	code    int
	running bool                           // still running at the horizon
	check   func(t *testing.T, res Result) // more to check
}

// output is what a run wrote on fd, every line with its newline.
func output(res Result, fd int) string {
	var b strings.Builder
	for _, l := range res.Lines {
		if l.Fd == fd {
			b.WriteString(l.Text + "\n")
		}
	}
	return b.String()
}

func runCases(t *testing.T, cases []scriptCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := testEnv()
			if c.env != nil {
				c.env(env)
			}
			argv := c.argv
			if argv == nil {
				argv = []string{"sh", "-c", c.script}
			}
			horizon := c.horizon
			if horizon == 0 {
				horizon = time.Hour
			}
			res := Run(argv, env, horizon)
			if got := output(res, 1); got != c.stdout {
				t.Errorf("stdout %q, want %q", got, c.stdout)
			}
			if got := output(res, 2); got != c.stderr {
				t.Errorf("stderr %q, want %q", got, c.stderr)
			}
			if res.Ended == c.running {
				t.Errorf("ended %v, want %v", res.Ended, !c.running)
			}
			if res.Ended && res.Code != c.code {
				t.Errorf("exit code %d, want %d", res.Code, c.code)
			}
			if c.check != nil {
				c.check(t, res)
			}
		})
	}
}

// took checks how long a run took.
func took(d time.Duration) func(*testing.T, Result) {
	return func(t *testing.T, res Result) {
		t.Helper()
		if res.Took != d {
			t.Errorf("took %s, want %s", res.Took, d)
		}
	}
}

// wrote checks that a run wrote data to the file at p (its last write there).
func wrote(p, data string) func(*testing.T, Result) {
	return func(t *testing.T, res Result) {
		t.Helper()
		for _, op := range slices.Backward(res.Ops) {
			if op.Path == p && !op.Dir && !op.Remove {
				if op.Data != data {
					t.Errorf("%s holds %q, want %q", p, op.Data, data)
				}
				return
			}
		}
		t.Errorf("no write to %s in %+v", p, res.Ops)
	}
}

func TestParsing(t *testing.T) { runCases(t, parsingCases) }

var parsingCases = []scriptCase{
	{name: "single quotes keep dollars", script: `echo 'single $HOME'`, stdout: "single $HOME\n"},
	{name: "double quotes expand", script: `echo "pod $MY_POD_NAME"`, stdout: "pod web-0\n"},
	{name: "escaped dollar inside double quotes", script: `echo "\$HOME"`, stdout: "$HOME\n"},
	{name: "escaped quote inside double quotes", script: `echo "a\"b"`, stdout: "a\"b\n"},
	{name: "escaped backslash inside double quotes", script: `echo "a\\b"`, stdout: "a\\b\n"},
	{name: "other backslashes inside double quotes stay", script: `echo "a\nb"`, stdout: "a\\nb\n"},
	{name: "backslash escapes a space", script: `echo a\ \ b`, stdout: "a  b\n"},
	{name: "apostrophe inside double quotes", script: `echo "it's"`, stdout: "it's\n"},
	{name: "adjacent quoted parts are one word", script: `echo 'a'"b"c`, stdout: "abc\n"},
	{name: "unquoted spaces separate words", script: "echo a    b\t c", stdout: "a b c\n"},
	{name: "an empty quoted word is an argument", script: `echo "" x`, stdout: " x\n"},
	{name: "a comment ends the line", script: "echo hi # not this", stdout: "hi\n"},
	{name: "a hash inside a word is not a comment", script: "echo a#b", stdout: "a#b\n"},
	{name: "backslash newline continues the line", script: "echo a \\\nb", stdout: "a b\n"},
	{name: "semicolons separate commands", script: "echo one; echo two;echo three", stdout: "one\ntwo\nthree\n"},
	{name: "newlines separate commands", script: "echo one\necho two\n\n", stdout: "one\ntwo\n"},
	{name: "and runs the second after success", script: "true && echo yes", stdout: "yes\n"},
	{name: "and skips the second after failure", script: "false && echo yes", code: 1},
	{name: "or runs the second after failure", script: "false || echo fallback", stdout: "fallback\n"},
	{name: "or skips the second after success", script: "true || echo no"},
	{name: "and then or", script: "false && echo a || echo b", stdout: "b\n"},
	{name: "and-or continues on the next line", script: "true &&\necho next", stdout: "next\n"},
	{name: "bang inverts success", script: "! true", code: 1},
	{name: "bang inverts failure", script: "! false"},
	{name: "pipe feeds the next command", script: "echo hello | rev", stdout: "olleh\n"},
	{name: "pipe of three", script: "echo a | cat | cat", stdout: "a\n"},
	{name: "pipe status is the last command's", script: "false | true"},
	{name: "a background ampersand runs in order", script: "echo a & echo b", stdout: "a\nb\n"},
	{name: "redirect to a file", script: "echo hi > /tmp/f; cat /tmp/f", stdout: "hi\n", check: wrote("/tmp/f", "hi\n")},
	{name: "redirect without a space", script: "echo hi >/tmp/f; cat /tmp/f", stdout: "hi\n"},
	{name: "redirect replaces the file", script: "echo a > /tmp/f; echo b > /tmp/f; cat /tmp/f", stdout: "b\n"},
	{name: "append redirect", script: "echo a > /tmp/f; echo b >> /tmp/f; cat /tmp/f", stdout: "a\nb\n", check: wrote("/tmp/f", "a\nb\n")},
	{name: "clobber redirect", script: "echo a >| /tmp/f; cat /tmp/f", stdout: "a\n"},
	{name: "both streams to a file", script: "echo x &> /tmp/f; cat /tmp/f", stdout: "x\n"},
	{name: "relative redirect after cd", script: "cd /tmp; echo x > f; cat /tmp/f", stdout: "x\n"},
	{name: "redirect to /dev/null discards", script: "echo hidden > /dev/null"},
	{name: "redirect to /dev/stdout prints", script: "echo shown > /dev/stdout", stdout: "shown\n"},
	{name: "stderr to /dev/null", script: "cat /nope 2>/dev/null", code: 1},
	{name: "2>&1 sends stderr to stdout", script: "cat /nope 2>&1", code: 1,
		stdout: "cat: can't open '/nope': No such file or directory\n"},
	{name: "stdout to stderr", script: "echo oops >&2", stderr: "oops\n"},
	{name: "1>&2 is the same", script: "echo oops 1>&2; echo fine", stdout: "fine\n", stderr: "oops\n"},
	{name: "stderr to a file", script: "cat /nope 2>/tmp/err; echo $?; cat /tmp/err", code: 0,
		stdout: "1\ncat: can't open '/nope': No such file or directory\n", check: wrote("/tmp/err", "cat: can't open '/nope': No such file or directory\n")},
	{name: "stderr appended to a file", script: "echo first > /tmp/err; cat /nope 2>>/tmp/err; cat /tmp/err",
		stdout: "first\ncat: can't open '/nope': No such file or directory\n"},
	{name: "stderr to a file leaves stdout alone", script: "echo out 2>/tmp/err; cat /tmp/err", stdout: "out\n", check: wrote("/tmp/err", "")},
	{name: "both streams to a file with 2>&1", script: "echo out > /tmp/o; cat /nope >> /tmp/o 2>&1; cat /tmp/o",
		stdout: "out\ncat: can't open '/nope': No such file or directory\n"},
	{name: "2>&1 before > keeps stderr on the terminal", script: "cat /nope 2>&1 > /tmp/o", code: 1,
		stdout: "cat: can't open '/nope': No such file or directory\n", check: wrote("/tmp/o", "")},
	{name: "2>&1 into a pipe", script: "cat /nope 2>&1 | wc -l", stdout: "1\n"},
	{name: "stderr does not go down a pipe", script: "cat /nope | wc -l", stdout: "0\n", stderr: "cat: can't open '/nope': No such file or directory\n"},
	{name: "printf without a newline into a file", script: "printf hi > /tmp/f", check: wrote("/tmp/f", "hi")},
	{name: "prefix assignment is for the command", script: `A=b printenv A; echo "[$A]"`, stdout: "b\n[]\n"},
	{name: "prefix assignment is in the environment", script: "A=b env | grep A=", stdout: "A=b\n"},
	{name: "prefix assignment keeps the old value after", script: "A=1; A=2 true; echo $A", stdout: "1\n"},
	{name: "two prefix assignments", script: "A=1 B=2 printenv A B", stdout: "1\n2\n"},
	{name: "assignments alone set the shell's variables", script: "A=1 B=2; echo $A$B", stdout: "12\n"},
	{name: "here-document", script: "cat <<EOF\nhello $MY_POD_NAME\nline 2\nEOF\necho after", stdout: "hello web-0\nline 2\nafter\n"},
	{name: "here-document with a quoted delimiter is not expanded", script: "cat <<'EOF'\nhello $MY_POD_NAME\nEOF", stdout: "hello $MY_POD_NAME\n"},
	{name: "here-document with <<- drops leading tabs", script: "cat <<-END\n\tindented\n\tEND\necho done", stdout: "indented\ndone\n"},
	{name: "here-document into a file", script: "cat > /tmp/conf <<EOF\nkey=value\nEOF\ncat /tmp/conf", stdout: "key=value\n", check: wrote("/tmp/conf", "key=value\n")},
	{name: "here-document into a pipe", script: "cat <<EOF | wc -l\na\nb\nc\nEOF", stdout: "3\n"},
	{name: "here-document lines are not commands", script: "cat <<EOF > /dev/null\nexit 3\nEOF\necho still here", stdout: "still here\n"},
	{name: "here-document without its delimiter line ends with the script", script: "cat <<EOF\nlast", stdout: "last\n"},
	{name: "input redirect", script: "echo data > /tmp/in; cat < /tmp/in", stdout: "data\n"},
	{name: "input redirect from a missing file", script: "cat < /missing", code: 1, stderr: "sh: can't open /missing: no such file\n"},
	{name: "subshell", script: "(echo inside)", stdout: "inside\n"},
	{name: "exit in a subshell ends only the subshell", script: "(exit 3); echo $?", stdout: "3\n"},
	{name: "a subshell's variables are its own", script: `X=0; (X=1; echo $X); echo $X`, stdout: "1\n0\n"},
	{name: "a subshell's working directory is its own", script: "cd /var; (cd /tmp; pwd); pwd", stdout: "/tmp\n/var\n"},
	{name: "brace group", script: "{ echo a; echo b; }", stdout: "a\nb\n"},
	{name: "brace group in a pipe", script: "{ echo a; echo b; } | wc -l", stdout: "2\n"},
	{name: "here-document marker is skipped", script: "cat <<EOF", code: 0},
	{name: "unterminated single quote", script: "echo 'abc", code: 2, stderr: "sh: syntax error: unterminated quoted string\n"},
	{name: "unterminated double quote", script: `echo "abc`, code: 2, stderr: "sh: syntax error: unterminated quoted string\n"},
	{name: "unterminated command substitution", script: "echo $(date", code: 2, stderr: "sh: syntax error: unterminated (\n"},
	{name: "unterminated backquote", script: "echo `date", code: 2, stderr: "sh: syntax error: unterminated `\n"},
	{name: "if without fi", script: "if true; then echo", code: 2, stderr: "sh: syntax error: expected \"fi\", got \"end of script\"\n"},
	{name: "while without done", script: "while true; do echo", code: 2, stderr: "sh: syntax error: expected \"done\", got \"end of script\"\n"},
	{name: "else without fi", script: "if false; then echo a; else echo b", code: 2, stderr: "sh: syntax error: expected \"fi\", got \"end of script\"\n"},
	{name: "brace group without its end", script: "{ echo a;", code: 2, stderr: "sh: syntax error: expected \"}\", got \"end of script\"\n"},
	{name: "for without do", script: "for i in a b; echo $i; done", code: 2, stderr: "sh: syntax error: expected \"do\", got \"echo\"\n"},
	{name: "unclosed subshell", script: "(echo a", code: 2, stderr: "sh: syntax error: expected )\n"},
	{name: "stray parenthesis", script: "echo a )", code: 2, stderr: "sh: syntax error: unexpected \")\"\n"},
	{name: "redirection without a file", script: "echo >", code: 2, stderr: "sh: syntax error: redirection without a file\n"},
	{name: "for without a name", script: "for ; do echo; done", code: 2, stderr: "sh: syntax error: for: expected a name\n"},
	{name: "pipe with nothing before it", script: "| echo", code: 2, stderr: "sh: syntax error: unexpected \"|\"\n"},
	{name: "bash reports its own name", argv: []string{"bash", "-c", "echo 'x"}, code: 2, stderr: "bash: syntax error: unterminated quoted string\n"},
}

func TestExpansion(t *testing.T) { runCases(t, expansionCases) }

var expansionCases = []scriptCase{
	{name: "variable", script: "echo $MY_POD_NAME", stdout: "web-0\n"},
	{name: "braced variable", script: "echo ${MY_POD_NAME}-x", stdout: "web-0-x\n"},
	{name: "unset variable is empty", script: `echo "[$NOPE]"`, stdout: "[]\n"},
	{name: "assignment then use", script: "X=1; echo $X", stdout: "1\n"},
	{name: "default for unset", script: "echo ${NOPE:-default}", stdout: "default\n"},
	{name: "default for empty", script: "echo ${EMPTY:-default}", stdout: "default\n"},
	{name: "dash default keeps an empty value", script: `echo "[${EMPTY-unset}]"`, stdout: "[]\n"},
	{name: "dash default for unset", script: "echo ${NOPE-unset}", stdout: "unset\n"},
	{name: "assign default", script: "echo ${X:=assigned}; echo $X", stdout: "assigned\nassigned\n"},
	{name: "alternative when set", script: "echo ${MY_POD_NAME:+set}", stdout: "set\n"},
	{name: "alternative when unset", script: `echo "[${NOPE:+set}]"`, stdout: "[]\n"},
	{name: "default from a variable", script: "echo ${NOPE:-$MY_POD_NAME}", stdout: "web-0\n"},
	{name: "length", script: "echo ${#MY_POD_NAME}", stdout: "5\n"},
	{name: "exit status of the last command", script: "false; echo $?; true; echo $?", stdout: "1\n0\n"},
	{name: "positional parameters", argv: []string{"sh", "-c", "echo $0 $1", "zero", "one"}, stdout: "zero one\n"},
	{name: "pid and argument count", script: "echo $$ $#", stdout: "1 0\n"},
	{name: "seconds since start", script: "sleep 5; echo $SECONDS", stdout: "5\n"},
	{name: "random is a number below 32768", script: "echo $((RANDOM >= 0 && RANDOM < 32768))", stdout: "1\n"},
	{name: "arithmetic precedence", script: "echo $((1+2*3))", stdout: "7\n"},
	{name: "arithmetic parentheses", script: "echo $(( (1+2)*3 ))", stdout: "9\n"},
	{name: "arithmetic division and remainder", script: "echo $((7/2)) $((7%3))", stdout: "3 1\n"},
	{name: "arithmetic division by zero is zero", script: "echo $((5/0))", stdout: "0\n"},
	{name: "arithmetic comparison", script: "echo $((3>2)) $((3<2)) $((2==2)) $((1!=1))", stdout: "1 0 1 0\n"},
	{name: "arithmetic logic", script: "echo $((1&&0)) $((1||0)) $((!0))", stdout: "0 1 1\n"},
	{name: "arithmetic with variable names", script: "i=4; echo $((i-1)) $(($i*2))", stdout: "3 8\n"},
	{name: "arithmetic negation", script: "echo $((-3+1))", stdout: "-2\n"},
	{name: "command substitution", script: `echo "host is $(hostname)"`, stdout: "host is web-0\n"},
	{name: "backquote substitution", script: "echo `echo nested`", stdout: "nested\n"},
	{name: "substitution drops trailing newlines", script: `x=$(printf 'a\n\n'); echo "[$x]"`, stdout: "[a]\n"},
	{name: "exit in a substitution ends only it", script: "x=$(exit 1); echo after", stdout: "after\n"},
	{name: "unquoted expansion splits", script: `for w in $GREETING; do echo $w; done`, stdout: "hello\nworld\n"},
	{name: "quoted expansion does not split", script: `for w in "$GREETING"; do echo $w; done`, stdout: "hello world\n"},
	{name: "array element and all", script: "a=(x y z); echo ${a[1]} ${a[@]}", stdout: "y x y z\n"},
	{name: "array index from a variable", script: "a=(x y z); i=2; echo ${a[$i]}", stdout: "z\n"},
	{name: "array index out of range", script: `a=(x); echo "[${a[5]}]"`, stdout: "[]\n"},
	{name: "globs are not expanded", script: "echo *.txt", stdout: "*.txt\n"},
	{name: "a lone dollar is literal", script: "echo $ a", stdout: "$ a\n"},
	{name: "export then printenv", script: "export A=b; printenv A", stdout: "b\n"},
	{name: "unset removes a variable", script: `unset MY_POD_NAME; echo "[$MY_POD_NAME]"`, stdout: "[]\n"},
}

func TestControlFlow(t *testing.T) { runCases(t, controlFlowCases) }

var controlFlowCases = []scriptCase{
	{name: "if true", script: "if [ 1 -eq 1 ]; then echo y; fi", stdout: "y\n"},
	{name: "if else", script: "if [ -f /nothing ]; then echo yes; else echo no; fi", stdout: "no\n"},
	{name: "elif", script: "if false; then echo 1; elif true; then echo 2; else echo 3; fi", stdout: "2\n"},
	{name: "if with no branch taken", script: "if false; then echo 1; fi"},
	{name: "if on several lines", script: "if true\nthen\n  echo y\nfi", stdout: "y\n"},
	{name: "for over words", script: "for i in a b c; do echo $i; done", stdout: "a\nb\nc\n"},
	{name: "for with no words", script: "for i in; do echo $i; done"},
	{name: "break leaves the loop", script: "for i in 1 2 3; do if [ $i -eq 2 ]; then break; fi; echo $i; done", stdout: "1\n"},
	{name: "continue skips the rest of the body", script: "for i in 1 2 3; do if [ $i -eq 2 ]; then continue; fi; echo $i; done; echo end", stdout: "1\n3\nend\n"},
	{name: "continue in a while loop", script: "i=0; while [ $i -lt 3 ]; do i=$((i+1)); [ $i -eq 2 ] && continue; echo $i; done", stdout: "1\n3\n"},
	{name: "continue outside a loop does nothing", script: "continue; echo after", stdout: "after\n"},
	{name: "while counts", script: "i=0; while [ $i -lt 3 ]; do echo $i; i=$((i+1)); done", stdout: "0\n1\n2\n"},
	{name: "until counts", script: "i=0; until [ $i -ge 2 ]; do echo $i; i=$((i+1)); done", stdout: "0\n1\n"},
	{name: "while true with sleep runs until the horizon", script: "while true; do echo tick; sleep 1; done",
		horizon: 3500 * time.Millisecond, running: true, stdout: "tick\ntick\ntick\ntick\n", check: func(t *testing.T, res Result) {
			for i, l := range res.Lines {
				if l.At != time.Duration(i)*time.Second {
					t.Errorf("line %d at %s", i, l.At)
				}
			}
		}},
	{name: "a loop that never waits spins forever", script: "while true; do :; done", running: true, check: func(t *testing.T, res Result) {
		if !res.Forever {
			t.Error("not forever")
		}
	}},
	{name: "exit ends a loop and the script", script: "while true; do echo once; exit 4; done; echo never", stdout: "once\n", code: 4},
	{name: "exit with a code", script: "exit 3", code: 3},
	{name: "exit codes wrap at 256", script: "exit 257", code: 1},
	{name: "exit keeps the last status", script: "false; exit", code: 1},
	{name: "nothing runs after exit", script: "echo a; exit 0; echo b", stdout: "a\n"},
	{name: "the last command's status is the script's", script: "true; false", code: 1},
	{name: "an unknown program before the last ends", script: "myprog; echo after", stdout: "after\n"},
	{name: "an unknown program last runs on", script: "echo start; myserver --port 80", stdout: "start\n", running: true},
	{name: "an unknown program last ends in a Job", script: "myjob", env: func(e *Env) { e.EndsUnknown = true }},
	{name: "a known server runs on", argv: []string{"nginx", "-g", "daemon off;"}, running: true, check: func(t *testing.T, res Result) {
		if res.Server != "nginx" || !res.Forever {
			t.Errorf("server %q forever %v", res.Server, res.Forever)
		}
	}},
	{name: "exec of a server", script: "exec nginx -g 'daemon off;'", running: true},
	{name: "a command without a shell", argv: []string{"echo", "a  b"}, stdout: "a  b\n"},
	{name: "no command at all", argv: []string{}},
	{name: "a shell without a script exits", argv: []string{"sh"}},
	{name: "sh -c without a script exits", argv: []string{"sh", "-c"}},
	{name: "a shell running a script file runs on", argv: []string{"sh", "/app/start.sh"}, running: true},
	{name: "combined flags find the script", argv: []string{"/bin/sh", "-ec", "echo ok"}, stdout: "ok\n"},
}

// asRoot runs the process as root.
func asRoot(e *Env) { e.UID, e.GID, e.Groups = 0, 0, nil }

// restricted runs the shell as kubectl exec does.
func restricted(e *Env) { e.Restricted, e.Hint = true, "/etc/config" }

func TestBuiltins(t *testing.T) { runCases(t, builtinCases) }

var builtinCases = []scriptCase{
	{name: "echo", script: "echo hello", stdout: "hello\n"},
	{name: "echo with no arguments", script: "echo", stdout: "\n"},
	{name: "echo -n", script: "echo -n hi; echo there", stdout: "hithere\n"},
	{name: "echo -e escapes", script: `echo -e 'a\tb\nc'`, stdout: "a\tb\nc\n"},
	{name: "echo without -e keeps backslashes", script: `echo 'a\tb'`, stdout: "a\\tb\n"},
	{name: "echo -- is printed", script: "echo -- x", stdout: "-- x\n"},
	{name: "printf formats", script: `printf '%s-%d\n' a 5`, stdout: "a-5\n"},
	{name: "printf repeats its format", script: `printf '%s\n' a b`, stdout: "a\nb\n"},
	{name: "printf width and percent", script: `printf '%5s|100%%\n' x`, stdout: "    x|100%\n"},
	{name: "printf without a format fails", script: "printf", code: 1},
	{name: "true", script: "true"},
	{name: "colon", script: ":"},
	{name: "false", script: "false", code: 1},
	{name: "shell builtins that change nothing", script: "set -e; trap 'x' TERM; shift; ulimit -n 10; umask 022; alias a=b; hash; wait"},
	{name: "declarations succeed", script: "local a; readonly b; declare c; typeset d"},
	{name: "type and command succeed", script: "type ls && command -v ls"},
	{name: "source and dot do not read the file", script: "source /env.sh; . /env.sh; echo ok", stdout: "ok\n"},
	{name: "continue as a loop's last command", script: "for i in 1 2; do echo $i; continue; done", stdout: "1\n2\n"},
	{name: "cd and pwd", script: "cd /var/log; pwd", stdout: "/var/log\n"},
	{name: "cd with a relative path", script: "cd /var; cd log/..; pwd", stdout: "/var\n"},
	{name: "cd home", script: "cd; pwd", stdout: "/root\n", check: func(t *testing.T, res Result) {
		if res.Pwd != "/root" {
			t.Errorf("pwd %q", res.Pwd)
		}
	}},
	{name: "pwd starts in the working directory", script: "pwd", env: func(e *Env) { e.Cwd = "/app" }, stdout: "/app\n"},
	{name: "sleep takes virtual time", script: "sleep 2; date", stdout: "Tue Jan  2 03:04:07 UTC 2024\n", check: took(2 * time.Second)},
	{name: "sleep with units", script: "sleep 1m; sleep 1.5", check: took(61500 * time.Millisecond)},
	{name: "sleep a Go duration", script: "sleep 1m30s", check: took(90 * time.Second)},
	{name: "sleep infinity", script: "sleep infinity", running: true, check: func(t *testing.T, res Result) {
		if !res.Forever {
			t.Error("not forever")
		}
	}},
	{name: "sleep past the horizon", script: "sleep 10; echo late", horizon: 5 * time.Second, running: true, check: took(5 * time.Second)},
	{name: "sleep without an operand", script: "sleep", code: 1, stderr: "sleep: missing operand\n"},
	{name: "date", argv: []string{"date"}, stdout: "Tue Jan  2 03:04:05 UTC 2024\n"},
	{name: "date with a format", script: "date +%Y-%m-%dT%H:%M:%S", stdout: "2024-01-02T03:04:05\n"},
	{name: "date in seconds", script: "date +%s", stdout: fmt.Sprintf("%d\n", testStart.Unix())},
	{name: "hostname", script: "hostname", stdout: "web-0\n"},
	{name: "uname", script: "uname", stdout: "Linux\n"},
	{name: "uname -a", script: "uname -a", stdout: "Linux web-0 6.1.127-135.201.amzn2023.x86_64 #1 SMP Tue Jan 28 22:13:57 UTC 2025 x86_64 GNU/Linux\n"},
	{name: "whoami", script: "whoami", stdout: "1000\n"},
	{name: "whoami as root", script: "whoami", env: asRoot, stdout: "root\n"},
	{name: "id with fsGroup", script: "id", stdout: "uid=1000 gid=3000 groups=2000,3000\n"},
	{name: "id as root", script: "id", env: asRoot, stdout: "uid=0(root) gid=0(root) groups=0(root)\n"},
	{name: "id as nobody", script: "id", env: func(e *Env) { e.UID, e.GID, e.Groups = 65534, 65534, nil },
		stdout: "uid=65534(nobody) gid=65534(nobody) groups=65534(nobody)\n"},
	{name: "ps", script: "ps aux", stdout: "PID   USER     TIME  COMMAND\n    1 1000      0:00 sleep 3600\n    7 1000      0:00 ps aux\n"},
	{name: "env in the container's order", script: "env", stdout: "MY_POD_NAME=web-0\nGREETING=hello world\nEMPTY=\nHOME=/root\n"},
	{name: "printenv with no names", script: "printenv", stdout: "MY_POD_NAME=web-0\nGREETING=hello world\nEMPTY=\nHOME=/root\n"},
	{name: "printenv a name", script: "printenv MY_POD_NAME", stdout: "web-0\n"},
	{name: "printenv a missing name", script: "printenv NOPE", code: 1},
	{name: "printenv an unexported shell variable", script: "X=; printenv X", code: 1},
	{name: "cat a mounted file", script: "cat /etc/config/game.properties", stdout: "lives=3\ncolor=blue\nlevel=7\n"},
	{name: "cat a missing file", script: "cat /nope", code: 1, stderr: "cat: can't open '/nope': No such file or directory\n"},
	{name: "cat a directory", script: "cat /etc/config", code: 1, stderr: "cat: read error: Is a directory\n"},
	{name: "cat several files", script: "cat /etc/hostname /etc/hostname", stdout: "web-0\nweb-0\n"},
	{name: "head -n", script: "head -n 2 /etc/config/game.properties", stdout: "lives=3\ncolor=blue\n"},
	{name: "head -N", script: "head -1 /etc/config/game.properties", stdout: "lives=3\n"},
	{name: "tail -n", script: "tail -n 1 /etc/config/game.properties", stdout: "level=7\n"},
	{name: "tail of input", script: "printf '1\\n2\\n3\\n' | tail -n 2", stdout: "2\n3\n"},
	{name: "tac", script: "tac /etc/config/game.properties", stdout: "level=7\ncolor=blue\nlives=3\n"},
	{name: "rev", script: "echo abc | rev", stdout: "cba\n"},
	{name: "sort", script: "printf 'b\\na\\nc\\n' | sort", stdout: "a\nb\nc\n"},
	{name: "wc -l", script: "wc -l /etc/config/game.properties", stdout: "3\n"},
	{name: "wc", script: "echo one two | wc", stdout: "      1       2       8\n"},
	{name: "grep finds", script: "grep color /etc/config/game.properties", stdout: "color=blue\n"},
	{name: "grep finds nothing", script: "grep nope /etc/config/game.properties", code: 1},
	{name: "grep -i", script: "echo HELLO | grep -i hello", stdout: "HELLO\n"},
	{name: "grep -v", script: "grep -v lives /etc/config/game.properties", stdout: "color=blue\nlevel=7\n"},
	{name: "grep -q", script: "grep -q lives /etc/config/game.properties && echo found", stdout: "found\n"},
	{name: "tee", script: "echo x | tee /tmp/t; cat /tmp/t", stdout: "x\nx\n"},
	{name: "tee -a", script: "echo a > /tmp/t; echo b | tee -a /tmp/t > /dev/null; cat /tmp/t", stdout: "a\nb\n"},
	{name: "touch and ls", script: "touch /tmp/a /tmp/b; ls /tmp", stdout: "a\nb\n", check: wrote("/tmp/a", "")},
	{name: "touch keeps content", script: "echo x > /tmp/a; touch /tmp/a; cat /tmp/a", stdout: "x\n"},
	{name: "mkdir -p makes the parents", script: "mkdir -p /a/b/c && ls /a /a/b", stdout: "/a:\nb\n\n/a/b:\nc\n"},
	{name: "mkdir -p of a directory that exists", script: "mkdir -p /a; mkdir -p /a; echo $?", stdout: "0\n"},
	{name: "mkdir in a volume needs the parent", script: "mkdir /shared/a/b", code: 1, env: withVolumes,
		stderr: "mkdir: can't create directory '/shared/a/b': No such file or directory\n"},
	{name: "mkdir -p in a volume", script: "mkdir -p /shared/a/b && ls /shared/a", stdout: "b\n", env: withVolumes},
	{name: "glob in a directory", script: "mkdir -p /d; echo 1 > /d/a.txt; echo 2 > /d/b.txt; echo 3 > /d/c.log; ls /d/*.txt", stdout: "/d/a.txt\n/d/b.txt\n"},
	{name: "glob in the working directory", script: "mkdir -p /logs; cd /logs; echo x > a.log; echo y > b.log; cat *.log", stdout: "x\ny\n"},
	{name: "glob in a for loop", script: "echo 1 > /tmp/a.txt; echo 2 > /tmp/b.txt; for f in /tmp/*.txt; do echo $f; done", stdout: "/tmp/a.txt\n/tmp/b.txt\n"},
	{name: "glob with ? and a class", script: "touch /tmp/a1 /tmp/a2 /tmp/b1; echo /tmp/a? /tmp/[b]1", stdout: "/tmp/a1 /tmp/a2 /tmp/b1\n"},
	{name: "glob matching nothing stays as written", script: "echo /nomatch/*.txt", stdout: "/nomatch/*.txt\n"},
	{name: "quoted and escaped globs are not expanded", script: `touch /tmp/a.txt; echo "/tmp/*.txt" /tmp/\*.txt`, stdout: "/tmp/*.txt /tmp/*.txt\n"},
	{name: "glob skips dot files", script: "touch /tmp/.hidden /tmp/shown; echo /tmp/*", stdout: "/tmp/shown\n"},
	{name: "glob in a shared volume", script: "sleep 2; echo x > /shared/one.txt; ls /shared/*.txt", stdout: "/shared/one.txt\n", env: withVolumes},
	{name: "mkdir and ls", script: "mkdir -p /data/x; ls /data/x", check: func(t *testing.T, res Result) {
		if len(res.Ops) != 2 || !res.Ops[0].Dir || res.Ops[0].Path != "/data" || !res.Ops[1].Dir || res.Ops[1].Path != "/data/x" {
			t.Errorf("ops %+v", res.Ops)
		}
	}},
	{name: "ls a mounted directory hides dot files", script: "ls /etc/config", stdout: "game.properties\n"},
	{name: "ls -a shows dot files", script: "ls -a /etc/config", stdout: "..data\ngame.properties\n"},
	{name: "ls -l shows links", script: "ls -l /etc/config",
		stdout: "total 8\nlrwxrwxrwx    1 root     root            22 Jan  2 03:04 game.properties -> ..data/game.properties\n"},
	{name: "ls a file", script: "ls /etc/hostname", stdout: "/etc/hostname\n"},
	{name: "ls several directories", script: "touch /a/x /b/y; ls /a /b", stdout: "/a:\nx\n\n/b:\ny\n"},
	{name: "ls a missing directory", script: "ls /nope", code: 2, stderr: "ls: /nope: No such file or directory\n"},
	{name: "rm a file", script: "touch /tmp/a; rm /tmp/a; cat /tmp/a", code: 1, stderr: "cat: can't open '/tmp/a': No such file or directory\n"},
	{name: "rm a missing file", script: "rm /tmp/none", code: 1, stderr: "rm: can't remove '/tmp/none': No such file or directory\n"},
	{name: "rm -f a missing file", script: "rm -f /tmp/none"},
	{name: "rmdir", script: "touch /tmp/d/f; rmdir /tmp/d; ls /tmp/d", code: 2, stderr: "ls: /tmp/d: No such file or directory\n"},
	{name: "rmdir of a directory mkdir made", script: "mkdir /tmp/d; rmdir /tmp/d; test -d /tmp/d", code: 1},
	{name: "rm -r of a directory tree mkdir made", script: "mkdir /tmp/d; mkdir /tmp/d/e; rm -r /tmp/d; test -d /tmp/d/e", code: 1},
	{name: "rm -r a directory", script: "touch /d/a /d/b; rm -r /d; ls /d", code: 2, stderr: "ls: /d: No such file or directory\n"},
	{name: "cp", script: "echo x > /tmp/a; cp /tmp/a /tmp/b; cat /tmp/b /tmp/a", stdout: "x\nx\n"},
	{name: "cp into a directory", script: "echo x > /tmp/a; mkdir /d; cp /tmp/a /d; cat /d/a", stdout: "x\n"},
	{name: "cp a missing file", script: "cp /nope /tmp/b", code: 1, stderr: "cp: can't stat '/nope': No such file or directory\n"},
	{name: "cp without a target", script: "cp /tmp/a", code: 1},
	{name: "mv", script: "echo x > /tmp/a; mv /tmp/a /tmp/b; cat /tmp/b; test -e /tmp/a", stdout: "x\n", code: 1},
	{name: "test -f on a mounted file", script: "test -f /etc/config/game.properties"},
	{name: "test -d on a directory", script: "[ -d /etc/config ]"},
	{name: "test -e on a missing path", script: "[ -e /nope ]", code: 1},
	{name: "test -e on a directory", script: "mkdir /d; [ -e /d ]"},
	{name: "test -s on a written file", script: "echo x > /tmp/a; [ -s /tmp/a ]"},
	{name: "test -z", script: `[ -z "" ]`},
	{name: "test -n on empty", script: `[ -n "" ]`, code: 1},
	{name: "test string equality", script: "[ a = a ] && [ b == b ]"},
	{name: "test string inequality", script: "[ a != a ]", code: 1},
	{name: "test integers", script: "[ 2 -gt 1 ] && [ 1 -lt 2 ] && [ 2 -le 2 ] && [ 2 -ge 2 ] && [ 1 -ne 2 ] && [ 3 -eq 3 ]"},
	{name: "test negation", script: "[ ! -f /nope ]"},
	{name: "test with no expression", script: "[ ]", code: 1},
	{name: "test a non-empty string", script: "test x"},
	{name: "double brackets", script: "[[ -n $MY_POD_NAME ]]"},
	{name: "double brackets regular expression", script: "[[ web-42 =~ ^web-([0-9]+)$ ]] && echo ${BASH_REMATCH[1]}", stdout: "42\n"},
	{name: "double brackets regular expression without a match", script: "[[ abc =~ z ]]", code: 1},
	{name: "double brackets invalid regular expression", script: "[[ abc =~ ( ]]", code: 2},
	{name: "kill 1 stops the main process", script: "kill 1", env: func(e *Env) { e.MainStops = true }, check: func(t *testing.T, res Result) {
		if !res.StopMain {
			t.Error("the main process did not stop")
		}
	}},
	{name: "kill -9 1 is ignored by PID 1", script: "kill -9 1", env: func(e *Env) { e.MainStops = true }, check: func(t *testing.T, res Result) {
		if res.StopMain {
			t.Error("the main process stopped")
		}
	}},
	{name: "kill -s TERM 1", script: "kill -s SIGTERM 1", env: func(e *Env) { e.MainStops = true }, check: func(t *testing.T, res Result) {
		if !res.StopMain {
			t.Error("the main process did not stop")
		}
	}},
	{name: "kill another pid", script: "kill 42", code: 1, stderr: "sh: can't kill pid 42: No such process\n"},
	{name: "kill -l", script: "kill -l", stdout: " 1) HUP\n 2) INT\n 3) QUIT\n 9) KILL\n15) TERM\n"},
	{name: "kill without a pid", script: "kill", code: 1, stderr: "kill: usage: kill [-s SIGNAL | -SIGNAL] PID...\n"},
	{name: "pkill finds nothing", script: "pkill nginx", code: 1},
	{name: "pgrep, pidof and killall find nothing", script: "pgrep nginx || pidof nginx || killall nginx", code: 1},
	{name: "perl computes pi", argv: []string{"perl", "-Mbignum=bpi", "-wle", "print bpi(10)"}, stdout: "3.141592653\n", check: took(10 * time.Millisecond)},
	{name: "a perl one-liner ends", argv: []string{"perl", "-e", "print 1"}},
	{name: "python -c ends", script: "python -c 'print(1)'"},
	{name: "ruby, node and python3 one-liners end", script: "ruby -e 'puts 1'; node -e 1; python3 -c 1; echo done", stdout: "done\n"},
	{name: "a python program runs on", argv: []string{"python", "app.py"}, running: true},
	{name: "stress with a timeout", script: "stress --vm 2 --vm-bytes 100M --timeout 10s", check: func(t *testing.T, res Result) {
		if res.Memory != 200_000_000 || res.Took != 10*time.Second {
			t.Errorf("memory %d took %s", res.Memory, res.Took)
		}
	}},
	{name: "stress --cpu runs on", argv: []string{"stress", "--cpu", "2"}, running: true, check: func(t *testing.T, res Result) {
		if res.CPU != 2000 || res.Server != "stress" {
			t.Errorf("cpu %d server %q", res.CPU, res.Server)
		}
	}},
	{name: "stress-ng --vm has a default size", argv: []string{"stress-ng", "--vm", "1"}, running: true, check: func(t *testing.T, res Result) {
		if res.Memory != 256<<20 {
			t.Errorf("memory %d", res.Memory)
		}
	}},
	{name: "restricted shell refuses a program", script: "nginx", env: restricted, code: 126,
		stderr: fmt.Sprintf(ExecMessage+"\n", "nginx")},
	{name: "restricted shell refuses rm /", script: "rm -rf /", env: restricted, code: 126,
		stderr: fmt.Sprintf(ExecMessage+"\n", "rm")},
	{name: "restricted ls of an unknown directory hints", script: "ls /usr", env: restricted, code: 2,
		stderr: "ls: cannot list '/usr': kubelab: this node is simulated, it only knows the files of the container's volumes and the ones its command wrote (for example: ls /etc/config)\n"},
	{name: "restricted shell runs allowed commands", script: "echo ok", env: restricted, stdout: "ok\n"},
}

// page is the page wget and curl get from host.
func page(host string) string {
	return "<html><head></head><body><header>\n<title>" + host + "</title>\n</header>\n\n<h1>" + host +
		"</h1>\n<p>(kubelab: a simulated response; this node does not reach the network)</p>\n</body></html>\n"
}

// fetched checks the hosts a run sent requests to.
func fetched(hosts ...string) func(*testing.T, Result) {
	return func(t *testing.T, res Result) {
		t.Helper()
		if !slices.Equal(res.Fetched, hosts) {
			t.Errorf("fetched %q, want %q", res.Fetched, hosts)
		}
	}
}

func TestNetwork(t *testing.T) { runCases(t, networkCases) }

var networkCases = []scriptCase{
	{name: "wget -qO- prints the page", script: "wget -qO- http://my-svc", stdout: page("my-svc"), check: fetched("my-svc")},
	{name: "wget saves the page", script: "wget http://example.com/page.html",
		stderr: "Connecting to example.com (" + FakeIP("example.com") + ":80)\nsaving to 'page.html'\n" +
			fmt.Sprintf("%-20s 100%% |********************************|  %4d  0:00:00 ETA\n", "page.html", len(page("example.com"))) +
			"'page.html' saved\n",
		check: wrote("/page.html", page("example.com"))},
	{name: "wget -O to a file", script: "wget -q -O /tmp/index.html http://web:8080/; cat /tmp/index.html", stdout: page("web:8080"), check: fetched("web")},
	{name: "curl prints the page", script: "curl -s http://web:8080/healthz", stdout: page("web:8080"), check: took(200 * time.Millisecond)},
	{name: "wget without a URL", script: "wget", code: 1, stderr: "wget: missing URL\n"},
	{name: "curl without a URL", script: "curl -s", code: 1, stderr: "curl: missing URL\n"},
	{name: "nslookup a Service", script: "nslookup my-svc",
		stdout: "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\nName:\tmy-svc.default.svc.cluster.local\nAddress: 10.96.0.20\n\n"},
	{name: "nslookup a missing name", script: "nslookup nope", code: 1,
		stdout: "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n** server can't find nope.default.svc.cluster.local: NXDOMAIN\n\n",
		check: func(t *testing.T, res Result) {
			if !slices.Equal(res.DNSMiss, []string{"nope"}) {
				t.Errorf("dns misses %q", res.DNSMiss)
			}
		}},
	{name: "nslookup in a loop until it resolves", script: "until nslookup nope > /dev/null; do sleep 2; done", horizon: 5 * time.Second, running: true,
		check: func(t *testing.T, res Result) {
			if !slices.Equal(res.DNSMiss, []string{"nope"}) {
				t.Errorf("dns misses %q", res.DNSMiss)
			}
		}},
	{name: "getent hosts", script: "getent hosts my-svc", stdout: "10.96.0.20      my-svc.default.svc.cluster.local  my-svc\n"},
	{name: "getent hosts a missing name", script: "getent hosts nope", code: 2},
	{name: "host", script: "host my-svc", stdout: "my-svc.default.svc.cluster.local has address 10.96.0.20\n"},
	{name: "host a missing name", script: "host nope", code: 1, stdout: "Host nope not found: 3(NXDOMAIN)\n"},
	{name: "nslookup without DNS", script: "nslookup my-svc", env: func(e *Env) { e.Resolve = nil }},
}

// vols gives the process the shared volume of testVolumes.
func vols(e *Env) { e.Volumes = testVolumes{} }

func TestSharedVolumes(t *testing.T) { runCases(t, sharedVolumeCases) }

var sharedVolumeCases = []scriptCase{
	{name: "a write to a shared volume is the process's own", script: "echo hi > /shared/own; cat /shared/own", env: vols, stdout: "hi\n",
		check: func(t *testing.T, res Result) {
			if len(res.Ops) != 1 || res.Ops[0].UID != 1000 || res.Ops[0].GID != 2000 {
				t.Errorf("ops %+v", res.Ops)
			}
		}},
	{name: "an append to a shared volume is recorded as one", script: "echo a >> /shared/own", env: vols, check: func(t *testing.T, res Result) {
		if len(res.Ops) != 1 || !res.Ops[0].Append || res.Ops[0].Data != "a\n" {
			t.Errorf("ops %+v", res.Ops)
		}
	}},
	{name: "another container's writes appear with time", script: "sleep 2; cat /shared/log", env: vols, stdout: "tick\ntick\n"},
	{name: "ls a shared volume", script: "sleep 1; touch /shared/mine; ls /shared", env: vols, stdout: "log\nmine\n"},
	{name: "ls -l of the volume's root is setgid in the fsGroup", script: "ls -l / | grep shared", env: func(e *Env) {
		e.Volumes = testVolumes{}
		e.Files = nil
	}, stdout: "drwxrwsrwx    2 root     2000          4096 Jan  2 03:04 shared\n"},
	{name: "tail -f follows another container's appends", script: "sleep 1; tail -f /shared/log", env: vols, horizon: 3500 * time.Millisecond,
		running: true, stdout: "tick\ntick\ntick\n"},
	{name: "tail -f of a missing file gives up", script: "tail -f /shared/log", env: vols, code: 1,
		stderr: "tail: can't open '/shared/log': No such file or directory\n"},
	{name: "tail -F waits for a file", script: "tail -F /shared/log", env: vols, horizon: 1500 * time.Millisecond,
		running: true, stdout: "tick\n", stderr: "tail: can't open '/shared/log': No such file or directory\n"},
	{name: "rm in a shared volume", script: "touch /shared/x; rm /shared/x; test -e /shared/x", env: vols, code: 1},
}

func TestParseDuration(t *testing.T) {
	cases := map[string]time.Duration{
		"10": 10 * time.Second, "1.5": 1500 * time.Millisecond, "2s": 2 * time.Second, "2m": 2 * time.Minute,
		"1h": time.Hour, "1d": 24 * time.Hour, "1m30s": 90 * time.Second, "soon": 0,
	}
	for _, in := range slices.Sorted(maps.Keys(cases)) {
		t.Run(in, func(t *testing.T) {
			if got := ParseDuration(in); got != cases[in] {
				t.Errorf("ParseDuration(%q) = %s, want %s", in, got, cases[in])
			}
		})
	}
}

func TestUserName(t *testing.T) {
	cases := map[int64]string{0: "root", 101: "nginx", 999: "redis", 65534: "nobody", 1000: "1000"}
	for _, id := range slices.Sorted(maps.Keys(cases)) {
		t.Run(cases[id], func(t *testing.T) {
			if got := UserName(id); got != cases[id] {
				t.Errorf("UserName(%d) = %q, want %q", id, got, cases[id])
			}
		})
	}
}

// Every builtin is run by a case above.
func TestEveryBuiltinIsCovered(t *testing.T) {
	run := map[string]bool{}
	for _, cases := range [][]scriptCase{parsingCases, expansionCases, controlFlowCases, builtinCases, networkCases, sharedVolumeCases} {
		for _, c := range cases {
			words := c.argv
			if words == nil {
				words = strings.FieldsFunc(c.script, func(r rune) bool { return strings.ContainsRune(" \t\n;|&()`$", r) })
			}
			for _, w := range words {
				run[w] = true
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(builtins)) {
		if !run[name] {
			t.Errorf("no case runs %s", name)
		}
	}
}
