package schedrecord

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
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
// newest decision per pod, and Run writes them, skipping a decision equal
// to the one last written for the pod (a Pending pod retried every few
// seconds writes nothing new).
//
// A write costs one JSON encoding of the decision, a hash of it and one
// request whose answer is not decoded: a new record is created, a known
// one is changed with a JSON patch that replaces its decision and owner
// (no resourceVersion to remember, no read before the write).
type Writer struct {
	client dynamic.Interface
	// http and base send the writes: plain requests, built without the
	// REST client's per-request URL building and throttling (the writer
	// sends one request at a time).
	http *http.Client
	base string
	// batch, when set, is the URL of the API server's batch endpoint
	// (BatchPath): each round's records go in one request (NewBatchWriter).
	batch string
	kick  chan struct{}
	seed  maphash.Seed

	mu      sync.Mutex
	pending map[string]*Decision
	spare   map[string]*Decision // the emptied batch map, reused by the next batch
	last    map[string]written   // pod key -> the last record written
}

// written is what the writer remembers of a record it wrote.
type written struct {
	fingerprint uint64
	uid         string
}

// NewWriter returns a writer that stores records through cfg's API server.
// Records go as plain JSON creates and JSON patches: no server-side apply,
// whose field tracking of a record costs the API server more than the
// record.
func NewWriter(cfg *rest.Config) (*Writer, error) {
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("schedrecord: client: %w", err)
	}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("schedrecord: client: %w", err)
	}
	base := strings.TrimSuffix(cfg.Host, "/") + "/apis/" + Group + "/" + Version + "/namespaces/"
	return &Writer{client: client, http: hc, base: base, kick: make(chan struct{}, 1), seed: maphash.MakeSeed(),
		pending: map[string]*Decision{}, spare: map[string]*Decision{}, last: map[string]written{}}, nil
}

// NewBatchWriter returns a writer that sends its records in batches, one
// request per round of the writer (at most BatchLinger after the first
// decision of the round), to the embedded API server's batch endpoint
// (BatchPath), which stores each record as NewWriter's writer would. It is
// for a scheduler that runs in a process of its own: over the network
// each request costs the scheduler about as much CPU as recording the
// decision, so one request per pod would add about a third to the scheduler's
// CPU (docs/scheduler.md).
func NewBatchWriter(cfg *rest.Config) (*Writer, error) {
	w, err := NewWriter(cfg)
	if err != nil {
		return nil, err
	}
	w.batch = strings.TrimSuffix(cfg.Host, "/") + BatchPath
	return w, nil
}

// BatchLinger is how long a batch writer waits, after a decision arrives,
// for the other decisions of the same burst.
const BatchLinger = 50 * time.Millisecond

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
	var buf []byte
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.kick:
			if w.batch != "" {
				select {
				case <-ctx.Done():
					return
				case <-time.After(BatchLinger):
				}
			}
		case <-retry.C:
		}
		w.mu.Lock()
		batch := w.pending
		w.pending, w.spare = w.spare, nil
		w.mu.Unlock()
		again := func(key string, d *Decision, err error) {
			klog.FromContext(ctx).Info("scheduling record not written, will retry", "pod", key, "err", err)
			w.mu.Lock()
			if _, newer := w.pending[key]; !newer {
				w.pending[key] = d
			}
			w.mu.Unlock()
		}
		failed := false
		if w.batch != "" {
			var failures map[string]error
			buf, failures = w.writeBatch(ctx, batch, buf[:0])
			if ctx.Err() != nil {
				return
			}
			for key, err := range failures {
				again(key, batch[key], err)
				failed = true
			}
		} else {
			for key, d := range batch {
				var err error
				if buf, err = w.write(ctx, key, d, buf[:0]); err != nil {
					if ctx.Err() != nil {
						return
					}
					again(key, d, err)
					failed = true
				}
			}
		}
		clear(batch)
		w.mu.Lock()
		w.spare = batch
		w.mu.Unlock()
		if failed {
			retry.Reset(backoff)
			backoff = min(2*backoff, maxBackoff)
		} else {
			backoff = minBackoff
		}
	}
}

// write stores one decision, encoding it into buf (returned for reuse).
//
// Its own work (not the requests' waits, nor the reads of retarget, which
// only a pod that could not be placed needs) is counted in Spent.
func (w *Writer) write(ctx context.Context, key string, d *Decision, buf []byte) ([]byte, error) {
	// The patch's head, then the decision: the same bytes serve the
	// fingerprint (the decision without its time) and the request.
	buf = append(buf, patchHead...)
	buf, fp, fresh, err := w.encode(ctx, key, d, buf)
	if err != nil || !fresh {
		return buf, err
	}
	if buf, err = w.store(ctx, d.Namespace, d.Pod, d.UID, buf); err != nil {
		return buf, err
	}
	w.remember(key, fp, d.UID)
	return buf, nil
}

// encode appends d's encoding to buf. fresh is false when it equals the
// record last written for the pod (only the time differs): then nothing
// is to be written. A decision with suggestions is pointed at the object
// a learner edits first (retarget).
func (w *Writer) encode(ctx context.Context, key string, d *Decision, buf []byte) (out []byte, fp uint64, fresh bool, err error) {
	sp := Spent.start()
	head := len(buf)
	buf, at, err := appendDecision(buf, d)
	if err != nil {
		sp.end()
		return buf, 0, false, fmt.Errorf("schedrecord: encode %s: %w", key, err)
	}
	fp = w.fingerprint(buf[head:head+at[0]], buf[head+at[1]:])
	w.mu.Lock()
	last, known := w.last[key]
	w.mu.Unlock()
	sp.end()
	if known && last.fingerprint == fp && last.uid == d.UID {
		return buf, fp, false, nil
	}
	if w.retarget(ctx, d) {
		if buf, _, err = appendDecision(buf[:head], d); err != nil {
			return buf, fp, false, fmt.Errorf("schedrecord: encode %s: %w", key, err)
		}
	}
	return buf, fp, true, nil
}

// remember notes the record written for key.
func (w *Writer) remember(key string, fp uint64, uid string) {
	w.mu.Lock()
	if len(w.last) >= maxRemembered {
		clear(w.last)
	}
	w.last[key] = written{fingerprint: fp, uid: uid}
	w.mu.Unlock()
}

// store writes one encoded decision as the record of the pod ns/pod: buf
// holds patchHead, then the decision. A record this writer wrote before
// is patched; another is created, or patched when it exists already.
func (w *Writer) store(ctx context.Context, ns, pod, uid string, buf []byte) ([]byte, error) {
	key := ns + "/" + pod
	w.mu.Lock()
	_, known := w.last[key]
	w.mu.Unlock()
	sp := Spent.start()
	owner, err := json.Marshal([]metav1.OwnerReference{{APIVersion: "v1", Kind: "Pod", Name: pod, UID: types.UID(uid)}})
	sp.end()
	if err != nil {
		return buf, fmt.Errorf("schedrecord: encode %s: %w", key, err)
	}
	decision := buf[len(patchHead):len(buf):len(buf)]
	if !known {
		err = w.create(ctx, ns, pod, owner, decision)
	}
	if known || apierrors.IsAlreadyExists(err) {
		// Replace the decision and the owner (the record may be left by an
		// earlier pod of the same name, or by an earlier process).
		sp = Spent.start()
		buf = append(buf, patchOwner...)
		buf = append(buf, owner...)
		buf = append(buf, "}]"...)
		sp.end()
		err = w.send(ctx, http.MethodPatch, w.base+url.PathEscape(ns)+"/"+Resource+"/"+url.PathEscape(pod)+query,
			string(types.JSONPatchType), buf)
		if known && apierrors.IsNotFound(err) {
			// Removed meanwhile (by the garbage collector, or by hand).
			err = w.create(ctx, ns, pod, owner, decision)
		}
	}
	if err != nil {
		return buf, fmt.Errorf("schedrecord: write %s: %w", key, err)
	}
	return buf, nil
}

// The JSON patch that replaces a record's decision and owner, around the
// encoded decision and owner references.
const (
	patchHead  = `[{"op":"add","path":"/decision","value":`
	patchOwner = `},{"op":"add","path":"/metadata/ownerReferences","value":`
)

// create posts a new record holding the encoded decision.
func (w *Writer) create(ctx context.Context, ns, pod string, owner, decision []byte) error {
	sp := Spent.start()
	body := make([]byte, 0, len(decision)+len(owner)+len(pod)+160)
	body = append(body, `{"apiVersion":"`+Group+"/"+Version+`","kind":"`+Kind+`","metadata":{"name":`...)
	body = appendString(body, pod)
	body = append(body, `,"ownerReferences":`...)
	body = append(body, owner...)
	body = append(body, `},"decision":`...)
	body = append(body, decision...)
	body = append(body, '}')
	sp.end()
	err := w.send(ctx, http.MethodPost, w.base+url.PathEscape(ns)+"/"+Resource+query, "application/json", body)
	if err != nil {
		return fmt.Errorf("schedrecord: create %s/%s: %w", ns, pod, err)
	}
	return nil
}

// query names the records' field manager in every write.
const query = "?fieldManager=" + fieldManager

// send makes one write and returns the API server's refusal as an API
// error (so that apierrors.IsAlreadyExists and IsNotFound work), or a
// transport error. The answer to a write that succeeded is not read.
func (w *Writer) send(ctx context.Context, method, target, contentType string, body []byte) error {
	sp := Spent.start()
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		sp.end()
		return err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	sp.end()
	resp, err := w.http.Do(req)
	if err != nil {
		return err
	}
	sp = Spent.start()
	defer sp.end()
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var status metav1.Status
	if json.Unmarshal(answer, &status) == nil && status.Kind == "Status" {
		return &apierrors.StatusError{ErrStatus: status}
	}
	return apierrors.NewGenericServerResponse(resp.StatusCode, method, schema.GroupResource{Group: Group, Resource: Resource}, "", string(answer), 0, false)
}

// fingerprint hashes an encoded decision, given as the bytes before and
// after its time (the only field that differs between two attempts that
// found the same).
func (w *Writer) fingerprint(before, after []byte) uint64 {
	var h maphash.Hash
	h.SetSeed(w.seed)
	_, _ = h.Write(before)
	_, _ = h.Write(after)
	return h.Sum64()
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
//
// It reports whether it changed any suggestion.
func (w *Writer) retarget(ctx context.Context, d *Decision) bool {
	if len(d.Suggestions) == 0 {
		return false
	}
	target, path := w.topOwner(ctx, d.Namespace, d.Pod)
	if target == nil {
		return false
	}
	changed := false
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
		changed = true
	}
	return changed
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
