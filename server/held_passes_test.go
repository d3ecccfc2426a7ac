package server

import (
	"context"
	"encoding/csv"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestHeldPassesOnDashboardAndCSV: a step that passed once reads as passed on
// the instructor's heat map and in the CSV export after the cluster changed
// (a later failing verdict), until the learner resets it.
func TestHeldPassesOnDashboardAndCSV(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	const lab, step = "kubectl-activity", "create-namespace"
	for _, passed := range []bool{true, false} {
		if _, err := w.e.st.RecordVerdict(ctx, w.a.id, lab, step, passed, 0, "Namespace my-ns does not exist"); err != nil {
			t.Fatal(err)
		}
	}
	state := func() (cell, csvCell string) {
		t.Helper()
		d := w.i.get(w.expand("/class/{c1}?lab=" + lab))
		m := regexp.MustCompile(`data-cell="` + regexp.QuoteMeta(strconv.FormatInt(w.a.id, 10)+"|"+lab+"|"+step) + `" data-state="(\w+)"`).FindStringSubmatch(d.body)
		if m == nil {
			t.Fatalf("no heat map cell for Alice's %s/%s", lab, step)
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(w.i.get(w.expand("/class/{c1}/results.csv")).body, "\xef\xbb\xbf"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		col := slices.Index(recs[0], "step:"+lab+"/"+step)
		for _, rec := range recs[1:] {
			if rec[0] == "Alice" {
				return m[1], rec[col]
			}
		}
		t.Fatal("Alice is not in the export")
		return "", ""
	}
	if cell, c := state(); cell != "passed" || c != "passed" {
		t.Fatalf("a held pass: heat map %q, CSV %q", cell, c)
	}
	if _, err := w.e.st.ResetPasses(ctx, w.a.id, lab, step); err != nil {
		t.Fatal(err)
	}
	if cell, c := state(); cell != "failed" || c != "failed" {
		t.Fatalf("after a reset: heat map %q, CSV %q", cell, c)
	}
}
