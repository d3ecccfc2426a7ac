package watch

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/kubelab/kubelab/internal/testcluster"
)

// state is what a subscriber knows: the objects of its last snapshot with
// every later change applied, by kind/namespace/name.
type state map[string]Obj

func keyOf(o Obj) string {
	ns, _ := o["namespace"].(string)
	return fmt.Sprint(o["kind"], "/", ns, "/", o["name"])
}

func stateOf(snap []Obj) state {
	s := state{}
	for _, o := range snap {
		s[keyOf(o)] = o
	}
	return s
}

func (s state) apply(c Change) {
	if c.Op == "delete" {
		delete(s, keyOf(c.Obj))
	} else {
		s[keyOf(c.Obj)] = c.Obj
	}
}

// only keeps the objects of one kind in one namespace, as the browser
// decodes them.
func (s state) only(t *testing.T, kind, namespace string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for k, o := range s {
		if o["kind"] == kind && o["namespace"] == namespace {
			out[k] = roundTrip(t, o)
		}
	}
	return out
}

// diff says which keys two states disagree on.
func diff(got, want map[string]map[string]any) []string {
	var out []string
	for k, w := range want {
		if g, ok := got[k]; !ok {
			out = append(out, "missing "+k)
		} else if !reflect.DeepEqual(g, w) {
			out = append(out, fmt.Sprintf("stale %s (rv %v, cluster rv %v)", k, g["rv"], w["rv"]))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			out = append(out, "extra "+k)
		}
	}
	sort.Strings(out)
	return out
}

func service(name, rv string, labels map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Service",
		"metadata": map[string]any{"name": name, "namespace": "default", "uid": "uid-" + name, "resourceVersion": rv,
			"creationTimestamp": "2026-11-26T10:00:00Z", "labels": labels},
		"spec": map[string]any{"type": "ClusterIP", "clusterIP": "10.96.0.10", "ports": []any{map[string]any{"port": int64(80)}}},
	}}
}

// newWatcher is a watcher fed by the test through apply, as the informers
// feed it.
func newWatcher() *Watcher {
	return &Watcher{objs: map[string]Obj{}, subs: map[*Sub]struct{}{}}
}

// A subscriber that does not keep up gets, once its buffer is full, the
// changes up to the overflow in order, then a signal and nothing more
// until it resyncs: never a silent gap. Its resync is the watcher's state,
// and the changes after it bring it up to date; a subscriber that keeps up
// is not affected.
func TestSlowSubscriberIsToldAndResyncs(t *testing.T) {
	w := newWatcher()
	for i := range 3 {
		w.apply("Service", service(fmt.Sprintf("svc-%d", i), "1", nil), "ADDED", true)
	}
	snap, slow := w.Subscribe(4)
	defer slow.Close()
	fastSnap, fast := w.Subscribe(100)
	defer fast.Close()
	if len(snap) != 3 || len(fastSnap) != 3 {
		t.Fatalf("snapshots of %d and %d objects, want 3", len(snap), len(fastSnap))
	}
	// Ten changes: three new Services, updates, deletes.
	var sent []string
	for i := range 10 {
		name, op := fmt.Sprintf("svc-%d", i%5), "MODIFIED"
		switch {
		case i >= 3 && i < 6:
			name, op = fmt.Sprintf("svc-%d", i), "ADDED"
		case i == 7 || i == 9:
			op = "DELETED"
		}
		w.apply("Service", service(name, fmt.Sprint(10+i), map[string]any{"change": fmt.Sprint(i)}), op, false)
		sent = append(sent, fmt.Sprintf("%s %s rv %d", op, name, 10+i))
	}
	select {
	case <-slow.Overflowed():
	default:
		t.Fatal("a subscriber with a buffer of 4 got 10 changes and no overflow signal")
	}
	// What it did get is the first changes, in order, and nothing after the overflow.
	if len(slow.C()) != 4 {
		t.Fatalf("%d changes buffered, want the 4 before the overflow", len(slow.C()))
	}
	first := <-slow.C() // room in the buffer again
	w.apply("Service", service("svc-late", "30", nil), "ADDED", false)
	if len(slow.C()) != 3 {
		t.Fatalf("a change after the overflow was buffered: the subscriber would apply it after a gap")
	}
	for i := range 4 {
		c := first
		if i > 0 {
			c = <-slow.C()
		}
		if got := fmt.Sprintf("%s rv %v", c.Obj["name"], c.Obj["rv"]); sent[i][len(sent[i])-len(got):] != got {
			t.Fatalf("change %d: got %s, sent %s", i, got, sent[i])
		}
	}
	st := stateOf(slow.Resync())
	if len(slow.C()) != 0 {
		t.Fatal("resync left changes buffered")
	}
	if want := stateOf(w.Snapshot()); !reflect.DeepEqual(st, want) {
		t.Fatalf("resync: %v, watcher has %v", diff(st.only(t, "Service", "default"), want.only(t, "Service", "default")), len(want))
	}
	// After the resync, changes flow again.
	w.apply("Service", service("svc-0", "40", map[string]any{"after": "resync"}), "MODIFIED", false)
	w.apply("Service", service("svc-3", "41", nil), "DELETED", false)
	for range 2 {
		select {
		case c := <-slow.C():
			st.apply(c)
		default:
			t.Fatal("a change after the resync was not delivered")
		}
	}
	want := stateOf(w.Snapshot())
	if d := diff(st.only(t, "Service", "default"), want.only(t, "Service", "default")); len(d) > 0 {
		t.Fatalf("after resync and 2 changes the subscriber disagrees with the watcher: %v", d)
	}
	// The subscriber that kept up saw every change and no signal.
	select {
	case <-fast.Overflowed():
		t.Fatal("the fast subscriber was told of an overflow")
	default:
	}
	fst := stateOf(fastSnap)
	for len(fast.C()) > 0 {
		fst.apply(<-fast.C())
	}
	if d := diff(fst.only(t, "Service", "default"), want.only(t, "Service", "default")); len(d) > 0 {
		t.Fatalf("the fast subscriber disagrees with the watcher: %v", d)
	}
}

// A slow reader and a busy cluster at once, as the page's websocket loop
// reads (server/ws.go): whatever overflows in between, once the changes
// stop its state is the watcher's.
func TestSlowReaderConverges(t *testing.T) {
	w := newWatcher()
	snap, sub := w.Subscribe(8)
	defer sub.Close()
	st := stateOf(snap)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(done)
		for i := range 2000 {
			op := "MODIFIED"
			if i%7 == 6 {
				op = "DELETED"
			}
			w.apply("Service", service(fmt.Sprintf("svc-%d", i%37), fmt.Sprint(i+1), nil), op, false)
		}
	}()
	resyncs := 0
	read := func() bool {
		select {
		case c := <-sub.C():
			st.apply(c)
			time.Sleep(20 * time.Microsecond) // slower than the writer
			return true
		case <-sub.Overflowed():
			st = stateOf(sub.Resync())
			resyncs++
			return true
		default:
			return false
		}
	}
	for {
		select {
		case <-done:
		default:
			read()
			continue
		}
		break
	}
	wg.Wait()
	for read() {
	}
	if resyncs == 0 {
		t.Fatal("the reader never fell behind: the test did not test an overflow")
	}
	if d := diff(st.only(t, "Service", "default"), stateOf(w.Snapshot()).only(t, "Service", "default")); len(d) > 0 {
		t.Fatalf("after %d resyncs the reader disagrees with the watcher: %v", resyncs, d)
	}
	t.Logf("2000 changes, buffer 8: %d resyncs", resyncs)
}

// Against a real API server (an embedded sandbox): a subscriber that stops
// reading while 60 Services are created, relabelled and deleted overflows,
// resyncs, and its Services are then exactly the cluster's, as Normalize
// makes them from the API server's own list.
func TestOverflowResyncAgainstSandbox(t *testing.T) {
	c := testcluster.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	w, err := Start(ctx, c.REST)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	_, sub := w.Subscribe(2)
	defer sub.Close()

	const ns = "overflow"
	if _, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svcs := c.Client.CoreV1().Services(ns)
	for i := range 60 {
		s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("svc-%02d", i), Labels: map[string]string{"app": "a"}},
			Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: int32(8000 + i)}}}}
		if _, err := svcs.Create(ctx, s, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create service %d: %v", i, err)
		}
	}
	for i := range 20 {
		patch := fmt.Appendf(nil, `{"metadata":{"labels":{"app":"b","n":"%d"}}}`, i)
		if _, err := svcs.Patch(ctx, fmt.Sprintf("svc-%02d", i), "application/merge-patch+json", patch, metav1.PatchOptions{}); err != nil {
			t.Fatalf("relabel service %d: %v", i, err)
		}
	}
	for i := 40; i < 60; i++ {
		if err := svcs.Delete(ctx, fmt.Sprintf("svc-%02d", i), metav1.DeleteOptions{}); err != nil {
			t.Fatalf("delete service %d: %v", i, err)
		}
	}
	select {
	case <-sub.Overflowed():
	case <-time.After(30 * time.Second):
		t.Fatal("no overflow signal for a subscriber with a buffer of 2 that read nothing during 100 changes")
	}
	st := stateOf(sub.Resync())

	// The cluster's own list, normalized.
	dyn, err := dynamic.NewForConfig(c.REST)
	if err != nil {
		t.Fatal(err)
	}
	list, err := dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "services"}).Namespace(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cluster := map[string]map[string]any{}
	for i := range list.Items {
		u := &list.Items[i]
		trim(u)
		o := Normalize("Service", u)
		cluster[keyOf(o)] = roundTrip(t, o)
	}
	if len(cluster) != 40 {
		t.Fatalf("the cluster lists %d Services in %s, want 40", len(cluster), ns)
	}
	// The watch may still be delivering the last writes: read on (resyncing
	// again if needed) until the subscriber agrees with the list.
	deadline := time.After(30 * time.Second)
	for d := diff(st.only(t, "Service", ns), cluster); len(d) > 0; d = diff(st.only(t, "Service", ns), cluster) {
		select {
		case ch := <-sub.C():
			st.apply(ch)
		case <-sub.Overflowed():
			st = stateOf(sub.Resync())
		case <-deadline:
			t.Fatalf("30 s after the resync the subscriber still disagrees with the cluster: %v", d)
		}
	}
	got := st.only(t, "Service", ns)
	b, _ := json.Marshal(got["Service/"+ns+"/svc-00"])
	t.Logf("subscriber agrees with the cluster on %d Services, e.g. %s", len(got), b)
	if l, _ := got["Service/"+ns+"/svc-00"]["labels"].(map[string]any); l["app"] != "b" {
		t.Fatalf("svc-00 has labels %v, want the relabel's", l)
	}
}
