package embedded

import "syscall"

// childAttrs makes a sandbox process die with the server (no orphans).
func childAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
