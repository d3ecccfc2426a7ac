//go:build !linux

package embedded

import "syscall"

// childAttrs: without Pdeathsig, the startup cleanup ends orphans.
func childAttrs() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
