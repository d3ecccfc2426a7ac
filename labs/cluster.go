package labs

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// ClusterState reads objects straight from a cluster's API server. It is
// what `kubelab check` grades with; the server grades from its watch cache.
type ClusterState struct {
	client dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

// NewClusterState connects to the cluster of cfg.
func NewClusterState(cfg *rest.Config) (*ClusterState, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("labs: discovery client: %w", err)
	}
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("labs: dynamic client: %w", err)
	}
	return &ClusterState{client: client, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))}, nil
}

// Mapping finds the resource of r's kind, refreshing discovery once if
// the kind is new (a CRD just created).
func (s *ClusterState) Mapping(r Resource) (*meta.RESTMapping, error) {
	gv, err := schema.ParseGroupVersion(r.APIVersion)
	if err != nil {
		return nil, fmt.Errorf("labs: apiVersion %q: %w", r.APIVersion, err)
	}
	gk := schema.GroupKind{Group: gv.Group, Kind: r.Kind}
	m, err := s.mapper.RESTMapping(gk, gv.Version)
	if meta.IsNoMatchError(err) {
		s.mapper.Reset()
		m, err = s.mapper.RESTMapping(gk, gv.Version)
	}
	if err != nil {
		return nil, fmt.Errorf("labs: kind %s/%s: %w", r.APIVersion, r.Kind, err)
	}
	return m, nil
}

func (s *ClusterState) resource(r Resource) (dynamic.ResourceInterface, error) {
	m, err := s.Mapping(r)
	if err != nil {
		if meta.IsNoMatchError(err) {
			return nil, nil
		}
		return nil, err
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace && r.Namespace != "" {
		return s.client.Resource(m.Resource).Namespace(r.Namespace), nil
	}
	return s.client.Resource(m.Resource), nil
}

// Get implements State.
func (s *ClusterState) Get(ctx context.Context, r Resource) (map[string]any, error) {
	ri, err := s.resource(r)
	if err != nil || ri == nil {
		return nil, err
	}
	if r.Namespace == "" {
		// A namespaced kind without a namespace: find the name anywhere.
		list, err := s.List(ctx, Resource{APIVersion: r.APIVersion, Kind: r.Kind})
		if err != nil {
			return nil, err
		}
		for _, o := range list {
			if md, ok := o["metadata"].(map[string]any); ok && md["name"] == r.Name {
				return o, nil
			}
		}
		return nil, nil
	}
	obj, err := ri.Get(ctx, r.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("labs: get %s: %w", r.Describe("en"), err)
	}
	Prune(obj.Object)
	return obj.Object, nil
}

// List implements State.
func (s *ClusterState) List(ctx context.Context, r Resource) ([]map[string]any, error) {
	ri, err := s.resource(r)
	if err != nil || ri == nil {
		return nil, err
	}
	list, err := ri.List(ctx, metav1.ListOptions{LabelSelector: r.Selector})
	if err != nil {
		return nil, fmt.Errorf("labs: list %s: %w", r.Describe("en"), err)
	}
	out := make([]map[string]any, 0, len(list.Items))
	for _, it := range list.Items {
		Prune(it.Object)
		out = append(out, it.Object)
	}
	return out, nil
}

// RESTMapping maps a kind to its resource, refreshing discovery once for a
// kind the cluster just learned (a new CRD).
func (s *ClusterState) RESTMapping(gk schema.GroupKind, versions ...string) (*meta.RESTMapping, error) {
	m, err := s.mapper.RESTMapping(gk, versions...)
	if meta.IsNoMatchError(err) {
		s.mapper.Reset()
		m, err = s.mapper.RESTMapping(gk, versions...)
	}
	return m, err
}

// Dynamic returns the state's dynamic client.
func (s *ClusterState) Dynamic() dynamic.Interface { return s.client }

// Prune removes null values from an object, in place, as the API server's
// own CEL does: a field that is null is absent, so has() is false for it.
func Prune(obj map[string]any) {
	for k, v := range obj {
		switch t := v.(type) {
		case nil:
			delete(obj, k)
		case map[string]any:
			Prune(t)
		case []any:
			for _, e := range t {
				if m, ok := e.(map[string]any); ok {
					Prune(m)
				}
			}
		}
	}
}
