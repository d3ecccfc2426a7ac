package migrations_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	_ "github.com/mattn/go-sqlite3"
	"github.com/pressly/goose/v3"

	"github.com/kubelab/kubelab/migrations"
)

var tables = []string{
	"users", "classes", "class_members", "sandboxes", "step_progress", "quiz_answers",
	"console_history", "hints", "sessions", "settings",
}

func countTables(t *testing.T, db *sql.DB) int {
	t.Helper()
	n := 0
	for _, name := range tables {
		var ok bool
		if err := db.QueryRow(`SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?)`, name).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		if ok {
			n++
		}
	}
	return n
}

// TestUpDownUp checks that every migration parses, applies, reverts cleanly
// and applies again.
func TestUpDownUp(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite3", filepath.Join(t.TempDir(), "m.db")+"?_foreign_keys=on")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectSQLite3, db, migrations.FS, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.ListSources()) == 0 {
		t.Fatal("no migrations embedded")
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("up: %v", err)
	}
	if n := countTables(t, db); n != len(tables) {
		t.Fatalf("after up: %d of %d tables", n, len(tables))
	}
	if _, err := p.DownTo(ctx, 0); err != nil {
		t.Fatalf("down: %v", err)
	}
	if n := countTables(t, db); n != 0 {
		t.Fatalf("after down: %d tables left", n)
	}
	var leftovers int
	if err := db.QueryRow(`SELECT COUNT(*) FROM sqlite_schema WHERE name NOT LIKE 'goose%' AND name NOT LIKE 'sqlite%'`).Scan(&leftovers); err != nil {
		t.Fatal(err)
	}
	if leftovers != 0 {
		t.Fatalf("after down: %d schema objects left", leftovers)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("up again: %v", err)
	}
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srcs := p.ListSources()
	if want := srcs[len(srcs)-1].Version; v != want {
		t.Fatalf("db version %d, want %d", v, want)
	}
}
