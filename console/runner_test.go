package console

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeRunner runs the test binary as kubelab; see fakeKubectl.
func fakeRunner(t *testing.T) (*Runner, string) {
	t.Helper()
	dir := t.TempDir()
	kc := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kc, []byte("apiVersion: v1\nkind: Config\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return &Runner{Binary: mustExecutable(), HomeDir: filepath.Join(dir, "homes")}, kc
}

func TestRunEnvironment(t *testing.T) {
	r, kc := fakeRunner(t)
	res := r.Run(context.Background(), kc, []string{"get", "env"})
	if res.ExitCode != 0 || res.TimedOut || res.Truncated {
		t.Fatalf("result %+v", res)
	}
	home, err := r.Home(kc)
	if err != nil {
		t.Fatal(err)
	}
	// The output shows the home directory as "~" and the kubeconfig as "~/.kube/config"
	// (redactOutput replaces exactly those paths): HOME and the working directory are the
	// sandbox's home, and kubectl gets the kubeconfig's absolute path.
	want := strings.Join([]string{
		"env HOME=~",
		"env KUBECACHEDIR=~/cache",
		"env KUBECTL_KUBERC=false",
		"env NO_COLOR=1",
		"env PATH=",
		"env TERM=dumb",
		"wd ~",
		"arg0 --kubeconfig=~/.kube/config",
		"stdin 0 <nil>",
	}, "\n") + "\n"
	if res.Output != want {
		t.Fatalf("output:\n%s\nwant:\n%s", res.Output, want)
	}
	fi, err := os.Stat(home)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("home %s: %v %v", home, fi.Mode(), err)
	}
	if res.Duration <= 0 {
		t.Fatalf("duration %v", res.Duration)
	}
	// Another kubeconfig gets another home.
	other, err := r.Home(kc + "2")
	if err != nil || other == home {
		t.Fatalf("other home %q %v", other, err)
	}
	if err := r.Forget(kc); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(home); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("home after Forget: %v", err)
	}
}

func TestRunRelativeKubeconfig(t *testing.T) {
	r, kc := fakeRunner(t)
	wd, _ := os.Getwd()
	rel, err := filepath.Rel(wd, kc)
	if err != nil {
		t.Fatal(err)
	}
	res := r.Run(context.Background(), rel, []string{"get", "env"})
	if !strings.Contains(res.Output, "arg0 --kubeconfig=~/.kube/config\n") { // the absolute path, redacted
		t.Fatalf("output:\n%s", res.Output)
	}
}

func TestRunInterleavesStreams(t *testing.T) {
	r, kc := fakeRunner(t)
	res := r.Run(context.Background(), kc, []string{"get", "both"})
	want := "out 0\nerr 0\nout 1\nerr 1\nout 2\nerr 2\n"
	if res.Output != want || res.ExitCode != 0 {
		t.Fatalf("output %q exit %d, want %q", res.Output, res.ExitCode, want)
	}
}

func TestRunExitCode(t *testing.T) {
	r, kc := fakeRunner(t)
	res := r.Run(context.Background(), kc, []string{"get", "exit", "7"})
	if res.ExitCode != 7 || res.Output != "bye\n" {
		t.Fatalf("result %+v", res)
	}
}

func TestRunTruncates(t *testing.T) {
	r, kc := fakeRunner(t)
	r.MaxOutput = 1000
	res := r.Run(context.Background(), kc, []string{"get", "spam", "300000"})
	if !res.Truncated || res.TimedOut {
		t.Fatalf("result %+v", res)
	}
	// kubectl was drained to its end: its own exit code.
	if res.ExitCode != 3 {
		t.Fatalf("exit code %d", res.ExitCode)
	}
	body, note, ok := strings.Cut(res.Output, "\n")
	if !ok || len(body) != 1000 || !strings.HasPrefix(body, "abcdefghijklmnopqrstuvwxyz") {
		t.Fatalf("output %d bytes: %.80q", len(body), body)
	}
	if !strings.Contains(note, "output cut at 1000 bytes") || !strings.Contains(note, "출력") {
		t.Fatalf("note %q", note)
	}
}

func TestRunDefaultLimits(t *testing.T) {
	r, kc := fakeRunner(t)
	res := r.Run(context.Background(), kc, []string{"get", "spam", strconv.Itoa(DefaultMaxOutput + 1)})
	if !res.Truncated || !strings.Contains(res.Output, "64 KiB") {
		t.Fatalf("truncated %v, output tail %q", res.Truncated, res.Output[len(res.Output)-100:])
	}
	res = r.Run(context.Background(), kc, []string{"get", "spam", strconv.Itoa(DefaultMaxOutput)})
	if res.Truncated || len(res.Output) != DefaultMaxOutput {
		t.Fatalf("truncated %v, %d bytes", res.Truncated, len(res.Output))
	}
}

// gone waits until a process no longer exists (or is a zombie).
func gone(pid int) bool {
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return true
		}
		if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
			if i := strings.LastIndexByte(string(b), ')'); i > 0 && strings.HasPrefix(string(b[i:]), ") Z") {
				return true
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func childPid(t *testing.T, output string) int {
	t.Helper()
	for _, line := range strings.Split(output, "\n") {
		if p, ok := strings.CutPrefix(line, "child "); ok {
			pid, err := strconv.Atoi(p)
			if err == nil {
				return pid
			}
		}
	}
	t.Fatalf("no child pid in %q", output)
	return 0
}

func TestRunTimeoutKillsGroup(t *testing.T) {
	r, kc := fakeRunner(t)
	r.Timeout = 500 * time.Millisecond
	res := r.Run(context.Background(), kc, []string{"get", "sleep"})
	if !res.TimedOut || res.ExitCode != 128+int(syscall.SIGKILL) {
		t.Fatalf("result %+v", res)
	}
	if res.Duration < 500*time.Millisecond || res.Duration > 5*time.Second {
		t.Fatalf("duration %v", res.Duration)
	}
	if !strings.Contains(res.Output, "stopped after 500ms") {
		t.Fatalf("output %q", res.Output)
	}
	if pid := childPid(t, res.Output); !gone(pid) {
		t.Fatalf("child %d still runs", pid)
	}
}

func TestRunCancel(t *testing.T) {
	r, kc := fakeRunner(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	res := r.Run(ctx, kc, []string{"get", "sleep"})
	if res.TimedOut || !strings.Contains(res.Output, "canceled") || res.Duration > 5*time.Second {
		t.Fatalf("result %+v", res)
	}
	if pid := childPid(t, res.Output); !gone(pid) {
		t.Fatalf("child %d still runs", pid)
	}
}

func TestRunOrphanHoldingOutput(t *testing.T) {
	r, kc := fakeRunner(t)
	res := r.Run(context.Background(), kc, []string{"get", "orphan"})
	if res.ExitCode != 0 || res.TimedOut || res.Duration > 5*time.Second {
		t.Fatalf("result %+v", res)
	}
	if pid := childPid(t, res.Output); !gone(pid) {
		t.Fatalf("child %d still runs", pid)
	}
}

func TestRunSanitizes(t *testing.T) {
	r, kc := fakeRunner(t)
	res := r.Run(context.Background(), kc, []string{"get", "ansi"})
	if res.Output != "red\nplain\n" {
		t.Fatalf("output %q", res.Output)
	}
}

func TestRunRefuses(t *testing.T) {
	r, kc := fakeRunner(t)
	for _, argv := range [][]string{
		{"proxy"},
		{"get", "pods", "--kubeconfig=/etc/kubernetes/admin.conf"},
		{"apply", "-f", "/etc/passwd"},
	} {
		res := r.Run(context.Background(), kc, argv)
		if res.ExitCode != -1 || !strings.Contains(res.Output, "refused") {
			t.Errorf("Run(%q) = %+v", argv, res)
		}
	}
}

func TestRunStartErrors(t *testing.T) {
	_, kc := fakeRunner(t)
	r := &Runner{Binary: filepath.Join(t.TempDir(), "no-such-kubelab"), HomeDir: t.TempDir()}
	res := r.Run(context.Background(), kc, []string{"get", "pods"})
	if res.ExitCode != -1 || !strings.Contains(res.Output, "cannot run kubectl") {
		t.Fatalf("result %+v", res)
	}
	res = r.Run(context.Background(), "", []string{"get", "pods"})
	if res.ExitCode != -1 || !strings.Contains(res.Output, "no kubeconfig") {
		t.Fatalf("result %+v", res)
	}
}

func TestHomeDirChecks(t *testing.T) {
	dir := t.TempDir()
	// A symbolic link is not a private directory.
	target := filepath.Join(dir, "target")
	if err := os.Mkdir(target, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	r := &Runner{HomeDir: link}
	if _, err := r.Home("/x/kubeconfig"); err == nil {
		t.Fatal("Home accepted a symbolic link")
	}
	// An open directory is closed.
	open := filepath.Join(dir, "open")
	if err := os.Mkdir(open, 0o755); err != nil {
		t.Fatal(err)
	}
	r = &Runner{HomeDir: open}
	home, err := r.Home("/x/kubeconfig")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{open, home} {
		if fi, err := os.Stat(d); err != nil || fi.Mode().Perm() != 0o700 {
			t.Fatalf("%s: %v %v", d, fi.Mode(), err)
		}
	}
	// The default is in the temporary directory, for this user.
	def, err := (&Runner{}).homePath("/x/kubeconfig")
	if err != nil || !strings.HasPrefix(def, filepath.Join(os.TempDir(), "kubelab-console-")) {
		t.Fatalf("default home %q %v", def, err)
	}
}

func TestSanitize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text\n", "plain text\n"},
		{"\x1b[1;31mbold red\x1b[0m", "bold red"},
		{"\x1b[38;5;208mx\x1b[m", "x"},
		{"a\x1b[2Kb\x1b[1Gc", "abc"},
		{"\x1b]0;window title\x07after", "after"},
		{"\x1b]8;;https://example.com\x1b\\link\x1b]8;;\x1b\\", "link"},
		{"\x1b(Bx\x1b7y\x1b8", "xy"},
		{"\u009b31mred", "red"},
		{"\u009d0;title\u009cx", "x"},
		{"line\r\nnext\r\n", "line\nnext\n"},
		{"50%\r100%\n", "50%\n100%\n"},
		{"tab\there\n", "tab\there\n"},
		{"bell\a back\bspace\x00nul", "bell backspacenul"},
		{"한국어 \u00e9\n", "한국어 \u00e9\n"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
		{"\x1b]unterminated\nnext line", "\nnext line"},
		{"\x1b", ""},
		{"\x1b[", ""},
	}
	for _, tt := range tests {
		if got := Sanitize(tt.in); got != tt.want {
			t.Errorf("Sanitize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTrimPartialRune(t *testing.T) {
	s := []byte("ab한")
	for i := 0; i <= len(s); i++ {
		got := string(trimPartialRune(s[:i]))
		if !strings.HasPrefix("ab한", got) || len(got) < i-2 {
			t.Errorf("trimPartialRune(%q) = %q", s[:i], got)
		}
		if i == 3 || i == 4 {
			if got != "ab" {
				t.Errorf("trimPartialRune(%q) = %q, want ab", s[:i], got)
			}
		}
	}
}

func TestNotesInKorean(t *testing.T) {
	for d, want := range map[time.Duration]string{
		15 * time.Second: "15초", 500 * time.Millisecond: "500밀리초", 90 * time.Second: "1분 30초",
		2 * time.Minute: "2분", 1500 * time.Millisecond: "1.5s",
	} {
		if got := durationKo(d); got != want {
			t.Errorf("durationKo(%v) = %q, want %q", d, got, want)
		}
	}
	for n, want := range map[int]string{512: "512바이트", 64 << 10: "64 KiB", 1536: "1.5 KiB", 1 << 20: "1 MiB"} {
		if got := sizeKo(n); got != want {
			t.Errorf("sizeKo(%d) = %q, want %q", n, got, want)
		}
	}
}
