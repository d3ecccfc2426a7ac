// Package snapshot saves the objects a learner made in a cluster, through
// the Kubernetes API, and restores a cluster to such a snapshot.
//
// A snapshot holds the learner's own objects: every object of every kind
// that can be listed, created, updated and deleted, outside the system
// namespaces, that no other object owns (no ownerReferences) and that the
// cluster did not make by itself (the default ServiceAccount and root CA
// ConfigMap of each namespace, the kubernetes Service, Endpoints, Events,
// Leases, Nodes, the bootstrap RBAC and priority classes, the sandbox's
// limits, default StorageClass and own kinds, ...). Status is not kept.
//
// Restore makes the cluster's own objects equal to the snapshot's: it
// deletes those the snapshot does not have, creates those it lacks and
// writes back those that differ (deleting and creating again an object
// whose changed field cannot be updated). Objects owned by others
// (ReplicaSets, Pods of a Deployment, ...) are left to their controllers,
// which rebuild them from the restored owners.
//
// Working at the API level makes it the same for every provider (the
// embedded control plane, kind, a remote namespace) and independent of the
// storage behind the API server.
package snapshot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
)

// Item is one saved object with the resource it is served as.
type Item struct {
	// Resource is "group/version/resource" ("/v1/configmaps" for the core group).
	Resource   string         `json:"resource"`
	Namespaced bool           `json:"namespaced,omitempty"`
	Object     map[string]any `json:"object"`
}

// Snapshot is the learner's objects at one moment.
type Snapshot struct {
	TakenAt time.Time `json:"takenAt"`
	// Namespace, when set, confined the snapshot to that namespace.
	Namespace string `json:"namespace,omitempty"`
	Items     []Item `json:"items"`
}

// Key identifies an item: resource, namespace and name.
func (it Item) Key() string {
	u := unstructured.Unstructured{Object: it.Object}
	return it.keyOf(u.GetNamespace(), u.GetName())
}

// Client reaches one cluster.
type Client struct {
	dyn  dynamic.Interface
	meta metadata.Interface
	// fullLists reads every kind whole, as snapshots did before the
	// metadata-first lists (kept to measure one against the other).
	fullLists bool
	disc      discovery.DiscoveryInterface
	namespace string

	// mu guards the kinds found by the last discovery and the custom
	// types they were found with (see resources).
	mu          sync.Mutex
	kinds       []resource
	kindsSource string

	// read keeps the learner's objects the last snapshot read in full,
	// by key with their resource version: the next snapshot reads again
	// only those whose version changed (a step's snapshot mostly finds
	// the learner's objects as the step before left them).
	read map[string]readObj
}

// readObj is an object as the API server sent it, at one resource version.
type readObj struct {
	rv  string
	obj map[string]any
}

// New returns a client for the cluster of cfg. A non-empty namespace
// confines snapshots and restores to it (a learner who may touch only that
// namespace).
func New(cfg *rest.Config, namespace string) (*Client, error) {
	c := rest.CopyConfig(cfg)
	// A snapshot is one burst of reads (a list per kind, then the
	// learner's objects), and a restore a burst of writes; no client-side
	// limit holds them (one client is kept from one snapshot to the next,
	// and a spent token bucket would pace every later snapshot).
	c.QPS, c.Burst, c.RateLimiter = -1, 0, nil
	dyn, err := dynamic.NewForConfig(c)
	if err != nil {
		return nil, fmt.Errorf("snapshot: dynamic client: %w", err)
	}
	meta, err := metadata.NewForConfig(c)
	if err != nil {
		return nil, fmt.Errorf("snapshot: metadata client: %w", err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(c)
	if err != nil {
		return nil, fmt.Errorf("snapshot: discovery client: %w", err)
	}
	return &Client{dyn: dyn, meta: meta, disc: disc, namespace: namespace}, nil
}

// systemNamespaces are the cluster's own; nothing in them is saved.
var systemNamespaces = map[string]bool{"kube-system": true, "kube-public": true, "kube-node-lease": true}

// outsideSystem selects the objects outside the system namespaces (every
// kind can be selected by metadata.namespace), so that the cluster's own
// Pods, ConfigMaps, RBAC and the like are not even sent.
var outsideSystem = func() string {
	var parts []string
	for ns := range systemNamespaces {
		parts = append(parts, "metadata.namespace!="+ns)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}()

// skipped resources are made and kept by the cluster itself (or are not
// objects a learner makes).
var skipped = map[string]bool{
	"events": true, "endpoints": true, "endpointslices": true, "leases": true, "nodes": true,
	"componentstatuses": true, "controllerrevisions": true, "apiservices": true, "flowschemas": true,
	"prioritylevelconfigurations": true, "certificatesigningrequests": true, "csinodes": true,
	"volumeattachments": true, "ipaddresses": true, "servicecidrs": true, "resourceslices": true,
	"clustertrustbundles": true, "csidrivers": true,
}

// sandboxGroup is the API group suffix of the sandbox's own kinds (its
// scheduling records): neither they nor their definitions are the learner's.
const sandboxGroup = "kubelab.dev"

// resource is a kind that can be saved and restored.
type resource struct {
	gvr        schema.GroupVersionResource
	namespaced bool
}

func (r resource) String() string {
	return r.gvr.Group + "/" + r.gvr.Version + "/" + r.gvr.Resource
}

func parseResource(s string) (schema.GroupVersionResource, error) {
	p := strings.Split(s, "/")
	if len(p) != 3 || p[1] == "" || p[2] == "" {
		return schema.GroupVersionResource{}, fmt.Errorf("snapshot: bad resource %q", s)
	}
	return schema.GroupVersionResource{Group: p[0], Version: p[1], Resource: p[2]}, nil
}

// resources lists the kinds a learner can make, in their preferred
// versions. Discovery (the API server's whole document of groups and
// kinds) is the costliest read of a snapshot; the set of kinds changes
// only with the custom types (CustomResourceDefinitions) and aggregated
// APIs (APIServices), so a client keeps its last answer while those two
// lists are unchanged, name by name and version by version (an update of
// a type's status, such as becoming established, counts as a change). A
// client that may not list them discovers every time.
func (c *Client) resources(ctx context.Context) ([]resource, error) {
	source, ok := c.typesSource(ctx)
	if ok {
		c.mu.Lock()
		kinds, same := c.kinds, c.kindsSource == source
		c.mu.Unlock()
		if same && kinds != nil {
			return kinds, nil
		}
	}
	kinds, err := c.discoverKinds()
	if err != nil {
		return nil, err
	}
	if ok {
		c.mu.Lock()
		c.kinds, c.kindsSource = kinds, source
		c.mu.Unlock()
	}
	return kinds, nil
}

// typeLists are the kinds whose objects add kinds to the API.
var typeLists = []schema.GroupVersionResource{
	{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"},
	{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"},
}

// typesSource names every custom type and aggregated API with its
// resource version; ok is false when they cannot be listed.
func (c *Client) typesSource(ctx context.Context) (string, bool) {
	var b strings.Builder
	for _, gvr := range typeLists {
		l, err := c.meta.Resource(gvr).List(ctx, metav1.ListOptions{})
		if err != nil {
			return "", false
		}
		names := make([]string, 0, len(l.Items))
		for i := range l.Items {
			names = append(names, l.Items[i].Name+"@"+l.Items[i].ResourceVersion)
		}
		sort.Strings(names)
		b.WriteString(gvr.Resource)
		for _, n := range names {
			b.WriteByte(' ')
			b.WriteString(n)
		}
		b.WriteByte('\n')
	}
	return b.String(), true
}

// discoverKinds lists the kinds a learner can make, in their preferred versions.
func (c *Client) discoverKinds() ([]resource, error) {
	lists, err := c.disc.ServerPreferredResources()
	if err != nil && len(lists) == 0 {
		return nil, fmt.Errorf("snapshot: discovery: %w", err)
	} // a partial answer (an aggregated API down) is used as it is
	var out []resource
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") || skipped[r.Name] || (c.namespace != "" && !r.Namespaced) ||
				strings.HasSuffix(gv.Group, sandboxGroup) ||
				!hasVerbs(r.Verbs, "list", "create", "update", "delete") {
				continue
			}
			out = append(out, resource{gvr: gv.WithResource(r.Name), namespaced: r.Namespaced})
		}
	}
	return out, nil
}

func hasVerbs(have []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			found = found || h == w
		}
		if !found {
			return false
		}
	}
	return true
}

// own reports whether an object is the learner's to save.
func own(res resource, u metav1.Object) bool {
	ns, name := u.GetNamespace(), u.GetName()
	switch {
	case systemNamespaces[ns], res.gvr.Resource == "namespaces" && systemNamespaces[name]:
		return false
	case len(u.GetOwnerReferences()) > 0:
		return false
	case res.gvr.Resource == "serviceaccounts" && name == "default",
		res.gvr.Resource == "configmaps" && name == "kube-root-ca.crt",
		res.gvr.Resource == "priorityclasses" && strings.HasPrefix(name, "system-"),
		res.gvr.Resource == "services" && ns == "default" && name == "kubernetes",
		res.gvr.Resource == "customresourcedefinitions" && strings.HasSuffix(name, "."+sandboxGroup),
		res.gvr.Resource == "storageclasses" && u.GetAnnotations()["storageclass.kubernetes.io/is-default-class"] == "true",
		strings.HasPrefix(name, "system:"),
		u.GetLabels()["kubernetes.io/bootstrapping"] != "",
		u.GetLabels()["app.kubernetes.io/managed-by"] == "kubelab":
		return false
	}
	return true
}

// listers is how many kinds are listed at once.
const listers = 8

// list returns the learner's objects of every kind, by key.
func (c *Client) list(ctx context.Context, rs []resource) (map[string]Item, error) {
	out := map[string]Item{}
	c.mu.Lock()
	prev := c.read
	c.mu.Unlock()
	read := &reads{prev: prev, next: map[string]readObj{}}
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
		next  = make(chan resource)
	)
	for range min(listers, len(rs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for res := range next {
				items, err := c.listOne(ctx, res, read)
				mu.Lock()
				if err != nil && first == nil {
					first = err
				}
				for _, it := range items {
					out[it.Key()] = it
				}
				mu.Unlock()
			}
		}()
	}
	for _, res := range rs {
		next <- res
	}
	close(next)
	wg.Wait()
	if first != nil {
		return nil, first
	}
	c.mu.Lock()
	c.read = read.next
	c.mu.Unlock()
	return out, nil
}

// reads are the objects one snapshot read in full (next), and those the
// snapshot before read (prev, not changed).
type reads struct {
	prev map[string]readObj
	mu   sync.Mutex
	next map[string]readObj
}

// known returns the object of key if the last snapshot read it at version rv.
func (r *reads) known(key, rv string) (map[string]any, bool) {
	o, ok := r.prev[key]
	if !ok || rv == "" || o.rv != rv {
		return nil, false
	}
	r.keep(key, o)
	return o.obj, true
}

func (r *reads) keep(key string, o readObj) {
	r.mu.Lock()
	r.next[key] = o
	r.mu.Unlock()
}

// getEach is how many of a kind's objects in one namespace are always
// read one by one; more are listed together when they are at least half
// of the namespace's objects of that kind (a list decodes them all).
const getEach = 4

// listOne returns the learner's objects of one kind. It lists the kind's
// metadata first (the API server sends no spec or status), which is
// enough to tell the learner's objects from the cluster's, and reads in
// full only the namespaces that hold some of the learner's: most objects
// of a sandbox (its system namespaces, the Pods and ReplicaSets that
// controllers own) are never decoded.
func (c *Client) listOne(ctx context.Context, res resource, read *reads) ([]Item, error) {
	if c.fullLists {
		return c.listAll(ctx, res, c.namespace, read)
	}
	var (
		ml  *metav1.PartialObjectMetadataList
		err error
	)
	if mr := c.meta.Resource(res.gvr); c.namespace != "" {
		ml, err = mr.Namespace(c.namespace).List(ctx, metav1.ListOptions{})
	} else if res.namespaced {
		ml, err = mr.List(ctx, metav1.ListOptions{FieldSelector: outsideSystem})
	} else {
		ml, err = mr.List(ctx, metav1.ListOptions{})
	}
	if skippable(err) {
		return nil, nil
	}
	if err != nil {
		// A kind served without metadata-only lists (some aggregated
		// APIs): read it whole.
		return c.listAll(ctx, res, c.namespace, read)
	}
	byNS, total := map[string][]string{}, map[string]int{}
	var (
		order []string
		out   []Item
	)
	for i := range ml.Items {
		m := &ml.Items[i]
		total[m.Namespace]++
		if !own(res, m) {
			continue
		}
		item := Item{Resource: res.String(), Namespaced: res.namespaced}
		if o, ok := read.known(item.keyOf(m.Namespace, m.Name), m.ResourceVersion); ok {
			item.Object = o // unchanged since the last snapshot read it
			out = append(out, item)
			continue
		}
		if _, ok := byNS[m.Namespace]; !ok {
			order = append(order, m.Namespace)
		}
		byNS[m.Namespace] = append(byNS[m.Namespace], m.Name)
	}
	for _, ns := range order {
		items, err := c.readOwn(ctx, res, ns, byNS[ns], total[ns], read)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
	}
	return out, nil
}

// readOwn reads in full the learner's objects of one kind in one
// namespace ("" for a cluster-scoped kind), given their names and how many
// objects of that kind the namespace holds.
func (c *Client) readOwn(ctx context.Context, res resource, ns string, names []string, total int, read *reads) ([]Item, error) {
	if len(names) > getEach && 2*len(names) >= total {
		return c.listAll(ctx, res, ns, read)
	}
	var out []Item
	for _, name := range names {
		u, err := c.in(res, ns).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue // deleted since the metadata list
		}
		if err != nil {
			return nil, fmt.Errorf("snapshot: get %s %s/%s: %w", res, ns, name, err)
		}
		if own(res, u) {
			out = append(out, read.item(res, u))
		}
	}
	return out, nil
}

// keyOf is the key of the item's resource's object ns/name.
func (it Item) keyOf(ns, name string) string {
	return it.Resource + "|" + ns + "|" + name
}

// item is the learner's object u, kept for the next snapshot.
func (r *reads) item(res resource, u *unstructured.Unstructured) Item {
	it := Item{Resource: res.String(), Namespaced: res.namespaced, Object: u.Object}
	r.keep(it.keyOf(u.GetNamespace(), u.GetName()), readObj{rv: u.GetResourceVersion(), obj: u.Object})
	return it
}

// listAll lists a kind in one namespace ("" for all) and keeps the
// learner's objects.
func (c *Client) listAll(ctx context.Context, res resource, ns string, read *reads) ([]Item, error) {
	l, err := c.in(res, ns).List(ctx, metav1.ListOptions{})
	if skippable(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("snapshot: list %s in %q: %w", res, ns, err)
	}
	var out []Item
	for i := range l.Items {
		if u := &l.Items[i]; own(res, u) {
			out = append(out, read.item(res, u))
		}
	}
	return out, nil
}

// in is the dynamic client of a kind in one namespace ("" for all, or a
// cluster-scoped kind).
func (c *Client) in(res resource, ns string) dynamic.ResourceInterface {
	if ns == "" {
		return c.dyn.Resource(res.gvr)
	}
	return c.dyn.Resource(res.gvr).Namespace(ns)
}

// skippable reports a list error that means "nothing of this kind to
// save": a kind that went away, or one this learner may not read.
func skippable(err error) bool {
	return apierrors.IsNotFound(err) || apierrors.IsForbidden(err) || apierrors.IsMethodNotSupported(err)
}

// Take saves the learner's objects as they are now.
func (c *Client) Take(ctx context.Context) (*Snapshot, error) {
	rs, err := c.resources(ctx)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	items, err := c.list(ctx, rs)
	if err != nil {
		return nil, err
	}
	s := &Snapshot{TakenAt: now, Namespace: c.namespace, Items: make([]Item, 0, len(items))}
	for _, it := range items {
		if terminating(it) {
			continue // being deleted: as good as gone
		}
		it.Object = normalize(it.Object)
		s.Items = append(s.Items, it)
	}
	sort.Slice(s.Items, func(i, j int) bool { return s.Items[i].Key() < s.Items[j].Key() })
	return s, nil
}

// normalize drops what the API server sets on every write and the status,
// leaving what a learner wrote (with the server's defaults).
func normalize(o map[string]any) map[string]any {
	u := unstructured.Unstructured{Object: runtime.DeepCopyJSON(o)}
	for _, f := range []string{"uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink",
		"deletionTimestamp", "deletionGracePeriodSeconds"} {
		unstructured.RemoveNestedField(u.Object, "metadata", f)
	}
	if a := u.GetAnnotations(); a != nil {
		delete(a, "deployment.kubernetes.io/revision")
		if len(a) == 0 {
			unstructured.RemoveNestedField(u.Object, "metadata", "annotations")
		} else {
			u.SetAnnotations(a)
		}
	}
	delete(u.Object, "status")
	return u.Object
}

// Save writes the snapshot to path (atomically) and returns its size in bytes.
func (s *Snapshot) Save(path string) (int64, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return 0, fmt.Errorf("snapshot: encode: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return 0, fmt.Errorf("snapshot: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return 0, fmt.Errorf("snapshot: write: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return 0, fmt.Errorf("snapshot: write: %w", err)
	}
	return int64(len(b)), nil
}

// ErrNone is returned by Load when no snapshot was saved at that path.
var ErrNone = errors.New("snapshot: none saved")

// Load reads a snapshot that Save wrote.
func Load(path string) (*Snapshot, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNone
	}
	if err != nil {
		return nil, fmt.Errorf("snapshot: read: %w", err)
	}
	var s Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("snapshot: %s: %w", path, err)
	}
	return &s, nil
}
