//go:build unix && !linux

package console

import "syscall"

// procAttr puts kubectl in a process group of its own, so that all of it
// can be killed.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// hasChildren cannot list this process's children on this system.
func hasChildren() bool { return false }
