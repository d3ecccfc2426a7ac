package server_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// historyAt reads GET /api/history?at=MS: the Deployment web's replicas
// then (-1: absent).
func (e *env) replicasAt(at int64) int {
	e.t.Helper()
	r, _ := e.webAt(at)
	return r
}

// objectsAt answers GET /api/history?at=: the objects at that moment.
func (e *env) objectsAt(at int64) []map[string]any {
	e.t.Helper()
	resp, body := e.do("GET", fmt.Sprintf("/api/history?at=%d", at), "", nil, nil)
	if resp.StatusCode != 200 {
		e.t.Fatalf("history at %d: %d %s", at, resp.StatusCode, body)
	}
	var out struct {
		Objects []map[string]any `json:"objects"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		e.t.Fatal(err)
	}
	return out.Objects
}

// webAt is replicasAt with the number of web pods then.
func (e *env) webAt(at int64) (replicas, pods int) {
	e.t.Helper()
	replicas = -1
	for _, o := range e.objectsAt(at) {
		if o["kind"] == "Deployment" && o["name"] == "web" && o["namespace"] == "default" {
			replicas = int(o["replicas"].(float64))
		}
		if o["kind"] == "Pod" && strings.HasPrefix(o["name"].(string), "web-") {
			pods++
		}
	}
	return replicas, pods
}

// The recorded history answers the exact forms GET /api/history?at= and
// /api/history/diff?from=&to= with the cluster as the stream showed it,
// keeps it across a server restart, and forgets it with a sandbox reset.
func TestHistoryAtAndDiff(t *testing.T) {
	dir := t.TempDir()
	e := start(t, dir)
	e.waitReady()
	time.Sleep(300 * time.Millisecond) // the recorder's first snapshot
	before := time.Now().UnixMilli()
	if code, out := e.console("kubectl create deployment web --image=nginx:1.25.1 --replicas=1"); code != 200 {
		t.Fatalf("create: %d %v", code, out)
	}
	waitUntil := func(what string, ok func() bool) {
		t.Helper()
		for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
			if ok() {
				return
			}
		}
		t.Fatalf("%s: not within 30 s", what)
	}
	waitUntil("web recorded with 1 replica and its pod", func() bool {
		r, p := e.webAt(time.Now().UnixMilli())
		return r == 1 && p == 1
	})
	one := time.Now().UnixMilli()
	if code, out := e.console("kubectl scale deployment web --replicas=3"); code != 200 {
		t.Fatalf("scale: %d %v", code, out)
	}
	waitUntil("web recorded with 3 replicas and their pods", func() bool {
		r, p := e.webAt(time.Now().UnixMilli())
		return r == 3 && p == 3
	})
	three := time.Now().UnixMilli()
	e.logAgrees(before, one, three)
	if got := e.replicasAt(before); got != -1 {
		t.Fatalf("before the create: web has %d replicas", got)
	}
	if got := e.replicasAt(one); got != 1 {
		t.Fatalf("after the create: %d replicas", got)
	}
	resp, body := e.do("GET", fmt.Sprintf("/api/history/diff?from=%d&to=%d", one, three), "", nil, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("diff: %d %s", resp.StatusCode, body)
	}
	var diff struct {
		Added   []map[string]any `json:"added"`
		Changed []struct {
			Kind, Name string
			Changes    []struct {
				Path          string
				Before, After any
			}
		} `json:"changed"`
	}
	if err := json.Unmarshal([]byte(body), &diff); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range diff.Changed {
		for _, f := range c.Changes {
			found = found || (c.Kind == "Deployment" && c.Name == "web" && f.Path == "replicas" && f.Before == 1.0 && f.After == 3.0)
		}
	}
	pods := 0
	for _, o := range diff.Added {
		if o["kind"] == "Pod" && strings.HasPrefix(o["name"].(string), "web-") {
			pods++
		}
	}
	if !found || pods != 2 {
		t.Fatalf("diff from 1 to 3 replicas: replicas change found %v, %d pods added:\n%s", found, pods, body)
	}
	// Bad input.
	for _, q := range []string{"/api/history", "/api/history?at=soon", "/api/history/diff?from=1", "/api/history/log?from=-1", "/api/history/log?from=x"} {
		if resp, body := e.do("GET", q, "", nil, nil); resp.StatusCode != 400 {
			t.Fatalf("%s: %d %s", q, resp.StatusCode, body)
		}
	}
	// A restart keeps the history.
	e.stop()
	e = start(t, dir)
	if got := e.replicasAt(one); got != 1 {
		t.Fatalf("after a restart, at the create: %d replicas", got)
	}
	// A reset of the sandbox forgets it.
	if code, out := e.postJSON("/api/sandbox/reset", map[string]any{}); code >= 400 {
		t.Fatalf("reset: %d %v", code, out)
	}
	if got := e.replicasAt(three); got != -1 {
		t.Fatalf("after a reset: web still recorded with %d replicas", got)
	}
}

// historyTail is GET /api/history/log's answer.
type historyTail struct {
	Epoch   string           `json:"epoch"`
	Full    bool             `json:"full"`
	Base    []map[string]any `json:"base"`
	From    int              `json:"from"`
	Entries []struct {
		At      int64            `json:"t"`
		Op      string           `json:"op"`
		Obj     map[string]any   `json:"obj"`
		Objects []map[string]any `json:"objects"`
	} `json:"entries"`
}

func (e *env) historyTail(q string) historyTail {
	e.t.Helper()
	resp, body := e.do("GET", "/api/history/log"+q, "", nil, nil)
	if resp.StatusCode != 200 {
		e.t.Fatalf("history log%s: %d %s", q, resp.StatusCode, body)
	}
	// Sent compressed (the client asked for gzip and undid it).
	if !resp.Uncompressed {
		e.t.Errorf("history log%s sent uncompressed", q)
	}
	var out historyTail
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// logAgrees checks that the page's way of scrubbing (GET /api/history/log
// kept, each moment rebuilt from it, as scrubber.js does) gives at each
// moment what GET /api/history?at= answers, and that asking again from
// where the copy ends sends only what came since.
func (e *env) logAgrees(moments ...int64) {
	e.t.Helper()
	tail := e.historyTail("")
	if !tail.Full || tail.Epoch == "" || len(tail.Entries) == 0 {
		e.t.Fatalf("first log: full %v, epoch %q, %d entries", tail.Full, tail.Epoch, len(tail.Entries))
	}
	key := func(o map[string]any) string { return fmt.Sprint(o["kind"], "/", o["namespace"], "/", o["name"]) }
	for _, at := range moments {
		st := map[string]map[string]any{}
		for _, o := range tail.Base {
			st[key(o)] = o
		}
		for _, x := range tail.Entries {
			if x.At > at {
				break
			}
			switch x.Op {
			case "snapshot":
				clear(st)
				for _, o := range x.Objects {
					st[key(o)] = o
				}
			case "upsert":
				st[key(x.Obj)] = x.Obj
			case "delete":
				delete(st, key(x.Obj))
			}
		}
		want := struct{ Objects []map[string]any }{e.objectsAt(at)}
		if len(want.Objects) != len(st) {
			e.t.Fatalf("at %d: the kept log rebuilds %d objects, the server answers %d", at, len(st), len(want.Objects))
		}
		for _, o := range want.Objects {
			got, _ := json.Marshal(st[key(o)])
			w, _ := json.Marshal(o)
			if string(got) != string(w) {
				e.t.Fatalf("at %d: %s rebuilt as %s, answered as %s", at, key(o), got, w)
			}
		}
	}
	next := tail.From + len(tail.Entries)
	more := e.historyTail(fmt.Sprintf("?epoch=%s&from=%d", tail.Epoch, next))
	if more.Full || more.From != next || more.Epoch != tail.Epoch {
		e.t.Fatalf("asked from %d of %s: full %v, from %d, epoch %s", next, tail.Epoch, more.Full, more.From, more.Epoch)
	}
	if other := e.historyTail(fmt.Sprintf("?epoch=other&from=%d", next)); !other.Full || other.From != tail.From {
		e.t.Fatalf("another epoch: full %v from %d", other.Full, other.From)
	}
}
