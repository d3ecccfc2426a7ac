// Package sandbox gives every learner a Kubernetes cluster of their own.
//
// A Provider hands out sandboxes by name (one per learner) from a Backend
// and owns their policy: valid names, the cap on running sandboxes, the
// idle timeout and the state notices pushed to the server (Notify). A
// Backend only runs sandboxes: package embedded runs a real control plane
// with simulated nodes in a child process (no Docker needed) and freezes
// unused ones, package kind runs a kind cluster, and package remote carves
// sandboxes out of an existing cluster.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// State is where a sandbox is in its life.
type State string

// The states of a sandbox.
const (
	StateStarting State = "starting"
	StateReady    State = "ready"
	StateStopped  State = "stopped"
	StateFailed   State = "failed"
	// StateFrozen is a sandbox whose process is stopped in memory: it costs
	// no CPU and comes back in milliseconds, exactly as it was.
	StateFrozen State = "frozen"
)

// ErrCapacity is returned when the machine holds as many running sandboxes
// as it is configured for.
var ErrCapacity = errors.New("sandbox: no capacity for another running sandbox; try again in a minute or ask the instructor")

// ErrNotFound is returned for a sandbox that does not exist.
var ErrNotFound = errors.New("sandbox: not found")

// Sandbox is a learner's running cluster.
type Sandbox struct {
	// Name identifies the sandbox (one per learner).
	Name string
	// Backend names the backend that runs it: embedded, kind or remote.
	Backend string
	// Kubeconfig is the path of a kubeconfig that reaches the sandbox with
	// the learner's rights.
	Kubeconfig string
	// Namespace is set when the learner is confined to one namespace
	// (remote backend); empty means the whole cluster.
	Namespace string
	// REST is a client configuration equivalent to Kubeconfig.
	REST *rest.Config
	// RealContainers is true where containers really run (logs, exec,
	// traffic work); false on simulated nodes.
	RealContainers bool
	// Ready is how long the sandbox took to become usable this time.
	Ready time.Duration
}

// Status describes a sandbox, running or not.
type Status struct {
	Name    string
	State   State
	Message string
	// Since is when the sandbox entered State.
	Since time.Time
	// LastUsed is the last time a learner touched it.
	LastUsed time.Time
	// Held is set while the backend holds the sandbox (Holder), for the
	// Provider or for a client of its own (a kubectl connection through the
	// embedded backend's front): it is in use, whatever LastUsed says.
	Held bool
}

// Running reports whether a sandbox in state s holds a place on the
// machine: starting, ready or frozen.
func (s State) Running() bool {
	return s == StateStarting || s == StateReady || s == StateFrozen
}

// Backend runs sandboxes: the narrow interface each backend implements,
// in its own package. Policy (which names are valid, how many sandboxes may
// run, when an unused one stops, who is told of state changes) is the
// Provider's; a backend is handed only valid names.
type Backend interface {
	// Name is the backend's name: embedded, kind or remote.
	Name() string
	// Acquire returns the running sandbox called name, resuming or
	// creating it as needed.
	Acquire(ctx context.Context, name string) (*Sandbox, error)
	// Stop stops a sandbox and keeps its state for a later Acquire.
	Stop(ctx context.Context, name string) error
	// Delete stops a sandbox and forgets its state (a reset).
	Delete(ctx context.Context, name string) error
	// Status reports on one sandbox.
	Status(name string) (Status, error)
	// List reports on every sandbox the backend knows, including those a
	// previous run of the server left.
	List() []Status
	// Close stops every running sandbox, keeping their state.
	Close(ctx context.Context) error
}

// Holder is implemented by backends that freeze sandboxes nobody uses:
// a hold (an open page, a kubectl connection) keeps a sandbox running.
type Holder interface {
	// Hold keeps the sandbox called name from being frozen until release
	// is called.
	Hold(name string) (release func())
}

// Toucher is implemented by backends that act on learner activity
// themselves (the embedded backend freezes sandboxes nobody touched).
type Toucher interface {
	// Touch records learner activity on the sandbox called name.
	Touch(name string)
}

// Notifier is implemented by backends whose sandboxes change state on
// their own (a freeze, a crash, a cluster deleted behind the backend's
// back). Stops asked through Backend.Stop, Delete and Close are not
// reported: the Provider reports those it asks for.
type Notifier interface {
	// Notify registers f, called with a sandbox's name and new state when
	// it is frozen, stops or fails. A freeze is reported before the
	// process is stopped, so that clients can let go of it first.
	Notify(f func(name string, state State))
}

// Warmer is implemented by backends that keep started, unassigned
// sandboxes ready to hand out.
type Warmer interface {
	// SetWarmPool sets how many warm sandboxes to keep.
	SetWarmPool(n int)
	// WarmStatus reports how many are ready and how many are starting.
	WarmStatus() (ready, starting int)
}

// CapacityKeeper is implemented by backends that must count their running
// sandboxes themselves (the embedded backend's warm pool and its stopping
// of frozen sandboxes to make room). The Provider hands them the cap
// instead of counting.
type CapacityKeeper interface {
	// SetMaxRunning caps the running sandboxes; 0 = no cap.
	SetMaxRunning(n int)
}

// An Option sets a Provider's policy.
type Option func(*Provider)

// WithMaxRunning caps the running (starting, ready or frozen) sandboxes:
// Acquire of one more returns ErrCapacity. 0 = no cap.
func WithMaxRunning(n int) Option { return func(p *Provider) { p.maxRunning = n } }

// WithIdleTimeout stops a sandbox that nobody held (Hold) and nobody
// touched (Touch, Acquire) for d, with the backend's Stop; 0 = never.
func WithIdleTimeout(d time.Duration) Option { return func(p *Provider) { p.idle = d } }

// Provider hands out sandboxes from one backend and owns their policy:
// it refuses invalid names, counts the running sandboxes against the cap
// (or hands the cap to a CapacityKeeper backend), stops idle sandboxes,
// and pushes every state change (its own stops and those the backend
// reports) to the functions registered with Notify.
type Provider struct {
	b          Backend
	maxRunning int
	idle       time.Duration
	keeper     bool // the backend counts its running sandboxes itself

	mu       sync.Mutex
	pending  map[string]int       // Acquires under way, by name
	lastUsed map[string]time.Time // by name
	holds    map[string]int       // by name
	idled    map[string]string    // why the provider stopped a sandbox, by name
	subs     []func(name string, state State)
	stopJan  context.CancelFunc
	janDone  chan struct{}
}

// NewProvider returns a provider over backend b with the given policy.
func NewProvider(b Backend, opts ...Option) *Provider {
	p := &Provider{b: b, pending: map[string]int{}, lastUsed: map[string]time.Time{},
		holds: map[string]int{}, idled: map[string]string{}, janDone: make(chan struct{})}
	for _, o := range opts {
		o(p)
	}
	if k, ok := b.(CapacityKeeper); ok {
		if p.maxRunning > 0 { // else the backend keeps the cap it was made with
			k.SetMaxRunning(p.maxRunning)
		}
		p.keeper = true
	}
	if n, ok := b.(Notifier); ok {
		n.Notify(p.notify)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.stopJan = cancel
	go p.janitor(ctx)
	return p
}

// Name is the backend's name: embedded, kind or remote.
func (p *Provider) Name() string { return p.b.Name() }

// Acquire returns the running sandbox called name, resuming or creating
// it as needed. It refuses an invalid name, and returns ErrCapacity when
// the sandbox is not running and the cap is reached.
func (p *Provider) Acquire(ctx context.Context, name string) (*Sandbox, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	if err := p.reserve(name); err != nil {
		return nil, err
	}
	box, err := p.b.Acquire(ctx, name)
	p.mu.Lock()
	if p.pending[name]--; p.pending[name] <= 0 {
		delete(p.pending, name)
	}
	if err == nil {
		p.lastUsed[name] = time.Now()
		delete(p.idled, name)
	}
	p.mu.Unlock()
	return box, err
}

// reserve counts name as running until its Acquire returns, or returns
// ErrCapacity when it is not running yet and the cap is reached.
func (p *Provider) reserve(name string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.maxRunning > 0 && !p.keeper && p.pending[name] == 0 {
		if st, err := p.b.Status(name); err != nil || !st.State.Running() {
			running := map[string]bool{}
			for _, st := range p.b.List() {
				if st.State.Running() {
					running[st.Name] = true
				}
			}
			for n := range p.pending {
				running[n] = true
			}
			if len(running) >= p.maxRunning {
				return ErrCapacity
			}
		}
	}
	p.pending[name]++
	return nil
}

// Stop stops a sandbox and keeps its state for a later Acquire; the
// functions registered with Notify are told when it stopped.
func (p *Provider) Stop(ctx context.Context, name string) error {
	return p.stop(ctx, name, "")
}

// stop stops a sandbox; why, when set, is what its status says then.
func (p *Provider) stop(ctx context.Context, name, why string) error {
	if err := ValidName(name); err != nil {
		return err
	}
	p.mu.Lock()
	if why != "" {
		p.idled[name] = why
	} else {
		delete(p.idled, name)
	}
	p.mu.Unlock()
	if err := p.b.Stop(ctx, name); err != nil {
		return fmt.Errorf("stop sandbox %s: %w", name, err)
	}
	// A backend that keeps nothing running (remote) is still running.
	if st, err := p.b.Status(name); err == nil && !st.State.Running() {
		p.notify(name, st.State)
	}
	return nil
}

// Delete stops a sandbox and forgets its state (a reset). The caller is
// not notified: it asked.
func (p *Provider) Delete(ctx context.Context, name string) error {
	if err := ValidName(name); err != nil {
		return err
	}
	if err := p.b.Delete(ctx, name); err != nil {
		return fmt.Errorf("delete sandbox %s: %w", name, err)
	}
	p.mu.Lock()
	delete(p.lastUsed, name)
	delete(p.idled, name)
	p.mu.Unlock()
	return nil
}

// Status reports on one sandbox.
func (p *Provider) Status(name string) (Status, error) {
	if err := ValidName(name); err != nil {
		return Status{Name: name}, ErrNotFound
	}
	st, err := p.b.Status(name)
	if err != nil {
		return st, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.overlayLocked(st), nil
}

// List reports on every sandbox the backend knows.
func (p *Provider) List() []Status {
	list := p.b.List()
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range list {
		list[i] = p.overlayLocked(list[i])
	}
	return list
}

// overlayLocked adds what the provider knows to a backend's status: the
// last use it saw and why it stopped the sandbox; p.mu must be held.
func (p *Provider) overlayLocked(st Status) Status {
	if t := p.lastUsed[st.Name]; t.After(st.LastUsed) {
		st.LastUsed = t
	}
	if why := p.idled[st.Name]; why != "" && st.State == StateStopped {
		st.Message = strings.TrimSuffix(why+": "+st.Message, ": ")
	}
	return st
}

// Touch records learner activity: an idle sandbox is stopped after the
// idle timeout without any.
func (p *Provider) Touch(name string) {
	p.mu.Lock()
	p.lastUsed[name] = time.Now()
	p.mu.Unlock()
	if t, ok := p.b.(Toucher); ok {
		t.Touch(name)
	}
}

// Hold keeps a sandbox from being frozen or stopped for idleness while a
// learner's page is open; call release when it closes.
func (p *Provider) Hold(name string) (release func()) {
	p.mu.Lock()
	p.holds[name]++
	p.mu.Unlock()
	inner := func() {}
	if h, ok := p.b.(Holder); ok {
		inner = h.Hold(name)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			if p.holds[name]--; p.holds[name] <= 0 {
				delete(p.holds, name)
			}
			p.lastUsed[name] = time.Now()
			p.mu.Unlock()
			inner()
		})
	}
}

// SetWarmPool asks the backend to keep n warm sandboxes; it reports false
// for backends without a warm pool.
func (p *Provider) SetWarmPool(n int) bool {
	if w, ok := p.b.(Warmer); ok {
		w.SetWarmPool(n)
		return true
	}
	return false
}

// WarmStatus reports the backend's warm sandboxes (zeros without a pool).
func (p *Provider) WarmStatus() (ready, starting int) {
	if w, ok := p.b.(Warmer); ok {
		return w.WarmStatus()
	}
	return 0, 0
}

// Notify registers f, called with a sandbox's name and new state whenever
// one is frozen, stops or fails: stopped by the provider (Stop, the idle
// timeout) or reported by the backend (a freeze, a crash). A freeze is
// reported before the process is stopped, so that clients can let go of
// it first. f must not block for long.
func (p *Provider) Notify(f func(name string, state State)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.subs = append(p.subs, f)
}

// notify calls the registered functions; p.mu must not be held.
func (p *Provider) notify(name string, st State) {
	p.mu.Lock()
	subs := append([]func(string, State){}, p.subs...)
	p.mu.Unlock()
	for _, f := range subs {
		f(name, st)
	}
}

// Close stops the idle sweeps and every running sandbox, keeping their
// state.
func (p *Provider) Close(ctx context.Context) error {
	p.stopJan()
	<-p.janDone
	if err := p.b.Close(ctx); err != nil {
		return fmt.Errorf("close %s backend: %w", p.b.Name(), err)
	}
	return nil
}

// janitor stops idle sandboxes until ctx ends; it looks a quarter of the
// idle timeout apart, at least every 10 ms and at most every minute.
func (p *Provider) janitor(ctx context.Context) {
	defer close(p.janDone)
	if p.idle <= 0 {
		return
	}
	t := time.NewTicker(min(max(p.idle/4, 10*time.Millisecond), time.Minute))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		p.stopIdle(ctx, time.Now())
	}
}

// stopIdle stops every ready or frozen sandbox that nobody holds and
// nobody used for the idle timeout.
func (p *Provider) stopIdle(ctx context.Context, now time.Time) {
	list := p.b.List()
	var idle []string
	p.mu.Lock()
	for _, st := range list {
		if st.State != StateReady && st.State != StateFrozen {
			continue
		}
		if st.Held || p.holds[st.Name] > 0 || p.pending[st.Name] > 0 {
			continue
		}
		if now.Sub(p.overlayLocked(st).LastUsed) > p.idle {
			idle = append(idle, st.Name)
		}
	}
	p.mu.Unlock()
	for _, name := range idle {
		_ = p.stop(ctx, name, fmt.Sprintf("stopped after %s without activity", p.idle))
	}
}

var nameRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$`)

// ValidName reports whether name can name a sandbox: lowercase letters,
// digits and dashes, at most 40 characters (it becomes a directory or a
// cluster name).
func ValidName(name string) error {
	if !nameRe.MatchString(name) {
		return fmt.Errorf("sandbox: invalid name %q: use 1-40 lowercase letters, digits and dashes", name)
	}
	return nil
}

// RESTFromKubeconfig loads a client configuration from a kubeconfig file.
func RESTFromKubeconfig(path string) (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		return nil, fmt.Errorf("sandbox: load kubeconfig %s: %w", path, err)
	}
	cfg.QPS, cfg.Burst = 50, 100
	return cfg, nil
}
