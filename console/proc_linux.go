//go:build linux

package console

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
)

// procAttr puts kubectl in a process group of its own, so that all of it
// can be killed, and kills it if the server dies first.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// hasChildren reports whether this process has child processes (read from
// /proc/self/task/*/children).
func hasChildren() bool {
	tasks, _ := filepath.Glob("/proc/self/task/*/children")
	for _, t := range tasks {
		if b, err := os.ReadFile(t); err == nil && len(bytes.TrimSpace(b)) > 0 {
			return true
		}
	}
	return false
}
