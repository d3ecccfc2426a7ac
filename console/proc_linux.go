//go:build linux

package console

import "syscall"

// procAttr puts kubectl in a process group of its own, so that all of it
// can be killed, and kills it if the server dies first.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
