package server_test

import (
	"bytes"
	"database/sql"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	_ "github.com/mattn/go-sqlite3"
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
	logs := &syncBuffer{}
	e := startOpts(t, dir, envOptions{logger: slog.New(slog.NewTextHandler(logs, nil))})
	get := func(path string) (int, string) {
		t.Helper()
		resp, body := e.do("GET", path, "", nil, nil)
		return resp.StatusCode, body
	}
	if code, body := get("/api/console/history"); code != http.StatusOK {
		t.Fatalf("history before the fault: %d %s", code, body)
	}
	// The fault: the table goes away under the running server.
	db, err := sql.Open("sqlite3", filepath.Join(dir, "kubelab.db"))
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
