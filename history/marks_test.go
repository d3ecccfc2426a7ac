package history

import (
	"errors"
	"strings"
	"testing"
)

// Marks are kept beside the changes, change no state, survive a reopen and
// are listed by range.
func TestMarks(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, "u1", 0)
	if err != nil {
		t.Fatal(err)
	}
	web := Obj{"kind": "Deployment", "namespace": "default", "name": "web"}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(l.Append(Entry{At: 1000, Op: "snapshot", Objects: []Obj{}}))
	must(l.AddMark(Mark{At: 1100, Kind: MarkCommand, Text: "kubectl create deployment web --image=nginx"}))
	must(l.Append(Entry{At: 1200, Op: "upsert", Obj: web}))
	must(l.AddMark(Mark{At: 1300, Kind: MarkVerdict, Lab: "workloads", Step: "create", Passed: true}))
	must(l.AddMark(Mark{At: 1400, Kind: MarkApply, Text: strings.Repeat("x", 500), Failed: true}))
	if err := l.AddMark(Mark{At: 1500, Kind: "guess"}); err == nil {
		t.Fatal("an unknown kind of mark was accepted")
	}
	objs, err := l.At(1400)
	must(err)
	if len(objs) != 1 {
		t.Fatalf("marks changed the state: %v", objs)
	}
	must(l.Close())
	if l, err = Open(dir, "u1", 0); err != nil {
		t.Fatal(err)
	}
	all, err := l.Marks(0, 0)
	must(err)
	if len(all) != 3 || all[0].At != 1100 || all[0].Kind != MarkCommand || all[1].Step != "create" || !all[1].Passed {
		t.Fatalf("marks after a reopen: %+v", all)
	}
	if n := len(all[2].Text); n > maxMarkText+len("…") || !all[2].Failed {
		t.Fatalf("long apply mark: %d bytes, failed %v", n, all[2].Failed)
	}
	some, err := l.Marks(1200, 1300)
	must(err)
	if len(some) != 1 || some[0].Kind != MarkVerdict {
		t.Fatalf("marks from 1200 to 1300: %+v", some)
	}
	if _, err := l.Marks(2000, 1000); !errors.Is(err, ErrBadRange) {
		t.Fatalf("a range backwards: %v", err)
	}
}
