package schedrecord

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	clientscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
)

// fieldManager owns the records.
const fieldManager = "kubelab-scheduler-recorder"

// minBackoff and maxBackoff bound the wait before a failed write is tried again.
const (
	minBackoff = 50 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// maxRemembered bounds what the writer remembers of records it wrote.
const maxRemembered = 4096

// Writer stores decisions off the scheduler's path: Put only keeps the
// newest decision per pod, and Run writes them with server-side apply,
// skipping a decision equal to the one last written for the pod (a Pending
// pod retried every few seconds writes nothing new).
type Writer struct {
	client dynamic.Interface
	rest   rest.Interface
	kick   chan struct{}

	mu      sync.Mutex
	pending map[string]*Decision
	last    map[string]written // pod key -> the last record written
}

// written is what the writer remembers of a record it wrote.
type written struct {
	fingerprint, uid, resourceVersion string
}

// NewWriter returns a writer that stores records through cfg's API server.
// Records go as plain JSON creates and updates: no server-side apply, whose
// field tracking of a record costs the API server more than the record.
func NewWriter(cfg *rest.Config) (*Writer, error) {
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("schedrecord: client: %w", err)
	}
	c := rest.CopyConfig(cfg)
	c.APIPath = "/apis"
	c.GroupVersion = &schema.GroupVersion{Group: Group, Version: Version}
	c.NegotiatedSerializer = clientscheme.Codecs.WithoutConversion()
	c.ContentType = "application/json"
	rc, err := rest.RESTClientFor(c)
	if err != nil {
		return nil, fmt.Errorf("schedrecord: client: %w", err)
	}
	return &Writer{client: client, rest: rc, kick: make(chan struct{}, 1), pending: map[string]*Decision{}, last: map[string]written{}}, nil
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
	// A failed write is tried again soon, then less often: the first
	// writes after a start can meet an API server that does not serve the
	// record's type yet for a moment.
	backoff := minBackoff
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
				klog.FromContext(ctx).Info("scheduling record not written, will retry", "pod", key, "err", err)
				w.mu.Lock()
				if _, newer := w.pending[key]; !newer {
					w.pending[key] = d
				}
				w.mu.Unlock()
				failed = true
			}
		}
		if failed {
			retry.Reset(backoff)
			backoff = min(2*backoff, maxBackoff)
		} else {
			backoff = minBackoff
		}
	}
}

func (w *Writer) write(ctx context.Context, key string, d *Decision) error {
	fp := fingerprint(d)
	w.mu.Lock()
	last, known := w.last[key]
	w.mu.Unlock()
	if known && last.fingerprint == fp && last.uid == d.UID {
		return nil
	}
	w.retarget(ctx, d)
	obj := record{APIVersion: Group + "/" + Version, Kind: Kind, Decision: d}
	obj.Metadata.Name, obj.Metadata.Namespace = d.Pod, d.Namespace
	obj.Metadata.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Pod", Name: d.Pod, UID: types.UID(d.UID)}}
	var raw []byte
	var err error
	if known {
		obj.Metadata.ResourceVersion = last.resourceVersion
		raw, err = w.put(ctx, &obj)
	}
	if !known || apierrors.IsNotFound(err) {
		obj.Metadata.ResourceVersion = ""
		raw, err = w.send(ctx, w.rest.Post().Namespace(d.Namespace).Resource(Resource), &obj)
	}
	if apierrors.IsAlreadyExists(err) || apierrors.IsConflict(err) {
		// Written by an earlier process, or changed by someone: update what is there.
		var cur record
		b, gerr := w.rest.Get().Namespace(d.Namespace).Resource(Resource).Name(d.Pod).Do(ctx).Raw()
		if gerr != nil {
			return gerr
		}
		if err := json.Unmarshal(b, &cur); err != nil {
			return fmt.Errorf("schedrecord: read %s: %w", key, err)
		}
		obj.Metadata.ResourceVersion = cur.Metadata.ResourceVersion
		raw, err = w.put(ctx, &obj)
	}
	if err != nil {
		return err
	}
	var done record
	if err := json.Unmarshal(raw, &done); err != nil {
		return fmt.Errorf("schedrecord: written %s: %w", key, err)
	}
	w.mu.Lock()
	if len(w.last) >= maxRemembered {
		clear(w.last)
	}
	w.last[key] = written{fingerprint: fp, uid: d.UID, resourceVersion: done.Metadata.ResourceVersion}
	w.mu.Unlock()
	return nil
}

func (w *Writer) put(ctx context.Context, obj *record) ([]byte, error) {
	return w.send(ctx, w.rest.Put().Namespace(obj.Metadata.Namespace).Resource(Resource).Name(obj.Metadata.Name), obj)
}

func (w *Writer) send(ctx context.Context, req *rest.Request, obj *record) ([]byte, error) {
	body, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("schedrecord: encode %s/%s: %w", obj.Metadata.Namespace, obj.Metadata.Name, err)
	}
	return req.Param("fieldManager", fieldManager).SetHeader("Content-Type", "application/json").Body(body).Do(ctx).Raw()
}

// record is the stored object, encoded without going through
// unstructured maps.
type record struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ObjectMeta `json:"metadata"`
	Decision   *Decision         `json:"decision,omitempty"`
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
