package watch

import (
	"sort"
	"unicode/utf8"
)

// MaxText is how many bytes of one free-text field (an Event's message, a
// pod's reason) are streamed; longer text is cut on a character boundary
// and ends with "…". The API server accepts Event messages of any size: a
// learner's 250 KB ones must not reach every page that watches them.
const MaxText = 1024

// MaxPerKind bounds the objects of one kind in a snapshot; Bound reports
// how many more there were.
const MaxPerKind = 500

// clipText cuts the free text of a normalized object to MaxText.
func clipText(o Obj) {
	for k, v := range o {
		switch x := v.(type) {
		case string:
			if len(x) > MaxText {
				o[k] = clip(x)
			}
		case map[string]any:
			// Maps may be the API object's own (selectors): copied before a change.
			var cp map[string]any
			for kk, vv := range x {
				if sv, ok := vv.(string); ok && len(sv) > MaxText {
					if cp == nil {
						cp = make(map[string]any, len(x))
						for a, b := range x {
							cp[a] = b
						}
					}
					cp[kk] = clip(sv)
				}
			}
			if cp != nil {
				o[k] = cp
			}
		}
	}
}

func clip(s string) string {
	if len(s) <= MaxText {
		return s
	}
	cut := MaxText - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// Bound keeps at most perKind objects of each kind of a snapshot (sorted
// by kind, as Snapshot returns it) and says how many of each kind it left
// out. Of Events it keeps the newest; of other kinds the first in order.
func Bound(objs []Obj, perKind int) ([]Obj, map[string]int) {
	counts := map[string]int{}
	for _, o := range objs {
		k, _ := o["kind"].(string)
		counts[k]++
	}
	over := false
	for _, n := range counts {
		if n > perKind {
			over = true
		}
	}
	if !over {
		return objs, nil
	}
	more := map[string]int{}
	out := make([]Obj, 0, min(len(objs), perKind*len(counts)))
	for i := 0; i < len(objs); {
		k, _ := objs[i]["kind"].(string)
		j := i
		for j < len(objs) && objs[j]["kind"] == objs[i]["kind"] {
			j++
		}
		group := objs[i:j]
		if len(group) > perKind {
			if k == "Event" {
				group = append([]Obj(nil), group...)
				sort.SliceStable(group, func(a, b int) bool { return newer(group[a], group[b]) })
			}
			more[k] = len(group) - perKind
			group = group[:perKind]
		}
		out = append(out, group...)
		i = j
	}
	return out, more
}

// newer orders Events newest first (by last time seen, then creation).
func newer(a, b Obj) bool {
	la, _ := a["last"].(string)
	lb, _ := b["last"].(string)
	if la != lb {
		return la > lb
	}
	ca, _ := a["created"].(string)
	cb, _ := b["created"].(string)
	return ca > cb
}
