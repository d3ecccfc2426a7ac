package history

import (
	"fmt"
	"reflect"
	"sort"
)

// FieldChange is one field that differs between two moments.
type FieldChange struct {
	Path   string `json:"path"`
	Before any    `json:"before"`
	After  any    `json:"after"`
}

// Changed is an object present at both moments with different fields.
type Changed struct {
	Kind      string        `json:"kind"`
	Namespace string        `json:"namespace,omitempty"`
	Name      string        `json:"name"`
	Changes   []FieldChange `json:"changes"`
}

// Diff is what changed between two moments.
type Diff struct {
	Added   []Obj     `json:"added"`
	Removed []Obj     `json:"removed"`
	Changed []Changed `json:"changed"`
}

// volatile fields change on every write and say nothing to a learner.
var volatile = map[string]bool{"rv": true}

// Between compares the state at from with the state at to.
func (l *Log) Between(from, to int64) (Diff, error) {
	a, err := l.stateAt(from)
	if err != nil {
		return Diff{}, err
	}
	b, err := l.stateAt(to)
	if err != nil {
		return Diff{}, err
	}
	return Compare(a, b), nil
}

// Compare lists what differs between two states.
func Compare(a, b map[string]Obj) Diff {
	d := Diff{Added: []Obj{}, Removed: []Obj{}, Changed: []Changed{}}
	for _, o := range sorted(b) {
		k := Key(o)
		old, ok := a[k]
		if !ok {
			d.Added = append(d.Added, o)
			continue
		}
		var fc []FieldChange
		fields(&fc, "", old, o)
		if len(fc) > 0 {
			s := func(k string) string { v, _ := o[k].(string); return v }
			d.Changed = append(d.Changed, Changed{Kind: s("kind"), Namespace: s("namespace"), Name: s("name"), Changes: fc})
		}
	}
	for _, o := range sorted(a) {
		if _, ok := b[Key(o)]; !ok {
			d.Removed = append(d.Removed, o)
		}
	}
	return d
}

// fields appends the leaf fields that differ between x and y under path.
func fields(out *[]FieldChange, path string, x, y any) {
	xm, xok := x.(map[string]any)
	ym, yok := y.(map[string]any)
	if xok && yok {
		keys := map[string]bool{}
		for k := range xm {
			keys[k] = true
		}
		for k := range ym {
			keys[k] = true
		}
		names := make([]string, 0, len(keys))
		for k := range keys {
			if path == "" && volatile[k] {
				continue
			}
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			p := k
			if path != "" {
				p = path + "." + k
			}
			fields(out, p, xm[k], ym[k])
		}
		return
	}
	xs, xok := x.([]any)
	ys, yok := y.([]any)
	if xok && yok && len(xs) == len(ys) {
		for i := range xs {
			fields(out, fmt.Sprintf("%s[%d]", path, i), xs[i], ys[i])
		}
		return
	}
	if !reflect.DeepEqual(x, y) {
		*out = append(*out, FieldChange{Path: path, Before: x, After: y})
	}
}
