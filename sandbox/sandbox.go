// Package sandbox gives every learner a Kubernetes cluster of their own.
//
// A Provider hands out sandboxes by name (one per learner) from a Backend:
// package embedded runs a real control plane with simulated nodes in a
// child process (no Docker needed), package kind runs a kind cluster, and
// package remote carves sandboxes out of an existing cluster.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"regexp"
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
}

// Backend runs sandboxes. Each backend lives in its own package.
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
	// List reports on every sandbox the backend knows.
	List() []Status
	// Touch records learner activity (idle sandboxes are stopped).
	Touch(name string)
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

// Notifier is implemented by backends that report state changes as they
// happen, so that the server need not poll.
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

// Provider hands out sandboxes from one backend.
type Provider struct {
	Backend
}

// NewProvider returns a provider over the given backend.
func NewProvider(b Backend) *Provider { return &Provider{Backend: b} }

// Hold keeps a sandbox from being frozen while a learner's page is open;
// call release when it closes. Backends that never freeze ignore it.
func (p *Provider) Hold(name string) (release func()) {
	if h, ok := p.Backend.(Holder); ok {
		return h.Hold(name)
	}
	return func() {}
}

// SetWarmPool asks the backend to keep n warm sandboxes; it reports false
// for backends without a warm pool.
func (p *Provider) SetWarmPool(n int) bool {
	if w, ok := p.Backend.(Warmer); ok {
		w.SetWarmPool(n)
		return true
	}
	return false
}

// WarmStatus reports the backend's warm sandboxes (zeros without a pool).
func (p *Provider) WarmStatus() (ready, starting int) {
	if w, ok := p.Backend.(Warmer); ok {
		return w.WarmStatus()
	}
	return 0, 0
}

// Notify registers f for state changes when the backend reports them; it
// returns false when the backend does not (the caller must poll Status).
func (p *Provider) Notify(f func(name string, state State)) bool {
	if n, ok := p.Backend.(Notifier); ok {
		n.Notify(f)
		return true
	}
	return false
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
