// Package embedded is the default sandbox backend: each sandbox is a real
// control plane with simulated nodes, run by a child process of the kubelab
// binary (`kubelab sandbox up --json`). It needs no Docker and no network.
//
// Sandboxes keep their state in directories under Options.Dir, so a stopped
// sandbox resumes with its objects. A warm pool of started, unassigned
// sandboxes makes handing one out nearly instant.
package embedded

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kubelab/kubelab/sandbox"
)

// Options configure the embedded backend.
type Options struct {
	// Dir holds one directory per sandbox and the name index.
	Dir string
	// Binary is the kubelab executable run for each sandbox; empty = this
	// process's own executable.
	Binary string
	// Args are extra arguments for `sandbox up` (e.g. --topology FILE).
	Args []string
	// WarmPool is how many started, unassigned sandboxes to keep ready.
	WarmPool int
	// MaxRunning caps the running sandboxes (pool included); 0 = no cap.
	MaxRunning int
	// IdleTimeout stops a sandbox nobody touched for this long; 0 = never.
	IdleTimeout time.Duration
	// StartTimeout bounds a sandbox's start; 0 = 2 minutes.
	StartTimeout time.Duration
}

// Backend is the embedded sandbox backend.
type Backend struct {
	opts Options

	mu       sync.Mutex
	index    map[string]string // learner name -> directory id
	children map[string]*child // by directory id
	warm     []*child          // ready, unassigned
	filling  int               // warm sandboxes being started
	closed   bool
	stopJan  context.CancelFunc
}

type child struct {
	id       string
	dir      string
	cmd      *exec.Cmd
	state    sandbox.State
	message  string
	since    time.Time
	lastUsed time.Time
	box      *sandbox.Sandbox
	ready    chan struct{} // closed when ready or failed
	exited   chan struct{}
}

// New prepares the backend: it cleans up whatever a crashed server left
// (child processes, unassigned warm directories), then fills the warm pool
// in the background.
func New(opts Options) (*Backend, error) {
	if opts.Dir == "" {
		return nil, errors.New("embedded: no data directory")
	}
	if opts.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("embedded: find own executable: %w", err)
		}
		opts.Binary = exe
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 2 * time.Minute
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded: %w", err)
	}
	b := &Backend{opts: opts, index: map[string]string{}, children: map[string]*child{}}
	if err := b.loadIndex(); err != nil {
		return nil, err
	}
	b.cleanup()
	ctx, cancel := context.WithCancel(context.Background())
	b.stopJan = cancel
	go b.janitor(ctx)
	b.fillPool()
	return b, nil
}

// Name implements sandbox.Backend.
func (b *Backend) Name() string { return "embedded" }

func (b *Backend) indexPath() string { return filepath.Join(b.opts.Dir, "index.json") }

func (b *Backend) loadIndex() error {
	data, err := os.ReadFile(b.indexPath())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("embedded: read index: %w", err)
	}
	if err := json.Unmarshal(data, &b.index); err != nil {
		return fmt.Errorf("embedded: index %s is damaged: %w", b.indexPath(), err)
	}
	return nil
}

// saveIndex writes the name index atomically; b.mu must be held.
func (b *Backend) saveIndex() error {
	data, err := json.MarshalIndent(b.index, "", "  ")
	if err != nil {
		return fmt.Errorf("embedded: encode index: %w", err)
	}
	tmp := b.indexPath() + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("embedded: write index: %w", err)
	}
	if err := os.Rename(tmp, b.indexPath()); err != nil {
		return fmt.Errorf("embedded: write index: %w", err)
	}
	return nil
}

// cleanup kills child processes that outlived a crashed server and removes
// warm directories that were never handed out.
func (b *Backend) cleanup() {
	assigned := map[string]bool{}
	for _, id := range b.index {
		assigned[id] = true
	}
	entries, _ := os.ReadDir(b.opts.Dir)
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(b.opts.Dir, e.Name())
		killStale(dir)
		if !assigned[e.Name()] {
			_ = os.RemoveAll(dir)
		}
	}
}

// killStale ends a sandbox process recorded in dir/pid if it is still
// running this sandbox.
func killStale(dir string) {
	data, err := os.ReadFile(filepath.Join(dir, "pid"))
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 1 {
		return
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err == nil && strings.Contains(string(cmdline), dir) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	_ = os.Remove(filepath.Join(dir, "pid"))
}

func newID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "sb-" + hex.EncodeToString(b)
}

// runningLocked counts running or starting children; b.mu must be held.
func (b *Backend) runningLocked() int {
	n := 0
	for _, c := range b.children {
		if c.state == sandbox.StateReady || c.state == sandbox.StateStarting {
			n++
		}
	}
	return n
}

// start launches a child for directory id; b.mu must be held.
func (b *Backend) startLocked(id string) (*child, error) {
	if b.opts.MaxRunning > 0 && b.runningLocked() >= b.opts.MaxRunning {
		return nil, sandbox.ErrCapacity
	}
	dir := filepath.Join(b.opts.Dir, id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded: %w", err)
	}
	args := append([]string{"sandbox", "up", "--json", "--dir", dir}, b.opts.Args...)
	cmd := exec.Command(b.opts.Binary, args...)
	cmd.SysProcAttr = childAttrs()
	cmd.Env = os.Environ()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("embedded: %w", err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("embedded: start sandbox process: %w", err)
	}
	_ = os.WriteFile(filepath.Join(dir, "pid"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o600)
	c := &child{id: id, dir: dir, cmd: cmd, state: sandbox.StateStarting, since: time.Now(), lastUsed: time.Now(),
		ready: make(chan struct{}), exited: make(chan struct{})}
	b.children[id] = c
	go b.watch(c, stdout)
	return c, nil
}

// statusLine mirrors what `kubelab sandbox up --json` prints.
type statusLine struct {
	Event      string  `json:"event"`
	Server     string  `json:"server"`
	Kubeconfig string  `json:"kubeconfig"`
	Seconds    float64 `json:"seconds"`
	Error      string  `json:"error"`
}

func (b *Backend) watch(c *child, stdout io.Reader) {
	timer := time.AfterFunc(b.opts.StartTimeout, func() {
		b.mu.Lock()
		starting := c.state == sandbox.StateStarting
		b.mu.Unlock()
		if starting {
			_ = c.cmd.Process.Kill()
		}
	})
	sc := bufio.NewScanner(stdout)
	var once sync.Once
	markReady := func() { once.Do(func() { close(c.ready) }) }
	for sc.Scan() {
		var s statusLine
		if json.Unmarshal(sc.Bytes(), &s) != nil {
			continue
		}
		b.mu.Lock()
		switch s.Event {
		case "ready":
			rc, err := sandbox.RESTFromKubeconfig(s.Kubeconfig)
			if err != nil {
				c.state, c.message = sandbox.StateFailed, err.Error()
			} else {
				c.state, c.since = sandbox.StateReady, time.Now()
				c.box = &sandbox.Sandbox{Backend: "embedded", Kubeconfig: s.Kubeconfig, REST: rc,
					Ready: time.Duration(s.Seconds * float64(time.Second))}
			}
			markReady()
		case "failed":
			c.state, c.message, c.since = sandbox.StateFailed, s.Error, time.Now()
		}
		b.mu.Unlock()
	}
	timer.Stop()
	err := c.cmd.Wait()
	b.mu.Lock()
	if c.state != sandbox.StateFailed {
		if c.state == sandbox.StateStarting {
			c.state, c.message = sandbox.StateFailed, fmt.Sprintf("sandbox process ended before it was ready (%v); see %s", err, filepath.Join(c.dir, "sandbox.log"))
		} else {
			c.state = sandbox.StateStopped
			if err != nil && !strings.Contains(err.Error(), "signal: terminated") && !strings.Contains(err.Error(), "signal: interrupt") {
				c.state, c.message = sandbox.StateFailed, fmt.Sprintf("sandbox process ended: %v", err)
			}
		}
	}
	c.since = time.Now()
	c.box = nil
	_ = os.Remove(filepath.Join(c.dir, "pid"))
	for i, w := range b.warm {
		if w == c {
			b.warm = append(b.warm[:i], b.warm[i+1:]...)
			break
		}
	}
	b.mu.Unlock()
	markReady()
	close(c.exited)
	b.fillPool()
}

// fillPool starts warm sandboxes until the pool is full.
func (b *Backend) fillPool() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for !b.closed && len(b.warm)+b.filling < b.opts.WarmPool {
		c, err := b.startLocked(newID())
		if err != nil {
			return
		}
		b.filling++
		go func() {
			<-c.ready
			b.mu.Lock()
			b.filling--
			if c.state == sandbox.StateReady {
				b.warm = append(b.warm, c)
			}
			b.mu.Unlock()
		}()
	}
}

// Acquire implements sandbox.Backend: a running sandbox is returned at
// once, a known one is resumed, a new learner gets a warm one if the pool
// has one, else a new sandbox is started.
func (b *Backend) Acquire(ctx context.Context, name string) (*sandbox.Sandbox, error) {
	if err := sandbox.ValidName(name); err != nil {
		return nil, err
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, errors.New("embedded: backend is closed")
	}
	id, known := b.index[name]
	c := b.children[id]
	switch {
	case known && c != nil && (c.state == sandbox.StateReady || c.state == sandbox.StateStarting):
	case known:
		var err error
		if c, err = b.startLocked(id); err != nil {
			b.mu.Unlock()
			return nil, err
		}
	case len(b.warm) > 0:
		c = b.warm[0]
		b.warm = b.warm[1:]
		id = c.id
		b.index[name] = id
		if err := b.saveIndex(); err != nil {
			b.mu.Unlock()
			return nil, err
		}
	default:
		id = newID()
		var err error
		if c, err = b.startLocked(id); err != nil {
			b.mu.Unlock()
			return nil, err
		}
		b.index[name] = id
		if err := b.saveIndex(); err != nil {
			b.mu.Unlock()
			return nil, err
		}
	}
	c.lastUsed = time.Now()
	b.mu.Unlock()
	go b.fillPool()
	select {
	case <-c.ready:
	case <-ctx.Done():
		return nil, fmt.Errorf("embedded: waiting for sandbox %s: %w", name, ctx.Err())
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if c.state != sandbox.StateReady || c.box == nil {
		return nil, fmt.Errorf("embedded: sandbox %s failed to start: %s", name, c.message)
	}
	box := *c.box
	box.Name = name
	return &box, nil
}

func (b *Backend) childOf(name string) *child {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.children[b.index[name]]
}

func stopChild(ctx context.Context, c *child) {
	if c == nil || c.cmd.Process == nil {
		return
	}
	select {
	case <-c.exited:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-ctx.Done():
		_ = c.cmd.Process.Kill()
		<-c.exited
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
}

// Stop implements sandbox.Backend.
func (b *Backend) Stop(ctx context.Context, name string) error {
	c := b.childOf(name)
	if c == nil {
		if _, ok := b.index[name]; !ok {
			return sandbox.ErrNotFound
		}
		return nil
	}
	stopChild(ctx, c)
	return nil
}

// Delete implements sandbox.Backend.
func (b *Backend) Delete(ctx context.Context, name string) error {
	c := b.childOf(name)
	stopChild(ctx, c)
	b.mu.Lock()
	defer b.mu.Unlock()
	id, ok := b.index[name]
	if !ok {
		return nil
	}
	delete(b.index, name)
	delete(b.children, id)
	if err := b.saveIndex(); err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(b.opts.Dir, id)); err != nil {
		return fmt.Errorf("embedded: remove sandbox %s: %w", name, err)
	}
	return nil
}

// Status implements sandbox.Backend.
func (b *Backend) Status(name string) (sandbox.Status, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	id, ok := b.index[name]
	if !ok {
		return sandbox.Status{Name: name}, sandbox.ErrNotFound
	}
	c := b.children[id]
	if c == nil {
		return sandbox.Status{Name: name, State: sandbox.StateStopped}, nil
	}
	return sandbox.Status{Name: name, State: c.state, Message: c.message, Since: c.since, LastUsed: c.lastUsed}, nil
}

// List implements sandbox.Backend.
func (b *Backend) List() []sandbox.Status {
	b.mu.Lock()
	names := make([]string, 0, len(b.index))
	for n := range b.index {
		names = append(names, n)
	}
	b.mu.Unlock()
	out := make([]sandbox.Status, 0, len(names))
	for _, n := range names {
		if s, err := b.Status(n); err == nil {
			out = append(out, s)
		}
	}
	return out
}

// WarmCount reports how many warm sandboxes are ready to hand out.
func (b *Backend) WarmCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.warm)
}

// Touch implements sandbox.Backend.
func (b *Backend) Touch(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c := b.children[b.index[name]]; c != nil {
		c.lastUsed = time.Now()
	}
}

func (b *Backend) janitor(ctx context.Context) {
	if b.opts.IdleTimeout <= 0 {
		return
	}
	t := time.NewTicker(b.opts.IdleTimeout / 4)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var idle []*child
		b.mu.Lock()
		for name, id := range b.index {
			if c := b.children[id]; c != nil && c.state == sandbox.StateReady && time.Since(c.lastUsed) > b.opts.IdleTimeout {
				_ = name
				idle = append(idle, c)
			}
		}
		b.mu.Unlock()
		for _, c := range idle {
			stopChild(ctx, c)
		}
	}
}

// Close implements sandbox.Backend: every child is stopped (its state is
// kept) and warm sandboxes are removed.
func (b *Backend) Close(ctx context.Context) error {
	b.mu.Lock()
	b.closed = true
	b.stopJan()
	all := make([]*child, 0, len(b.children))
	for _, c := range b.children {
		all = append(all, c)
	}
	warm := b.warm
	b.warm = nil
	b.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range all {
		wg.Add(1)
		go func() { defer wg.Done(); stopChild(ctx, c) }()
	}
	wg.Wait()
	for _, c := range warm {
		_ = os.RemoveAll(c.dir)
	}
	return nil
}
