package snapshot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// Result tells what a restore did.
type Result struct {
	Deleted  int `json:"deleted"`
	Created  int `json:"created"`
	Updated  int `json:"updated"`
	Replaced int `json:"replaced"` // deleted and created again: a field that cannot be updated differed
	// Read is how long reading the cluster (discovery and lists) took;
	// Took is how long the whole restore took.
	Read time.Duration `json:"read"`
	Took time.Duration `json:"took"`
}

// goneWait bounds the wait for an object being deleted to be gone (a
// namespace still terminating, an object replaced).
const goneWait = 60 * time.Second

// Restore makes the learner's objects equal to the snapshot's (see the
// package's documentation). It returns what it did; on an error, the
// cluster may be partly restored and a second Restore goes on from there.
func (c *Client) Restore(ctx context.Context, s *Snapshot) (Result, error) {
	start := time.Now()
	var res Result
	if s == nil {
		return res, errors.New("snapshot: restore: no snapshot")
	}
	if s.Namespace != c.namespace {
		return res, fmt.Errorf("snapshot: restore: the snapshot is of namespace %q, the client of %q", s.Namespace, c.namespace)
	}
	rs, err := c.resources(ctx)
	if err != nil {
		return res, err
	}
	cur, err := c.list(ctx, rs)
	if err != nil {
		return res, err
	}
	res.Read = time.Since(start)
	want := make(map[string]Item, len(s.Items))
	for _, it := range s.Items {
		want[it.Key()] = it
	}

	// What the snapshot does not have goes; inside a namespace that goes,
	// the namespace's own deletion takes it.
	dropNS := map[string]bool{}
	for k, it := range cur {
		if _, ok := want[k]; !ok && isNamespace(it) {
			dropNS[name(it)] = true
		}
	}
	for _, k := range sortedKeys(cur) {
		it := cur[k]
		if _, ok := want[k]; ok || dropNS[namespace(it)] || terminating(it) {
			continue
		}
		if err := c.delete(ctx, it); err != nil {
			return res, err
		}
		res.Deleted++
	}

	// Then namespaces, CRDs and the rest are made as they were.
	known := map[string]bool{}
	for _, r := range rs {
		known[r.String()] = true
	}
	items := append([]Item(nil), s.Items...)
	sort.SliceStable(items, func(i, j int) bool { return rank(items[i]) < rank(items[j]) })
	for _, it := range items {
		if !known[it.Resource] {
			if err := c.served(ctx, it); err != nil {
				return res, err
			}
			known[it.Resource] = true
		}
		now, ok := cur[it.Key()]
		if ok && terminating(now) {
			if err := c.waitGone(ctx, now); err != nil {
				return res, err
			}
			ok = false
		}
		switch {
		case !ok:
			if err := c.create(ctx, it); err != nil {
				return res, err
			}
			res.Created++
		case same(normalize(now.Object), it.Object):
		default:
			replaced, err := c.update(ctx, it, now)
			if err != nil {
				return res, err
			}
			if replaced {
				res.Replaced++
			} else {
				res.Updated++
			}
		}
	}
	res.Took = time.Since(start)
	return res, nil
}

// rank orders creation: namespaces, then CRDs, then everything else.
func rank(it Item) int {
	gvr, _ := parseResource(it.Resource)
	switch {
	case gvr.Group == "" && gvr.Resource == "namespaces":
		return 0
	case gvr.Group == "apiextensions.k8s.io" && gvr.Resource == "customresourcedefinitions":
		return 1
	}
	return 2
}

// same compares two objects as JSON (a loaded snapshot holds float64
// numbers where a listed object holds int64).
func same(a, b map[string]any) bool {
	ja, err := json.Marshal(a)
	if err != nil {
		return false
	}
	jb, err := json.Marshal(b)
	return err == nil && bytes.Equal(ja, jb)
}

func isNamespace(it Item) bool { return rank(it) == 0 }

func name(it Item) string      { return (&unstructured.Unstructured{Object: it.Object}).GetName() }
func namespace(it Item) string { return (&unstructured.Unstructured{Object: it.Object}).GetNamespace() }

func terminating(it Item) bool {
	return (&unstructured.Unstructured{Object: it.Object}).GetDeletionTimestamp() != nil
}

func sortedKeys(m map[string]Item) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// client returns the resource interface of an item.
func (c *Client) client(it Item) (dynamic.ResourceInterface, error) {
	gvr, err := parseResource(it.Resource)
	if err != nil {
		return nil, err
	}
	if it.Namespaced {
		return c.dyn.Resource(gvr).Namespace(namespace(it)), nil
	}
	return c.dyn.Resource(gvr), nil
}

func (c *Client) delete(ctx context.Context, it Item) error {
	ri, err := c.client(it)
	if err != nil {
		return err
	}
	bg := metav1.DeletePropagationBackground
	opts := metav1.DeleteOptions{PropagationPolicy: &bg}
	if gvr, _ := parseResource(it.Resource); gvr.Resource == "pods" {
		zero := int64(0)
		opts.GracePeriodSeconds = &zero
	}
	if err := ri.Delete(ctx, name(it), opts); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("snapshot: delete %s %s/%s: %w", it.Resource, namespace(it), name(it), err)
	}
	return nil
}

func (c *Client) create(ctx context.Context, it Item) error {
	ri, err := c.client(it)
	if err != nil {
		return err
	}
	u := &unstructured.Unstructured{Object: runtime.DeepCopyJSON(it.Object)}
	if _, err := ri.Create(ctx, u, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("snapshot: create %s %s/%s: %w", it.Resource, namespace(it), name(it), err)
	}
	return nil
}

// update writes the saved object over the current one; when the API
// refuses (a field that cannot change), it deletes and creates it again
// and reports replaced.
func (c *Client) update(ctx context.Context, it, now Item) (replaced bool, err error) {
	ri, err := c.client(it)
	if err != nil {
		return false, err
	}
	rv := (&unstructured.Unstructured{Object: now.Object}).GetResourceVersion()
	for try := 0; ; try++ {
		u := &unstructured.Unstructured{Object: runtime.DeepCopyJSON(it.Object)}
		u.SetResourceVersion(rv)
		_, err = ri.Update(ctx, u, metav1.UpdateOptions{})
		if !apierrors.IsConflict(err) || try == 5 {
			break
		}
		// a controller wrote it meanwhile (its status): write over the latest
		latest, gerr := ri.Get(ctx, name(it), metav1.GetOptions{})
		if gerr != nil {
			return false, fmt.Errorf("snapshot: update %s %s/%s: %w", it.Resource, namespace(it), name(it), gerr)
		}
		rv = latest.GetResourceVersion()
	}
	switch {
	case err == nil:
		return false, nil
	case !apierrors.IsInvalid(err) && !apierrors.IsBadRequest(err):
		return false, fmt.Errorf("snapshot: update %s %s/%s: %w", it.Resource, namespace(it), name(it), err)
	}
	if err := c.delete(ctx, now); err != nil {
		return false, err
	}
	if err := c.waitGone(ctx, now); err != nil {
		return false, err
	}
	return true, c.create(ctx, it)
}

// waitGone waits until an object being deleted is gone.
func (c *Client) waitGone(ctx context.Context, it Item) error {
	ri, err := c.client(it)
	if err != nil {
		return err
	}
	end := time.Now().Add(goneWait)
	for {
		_, err := ri.Get(ctx, name(it), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if time.Now().After(end) {
			return fmt.Errorf("snapshot: %s %s/%s still being deleted after %s", it.Resource, namespace(it), name(it), goneWait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// served waits until the API serves an item's resource (a CRD just created
// takes a moment).
func (c *Client) served(ctx context.Context, it Item) error {
	gvr, err := parseResource(it.Resource)
	if err != nil {
		return err
	}
	gv := schema.GroupVersion{Group: gvr.Group, Version: gvr.Version}.String()
	end := time.Now().Add(goneWait)
	for {
		l, err := c.disc.ServerResourcesForGroupVersion(gv)
		if err == nil {
			for _, r := range l.APIResources {
				if r.Name == gvr.Resource {
					return nil
				}
			}
		}
		if time.Now().After(end) {
			return fmt.Errorf("snapshot: %s not served after %s", it.Resource, goneWait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
