package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/kubelab/kubelab/console"
	"github.com/kubelab/kubelab/sandbox/procstats"
)

// processKind names what a process below the server is, read from its
// command line: a sandbox, a console worker, or another kubelab process (a
// one-shot kubectl).
func processKind(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	switch {
	case isSandbox(pid):
		return "sandboxes"
	case strings.Contains(string(b), "\x00"+console.WorkerArg):
		return "console workers"
	default:
		return "other children"
	}
}

// ticksByKind sums the CPU ticks of the server and of its live children by
// kind, and of the children that ended (reaped by the server or a child).
func ticksByKind(pid int) map[string]int {
	t := map[string]int{"server": cpuTicks(pid), "ended children": reapedTicks(pid)}
	for _, c := range descendants(pid) {
		t[processKind(c)] += cpuTicks(c)
		t["ended children"] += reapedTicks(c)
	}
	return t
}

// sandboxDir reads a sandbox process's --dir from its command line.
func sandboxDir(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	args := strings.Split(string(b), "\x00")
	for i, a := range args {
		if a == "--dir" && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// profileArrival profiles the CPU of every sandbox process alive now for
// window (each on its own stats socket, package sandbox/procstats; a frozen
// sandbox answers once it is thawed) and merges the profiles into out. It
// also prints where the machine's CPU went in the window, by process kind.
func profileArrival(bin string, server int, window time.Duration, out string) error {
	before := ticksByKind(server)
	tmp, err := os.MkdirTemp("", "arrival-profile-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		files []string
		errs  []string
	)
	for _, pid := range sandboxes(server) {
		dir := sandboxDir(pid)
		if dir == "" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := filepath.Join(tmp, fmt.Sprintf("%d.pprof", pid))
			if err := fetchProfile(dir, window, f); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Sprintf("sandbox %d: %v", pid, err))
				mu.Unlock()
				return
			}
			mu.Lock()
			files = append(files, f)
			mu.Unlock()
		}()
	}
	wg.Wait()
	after := ticksByKind(server)
	fmt.Printf("CPU in the %s after the first join:", window)
	for _, k := range []string{"server", "sandboxes", "console workers", "other children", "ended children"} {
		fmt.Printf(" %s %.1f s;", k, float64(after[k]-before[k])/100)
	}
	fmt.Println()
	if len(errs) > 0 {
		fmt.Printf("arrival profile: %d sandboxes not profiled (%s)\n", len(errs), errs[0])
	}
	if len(files) == 0 {
		return fmt.Errorf("arrival profile: no sandbox profiled")
	}
	merged, err := exec.Command("go", append([]string{"tool", "pprof", "-proto", bin}, files...)...).Output()
	if err != nil {
		return fmt.Errorf("merging %d sandbox profiles: %w", len(files), err)
	}
	if err := os.WriteFile(out, merged, 0o644); err != nil {
		return err
	}
	fmt.Printf("arrival profile: %d sandboxes merged into %s\n", len(files), out)
	return nil
}

// fetchProfile asks the sandbox in dir, on its stats socket, for a CPU
// profile of window and writes it to file.
func fetchProfile(dir string, window time.Duration, file string) error {
	c, err := procstats.Client(dir)
	if err != nil {
		return err
	}
	c.Timeout = window + time.Minute
	resp, err := c.Get(fmt.Sprintf("http://sandbox/debug/pprof/profile?seconds=%d", int(window.Seconds())))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profile: %s", resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
