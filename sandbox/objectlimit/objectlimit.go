// Package objectlimit is an admission plugin compiled into the embedded
// sandbox's API server: it holds the sandbox's own limits. It refuses to
// create an object once the sandbox holds its limit of that kind (for
// cluster-wide kinds and Events) or once the object's namespace holds its
// limit (for the namespaced kinds a learner creates), and refuses Events
// whose text is larger than the sandbox accepts.
//
// A ResourceQuota could count the namespaced kinds, but it is an object in
// the learner's namespace: it shows in `kubectl get resourcequota` and
// `kubectl describe namespace`, where the quota lessons look. It cannot
// count cluster-wide kinds or Events at all, and a ValidatingAdmissionPolicy
// cannot count objects: it can only read a parameter that a watcher
// updates after the fact, so a client creating objects quickly gets past
// it. This plugin counts inside the API server, in the request's path, so
// the limits are exact and leave no object behind; and being compiled in,
// a learner who is cluster-admin cannot delete or change it.
package objectlimit

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/initializer"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
	"k8s.io/kubernetes/pkg/apis/core"
)

// PluginName is the admission plugin's name, as --enable-admission-plugins
// takes it.
const PluginName = "KubelabObjectLimits"

// LimitName names the sandbox's limits in every refusal, so that a learner
// can tell them from the cluster's own.
const LimitName = "kubelab-sandbox-limits"

// pendingFor is how long an admitted create counts before the informer
// shows its object: long enough for any create to reach the store, short
// enough that a create that failed after admission frees its place soon.
const pendingFor = 30 * time.Second

// Limits says what the sandbox may hold.
type Limits struct {
	// Total is how many objects of each resource the whole sandbox may
	// hold: the cluster-wide kinds, and Events (counted across
	// namespaces).
	Total map[schema.GroupVersionResource]int
	// PerNamespace is how many objects of each namespaced resource one
	// namespace may hold.
	PerNamespace map[schema.GroupVersionResource]int
	// AtLeast raises PerNamespace in the namespaces it names (kube-system,
	// where the control plane keeps its own objects).
	AtLeast map[string]int
	// Uncounted lists namespaces PerNamespace does not apply to
	// (kube-node-lease, where each node keeps its Lease).
	Uncounted []string
	// MaxEventText is the largest Event message (or note) in bytes; 0
	// sets none.
	MaxEventText int
}

// Empty reports limits that limit nothing.
func (l Limits) Empty() bool {
	return len(l.Total) == 0 && len(l.PerNamespace) == 0 && l.MaxEventText <= 0
}

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

// kind is one limited resource: its limit, how to list what exists, and
// the creates admitted but not yet seen there.
type kind struct {
	gvr schema.GroupVersionResource
	// limit is for the whole sandbox (total) or for each namespace.
	limit int
	total bool
	// list returns the keys of the objects that exist in ns ("" for
	// all) and, for one key, the UID of the object there (false if
	// none). From the API server's informer, or, for a resource the
	// built-in API does not serve, from a list.
	list    func(ctx context.Context, ns string) (keys []string, uidAt func(key string) (types.UID, bool), err error)
	pending map[string]pendingCreate
}

// pendingCreate is a create admitted but not yet seen where the kind is
// counted: the object's UID (set before admission runs) tells it from an
// object of the same name that the count still shows, deleted since.
type pendingCreate struct {
	uid types.UID
	at  time.Time
}

// Plugin is the admission plugin. Create it with New.
type Plugin struct {
	*admission.Handler
	mu        sync.Mutex
	kinds     map[schema.GroupResource]*kind
	atLeast   map[string]int
	uncounted map[string]bool
	maxEvent  int
	// listed are the kinds no informer counts (not built in): they are
	// counted by listing, with the API server's dynamic client.
	listed  []*kind
	dynamic dynamic.Interface
}

var (
	_ admission.ValidationInterface                = (*Plugin)(nil)
	_ admission.InitializationValidator            = (*Plugin)(nil)
	_ initializer.WantsExternalKubeInformerFactory = (*Plugin)(nil)
	_ initializer.WantsDynamicClient               = (*Plugin)(nil)
)

// New returns the plugin for these limits; the API server gives it its
// informers and clients before it serves.
func New(limits Limits) *Plugin {
	p := &Plugin{Handler: admission.NewHandler(admission.Create, admission.Update), kinds: map[schema.GroupResource]*kind{},
		atLeast: limits.AtLeast, uncounted: map[string]bool{}, maxEvent: limits.MaxEventText}
	for _, ns := range limits.Uncounted {
		p.uncounted[ns] = true
	}
	for gvr, n := range limits.PerNamespace {
		p.kinds[gvr.GroupResource()] = &kind{gvr: gvr, limit: n, pending: map[string]pendingCreate{}}
	}
	for gvr, n := range limits.Total {
		p.kinds[gvr.GroupResource()] = &kind{gvr: gvr, limit: n, total: true, pending: map[string]pendingCreate{}}
	}
	return p
}

// SetExternalKubeInformerFactory takes the API server's informers: one per
// limited resource that the built-in API serves.
func (p *Plugin) SetExternalKubeInformerFactory(f informers.SharedInformerFactory) {
	var synced []cache.InformerSynced
	for _, k := range p.kinds {
		inf, err := f.ForResource(k.gvr)
		if err != nil {
			p.listed = append(p.listed, k)
			p.listWithDynamic()
			continue
		}
		k.list = indexerList(inf.Informer().GetIndexer())
		synced = append(synced, inf.Informer().HasSynced)
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

// SetDynamicClient takes the API server's own client, to count the kinds
// no informer counts by listing them (they are created rarely:
// CustomResourceDefinitions).
func (p *Plugin) SetDynamicClient(c dynamic.Interface) {
	p.dynamic = c
	p.listWithDynamic()
}

// listWithDynamic makes the kinds no informer counts count by listing,
// once the dynamic client is there (the API server gives it before or
// after its informers).
func (p *Plugin) listWithDynamic() {
	if p.dynamic == nil {
		return
	}
	for _, k := range p.listed {
		if k.list != nil {
			continue
		}
		res := p.dynamic.Resource(k.gvr)
		k.list = func(ctx context.Context, ns string) ([]string, func(string) (types.UID, bool), error) {
			list, err := res.Namespace(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, nil, fmt.Errorf("objectlimit: list %s: %w", k.gvr.Resource, err)
			}
			keys := make([]string, 0, len(list.Items))
			uids := make(map[string]types.UID, len(list.Items))
			for i := range list.Items {
				key, _ := cache.MetaNamespaceKeyFunc(&list.Items[i])
				keys = append(keys, key)
				uids[key] = list.Items[i].GetUID()
			}
			return keys, func(key string) (types.UID, bool) {
				uid, ok := uids[key]
				return uid, ok
			}, nil
		}
	}
}

// ValidateInitialization reports a plugin that was never given what it
// counts with.
func (p *Plugin) ValidateInitialization() error {
	for gr, k := range p.kinds {
		if k.list == nil {
			return fmt.Errorf("objectlimit: nothing counts %s", gr)
		}
	}
	return nil
}

// Validate refuses a create past its resource's limit, and an Event whose
// text is too large.
func (p *Plugin) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetSubresource() != "" {
		return nil
	}
	gr := a.GetResource().GroupResource()
	if alias, ok := aliases[gr]; ok {
		gr = alias
	}
	if gr == (schema.GroupResource{Resource: "events"}) {
		if err := p.eventText(a); err != nil {
			return err
		}
	}
	if a.GetOperation() != admission.Create {
		return nil
	}
	k, ok := p.kinds[gr]
	if !ok || (!k.total && p.uncounted[a.GetNamespace()]) {
		return nil
	}
	if !p.WaitForReady() {
		return admission.NewForbidden(a, fmt.Errorf("the sandbox is not ready to count %s yet (%s)", gr.Resource, LimitName))
	}
	// The key as the informer's store has it, from the object: for a
	// Namespace the request's namespace is its own name, not a scope.
	key, err := cache.MetaNamespaceKeyFunc(a.GetObject())
	if err != nil {
		return admission.NewForbidden(a, fmt.Errorf("the sandbox cannot count this object: %w", err))
	}
	ns, limit := "", k.limit
	if !k.total {
		ns = a.GetNamespace()
		limit = max(limit, p.atLeast[ns])
	}
	uid := objectUID(a.GetObject())
	p.mu.Lock()
	defer p.mu.Unlock()
	keys, uidAt, err := k.list(ctx, ns)
	if err != nil {
		return admission.NewForbidden(a, fmt.Errorf("the sandbox cannot count %s: %w", gr.Resource, err))
	}
	// A pending create ends once its own object is counted (or after
	// pendingFor). Until then it counts while nothing of its name is
	// counted: an object of that name still counted (deleted since, or the
	// one this create duplicates) holds the place until it goes; then the
	// pending create holds it.
	now := time.Now()
	count := len(keys)
	for name, pc := range k.pending {
		u, there := uidAt(name)
		switch {
		case (there && u == pc.uid) || now.Sub(pc.at) > pendingFor:
			delete(k.pending, name)
		case !there && (ns == "" || strings.HasPrefix(name, ns+"/")):
			count++
		}
	}
	_, taken := uidAt(key)
	_, retried := k.pending[key]
	if !taken && !retried && count >= limit {
		if k.total {
			return admission.NewForbidden(a, fmt.Errorf("this sandbox already holds its limit of %d %s (%s)", limit, gr.Resource, LimitName))
		}
		return admission.NewForbidden(a, fmt.Errorf("namespace %q already holds its limit of %d %s in this sandbox (%s)", ns, limit, gr.Resource, LimitName))
	}
	if !a.IsDryRun() {
		k.pending[key] = pendingCreate{uid: uid, at: now}
	}
	return nil
}

// objectUID is the UID the API server gave a new object before admission
// ("" if it has none: then its pending create only ends by time).
func objectUID(obj runtime.Object) types.UID {
	m, err := meta.Accessor(obj)
	if err != nil {
		return ""
	}
	return m.GetUID()
}

// indexerList counts a kind from an informer's store, which indexes by
// namespace.
func indexerList(idx cache.Indexer) func(context.Context, string) ([]string, func(string) (types.UID, bool), error) {
	uidAt := func(key string) (types.UID, bool) {
		obj, ok, _ := idx.GetByKey(key)
		if !ok {
			return "", false
		}
		if o, isObj := obj.(runtime.Object); isObj {
			return objectUID(o), true
		}
		return "", true
	}
	return func(_ context.Context, ns string) ([]string, func(string) (types.UID, bool), error) {
		if ns == "" {
			return idx.ListKeys(), uidAt, nil
		}
		keys, err := idx.IndexKeys(cache.NamespaceIndex, ns)
		return keys, uidAt, err
	}
}

// eventText refuses an Event whose message (or note) is larger than the
// sandbox accepts: the API server takes any size, and every page that
// watches the cluster would receive it.
func (p *Plugin) eventText(a admission.Attributes) error {
	if p.maxEvent <= 0 {
		return nil
	}
	var text string
	switch ev := a.GetObject().(type) {
	case *core.Event:
		text = ev.Message
	case *corev1.Event:
		text = ev.Message
	default:
		return nil
	}
	if len(text) > p.maxEvent {
		return admission.NewForbidden(a, fmt.Errorf("an Event message may hold at most %d bytes in this sandbox (%s)", p.maxEvent, LimitName))
	}
	return nil
}
