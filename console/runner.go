package console

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/kubelab/kubelab/text"
)

// DefaultTimeout is how long Runner.Run lets kubectl run when
// Runner.Timeout is zero.
const DefaultTimeout = 15 * time.Second

// DefaultMaxOutput is how much output Runner.Run keeps when
// Runner.MaxOutput is zero: 64 KiB.
const DefaultMaxOutput = 64 << 10

// Runner runs console commands with the kubectl built into kubelab. The zero
// value is ready to use; a Runner is safe for concurrent use.
type Runner struct {
	// Binary is the kubelab executable, run as `Binary kubectl ...`.
	// Empty means the running executable (the kubelab server itself).
	Binary string
	// Timeout is how long kubectl may run before its process group is
	// killed; zero means DefaultTimeout.
	Timeout time.Duration
	// MaxOutput is how many bytes of output are kept; zero means
	// DefaultMaxOutput. Output past it is read and thrown away, so kubectl
	// never blocks on a full pipe and finishes what it was doing.
	MaxOutput int
	// HomeDir is where the private home directories of the sandboxes are
	// made, one for each kubeconfig; kubectl keeps its discovery and HTTP
	// caches there. Empty means a directory kubelab-console-UID in the
	// system's temporary directory. It must belong to the server's user and
	// be closed to others (mode 0700); Run refuses to use it otherwise.
	HomeDir string
	// OneShot runs every command in a kubectl process of its own, started
	// for it. By default a sandbox's commands run one after another in a
	// worker process kept for its kubeconfig (see ServeWorker), which
	// costs a command kubectl's own work instead of a process start.
	OneShot bool
	// WorkerIdle is how long a worker with nothing to do is kept; zero
	// means DefaultWorkerIdle.
	WorkerIdle time.Duration
	// SpareTrimAfter is how long spare workers beyond the count of
	// SetSpares wait before they are stopped; zero means
	// DefaultSpareTrimAfter.
	SpareTrimAfter time.Duration

	mu      sync.Mutex
	idle    map[string][]*worker // by the --kubeconfig argument
	reaping bool
	closed  bool
	spare   spares
}

// Result is what one kubectl run gave.
type Result struct {
	// Output is kubectl's standard output and standard error as they came,
	// interleaved, cut at the Runner's MaxOutput and cleaned by Sanitize.
	// When the run was cut short or its output was truncated, a last line
	// in brackets says so, in English and Korean.
	Output string
	// ExitCode is kubectl's exit code; 128+N if a signal N ended it (137
	// after a timeout), and -1 if kubectl could not be started or the
	// arguments were refused.
	ExitCode int
	// Truncated is true if output past MaxOutput was thrown away.
	Truncated bool
	// TimedOut is true if kubectl was killed after Timeout.
	TimedOut bool
	// Duration is how long the run took.
	Duration time.Duration
}

// Run runs `Binary kubectl --kubeconfig=KUBECONFIG ARGV...` and returns its
// output. argv is what Parse returned: the arguments after the word
// kubectl; Run checks them again with Validate and refuses them as Parse
// would. The --kubeconfig flag is added here and only here.
//
// kubectl runs with standard input empty (/dev/null), in the sandbox's
// private home directory, and with an environment holding only HOME (that
// directory), an empty PATH, KUBECACHEDIR under HOME, NO_COLOR=1,
// TERM=dumb and KUBECTL_KUBERC=false (no kuberc preferences or aliases;
// kubectl versions without kuberc ignore it). It runs in a process group
// of its own, which is killed when Timeout passes or ctx is done, so that
// `kubectl get pods -w` ends with the output it had printed so far. That
// process is a worker kept for the kubeconfig (ServeWorker), or, with
// OneShot, one started for the command.
func (r *Runner) Run(ctx context.Context, kubeconfig string, argv []string) Result {
	start := time.Now()
	res := r.run(ctx, kubeconfig, argv)
	res.Duration = time.Since(start)
	return res
}

func (r *Runner) run(ctx context.Context, kubeconfig string, argv []string) Result {
	if err := Validate(argv); err != nil {
		return Result{Output: "kubelab: refused: " + err.Error() + "\n", ExitCode: -1}
	}
	cmd, home, err := r.command(kubeconfig, argv)
	if err != nil {
		return Result{Output: "kubelab: cannot run kubectl: " + err.Error() + "\n", ExitCode: -1}
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	limit := r.MaxOutput
	if limit <= 0 {
		limit = DefaultMaxOutput
	}

	out := &capBuffer{max: limit}
	var (
		res      Result
		canceled bool
	)
	if r.workers() {
		res, canceled, err = r.runOnAWorker(ctx, cmd, timeout, out)
	} else {
		res, canceled, err = runProcess(ctx, cmd, timeout, out)
	}
	if err != nil {
		return Result{Output: fmt.Sprintf("kubelab: cannot run kubectl: %v\n", err), ExitCode: -1}
	}
	res.Truncated = out.truncated
	output := out.buf
	if res.Truncated {
		output = trimPartialRune(output)
	}
	var notes []string
	if res.Truncated {
		notes = append(notes, note(msg("note-truncated").Format(text.New(sizeKo(limit), size(limit)))))
	}
	switch {
	case res.TimedOut:
		notes = append(notes, note(msg("note-timed-out").Format(text.New(durationKo(timeout), timeout.String()))))
	case canceled:
		notes = append(notes, note(msg("note-canceled")))
	}
	bin, _ := r.binary()
	res.Output = redactOutput(Sanitize(string(output)), argv, kubeconfig, home, bin)
	if len(notes) > 0 {
		if res.Output != "" && !strings.HasSuffix(res.Output, "\n") {
			res.Output += "\n"
		}
		res.Output += strings.Join(notes, "\n") + "\n"
	}
	return res
}

// command prepares the kubectl command for Run, with its environment, and
// returns it with the sandbox's home directory.
func (r *Runner) command(kubeconfig string, argv []string) (*exec.Cmd, string, error) {
	if kubeconfig == "" {
		return nil, "", errors.New("no kubeconfig")
	}
	kc, err := filepath.Abs(kubeconfig) // kubectl runs in another directory
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig %q: %w", kubeconfig, err)
	}
	bin, err := r.binary()
	if err != nil {
		return nil, "", err
	}
	home, err := r.Home(kc)
	if err != nil {
		return nil, "", err
	}
	args := make([]string, 0, len(argv)+2)
	args = append(args, "kubectl", "--kubeconfig="+kc)
	args = append(args, argv...)
	cmd := exec.Command(bin, args...)
	cmd.Dir = home
	cmd.Env = environment(home)
	return cmd, home, nil
}

// environment is kubectl's whole environment with home as its home
// directory: no PATH (so nothing else can be run), caches in home, plain
// output, no kuberc.
func environment(home string) []string {
	return []string{
		"HOME=" + home,
		"PATH=",
		"KUBECACHEDIR=" + filepath.Join(home, "cache"),
		"NO_COLOR=1",
		"TERM=dumb",
		"KUBECTL_KUBERC=false",
	}
}

// binary is the absolute path of the kubelab executable.
func (r *Runner) binary() (string, error) {
	bin := r.Binary
	if bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return "", fmt.Errorf("kubelab executable: %w", err)
		}
		return exe, nil
	}
	if !strings.ContainsRune(bin, filepath.Separator) {
		found, err := exec.LookPath(bin)
		if err != nil {
			return "", fmt.Errorf("kubelab executable: %w", err)
		}
		bin = found
	}
	abs, err := filepath.Abs(bin)
	if err != nil {
		return "", fmt.Errorf("kubelab executable %q: %w", bin, err)
	}
	return abs, nil
}

// Home returns the private home directory that Run gives kubectl for a
// kubeconfig, making it if needed: a directory of HomeDir named after a
// hash of the kubeconfig's absolute path, mode 0700.
func (r *Runner) Home(kubeconfig string) (string, error) {
	dir, err := r.homePath(kubeconfig)
	if err != nil {
		return "", err
	}
	if _, err := r.homeBase(); err != nil {
		return "", err
	}
	if err := privateDir(dir); err != nil {
		return "", fmt.Errorf("console home directory: %w", err)
	}
	return dir, nil
}

// Forget removes the private home directory of a kubeconfig, with
// kubectl's caches: for when its sandbox is deleted.
func (r *Runner) Forget(kubeconfig string) error {
	dir, err := r.homePath(kubeconfig)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("console home directory: %w", err)
	}
	return nil
}

func (r *Runner) homePath(kubeconfig string) (string, error) {
	kc, err := filepath.Abs(kubeconfig)
	if err != nil {
		return "", fmt.Errorf("kubeconfig %q: %w", kubeconfig, err)
	}
	base, err := r.basePath()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(kc))
	return filepath.Join(base, hex.EncodeToString(sum[:8])), nil
}

// basePath is the absolute path of the directory that holds the sandboxes'
// home directories.
func (r *Runner) basePath() (string, error) {
	base := r.HomeDir
	if base == "" {
		base = filepath.Join(os.TempDir(), fmt.Sprintf("kubelab-console-%d", os.Getuid()))
	}
	base, err := filepath.Abs(base)
	if err != nil {
		return "", fmt.Errorf("console home directory: %w", err)
	}
	return base, nil
}

// homeBase returns the directory of the sandboxes' home directories,
// making it if needed, and checks that it is private.
func (r *Runner) homeBase() (string, error) {
	base, err := r.basePath()
	if err != nil {
		return "", err
	}
	if r.HomeDir != "" {
		if err := os.MkdirAll(base, 0o700); err != nil {
			return "", fmt.Errorf("console home directory: %w", err)
		}
	}
	if err := privateDir(base); err != nil {
		return "", fmt.Errorf("console home directory: %w", err)
	}
	return base, nil
}

// privateDir makes dir with mode 0700 if it does not exist, and checks that
// it is a real directory (not a symbolic link) of this user, closed to
// others.
func privateDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	if !ownedByMe(fi) {
		return fmt.Errorf("%s belongs to another user", dir)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("%s is open to other users: %w", dir, err)
		}
	}
	return nil
}

// capBuffer keeps the first max bytes written to it and counts the rest as
// thrown away. Only one goroutine writes to it.
type capBuffer struct {
	buf       []byte
	max       int
	truncated bool
}

func (b *capBuffer) Write(p []byte) (int, error) {
	room := b.max - len(b.buf)
	switch {
	case len(p) <= room:
		b.buf = append(b.buf, p...)
	default:
		if room > 0 {
			b.buf = append(b.buf, p[:room]...)
		}
		b.truncated = true
	}
	return len(p), nil
}

// trimPartialRune drops an incomplete UTF-8 character at the end of b, left
// by cutting the output.
func trimPartialRune(b []byte) []byte {
	for i := 1; i <= utf8.UTFMax && i <= len(b); i++ {
		if utf8.RuneStart(b[len(b)-i]) {
			if !utf8.FullRune(b[len(b)-i:]) {
				return b[:len(b)-i]
			}
			break
		}
	}
	return b
}

// note is a note added to a command's output, in both languages: [kubelab:
// English / Korean].
func note(t text.Text) string { return "[kubelab: " + t.En + " / " + t.Ko + "]" }

// size writes a byte count for people: 64 KiB, 1.5 KiB, 300 bytes.
func size(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// sizeKo is size in Korean.
func sizeKo(n int) string {
	s := size(n)
	if num, ok := strings.CutSuffix(s, " bytes"); ok {
		return num + "바이트"
	}
	return s
}

// durationKo writes a duration in Korean: 15초, 500밀리초, 1분 30초.
func durationKo(d time.Duration) string {
	switch {
	case d%time.Second != 0 && d < time.Second && d%time.Millisecond == 0:
		return fmt.Sprintf("%d밀리초", d.Milliseconds())
	case d%time.Second != 0:
		return d.String()
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%d분", int(d.Minutes()))
	case d >= time.Minute:
		return fmt.Sprintf("%d분 %d초", int(d.Minutes()), int((d%time.Minute)/time.Second))
	}
	return fmt.Sprintf("%d초", int(d.Seconds()))
}

// runProcess runs cmd as a kubectl process of its own and writes its
// output to out.
func runProcess(ctx context.Context, cmd *exec.Cmd, timeout time.Duration, out io.Writer) (res Result, canceled bool, err error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return res, false, fmt.Errorf("output pipe: %w", err)
	}
	cmd.Stdout, cmd.Stderr = pw, pw // one pipe: the two streams stay in order
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return res, false, err
	}
	pw.Close() // kubectl has its copy; EOF comes when every writer is gone
	pid := cmd.Process.Pid

	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		_, _ = io.Copy(out, pr)
	}()
	waitDone := make(chan struct{})
	go func() {
		_ = cmd.Wait() // the exit status is read from cmd.ProcessState
		close(waitDone)
	}()

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-waitDone:
	case <-timer.C:
		res.TimedOut = true
		killGroup(pid)
		<-waitDone
	case <-ctx.Done():
		canceled = true
		killGroup(pid)
		<-waitDone
	}
	// kubectl has exited. Whatever still holds the pipe is one of its
	// children, in its process group: give it a moment, then kill the group
	// and stop reading.
	select {
	case <-readDone:
	case <-time.After(250 * time.Millisecond):
		killGroup(pid)
		select {
		case <-readDone:
		case <-time.After(2 * time.Second):
			pr.Close() // unblocks the reader
			<-readDone
		}
	}
	pr.Close()

	res.ExitCode = exitCode(cmd.ProcessState)
	return res, canceled, nil
}
