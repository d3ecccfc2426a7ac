package schedrecord

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// BatchPath is where the embedded API server takes batches of records
// (BatchHandler), behind its own authentication and authorization: the
// caller needs the permission to post to this non-resource URL, which a
// cluster administrator has.
const BatchPath = "/kubelab/v1/schedulingdecisions"

// MaxBatchBytes bounds a batch's body; maxBatchItems bounds the records a
// batch writer sends in one request.
const (
	MaxBatchBytes = 32 << 20
	maxBatchItems = 500
)

// batchItem is one record of a batch: the pod it belongs to and its
// encoded decision.
type batchItem struct {
	Namespace string          `json:"namespace"`
	Pod       string          `json:"pod"`
	UID       string          `json:"uid"`
	Decision  json.RawMessage `json:"decision"`
}

// batchResult is the answer to a batch: the records that were not stored.
type batchResult struct {
	Failed []batchFailure `json:"failed"`
}

// batchFailure names a record of a batch (its index) that was not stored.
type batchFailure struct {
	Index int    `json:"index"`
	Error string `json:"error"`
}

// writeBatch sends the decisions that changed since their last record,
// at most maxBatchItems per request, and returns the failures by pod key.
// buf is reused for the requests' bodies and returned.
func (w *Writer) writeBatch(ctx context.Context, batch map[string]*Decision, buf []byte) ([]byte, map[string]error) {
	type entry struct {
		key, uid string
		fp       uint64
	}
	var failures map[string]error
	fail := func(key string, err error) {
		if failures == nil {
			failures = map[string]error{}
		}
		failures[key] = err
	}
	entries := make([]entry, 0, min(len(batch), maxBatchItems))
	flush := func() {
		if len(entries) == 0 {
			return
		}
		buf = append(buf, ']')
		result, err := w.post(ctx, buf)
		failed := map[int]bool{}
		if err != nil {
			for _, e := range entries {
				fail(e.key, err)
			}
		} else {
			for _, f := range result.Failed {
				if f.Index >= 0 && f.Index < len(entries) && !failed[f.Index] {
					failed[f.Index] = true
					fail(entries[f.Index].key, errors.New(f.Error))
				}
			}
		}
		for i, e := range entries {
			if err == nil && !failed[i] {
				w.remember(e.key, e.fp, e.uid)
			}
		}
		entries, buf = entries[:0], buf[:0]
	}
	for key, d := range batch {
		if len(entries) == 0 {
			buf = append(buf[:0], '[')
		}
		mark := len(buf)
		sp := Spent.start()
		if len(entries) > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"namespace":`...)
		buf = appendString(buf, d.Namespace)
		buf = append(buf, `,"pod":`...)
		buf = appendString(buf, d.Pod)
		buf = append(buf, `,"uid":`...)
		buf = appendString(buf, d.UID)
		buf = append(buf, `,"decision":`...)
		sp.end()
		var fp uint64
		var fresh bool
		var err error
		if buf, fp, fresh, err = w.encode(ctx, key, d, buf); err != nil || !fresh {
			if err != nil {
				fail(key, err)
			}
			buf = buf[:mark]
			continue
		}
		buf = append(buf, '}')
		entries = append(entries, entry{key: key, uid: d.UID, fp: fp})
		if len(entries) == maxBatchItems {
			flush()
		}
	}
	flush()
	return buf, failures
}

// post sends one batch and reads the answer.
func (w *Writer) post(ctx context.Context, body []byte) (*batchResult, error) {
	sp := Spent.start()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.batch, bytes.NewReader(body))
	if err != nil {
		sp.end()
		return nil, fmt.Errorf("schedrecord: batch: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	sp.end()
	resp, err := w.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("schedrecord: batch: %w", err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("schedrecord: batch: read the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("schedrecord: batch: %s: %s", resp.Status, strings.TrimSpace(string(answer)))
	}
	sp = Spent.start()
	defer sp.end()
	var result batchResult
	if err := json.Unmarshal(answer, &result); err != nil {
		return nil, fmt.Errorf("schedrecord: batch: the answer: %w", err)
	}
	return &result, nil
}

// BatchHandler serves BatchPath: a POST of a JSON array of records, each
// {"namespace", "pod", "uid", "decision"}, stored one by one through w
// (NewWriter's writes: a record w wrote before is patched, another
// created). The answer lists the records that were not stored, by index,
// with the reason: {"failed": [{"index": 3, "error": "..."}]}. A body that
// is not such an array is refused whole (400), one above MaxBatchBytes
// too (413).
func BatchHandler(w *Writer) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			rw.Header().Set("Allow", http.MethodPost)
			http.Error(rw, "schedrecord: a batch of records is sent with POST", http.StatusMethodNotAllowed)
			return
		}
		var items []batchItem
		if err := json.NewDecoder(http.MaxBytesReader(rw, r.Body, MaxBatchBytes)).Decode(&items); err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				http.Error(rw, fmt.Sprintf("schedrecord: a batch of records holds at most %d bytes", MaxBatchBytes), http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(rw, "schedrecord: a batch of records is a JSON array of {namespace, pod, uid, decision}: "+err.Error(), http.StatusBadRequest)
			return
		}
		result := batchResult{Failed: []batchFailure{}}
		var buf []byte
		for i, it := range items {
			if it.Namespace == "" || it.Pod == "" || it.UID == "" || !bytes.HasPrefix(bytes.TrimSpace(it.Decision), []byte("{")) {
				result.Failed = append(result.Failed, batchFailure{Index: i, Error: "schedrecord: a record needs a namespace, a pod, a uid and a decision object"})
				continue
			}
			buf = append(append(buf[:0], patchHead...), it.Decision...)
			var err error
			if buf, err = w.store(r.Context(), it.Namespace, it.Pod, it.UID, buf); err != nil {
				result.Failed = append(result.Failed, batchFailure{Index: i, Error: err.Error()})
				continue
			}
			w.remember(it.Namespace+"/"+it.Pod, 0, it.UID)
		}
		rw.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(rw).Encode(result)
	})
}
