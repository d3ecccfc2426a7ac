package server_test

import (
	"bytes"
	"database/sql"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"github.com/kubelab/kubelab/console"
	"github.com/kubelab/kubelab/internal/testcluster"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/quizzes"
	"github.com/kubelab/kubelab/sandbox"
	"github.com/kubelab/kubelab/sandbox/embedded"
	"github.com/kubelab/kubelab/server"
	"github.com/kubelab/kubelab/store"
)

// syncBuffer is a log destination the handlers may write concurrently.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A request that fails on the server's side answers 500 with a reference
// and no internals (SQL, file paths); the log holds the cause under the
// same reference, with the route.
func TestInternalErrorsAreLoggedNotShown(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "kubelab.db")
	st, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cat, err := labs.Load()
	if err != nil {
		t.Fatal(err)
	}
	qs, err := quizzes.Load(cat)
	if err != nil {
		t.Fatal(err)
	}
	backend, err := embedded.New(embedded.Options{Dir: filepath.Join(dir, "sandboxes"), Binary: testcluster.Binary(t)})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	srv, err := server.New(server.Config{Mode: server.ModeLocal, Provider: sandbox.NewProvider(backend), Store: st, Catalog: cat,
		Quizzes: qs, Console: &console.Runner{Binary: testcluster.Binary(t)}, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	if code, body := get("/api/console/history"); code != http.StatusOK {
		t.Fatalf("history before the fault: %d %s", code, body)
	}
	// The fault: the table goes away under the running server.
	db, err := sql.Open("sqlite3", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("DROP TABLE console_history"); err != nil {
		t.Fatal(err)
	}
	code, body := get("/api/console/history")
	ref := regexp.MustCompile(`ref ([0-9a-f]{8})`).FindStringSubmatch(body)
	if code != http.StatusInternalServerError || ref == nil {
		t.Fatalf("history after the fault: %d %s", code, body)
	}
	if strings.Contains(body, "console_history") || strings.Contains(strings.ToLower(body), "sql") {
		t.Fatalf("the answer shows the server's internals: %s", body)
	}
	var line string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "ref="+ref[1]) {
			line = l
		}
	}
	if !strings.Contains(line, "console_history") || !strings.Contains(line, "route=/api/console/history") {
		t.Fatalf("the log does not hold the cause under ref %s: %q\nlog:\n%s", ref[1], line, logs.String())
	}
}
