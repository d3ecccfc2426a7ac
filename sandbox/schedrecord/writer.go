package schedrecord

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/klog/v2"
)

// fieldManager owns the records.
const fieldManager = "kubelab-scheduler-recorder"

// maxRemembered bounds what the writer remembers of records it wrote.
const maxRemembered = 4096

// Writer stores decisions off the scheduler's path: Put only keeps the
// newest decision per pod, and Run writes them with server-side apply,
// skipping a decision equal to the one last written for the pod (a Pending
// pod retried every few seconds writes nothing new).
type Writer struct {
	client dynamic.Interface
	kick   chan struct{}

	mu      sync.Mutex
	pending map[string]*Decision
	last    map[string]string // pod key -> fingerprint of the last record written
}

// NewWriter returns a writer that stores records through client.
func NewWriter(client dynamic.Interface) *Writer {
	return &Writer{client: client, kick: make(chan struct{}, 1), pending: map[string]*Decision{}, last: map[string]string{}}
}

// Put queues a decision; it never blocks.
func (w *Writer) Put(d *Decision) {
	w.mu.Lock()
	w.pending[d.Namespace+"/"+d.Pod] = d
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Run writes queued decisions until ctx ends.
func (w *Writer) Run(ctx context.Context) {
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.kick:
		case <-retry.C:
		}
		w.mu.Lock()
		batch := w.pending
		w.pending = map[string]*Decision{}
		w.mu.Unlock()
		failed := false
		for key, d := range batch {
			if err := w.write(ctx, key, d); err != nil {
				if ctx.Err() != nil {
					return
				}
				klog.FromContext(ctx).V(2).Info("scheduling record not written", "pod", key, "err", err)
				w.mu.Lock()
				if _, newer := w.pending[key]; !newer {
					w.pending[key] = d
				}
				w.mu.Unlock()
				failed = true
			}
		}
		if failed {
			retry.Reset(time.Second)
		}
	}
}

func (w *Writer) write(ctx context.Context, key string, d *Decision) error {
	fp := fingerprint(d)
	w.mu.Lock()
	same := w.last[key] == fp
	w.mu.Unlock()
	if same {
		return nil
	}
	w.retarget(ctx, d)
	obj, err := d.Object()
	if err != nil {
		return err
	}
	_, err = w.client.Resource(GVR).Namespace(d.Namespace).Apply(ctx, d.Pod, obj, metav1.ApplyOptions{FieldManager: fieldManager, Force: true})
	if err != nil {
		return err
	}
	w.mu.Lock()
	if len(w.last) >= maxRemembered {
		clear(w.last)
	}
	w.last[key] = fp
	w.mu.Unlock()
	return nil
}

// fingerprint is a decision without its time.
func fingerprint(d *Decision) string {
	c := *d
	c.Time = ""
	b, _ := json.Marshal(c)
	return string(b)
}

var (
	podsGVR = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	// owners maps a controller kind to its resource and where its pod
	// template sits.
	owners = map[string]struct {
		gvr      schema.GroupVersionResource
		template []string
	}{
		"ReplicaSet":            {schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "replicasets"}, []string{"spec", "template"}},
		"Deployment":            {schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, []string{"spec", "template"}},
		"StatefulSet":           {schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "statefulsets"}, []string{"spec", "template"}},
		"DaemonSet":             {schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "daemonsets"}, []string{"spec", "template"}},
		"Job":                   {schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}, []string{"spec", "template"}},
		"CronJob":               {schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "cronjobs"}, []string{"spec", "jobTemplate", "spec", "template"}},
		"ReplicationController": {schema.GroupVersionResource{Version: "v1", Resource: "replicationcontrollers"}, []string{"spec", "template"}},
	}
)

// retarget points each suggestion that changes the pod at the object a
// learner edits: the pod's top controller (a Deployment rather than its
// ReplicaSet, a CronJob rather than its Job), whose pod template takes the
// same patch one level down.
func (w *Writer) retarget(ctx context.Context, d *Decision) {
	if len(d.Suggestions) == 0 {
		return
	}
	target, path := w.topOwner(ctx, d.Namespace, d.Pod)
	if target == nil {
		return
	}
	for i := range d.Suggestions {
		s := &d.Suggestions[i]
		if s.Target.Kind != "Pod" {
			continue
		}
		spec := s.Patch["spec"]
		patch := map[string]any{"spec": spec}
		for j := len(path) - 1; j >= 0; j-- {
			patch = map[string]any{path[j]: patch}
		}
		s.Target, s.Patch = *target, patch
	}
}

func (w *Writer) topOwner(ctx context.Context, ns, pod string) (*Target, []string) {
	u, err := w.client.Resource(podsGVR).Namespace(ns).Get(ctx, pod, metav1.GetOptions{})
	if err != nil {
		return nil, nil
	}
	var target *Target
	var path []string
	for range 3 {
		ref := metav1.GetControllerOf(u)
		if ref == nil {
			break
		}
		o, ok := owners[ref.Kind]
		if !ok {
			break
		}
		next, err := w.client.Resource(o.gvr).Namespace(ns).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			break
		}
		target = &Target{APIVersion: ref.APIVersion, Kind: ref.Kind, Namespace: ns, Name: ref.Name}
		path = o.template
		u = next
	}
	return target, path
}
