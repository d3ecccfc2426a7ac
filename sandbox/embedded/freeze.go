package embedded

import (
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/kubelab/kubelab/sandbox"
)

// Freezing: a sandbox nobody holds (no page open, no kubectl connection)
// and nobody touched for Options.FreezeAfter is frozen with SIGSTOP. Its
// process keeps its memory and uses no CPU at all; SIGCONT brings it back
// in a few milliseconds, exactly as it was. The control plane inside
// measures node health on a clock that does not count the freeze
// (sandbox/internal/pauseclock), so nodes stay Ready and no pod is
// evicted when it comes back.

// errHeld is returned by Freeze for a sandbox that is in use.
var errHeld = errors.New("embedded: sandbox is in use")

// Hold implements sandbox.Holder.
func (b *Backend) Hold(name string) (release func()) {
	b.mu.Lock()
	b.holds[name]++
	c := b.children[b.index[name]]
	if c != nil && c.state == sandbox.StateFrozen {
		b.thawLocked(c)
	}
	b.mu.Unlock()
	var done bool
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if done {
			return
		}
		done = true
		if b.holds[name]--; b.holds[name] <= 0 {
			delete(b.holds, name)
		}
		if c := b.children[b.index[name]]; c != nil {
			c.lastUsed = time.Now()
		}
	}
}

// Notify implements sandbox.Notifier.
func (b *Backend) Notify(f func(name string, state sandbox.State)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.notifiers = append(b.notifiers, f)
}

// notify calls the registered functions; b.mu must not be held.
func (b *Backend) notify(name string, st sandbox.State) {
	b.mu.Lock()
	fs := append([]func(string, sandbox.State){}, b.notifiers...)
	b.mu.Unlock()
	for _, f := range fs {
		f(name, st)
	}
}

// nameOfLocked returns the learner name of directory id ("" for a warm
// sandbox); b.mu must be held.
func (b *Backend) nameOfLocked(id string) string {
	for n, i := range b.index {
		if i == id {
			return n
		}
	}
	return ""
}

// Freeze stops a running sandbox's process in memory. Clients are told
// first (Notify), so that they can close their connections to it.
func (b *Backend) Freeze(name string) error {
	b.mu.Lock()
	c := b.children[b.index[name]]
	ok := c != nil && c.state == sandbox.StateReady && b.holds[name] == 0
	b.mu.Unlock()
	if !ok {
		return fmt.Errorf("embedded: freeze %s: %w", name, errHeld)
	}
	b.notify(name, sandbox.StateFrozen)
	b.mu.Lock()
	defer b.mu.Unlock()
	// Somebody may have come back while clients were told.
	if c.state != sandbox.StateReady || b.holds[name] > 0 {
		return fmt.Errorf("embedded: freeze %s: %w", name, errHeld)
	}
	if err := syscall.Kill(c.cmd.Process.Pid, syscall.SIGSTOP); err != nil {
		return fmt.Errorf("embedded: freeze %s: %w", name, err)
	}
	c.state, c.since = sandbox.StateFrozen, time.Now()
	return nil
}

// Thaw continues a frozen sandbox; it is a no-op for any other state.
// Acquire thaws too.
func (b *Backend) Thaw(name string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c := b.children[b.index[name]]; c != nil && c.state == sandbox.StateFrozen {
		return b.thawLocked(c)
	}
	return nil
}

// thawLocked continues c; b.mu must be held.
func (b *Backend) thawLocked(c *child) error {
	if err := syscall.Kill(c.cmd.Process.Pid, syscall.SIGCONT); err != nil {
		return fmt.Errorf("embedded: thaw: %w", err)
	}
	c.state, c.since, c.lastUsed = sandbox.StateReady, time.Now(), time.Now()
	return nil
}

// freezeIdle freezes every ready sandbox that nobody holds and nobody
// touched for FreezeAfter.
func (b *Backend) freezeIdle() {
	if b.opts.FreezeAfter <= 0 {
		return
	}
	var names []string
	b.mu.Lock()
	for name, id := range b.index {
		c := b.children[id]
		if c != nil && c.state == sandbox.StateReady && b.holds[name] == 0 && time.Since(c.lastUsed) > b.opts.FreezeAfter {
			names = append(names, name)
		}
	}
	// Warm sandboxes wait frozen: they cost memory, not CPU, until handed out.
	for _, c := range b.warm {
		if c.state == sandbox.StateReady && !c.evicting && time.Since(c.lastUsed) > b.opts.FreezeAfter {
			if syscall.Kill(c.cmd.Process.Pid, syscall.SIGSTOP) == nil {
				c.state, c.since = sandbox.StateFrozen, time.Now()
			}
		}
	}
	b.mu.Unlock()
	for _, n := range names {
		_ = b.Freeze(n)
	}
}

// evictFrozenLocked stops the least recently used frozen sandbox to make
// room for a running one and returns it (nil if there is none). b.mu must
// be held; the stop completes in the background, and the sandbox counts
// as running until its process has exited.
func (b *Backend) evictFrozenLocked() *child {
	var oldest *child
	for _, c := range b.children {
		if c.state == sandbox.StateFrozen && !c.evicting && (oldest == nil || c.lastUsed.Before(oldest.lastUsed)) {
			oldest = c
		}
	}
	if oldest == nil {
		return nil
	}
	oldest.evicting = true
	_ = syscall.Kill(oldest.cmd.Process.Pid, syscall.SIGTERM)
	_ = syscall.Kill(oldest.cmd.Process.Pid, syscall.SIGCONT)
	return oldest
}
