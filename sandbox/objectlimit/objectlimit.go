// Package objectlimit is an admission plugin compiled into the embedded
// sandbox's API server: it refuses to create an object of a cluster-wide
// kind (or an Event) once the sandbox holds its limit of that kind.
//
// A ResourceQuota cannot count these kinds, and a ValidatingAdmissionPolicy
// cannot count objects at all: it can only read a parameter that a watcher
// updates after the fact, so a client creating objects quickly gets past
// it. This plugin counts inside the API server, in the request's path, so
// the limit is exact; and being compiled in, a learner who is
// cluster-admin cannot delete or change it.
package objectlimit

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/initializer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
)

// PluginName is the admission plugin's name, as --enable-admission-plugins
// takes it.
const PluginName = "KubelabObjectLimits"

// pendingFor is how long an admitted create counts before the informer
// shows its object: long enough for any create to reach the store, short
// enough that a create that failed after admission frees its place soon.
const pendingFor = 30 * time.Second

// Limits says how many objects of each resource the sandbox may hold.
type Limits map[schema.GroupVersionResource]int

// aliases are resources served under two groups from one storage: a limit
// on one counts the other's creates too.
var aliases = map[schema.GroupResource]schema.GroupResource{
	{Group: "events.k8s.io", Resource: "events"}: {Resource: "events"},
}

// Register adds the plugin to an API server's admission plugins.
func Register(plugins *admission.Plugins, limits Limits) {
	plugins.Register(PluginName, func(io.Reader) (admission.Interface, error) {
		return New(limits), nil
	})
}

// kind is one limited resource: its limit, the informer that counts what
// exists, and the creates admitted but not yet seen there.
type kind struct {
	gvr     schema.GroupVersionResource
	limit   int
	store   cache.Store
	synced  cache.InformerSynced
	pending map[string]time.Time
}

// Plugin is the admission plugin. Create it with New.
type Plugin struct {
	*admission.Handler
	mu    sync.Mutex
	kinds map[schema.GroupResource]*kind
	// missing lists the resources no informer could count (not built in):
	// they are left to other limits.
	missing []schema.GroupVersionResource
}

var (
	_ admission.ValidationInterface                = (*Plugin)(nil)
	_ admission.InitializationValidator            = (*Plugin)(nil)
	_ initializer.WantsExternalKubeInformerFactory = (*Plugin)(nil)
)

// New returns the plugin for these limits; the API server gives it its
// informers before it serves.
func New(limits Limits) *Plugin {
	p := &Plugin{Handler: admission.NewHandler(admission.Create), kinds: map[schema.GroupResource]*kind{}}
	for gvr, n := range limits {
		p.kinds[gvr.GroupResource()] = &kind{gvr: gvr, limit: n, pending: map[string]time.Time{}}
	}
	return p
}

// SetExternalKubeInformerFactory takes the API server's informers: one per
// limited resource that the built-in API serves.
func (p *Plugin) SetExternalKubeInformerFactory(f informers.SharedInformerFactory) {
	var synced []cache.InformerSynced
	for gr, k := range p.kinds {
		inf, err := f.ForResource(k.gvr)
		if err != nil {
			delete(p.kinds, gr)
			p.missing = append(p.missing, k.gvr)
			continue
		}
		k.store = inf.Informer().GetStore()
		k.synced = inf.Informer().HasSynced
		synced = append(synced, k.synced)
	}
	p.SetReadyFunc(func() bool {
		for _, s := range synced {
			if !s() {
				return false
			}
		}
		return true
	})
}

// ValidateInitialization reports a plugin that was never given its
// informers.
func (p *Plugin) ValidateInitialization() error {
	for gr, k := range p.kinds {
		if k.store == nil {
			return fmt.Errorf("objectlimit: no informer for %s", gr)
		}
	}
	return nil
}

// Missing returns the limited resources this plugin does not count,
// because the built-in API does not serve them.
func (p *Plugin) Missing() []schema.GroupVersionResource { return p.missing }

// Validate refuses a create past its resource's limit.
func (p *Plugin) Validate(_ context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetOperation() != admission.Create || a.GetSubresource() != "" {
		return nil
	}
	gr := a.GetResource().GroupResource()
	if alias, ok := aliases[gr]; ok {
		gr = alias
	}
	k, ok := p.kinds[gr]
	if !ok {
		return nil
	}
	if !p.WaitForReady() {
		return admission.NewForbidden(a, fmt.Errorf("the sandbox is not ready to count %s yet", gr.Resource))
	}
	// The key as the informer's store has it, from the object: for a
	// Namespace the request's namespace is its own name, not a scope.
	key, err := cache.MetaNamespaceKeyFunc(a.GetObject())
	if err != nil {
		return admission.NewForbidden(a, fmt.Errorf("the sandbox cannot count this object: %w", err))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	for name, at := range k.pending {
		if _, seen, _ := k.store.GetByKey(name); seen || now.Sub(at) > pendingFor {
			delete(k.pending, name)
		}
	}
	if _, exists, _ := k.store.GetByKey(key); exists {
		return nil // the create fails as a duplicate anyway
	}
	if _, dup := k.pending[key]; !dup && len(k.store.ListKeys())+len(k.pending) >= k.limit {
		return admission.NewForbidden(a, fmt.Errorf("this sandbox already holds its limit of %d %s (kubelab-sandbox-limits)", k.limit, gr.Resource))
	}
	k.pending[key] = now
	return nil
}
