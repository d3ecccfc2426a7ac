// Package kind is the sandbox backend that gives every learner a real
// Kubernetes cluster made by kind (sigs.k8s.io/kind): node containers on a
// Docker (or Podman, nerdctl) engine on the server's machine. Containers
// really run, so logs, exec and traffic work.
//
// Each cluster has a control-plane node and one worker per node of the
// sandbox's topology (package topology), labelled with the same
// zones, region and instance types, and the topology's StorageClass (gp2)
// as default, so labs and their checks work unchanged.
//
// Clusters are named kubelab-<prefix>-<learner>: the prefix is unique to a
// server (LoadPrefix keeps one in the data directory), so servers sharing
// an engine never touch each other's clusters, and a restarted server
// finds its own through the engine's cluster list. kind cannot pause a
// cluster: Stop and Delete delete it (so does the sandbox.Provider's idle
// timeout, through Stop), and the learner's next Acquire creates a fresh
// one. A cluster deleted behind the backend's back is reported
// (sandbox.Notifier). Close leaves clusters running for the next server
// with the same prefix unless Options.DeleteOnClose is set.
package kind

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
	kindcluster "sigs.k8s.io/kind/pkg/cluster"

	"github.com/kubelab/kubelab/sandbox"
	"github.com/kubelab/kubelab/sandbox/topology"
)

// Options configure the kind backend.
type Options struct {
	// Prefix is unique to this server (see LoadPrefix): 1-12 lowercase
	// letters and digits. Clusters are named kubelab-<prefix>-<learner>.
	Prefix string
	// Dir holds one directory per cluster (its kubeconfig, kind config and
	// owner).
	Dir string
	// NodeImage is the kindest/node image; empty = kind's default.
	NodeImage string
	// Topology is a topology file (as `sandbox up
	// --topology`); empty = the built-in topology.
	Topology string
	// StartTimeout bounds a cluster's creation and readiness; 0 = 5 minutes.
	StartTimeout time.Duration
	// Provider chooses the container engine (kindcluster.ProviderWithDocker,
	// ProviderWithPodman, ProviderWithNerdctl); nil = detect one.
	Provider kindcluster.ProviderOption
	// InternalKubeconfig makes kubeconfigs reach the API server at its
	// container address: set it when kubelab itself runs in a container
	// attached to the engine's "kind" network.
	InternalKubeconfig bool
	// DeleteOnClose deletes every cluster on Close instead of leaving them
	// for the next server with the same prefix.
	DeleteOnClose bool
}

// clusterAPI is the part of kind's cluster.Provider the backend uses.
type clusterAPI interface {
	Create(name string, options ...kindcluster.CreateOption) error
	Delete(name, explicitKubeconfigPath string) error
	List() ([]string, error)
	KubeConfig(name string, internal bool) (string, error)
}

// prepareFunc readies a freshly created cluster for labs.
type prepareFunc func(ctx context.Context, c kubernetes.Interface, topo *topology.Topology) error

// Backend is the kind sandbox backend.
type Backend struct {
	opts    Options
	api     clusterAPI
	prepare prepareFunc
	topo    *topology.Topology
	config  []byte // kind configuration (YAML) of every cluster

	mu     sync.Mutex
	boxes  map[string]*box // by learner name
	closed bool
	// notifiers are told of clusters deleted outside kubelab.
	notifiers []func(name string, state sandbox.State)
	stopJan   context.CancelFunc
	janDone   chan struct{}
}

type box struct {
	learner  string
	cluster  string
	dir      string
	state    sandbox.State
	message  string
	since    time.Time
	lastUsed time.Time
	sb       *sandbox.Sandbox
	done     chan struct{} // closed when creation ends (ready or failed)
	removed  chan struct{} // made when deletion starts, closed when it ends
	after    chan struct{} // creation waits for this (a previous cluster's deletion)
}

// Files in a cluster's directory.
const (
	fileLearner    = "learner"    // the learner's name
	fileReady      = "ready"      // present once the cluster was ready
	fileKubeconfig = "kubeconfig" // the learner's kubeconfig
	fileKindConfig = "kind.yaml"  // the configuration it was created with
	fileKindExport = "kind-export.kubeconfig"
)

// New prepares the backend: it finds the container engine, adopts the
// clusters of this prefix recorded in Dir and deletes those it does not
// know (left by a crash during creation), then looks for clusters deleted
// behind its back in the background.
func New(opts Options) (*Backend, error) {
	popt := opts.Provider
	if popt == nil {
		var err error
		if popt, err = kindcluster.DetectNodeProvider(); err != nil {
			return nil, fmt.Errorf("kind: no container engine found (docker, podman or nerdctl): %w", err)
		}
	}
	return newBackend(opts, kindcluster.NewProvider(popt), prepareCluster)
}

func newBackend(opts Options, api clusterAPI, prepare prepareFunc) (*Backend, error) {
	if err := ValidPrefix(opts.Prefix); err != nil {
		return nil, err
	}
	if opts.Dir == "" {
		return nil, errors.New("kind: no data directory")
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 5 * time.Minute
	}
	topo, err := topology.Load(opts.Topology)
	if err != nil {
		return nil, fmt.Errorf("kind: topology: %w", err)
	}
	config, err := ConfigYAML(ClusterConfig(topo))
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("kind: %w", err)
	}
	b := &Backend{opts: opts, api: api, prepare: prepare, topo: topo, config: config,
		boxes: map[string]*box{}, janDone: make(chan struct{})}
	if err := b.adoptOrClean(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.stopJan = cancel
	go b.janitor(ctx)
	return b, nil
}

// Name implements sandbox.Backend.
func (b *Backend) Name() string { return "kind" }

// record is a cluster directory found in Dir.
type record struct {
	cluster string
	learner string
	ready   bool
}

// startupPlan decides what a starting server does with the clusters the
// engine runs and the directories in Dir: clusters of this prefix that
// were recorded ready are adopted; clusters of this prefix without such a
// record are deleted; directories without a cluster (or of a learner
// whose cluster name no longer matches) are removed. Clusters of other
// prefixes are left alone.
func startupPlan(prefix string, clusters []string, recs []record) (adopt []record, deleteClusters, removeDirs []string) {
	running := map[string]bool{}
	for _, c := range clusters {
		if ownsCluster(prefix, c) {
			running[c] = true
		}
	}
	kept := map[string]bool{}
	for _, r := range recs {
		want, err := ClusterName(prefix, r.learner)
		switch {
		case err != nil || want != r.cluster:
			removeDirs = append(removeDirs, r.cluster)
		case !running[r.cluster]:
			removeDirs = append(removeDirs, r.cluster)
		case !r.ready:
			removeDirs = append(removeDirs, r.cluster)
		default:
			adopt = append(adopt, r)
			kept[r.cluster] = true
		}
	}
	for c := range running {
		if !kept[c] {
			deleteClusters = append(deleteClusters, c)
		}
	}
	sort.Strings(deleteClusters)
	return adopt, deleteClusters, removeDirs
}

// readRecords lists the cluster directories in Dir.
func (b *Backend) readRecords() []record {
	var recs []record
	entries, _ := os.ReadDir(b.opts.Dir)
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(b.opts.Dir, e.Name())
		data, err := os.ReadFile(filepath.Join(dir, fileLearner))
		r := record{cluster: e.Name(), learner: strings.TrimSpace(string(data))}
		if err != nil {
			r.learner = ""
		}
		if _, err := os.Stat(filepath.Join(dir, fileReady)); err == nil {
			r.ready = true
		}
		recs = append(recs, r)
	}
	return recs
}

// adoptOrClean applies the startup plan.
func (b *Backend) adoptOrClean() error {
	clusters, err := b.api.List()
	if err != nil {
		return fmt.Errorf("kind: list clusters (is the container engine running?): %w", err)
	}
	adopt, del, rm := startupPlan(b.opts.Prefix, clusters, b.readRecords())
	for _, c := range del {
		_ = b.api.Delete(c, filepath.Join(b.opts.Dir, c, fileKindExport))
	}
	for _, d := range rm {
		_ = os.RemoveAll(filepath.Join(b.opts.Dir, d))
	}
	now := time.Now()
	for _, r := range adopt {
		c := &box{learner: r.learner, cluster: r.cluster, dir: filepath.Join(b.opts.Dir, r.cluster),
			since: now, lastUsed: now, done: make(chan struct{})}
		close(c.done)
		sb, err := b.connect(c)
		if err != nil {
			c.state, c.message = sandbox.StateFailed, err.Error()
		} else {
			c.state, c.sb = sandbox.StateReady, sb
		}
		b.boxes[r.learner] = c
	}
	return nil
}

// connect writes the cluster's kubeconfig from the engine (its port may
// have changed since the cluster was made) and loads it.
func (b *Backend) connect(c *box) (*sandbox.Sandbox, error) {
	kc, err := b.api.KubeConfig(c.cluster, b.opts.InternalKubeconfig)
	if err != nil {
		return nil, fmt.Errorf("kind: kubeconfig of %s: %w", c.cluster, err)
	}
	path := filepath.Join(c.dir, fileKubeconfig)
	if err := writeFileAtomic(path, []byte(kc)); err != nil {
		return nil, fmt.Errorf("kind: write kubeconfig of %s: %w", c.cluster, err)
	}
	rc, err := sandbox.RESTFromKubeconfig(path)
	if err != nil {
		return nil, err
	}
	return &sandbox.Sandbox{Name: c.learner, Backend: "kind", Kubeconfig: path, REST: rc, RealContainers: true}, nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Acquire implements sandbox.Backend: a running cluster is returned at
// once; otherwise a new one is created (a minute or two on a warm engine).
func (b *Backend) Acquire(ctx context.Context, name string) (*sandbox.Sandbox, error) {
	cluster, err := ClusterName(b.opts.Prefix, name)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, errors.New("kind: backend is closed")
	}
	c := b.boxes[name]
	if c == nil || c.state == sandbox.StateStopped || c.state == sandbox.StateFailed {
		prev := c
		c = &box{learner: name, cluster: cluster, dir: filepath.Join(b.opts.Dir, cluster),
			state: sandbox.StateStarting, since: time.Now(), done: make(chan struct{})}
		if prev != nil {
			c.after = prev.removed
		}
		b.boxes[name] = c
		go b.create(c)
	}
	c.lastUsed = time.Now()
	done := c.done
	b.mu.Unlock()
	select {
	case <-done:
	case <-ctx.Done():
		return nil, fmt.Errorf("kind: waiting for cluster %s: %w", cluster, ctx.Err())
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if c.state != sandbox.StateReady || c.sb == nil {
		return nil, fmt.Errorf("kind: cluster %s failed to start: %s", cluster, c.message)
	}
	sb := *c.sb
	return &sb, nil
}

// create makes c's cluster; it runs in its own goroutine.
func (b *Backend) create(c *box) {
	if c.after != nil {
		<-c.after
	}
	start := time.Now()
	sb, err := b.createCluster(c)
	if err != nil {
		// Clean up before reporting, so that a retry starts afresh.
		_ = b.api.Delete(c.cluster, filepath.Join(c.dir, fileKindExport))
		_ = os.RemoveAll(c.dir)
	}
	b.mu.Lock()
	if err != nil {
		c.state, c.message = sandbox.StateFailed, err.Error()
	} else {
		sb.Ready = time.Since(start)
		c.state, c.message, c.sb = sandbox.StateReady, "", sb
	}
	c.since = time.Now()
	b.mu.Unlock()
	close(c.done)
}

func (b *Backend) createCluster(c *box) (*sandbox.Sandbox, error) {
	_ = os.RemoveAll(c.dir)
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return nil, fmt.Errorf("kind: %w", err)
	}
	if err := os.WriteFile(filepath.Join(c.dir, fileLearner), []byte(c.learner+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("kind: record owner of %s: %w", c.cluster, err)
	}
	if err := os.WriteFile(filepath.Join(c.dir, fileKindConfig), b.config, 0o600); err != nil {
		return nil, fmt.Errorf("kind: write config of %s: %w", c.cluster, err)
	}
	if existing, err := b.api.List(); err == nil {
		for _, e := range existing {
			if e == c.cluster { // left by an earlier, interrupted attempt
				_ = b.api.Delete(c.cluster, filepath.Join(c.dir, fileKindExport))
			}
		}
	}
	opts := []kindcluster.CreateOption{
		kindcluster.CreateWithRawConfig(b.config),
		kindcluster.CreateWithWaitForReady(b.opts.StartTimeout),
		// Keep kind away from the user's ~/.kube/config.
		kindcluster.CreateWithKubeconfigPath(filepath.Join(c.dir, fileKindExport)),
		kindcluster.CreateWithDisplayUsage(false),
		kindcluster.CreateWithDisplaySalutation(false),
	}
	if b.opts.NodeImage != "" {
		opts = append(opts, kindcluster.CreateWithNodeImage(b.opts.NodeImage))
	}
	if err := b.api.Create(c.cluster, opts...); err != nil {
		return nil, fmt.Errorf("kind: create cluster %s: %w", c.cluster, err)
	}
	sb, err := b.connect(c)
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(sb.REST)
	if err != nil {
		return nil, fmt.Errorf("kind: client for %s: %w", c.cluster, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), b.opts.StartTimeout)
	defer cancel()
	if err := b.prepare(ctx, client, b.topo); err != nil {
		return nil, fmt.Errorf("kind: prepare cluster %s: %w", c.cluster, err)
	}
	if err := os.WriteFile(filepath.Join(c.dir, fileReady), nil, 0o600); err != nil {
		return nil, fmt.Errorf("kind: mark %s ready: %w", c.cluster, err)
	}
	return sb, nil
}

// remove deletes the cluster of c (waiting for its creation to end
// first) and its directory; c stays known in state with message. A
// removal already under way is waited for.
func (b *Backend) remove(ctx context.Context, c *box, state sandbox.State, message string) error {
	select {
	case <-c.done:
	case <-ctx.Done():
		return fmt.Errorf("kind: waiting for cluster %s to finish starting: %w", c.cluster, ctx.Err())
	}
	b.mu.Lock()
	for c.removed != nil {
		ch := c.removed
		b.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("kind: waiting for cluster %s to be deleted: %w", c.cluster, ctx.Err())
		}
		b.mu.Lock()
		if c.removed == ch && c.state != sandbox.StateFailed {
			b.mu.Unlock()
			return nil // deleted by the other caller
		}
		if c.removed == ch {
			break // that deletion failed: try again
		}
	}
	c.removed = make(chan struct{})
	c.state, c.message, c.since, c.sb = state, message, time.Now(), nil
	b.mu.Unlock()
	defer close(c.removed)
	err := b.api.Delete(c.cluster, filepath.Join(c.dir, fileKindExport))
	if err != nil {
		err = fmt.Errorf("kind: delete cluster %s: %w", c.cluster, err)
	} else if rerr := os.RemoveAll(c.dir); rerr != nil {
		err = fmt.Errorf("kind: remove %s: %w", c.dir, rerr)
	}
	if err != nil {
		b.mu.Lock()
		c.state, c.message = sandbox.StateFailed, err.Error()
		b.mu.Unlock()
	}
	return err
}

// Stop implements sandbox.Backend. kind cannot pause a cluster, so Stop
// deletes it: the learner's next Acquire starts from a fresh cluster.
func (b *Backend) Stop(ctx context.Context, name string) error {
	b.mu.Lock()
	c := b.boxes[name]
	b.mu.Unlock()
	if c == nil {
		return sandbox.ErrNotFound
	}
	return b.remove(ctx, c, sandbox.StateStopped, "cluster deleted (kind cannot pause a cluster); a fresh one is created on the next visit")
}

// Delete implements sandbox.Backend: the cluster is deleted and forgotten.
func (b *Backend) Delete(ctx context.Context, name string) error {
	b.mu.Lock()
	c := b.boxes[name]
	b.mu.Unlock()
	if c == nil {
		return nil
	}
	if err := b.remove(ctx, c, sandbox.StateStopped, ""); err != nil {
		return err
	}
	b.mu.Lock()
	if b.boxes[name] == c {
		delete(b.boxes, name)
	}
	b.mu.Unlock()
	return nil
}

// Status implements sandbox.Backend.
func (b *Backend) Status(name string) (sandbox.Status, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.boxes[name]
	if c == nil {
		return sandbox.Status{Name: name}, sandbox.ErrNotFound
	}
	return sandbox.Status{Name: name, State: c.state, Message: c.message, Since: c.since, LastUsed: c.lastUsed}, nil
}

// List implements sandbox.Backend.
func (b *Backend) List() []sandbox.Status {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]sandbox.Status, 0, len(b.boxes))
	for name, c := range b.boxes {
		out = append(out, sandbox.Status{Name: name, State: c.state, Message: c.message, Since: c.since, LastUsed: c.lastUsed})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Notify implements sandbox.Notifier: f is told of clusters deleted
// outside kubelab.
func (b *Backend) Notify(f func(name string, state sandbox.State)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.notifiers = append(b.notifiers, f)
}

// janitorEvery is how often the janitor looks for vanished clusters.
const janitorEvery = time.Minute

// janitor notices clusters deleted behind the backend's back (`kind
// delete cluster`).
func (b *Backend) janitor(ctx context.Context) {
	defer close(b.janDone)
	t := time.NewTicker(janitorEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		b.sweep(time.Now())
	}
}

// sweep is one round of the janitor: ready clusters missing from the
// engine's list are marked stopped and reported.
func (b *Backend) sweep(now time.Time) {
	clusters, err := b.api.List()
	if err != nil {
		return
	}
	running := map[string]bool{}
	for _, c := range clusters {
		running[c] = true
	}
	var gone []string
	b.mu.Lock()
	for name, c := range b.boxes {
		if c.state == sandbox.StateReady && !running[c.cluster] {
			c.state, c.message, c.since, c.sb = sandbox.StateStopped, "the cluster was deleted outside kubelab; a fresh one is created on the next visit", now, nil
			gone = append(gone, name)
		}
	}
	fs := append([]func(string, sandbox.State){}, b.notifiers...)
	b.mu.Unlock()
	sort.Strings(gone)
	for _, name := range gone {
		for _, f := range fs {
			f(name, sandbox.StateStopped)
		}
	}
}

// Close implements sandbox.Backend: clusters keep running for the next
// server with this prefix, unless Options.DeleteOnClose is set. Clusters
// being created are waited for until ctx ends.
func (b *Backend) Close(ctx context.Context) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	all := make([]*box, 0, len(b.boxes))
	for _, c := range b.boxes {
		all = append(all, c)
	}
	b.mu.Unlock()
	b.stopJan()
	<-b.janDone
	var errs []error
	for _, c := range all {
		if b.opts.DeleteOnClose {
			if err := b.remove(ctx, c, sandbox.StateStopped, ""); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		select {
		case <-c.done:
		case <-ctx.Done():
		}
	}
	return errors.Join(errs...)
}
