//go:build unix

package console

import (
	"io/fs"
	"os"
	"syscall"
)

// killGroup kills the process group that kubectl leads, with whatever it
// started.
func killGroup(pid int) {
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}

// exitCode is the exit code of a finished process: 128+N if signal N
// ended it, the shell's convention.
func exitCode(ps *os.ProcessState) int {
	if ps == nil {
		return -1
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

// ownedByMe reports whether a file belongs to the user running this process.
func ownedByMe(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}
