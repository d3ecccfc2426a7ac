//go:build !unix

package console

import (
	"io/fs"
	"os"
	"syscall"
)

// procAttr has no process groups to set up on this system.
func procAttr() *syscall.SysProcAttr { return nil }

// killGroup cannot find kubectl's process group on this system; the
// command's own Wait still returns once kubectl is killed by its timeout.
func killGroup(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}

// exitCode is the exit code of a finished process.
func exitCode(ps *os.ProcessState) int {
	if ps == nil {
		return -1
	}
	return ps.ExitCode()
}

// ownedByMe cannot tell owners apart on this system.
func ownedByMe(fs.FileInfo) bool { return true }

// hasChildren cannot list this process's children on this system.
func hasChildren() bool { return false }
