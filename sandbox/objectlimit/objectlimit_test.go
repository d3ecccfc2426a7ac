package objectlimit

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/client-go/tools/cache"
	"k8s.io/kubernetes/pkg/apis/core"
)

var eventsGVR = schema.GroupVersionResource{Version: "v1", Resource: "events"}

// lagging is a plugin counting Events (limit 2 in the sandbox) from an
// informer store the test fills by hand, so that it can lag behind the
// API server's storage as an informer does under load.
func lagging(t *testing.T) (*Plugin, cache.Indexer) {
	t.Helper()
	p := New(Limits{Total: map[schema.GroupVersionResource]int{eventsGVR: 2}})
	store := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	p.kinds[eventsGVR.GroupResource()].list = indexerList(store)
	p.SetReadyFunc(func() bool { return true })
	if err := p.ValidateInitialization(); err != nil {
		t.Fatal(err)
	}
	return p, store
}

func event(name string, uid types.UID) *core.Event {
	return &core.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, UID: uid}}
}

func create(p *Plugin, ev *core.Event) error {
	a := admission.NewAttributesRecord(ev, nil, core.Kind("Event").WithVersion("v1"), ev.Namespace, ev.Name,
		eventsGVR, "", admission.Create, &metav1.CreateOptions{}, false, nil)
	return p.Validate(context.Background(), a, nil)
}

// An Event deleted and made again under its name (as an event recorder
// does when the series it patches is gone) while the informer still
// shows the deleted one: the new one keeps its place in the count when
// the informer drops the old one, so nothing gets past the limit.
func TestRecreatedNameKeepsItsPlace(t *testing.T) {
	p, store := lagging(t)
	old, other := event("a", "uid-old"), event("b", "uid-b")
	for _, ev := range []*core.Event{old, other} {
		if err := create(p, ev); err != nil {
			t.Fatalf("create %s: %v", ev.Name, err)
		}
		if err := store.Add(ev); err != nil {
			t.Fatal(err)
		}
	}
	// "a" is deleted and created again; the informer has seen neither.
	if err := create(p, event("a", "uid-new")); err != nil {
		t.Fatalf("the new a: %v", err)
	}
	// The informer sees the delete; the new "a" is not there yet.
	if err := store.Delete(old); err != nil {
		t.Fatal(err)
	}
	err := create(p, event("c", "uid-c"))
	if err == nil || !strings.Contains(err.Error(), "limit of 2 events") {
		t.Fatalf("a third Event while the sandbox holds 2: %v", err)
	}
	// Once the informer shows the new "a", it is counted there, once.
	if err := store.Add(event("a", "uid-new")); err != nil {
		t.Fatal(err)
	}
	if err := create(p, event("c", "uid-c")); err == nil {
		t.Fatal("a third Event admitted")
	}
	if err := store.Delete(other); err != nil {
		t.Fatal(err)
	}
	if err := create(p, event("c", "uid-c")); err != nil {
		t.Fatalf("a second Event after one of two went: %v", err)
	}
}

// A create of a name that exists is let through (it fails as a
// duplicate, which says more than the limit would), and does not keep a
// place of its own while that object is there.
func TestDuplicateNameIsNotCountedTwice(t *testing.T) {
	p, store := lagging(t)
	a := event("a", "uid-a")
	if err := create(p, a); err != nil {
		t.Fatal(err)
	}
	if err := store.Add(a); err != nil {
		t.Fatal(err)
	}
	if err := create(p, event("a", "uid-dup")); err != nil {
		t.Fatalf("a duplicate name: %v, want it let through to fail as a duplicate", err)
	}
	if err := create(p, event("b", "uid-b")); err != nil {
		t.Fatalf("a second Event with one there: %v", err)
	}
	if err := store.Add(event("b", "uid-b")); err != nil {
		t.Fatal(err)
	}
	if err := create(p, event("c", "uid-c")); err == nil || !strings.Contains(err.Error(), "limit of 2 events") {
		t.Fatalf("a third Event: %v", err)
	}
	// At the limit, a duplicate name still gets the duplicate's error.
	if err := create(p, event("b", "uid-dup2")); err != nil {
		t.Fatalf("a duplicate name at the limit: %v", err)
	}
}
