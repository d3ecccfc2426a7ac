// Package embedded is the default sandbox backend: each sandbox is a real
// control plane with simulated nodes, run by a child process of the kubelab
// binary (`kubelab sandbox up --json`). It needs no Docker and no network.
//
// Sandboxes keep their state in directories under Options.Dir, so a stopped
// sandbox resumes with its objects. A warm pool of started, unassigned
// sandboxes makes handing one out nearly instant. The backend freezes
// sandboxes nobody uses (freeze.go), reports freezes and crashes
// (sandbox.Notifier) and counts its running sandboxes against the cap
// itself (sandbox.CapacityKeeper); names and the idle timeout are the
// sandbox.Provider's.
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
	// A sandbox.Provider sets it (SetMaxRunning): the backend counts its
	// running sandboxes itself, warm and frozen ones included.
	MaxRunning int
	// FreezeAfter freezes a sandbox that nobody holds (Hold) and nobody
	// touched for this long; 0 = never. Frozen sandboxes count towards
	// MaxRunning, but the least recently used one is stopped when room is
	// needed.
	FreezeAfter time.Duration
	// StartTimeout bounds a sandbox's start; 0 = 2 minutes.
	StartTimeout time.Duration
	// WarmTrimAfter is how long warm sandboxes beyond the target are kept
	// before they are stopped, so that a recount that asks for them again
	// finds them still there; 0 = 1 minute.
	WarmTrimAfter time.Duration
}

// Backend is the embedded sandbox backend.
type Backend struct {
	opts Options

	mu       sync.Mutex
	index    map[string]string // learner name -> directory id
	children map[string]*child // by directory id
	warm     []*child          // ready, unassigned
	filling  int               // warm sandboxes being started
	// targeted is set once SetWarmPool was called: from then on each
	// hand-out of a warm sandbox lowers the target by one (taken) until
	// the next SetWarmPool, so a hand-out never starts a replacement the
	// caller did not ask for. Before, Options.WarmPool is a fixed pool
	// that refills after each hand-out.
	targeted bool
	taken    int
	trim     *time.Timer       // stops the warm sandboxes beyond the target
	fronts   map[string]*front // by directory id
	holds    map[string]int    // by learner name
	closed   bool
	// notifiers are told of freezes, stops and failures.
	notifiers []func(name string, state sandbox.State)
	stopJan   context.CancelFunc
	// template is the bootstrapped control plane new sandboxes start
	// from (template.go).
	template templateState
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
	evicting bool // being stopped to make room
	// asked is set when Stop, Delete or Close stops the process: its end
	// is not reported (Notify), the caller knows.
	asked bool
	// frontKubeconfig is learner.kubeconfig, written once this process is
	// ready and handed out.
	frontKubeconfig string
	ready           chan struct{} // closed when ready or failed
	exited          chan struct{}
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
	if opts.WarmTrimAfter == 0 {
		opts.WarmTrimAfter = time.Minute
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded: %w", err)
	}
	b := &Backend{opts: opts, index: map[string]string{}, children: map[string]*child{},
		fronts: map[string]*front{}, holds: map[string]int{}}
	if err := b.loadIndex(); err != nil {
		return nil, err
	}
	b.cleanup()
	b.mu.Lock()
	for name, id := range b.index {
		if _, err := b.openFrontLocked(name, id); err != nil {
			b.mu.Unlock()
			return nil, err
		}
	}
	b.mu.Unlock()
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

// runningLocked counts the children whose process runs (starting, ready,
// frozen, or being stopped to make room, until it has exited); b.mu must
// be held.
func (b *Backend) runningLocked() int {
	n := 0
	for _, c := range b.children {
		if c.state == sandbox.StateReady || c.state == sandbox.StateStarting || c.state == sandbox.StateFrozen {
			n++
		}
	}
	return n
}

// makingRoom is startLocked's answer at the MaxRunning cap when a frozen
// sandbox is being stopped to make room: the caller waits until its
// process has exited and tries again, so that the processes never
// outnumber MaxRunning.
type makingRoom struct{ evicted *child }

func (*makingRoom) Error() string { return "embedded: a frozen sandbox is being stopped to make room" }

// start launches a child for directory id; b.mu must be held. At the
// MaxRunning cap, a frozen sandbox is stopped to make room if evict is
// set (a learner's sandbox; see makingRoom); a warm sandbox only starts
// where there is room, so that filling the pool never stops another
// sandbox.
func (b *Backend) startLocked(id string, evict bool) (*child, error) {
	if b.opts.MaxRunning > 0 && b.runningLocked() >= b.opts.MaxRunning {
		if evict {
			if v := b.evictFrozenLocked(); v != nil {
				return nil, &makingRoom{evicted: v}
			}
		}
		return nil, sandbox.ErrCapacity
	}
	dir := filepath.Join(b.opts.Dir, id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded: %w", err)
	}
	args := append([]string{"sandbox", "up", "--json", "--dir", dir}, b.opts.Args...)
	args = append(args, b.templateArgsLocked(dir)...)
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
			b.buildTemplateIfWantedLocked()
		case "failed":
			c.state, c.message, c.since = sandbox.StateFailed, s.Error, time.Now()
			b.buildTemplateIfWantedLocked()
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
			abnormal := err != nil && !strings.Contains(err.Error(), "signal: terminated") && !strings.Contains(err.Error(), "signal: interrupt")
			switch {
			case abnormal && c.asked:
				// Asked to stop, it was slow to (a loaded machine) and was
				// killed: etcd's log keeps what was written, so the sandbox
				// resumes like any stopped one.
				c.message = fmt.Sprintf("stopped; the process ended with %v", err)
			case abnormal:
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
	b.buildTemplateIfWantedLocked()
	name, st := b.nameOfLocked(c.id), c.state
	b.mu.Unlock()
	markReady()
	close(c.exited)
	if name != "" && !c.asked {
		b.notify(name, st)
	}
	b.fillPool()
}

// maxWarmStarts is how many warm sandboxes start at once: starting more
// together on a small machine is no faster and starves the learners'
// own sandboxes and pages of CPU.
const maxWarmStarts = 2

// wantWarmLocked is how many warm sandboxes (ready or starting) the pool
// should hold now: the target less the hand-outs since it was set; b.mu
// must be held.
func (b *Backend) wantWarmLocked() int {
	n := b.opts.WarmPool
	if b.targeted {
		n -= b.taken
	}
	return max(n, 0)
}

// fillPool starts warm sandboxes until the pool is full, at most
// maxWarmStarts at a time, and never beyond MaxRunning.
func (b *Backend) fillPool() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for !b.closed && len(b.warm)+b.filling < b.wantWarmLocked() && b.filling < maxWarmStarts {
		c, err := b.startLocked(newID(), false)
		if err != nil {
			return
		}
		b.filling++
		go func() {
			<-c.ready
			b.mu.Lock()
			b.filling--
			if c.state == sandbox.StateReady && !c.evicting {
				b.warm = append(b.warm, c)
				b.trimLaterLocked()
			}
			b.mu.Unlock()
			b.fillPool() // the next ones, maxWarmStarts at a time
		}()
	}
}

// takeWarmLocked removes a warm sandbox that can be handed out from the
// pool and counts the hand-out against the target; nil if there is none.
// b.mu must be held.
func (b *Backend) takeWarmLocked() *child {
	for i, c := range b.warm {
		if c.evicting || (c.state != sandbox.StateReady && c.state != sandbox.StateFrozen) {
			continue // being stopped to make room, or ended
		}
		b.warm = append(b.warm[:i:i], b.warm[i+1:]...)
		if b.targeted {
			b.taken++
		}
		return c
	}
	return nil
}

// trimLaterLocked schedules the stop of the warm sandboxes beyond the
// target, if there are any; b.mu must be held.
func (b *Backend) trimLaterLocked() {
	if b.trim == nil && !b.closed && len(b.warm) > b.wantWarmLocked() {
		b.trim = time.AfterFunc(b.opts.WarmTrimAfter, b.trimPool)
	}
}

// trimPool stops the warm sandboxes still beyond the target and removes
// their directories.
func (b *Backend) trimPool() {
	b.mu.Lock()
	b.trim = nil
	var extra []*child
	for !b.closed && len(b.warm) > b.wantWarmLocked() {
		last := len(b.warm) - 1
		extra = append(extra, b.warm[last])
		b.warm = b.warm[:last]
	}
	b.mu.Unlock()
	for _, c := range extra {
		stopChild(context.Background(), c)
		_ = os.RemoveAll(c.dir)
		b.mu.Lock()
		delete(b.children, c.id)
		b.mu.Unlock()
	}
}

// Acquire implements sandbox.Backend: a running sandbox is returned at
// once, a known one is resumed, a new learner gets a warm one if the pool
// has one, else a new sandbox is started.
func (b *Backend) Acquire(ctx context.Context, name string) (*sandbox.Sandbox, error) {
	c, err := b.childFor(ctx, name)
	if err != nil {
		return nil, err
	}
	go b.fillPool()
	select {
	case <-c.ready:
	case <-ctx.Done():
		return nil, fmt.Errorf("embedded: waiting for sandbox %s: %w", name, ctx.Err())
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if c.state == sandbox.StateFrozen {
		if err := b.thawLocked(c); err != nil {
			return nil, err
		}
	}
	if c.state != sandbox.StateReady || c.box == nil {
		return nil, fmt.Errorf("embedded: sandbox %s failed to start: %s", name, c.message)
	}
	f, err := b.openFrontLocked(name, c.id)
	if err != nil {
		return nil, err
	}
	if c.frontKubeconfig == "" {
		// Once per process start: the front relays every kubectl
		// connection through Acquire, which must not write a file each time.
		if c.frontKubeconfig, err = writeFrontKubeconfig(c.box.Kubeconfig, f.port); err != nil {
			return nil, err
		}
	}
	box := *c.box
	box.Name, box.Kubeconfig = name, c.frontKubeconfig
	return &box, nil
}

// childFor finds, resumes, hands out or starts the child of the sandbox
// called name.
func (b *Backend) childFor(ctx context.Context, name string) (*child, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for {
		if b.closed {
			return nil, errors.New("embedded: backend is closed")
		}
		id, known := b.index[name]
		c := b.children[id]
		if known && c != nil && !c.evicting {
			switch c.state {
			case sandbox.StateReady, sandbox.StateStarting:
				c.lastUsed = time.Now()
				return c, nil
			case sandbox.StateFrozen:
				if err := b.thawLocked(c); err != nil {
					return nil, err
				}
				return c, nil
			}
		}
		if known && c != nil && !closed(c.exited) {
			// Its process is still ending (an eviction, a stop): wait, so
			// that two processes never share a directory.
			if err := b.waitExitLocked(ctx, c); err != nil {
				return nil, fmt.Errorf("embedded: waiting for sandbox %s to stop: %w", name, err)
			}
			continue
		}
		if !known {
			if c = b.takeWarmLocked(); c != nil {
				b.index[name] = c.id
				c.lastUsed = time.Now()
				if c.state == sandbox.StateFrozen {
					if err := b.thawLocked(c); err != nil {
						return nil, err
					}
				}
				return c, b.saveIndex()
			}
			id = newID()
		}
		c, err := b.startLocked(id, true)
		var room *makingRoom
		if errors.As(err, &room) {
			if err := b.waitExitLocked(ctx, room.evicted); err != nil {
				return nil, fmt.Errorf("embedded: waiting for room for sandbox %s: %w", name, err)
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if !known {
			b.index[name] = id
			return c, b.saveIndex()
		}
		return c, nil
	}
}

// waitExitLocked waits, with b.mu released, until c's process has
// exited; b.mu is held again when it returns.
func (b *Backend) waitExitLocked(ctx context.Context, c *child) error {
	b.mu.Unlock()
	defer b.mu.Lock()
	select {
	case <-c.exited:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func closed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// stopAsked returns the child of the sandbox called name, marked as
// stopped on request (nil if it has none) and whether the name is known.
func (b *Backend) stopAsked(name string) (c *child, known bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	id, known := b.index[name]
	if c = b.children[id]; c != nil {
		c.asked = true
	}
	return c, known
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
	_ = c.cmd.Process.Signal(syscall.SIGCONT) // a frozen process acts on SIGTERM once continued
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
	c, known := b.stopAsked(name)
	if !known {
		return sandbox.ErrNotFound
	}
	stopChild(ctx, c)
	return nil
}

// Delete implements sandbox.Backend.
func (b *Backend) Delete(ctx context.Context, name string) error {
	c, _ := b.stopAsked(name)
	stopChild(ctx, c)
	b.mu.Lock()
	defer b.mu.Unlock()
	id, ok := b.index[name]
	if !ok {
		return nil
	}
	delete(b.index, name)
	delete(b.children, id)
	b.closeFrontLocked(id)
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
	return sandbox.Status{Name: name, State: c.state, Message: c.message, Since: c.since, LastUsed: c.lastUsed,
		Held: b.holds[name] > 0}, nil
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

// Touch implements sandbox.Toucher: a touched sandbox is not frozen for
// FreezeAfter.
func (b *Backend) Touch(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c := b.children[b.index[name]]; c != nil {
		c.lastUsed = time.Now()
	}
}

// janitor freezes unused sandboxes (freezeIdle) until ctx ends. Stopping
// idle ones is the sandbox.Provider's.
func (b *Backend) janitor(ctx context.Context) {
	if b.opts.FreezeAfter <= 0 {
		return
	}
	t := time.NewTicker(max(b.opts.FreezeAfter/4, 100*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		b.freezeIdle()
	}
}

// Close implements sandbox.Backend: every child is stopped (its state is
// kept) and warm sandboxes are removed.
func (b *Backend) Close(ctx context.Context) error {
	b.mu.Lock()
	b.closed = true
	b.stopJan()
	if b.trim != nil {
		b.trim.Stop()
		b.trim = nil
	}
	for id := range b.fronts {
		b.closeFrontLocked(id)
	}
	all := make([]*child, 0, len(b.children))
	for _, c := range b.children {
		c.asked = true
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
	b.stopTemplateBuild()
	for _, c := range warm {
		_ = os.RemoveAll(c.dir)
	}
	return nil
}

// SetWarmPool sets how many warm sandboxes the backend keeps ready (a
// class about to arrive asks for more) and starts some to match. Each
// warm sandbox handed out afterwards lowers the target by one until the
// next call: the caller counts the learners still expected, so a hand-out
// is not replaced unless a new count asks for it. Warm sandboxes beyond
// the target are stopped after Options.WarmTrimAfter if no new count
// wants them. Warm sandboxes count towards MaxRunning, which is never
// exceeded; filling the pool never stops another sandbox.
func (b *Backend) SetWarmPool(n int) {
	b.mu.Lock()
	b.opts.WarmPool = max(n, 0)
	b.targeted, b.taken = true, 0
	b.trimLaterLocked()
	b.mu.Unlock()
	b.fillPool()
}

// SetMaxRunning implements sandbox.CapacityKeeper: it sets
// Options.MaxRunning.
func (b *Backend) SetMaxRunning(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.opts.MaxRunning = max(n, 0)
}

// WarmStatus reports the warm sandboxes ready and those starting.
func (b *Backend) WarmStatus() (ready, starting int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.warm), b.filling
}
