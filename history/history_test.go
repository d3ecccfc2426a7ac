package history

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// model is the state a page's store holds after each stream message.
func model(entries []Entry, t int64) map[string]Obj {
	st := map[string]Obj{}
	for _, e := range entries {
		if e.At <= t {
			apply(st, e)
		}
	}
	return st
}

func jsonState(st map[string]Obj) string {
	b, _ := json.Marshal(sorted(st))
	return string(b)
}

func randomObj(r *rand.Rand) Obj {
	kinds := []string{"Pod", "Deployment", "ReplicaSet", "Node", "Event"}
	return Obj{"kind": kinds[r.IntN(len(kinds))], "namespace": fmt.Sprint("ns", r.IntN(2)), "name": fmt.Sprint("o", r.IntN(6)),
		"rv": fmt.Sprint(r.IntN(1000)), "replicas": r.IntN(4), "status": map[string]any{"ready": r.IntN(2) == 1}}
}

// The state rebuilt at any recorded moment equals the state the stream
// had sent by then, over random sequences of upserts, deletes and resyncs
// (snapshots), across compaction and a reopen of the file.
func TestStateAtEveryMomentMatchesTheStream(t *testing.T) {
	for seed := range uint64(20) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 7))
			dir := t.TempDir()
			max := 40 + r.IntN(200)
			l, err := Open(dir, "u1", max)
			if err != nil {
				t.Fatal(err)
			}
			// kept states a few entries apart, so that rebuilds start
			// from them, across compactions
			every := 1 + r.IntN(24)
			l.every = every
			var sent []Entry
			at := int64(1_000_000)
			for i := 0; i < 400; i++ {
				at += int64(r.IntN(3)) // several changes may share a millisecond
				var e Entry
				switch n := r.IntN(20); {
				case n == 0:
					objs := []Obj{}
					for j := r.IntN(5); j > 0; j-- {
						objs = append(objs, randomObj(r))
					}
					e = Entry{At: at, Op: "snapshot", Objects: objs}
				case n < 6:
					e = Entry{At: at, Op: "delete", Obj: randomObj(r)}
				default:
					e = Entry{At: at, Op: "upsert", Obj: randomObj(r)}
				}
				if e.Op != "snapshot" && r.IntN(2) == 0 {
					// as the server records the stream: the object
					// already encoded, sometimes with others waiting
					batch := []Entry{e}
					for j := r.IntN(3); j > 0; j-- {
						batch = append(batch, Entry{At: at, Op: "upsert", Obj: randomObj(r)})
					}
					chs := make([]Change, len(batch))
					for j, be := range batch {
						raw, _ := json.Marshal(be.Obj)
						chs[j] = Change{Op: be.Op, Obj: raw}
					}
					if err := l.AppendChanges(at, chs); err != nil {
						t.Fatal(err)
					}
					for _, be := range batch[:len(batch)-1] {
						b, _ := json.Marshal(be)
						var back Entry
						_ = json.Unmarshal(b, &back)
						sent = append(sent, back)
					}
					e = batch[len(batch)-1]
				} else if err := l.Append(e); err != nil {
					t.Fatal(err)
				}
				b, _ := json.Marshal(e)
				var back Entry
				_ = json.Unmarshal(b, &back)
				sent = append(sent, back)
			}
			check := func(l *Log) {
				first, last, n := l.Range()
				if n > max {
					t.Fatalf("%d entries kept, bound %d", n, max)
				}
				for t0 := first; t0 <= last; t0++ {
					got, err := l.stateAt(t0)
					if err != nil {
						t.Fatalf("at %d: %v", t0, err)
					}
					if want := model(sent, t0); jsonState(got) != jsonState(want) {
						t.Fatalf("at %d:\n got %s\nwant %s", t0, jsonState(got), jsonState(want))
					}
				}
				if first > 1_000_000 {
					if _, err := l.At(first - 1); !errors.Is(err, ErrTooOld) {
						t.Fatalf("before the kept history: %v", err)
					}
				}
			}
			check(l)
			l.Close()
			l2, err := Open(dir, "u1", max)
			if err != nil {
				t.Fatal(err)
			}
			defer l2.Close()
			l2.every = every
			check(l2)
		})
	}
}

// A change recorded from its encoded object is the line Append writes for
// the same entry, and a batch keeps its order; a malformed one is refused.
func TestAppendChangesWritesAppendsLines(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(dir, "a", 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(dir, "b", 0)
	if err != nil {
		t.Fatal(err)
	}
	objs := []Obj{
		{"kind": "Pod", "namespace": "web", "name": "p-1", "labels": map[string]any{"app": "web"}, "ready": true, "restarts": 2.0},
		{"kind": "Pod", "namespace": "web", "name": "p-2", "note": "quote \" and <tag> & ü"},
	}
	chs := []Change{}
	for i, o := range objs {
		op := []string{"upsert", "delete"}[i]
		if err := a.Append(Entry{At: 1234, Op: op, Obj: o}); err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(o)
		chs = append(chs, Change{Op: op, Obj: raw})
	}
	if err := b.AppendChanges(1234, chs); err != nil {
		t.Fatal(err)
	}
	if err := b.AppendChanges(1235, []Change{{Op: "upsert", Obj: json.RawMessage(`"kind"`)}}); err == nil {
		t.Fatal("a change that is not an object was recorded")
	}
	a.Close()
	b.Close()
	fa, _ := os.ReadFile(filepath.Join(dir, "a.jsonl"))
	fb, _ := os.ReadFile(filepath.Join(dir, "b.jsonl"))
	if string(fa) != string(fb) || len(fa) == 0 {
		t.Fatalf("lines differ:\nAppend:        %s\nAppendChanges: %s", fa, fb)
	}
	b2, err := Open(dir, "b", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	got, err := b2.At(1234)
	if err != nil || len(got) != 1 || got[0]["name"] != "p-1" {
		t.Fatalf("after an upsert of p-1 and a delete of p-2, then reopened: %v %v", got, err)
	}
	tail := b2.Since("", 0)
	if len(tail.Entries) != 2 || !json.Valid(tail.Entries[0]) {
		t.Fatalf("the page's log: %+v", tail)
	}
}

func TestDiffListsFieldChanges(t *testing.T) {
	a := map[string]Obj{
		"Deployment/d/web": {"kind": "Deployment", "namespace": "d", "name": "web", "rv": "1", "replicas": 1.0, "images": []any{"nginx:1"}},
		"Pod/d/old":        {"kind": "Pod", "namespace": "d", "name": "old"},
	}
	b := map[string]Obj{
		"Deployment/d/web": {"kind": "Deployment", "namespace": "d", "name": "web", "rv": "2", "replicas": 3.0, "images": []any{"nginx:2"}},
		"Pod/d/new":        {"kind": "Pod", "namespace": "d", "name": "new"},
	}
	d := Compare(a, b)
	want := []FieldChange{{Path: "images[0]", Before: "nginx:1", After: "nginx:2"}, {Path: "replicas", Before: 1.0, After: 3.0}}
	if len(d.Changed) != 1 || !reflect.DeepEqual(d.Changed[0].Changes, want) {
		t.Fatalf("changed: %+v", d.Changed)
	}
	if len(d.Added) != 1 || d.Added[0]["name"] != "new" || len(d.Removed) != 1 || d.Removed[0]["name"] != "old" {
		t.Fatalf("added %v removed %v", d.Added, d.Removed)
	}
}

func TestDeleteRemovesTheFile(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, "u2", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Append(Entry{Op: "upsert", Obj: Obj{"kind": "Pod", "name": "a"}}); err != nil {
		t.Fatal(err)
	}
	if err := l.Delete(); err != nil {
		t.Fatal(err)
	}
	if _, _, n := l.Range(); n != 0 {
		t.Fatalf("%d entries after delete", n)
	}
	if fi, err := os.Stat(filepath.Join(dir, "u2.jsonl")); err != nil || fi.Size() != 0 {
		t.Fatalf("file after delete: %v %v", fi, err)
	}
	if _, err := Open(dir, "../etc", 0); err == nil {
		t.Fatal("a path as a sandbox name")
	}
}

// reader keeps a copy of the log as the scrubber's page does: it asks
// Since for what it lacks and rebuilds moments from its copy.
type reader struct {
	epoch   string
	next    int
	base    map[string]Obj
	baseAt  int64
	entries []line
	fulls   int
}

func (r *reader) catchUp(l *Log) {
	t := l.Since(r.epoch, r.next)
	if t.Full {
		r.fulls++
		r.base, r.entries = map[string]Obj{}, nil
		for _, o := range t.Base {
			r.base[Key(o)] = o
		}
	}
	r.epoch, r.baseAt = t.Epoch, t.BaseAt
	for _, raw := range t.Entries {
		// as the page reads them: each entry's JSON
		var e Entry
		if err := json.Unmarshal(raw, &e); err != nil {
			panic(err)
		}
		r.entries = append(r.entries, line{at: e.At, op: e.Op, raw: raw})
	}
	r.next = t.From + len(t.Entries)
}

func (r *reader) at(t int64) map[string]Obj { return replay(r.base, r.entries, t) }

// A reader that keeps the log and asks only for what it lacks (Since)
// rebuilds every moment as the log does, across compaction (it is sent
// everything again only when what it lacks was compacted away) and a
// reopen (a new epoch: everything again).
func TestSinceKeepsAReaderInStep(t *testing.T) {
	for seed := range uint64(10) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(seed, 11))
			dir := t.TempDir()
			max := 60 + rnd.IntN(100)
			l, err := Open(dir, "u1", max)
			if err != nil {
				t.Fatal(err)
			}
			rd := &reader{}
			at := int64(1_000_000)
			check := func(l *Log) {
				t.Helper()
				first, last, _ := l.Range()
				for t0 := first; t0 <= last; t0++ {
					want, err := l.stateAt(t0)
					if err != nil {
						t.Fatalf("at %d: %v", t0, err)
					}
					if got := rd.at(t0); jsonState(got) != jsonState(want) {
						t.Fatalf("reader at %d:\n got %s\nwant %s", t0, jsonState(got), jsonState(want))
					}
				}
			}
			for i := 0; i < 500; i++ {
				at += int64(rnd.IntN(3))
				e := Entry{At: at, Op: "upsert", Obj: randomObj(rnd)}
				switch n := rnd.IntN(20); {
				case n == 0:
					e = Entry{At: at, Op: "snapshot", Objects: []Obj{randomObj(rnd), randomObj(rnd)}}
				case n < 6:
					e.Op = "delete"
				case n == 6:
					e = Entry{At: at, Op: "mark", Mark: &Mark{Kind: MarkCommand, Text: "kubectl get pods"}}
				}
				if err := l.Append(e); err != nil {
					t.Fatal(err)
				}
				if rnd.IntN(15) == 0 {
					before := rd.fulls
					n := rd.next
					rd.catchUp(l)
					if rd.fulls > before && n >= l.dropped && rd.epoch != "" && before > 0 {
						t.Fatalf("sent everything again although entries from %d were kept (dropped %d)", n, l.dropped)
					}
					check(l)
				}
			}
			rd.catchUp(l)
			check(l)
			// asking for nothing new sends nothing
			if tail := l.Since(rd.epoch, rd.next); tail.Full || len(tail.Entries) != 0 {
				t.Fatalf("caught up, yet sent full=%v, %d entries", tail.Full, len(tail.Entries))
			}
			l.Close()
			l2, err := Open(dir, "u1", max)
			if err != nil {
				t.Fatal(err)
			}
			defer l2.Close()
			fulls := rd.fulls
			rd.catchUp(l2)
			if rd.fulls != fulls+1 {
				t.Fatal("a reopened log did not send everything again")
			}
			check(l2)
		})
	}
}
