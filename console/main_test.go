package console

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary stand in for kubelab (`console.test
// kubectl ...` acts as a fake kubectl for the runner's unit tests), and
// stops the sandbox cluster of the integration tests, if they started one.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "kubectl" {
		os.Exit(fakeKubectl(os.Args[2:]))
	}
	if len(os.Args) > 1 && os.Args[1] == WorkerArg {
		os.Exit(ServeWorker(fakeKubectl))
	}
	code := m.Run()
	stopSandbox()
	os.Exit(code)
}

// fakeKubectl behaves as asked by its arguments: --kubeconfig=..., then an
// allowed kubectl command (so that Run lets it through), then what to do.
func fakeKubectl(args []string) int {
	if len(args) < 3 || !strings.HasPrefix(args[0], "--kubeconfig=") {
		fmt.Fprintf(os.Stderr, "fake kubectl: bad arguments %q\n", args)
		return 2
	}
	what, rest := args[2], args[3:]
	switch what {
	case "env": // the environment, directory, arguments and stdin
		env := os.Environ()
		sort.Strings(env)
		for _, e := range env {
			fmt.Println("env", e)
		}
		wd, _ := os.Getwd()
		fmt.Println("wd", wd)
		fmt.Println("arg0", args[0])
		n, err := io.Copy(io.Discard, os.Stdin)
		fmt.Println("stdin", n, err)
	case "both": // stdout and stderr, in turns
		for i := 0; i < 3; i++ {
			fmt.Fprintf(os.Stdout, "out %d\n", i)
			fmt.Fprintf(os.Stderr, "err %d\n", i)
		}
	case "spam": // N bytes, then exit 3
		n, _ := strconv.Atoi(rest[0])
		w := bufio.NewWriter(os.Stdout)
		for i := 0; i < n; i++ {
			w.WriteByte('a' + byte(i%26))
		}
		w.Flush()
		return 3
	case "ansi":
		fmt.Print("\x1b[31mred\x1b[0m\r\n\x1b]0;title\x07plain\n")
	case "pid": // which process served the command
		fmt.Println("pid", os.Getpid())
	case "fatal": // what kubectl's fatal-error handler does in a worker
		fmt.Fprintln(os.Stderr, "error: it failed")
		Exit(5)
		fmt.Println("not reached")
	case "panic":
		panic("boom")
	case "exit":
		fmt.Println("bye")
		code, _ := strconv.Atoi(rest[0])
		return code
	case "sleep": // a child in the group, then wait forever
		child := exec.Command(mustExecutable(), "kubectl", args[0], "get", "child")
		child.Stdout = os.Stdout
		if err := child.Start(); err != nil {
			fmt.Println("child:", err)
			return 1
		}
		fmt.Println("child", child.Process.Pid)
		time.Sleep(time.Hour)
	case "orphan": // a child that keeps the output open after we exit
		child := exec.Command(mustExecutable(), "kubectl", args[0], "get", "child")
		child.Stdout = os.Stdout
		if err := child.Start(); err != nil {
			fmt.Println("child:", err)
			return 1
		}
		fmt.Println("child", child.Process.Pid)
		return 0
	case "child":
		time.Sleep(time.Hour)
	default:
		fmt.Fprintf(os.Stderr, "fake kubectl: unknown %q\n", what)
		return 2
	}
	return 0
}

func mustExecutable() string {
	exe, err := os.Executable()
	if err != nil {
		panic(err)
	}
	return exe
}

// The sandbox cluster of the integration tests: started by the first test
// that needs it, stopped by TestMain.
var sandbox struct {
	once       sync.Once
	binary     string // a copy of ../bin/kubelab, so that a rebuild does not disturb the tests
	dir        string
	kubeconfig string
	cmd        *exec.Cmd
	err        error
}

// kubelabBinary returns a copy of ../bin/kubelab, or skips the test.
func kubelabBinary(t testing.TB) string {
	t.Helper()
	src, err := filepath.Abs(filepath.Join("..", "bin", "kubelab"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(src); err != nil {
		t.Skipf("integration test skipped: %s is missing (run `make build` first)", src)
	}
	sandbox.once.Do(func() { sandbox.err = startSandbox(src) })
	if sandbox.err != nil {
		t.Fatalf("sandbox: %v", sandbox.err)
	}
	return sandbox.binary
}

// sandboxKubeconfig returns the kubeconfig of the running sandbox, or
// skips the test.
func sandboxKubeconfig(t *testing.T) string {
	t.Helper()
	kubelabBinary(t)
	return sandbox.kubeconfig
}

func startSandbox(src string) error {
	dir, err := os.MkdirTemp("", "kubelab-console-test-")
	if err != nil {
		return err
	}
	sandbox.dir = dir
	bin := filepath.Join(dir, "kubelab")
	if err := copyFile(bin, src); err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	sandbox.binary = bin
	data := filepath.Join(dir, "sandbox")
	cmd := exec.Command(bin, "sandbox", "up", "--dir", data)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := os.Create(filepath.Join(dir, "sandbox.stderr"))
	if err != nil {
		return err
	}
	defer stderr.Close() // the child has its own copy
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("sandbox up: %w", err)
	}
	sandbox.cmd = cmd
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		found := false
		for sc.Scan() {
			if !found && strings.HasPrefix(sc.Text(), "ready in ") {
				found = true
				ready <- nil
			}
		}
		if !found {
			ready <- fmt.Errorf("sandbox up ended before it was ready; log:\n%s\n%s",
				tail(filepath.Join(data, "sandbox.log"), 40), tail(filepath.Join(dir, "sandbox.stderr"), 20))
		}
	}()
	select {
	case err := <-ready:
		if err != nil {
			return err
		}
	case <-time.After(3 * time.Minute):
		return fmt.Errorf("sandbox up: not ready after 3 minutes; log:\n%s", tail(filepath.Join(data, "sandbox.log"), 40))
	}
	sandbox.kubeconfig = filepath.Join(data, "kubeconfig")
	return nil
}

// stopSandbox stops the sandbox with SIGTERM, as a person would, and
// waits for it; it kills what is left after 30 seconds.
func stopSandbox() {
	if sandbox.cmd != nil && sandbox.cmd.Process != nil {
		done := make(chan struct{})
		go func() {
			_ = sandbox.cmd.Wait()
			close(done)
		}()
		_ = sandbox.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			fmt.Fprintln(os.Stderr, "sandbox did not stop after SIGTERM; killing it")
			_ = syscall.Kill(-sandbox.cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	if sandbox.dir != "" {
		_ = os.RemoveAll(sandbox.dir)
	}
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
