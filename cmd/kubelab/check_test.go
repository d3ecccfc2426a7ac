package main

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/kubelab/kubelab/internal/testcluster"
	"github.com/kubelab/kubelab/store"
)

// `kubelab check --data DIR` shows a step that passed earlier, and was not
// reset since, as passed (held) although the cluster no longer satisfies
// it; without --data the same step fails.
func TestCheckShowsHeldPasses(t *testing.T) {
	c := testcluster.New(t)
	dataDir := t.TempDir()
	st, err := store.Open(filepath.Join(dataDir, "kubelab.db"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	u, err := st.EnsureLocalUser(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.RecordVerdict(ctx, u.ID, "pod-basics", "create-webapp", true, 1, ""); err != nil {
		t.Fatal(err)
	}
	st.Close()

	type row struct {
		ID     string `json:"id"`
		Passed bool   `json:"passed"`
		Held   bool   `json:"held"`
	}
	check := func(extra ...string) map[string]row {
		t.Helper()
		args := append([]string{"check", "--lab", "pod-basics", "--kubeconfig", c.Kubeconfig, "--json"}, extra...)
		out, err := exec.Command(testcluster.Binary(t), args...).Output()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Fatalf("check %v: want exit status 1 (later steps fail), got %v", extra, err)
		}
		var rows []row
		if err := json.Unmarshal(out, &rows); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		m := map[string]row{}
		for _, r := range rows {
			m[r.ID] = r
		}
		return m
	}
	if r := check()["create-webapp"]; r.Passed || r.Held {
		t.Fatalf("without --data, on an empty cluster: %+v", r)
	}
	got := check("--data", dataDir)
	if r := got["create-webapp"]; !r.Passed || !r.Held {
		t.Fatalf("with --data, the held pass: %+v", r)
	}
	if r := got["find-ip"]; r.Passed || r.Held {
		t.Fatalf("with --data, a step never passed: %+v", r)
	}
}
