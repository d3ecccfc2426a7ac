package server

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// A handler that panics answers 500 with a reference and no internals; the
// log holds the panic under that reference.
func TestPanicsAnswerAsInternalErrors(t *testing.T) {
	var logs bytes.Buffer
	s := &Server{log: slog.New(slog.NewTextHandler(&logs, nil))}
	h := s.recoverPanics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("secret detail") }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/console/history", nil))
	ref := regexp.MustCompile(`ref ([0-9a-f]{8})`).FindStringSubmatch(rec.Body.String())
	if rec.Code != http.StatusInternalServerError || ref == nil || strings.Contains(rec.Body.String(), "secret") {
		t.Fatalf("answer: %d %s", rec.Code, rec.Body.String())
	}
	if !strings.Contains(logs.String(), "ref="+ref[1]) || !strings.Contains(logs.String(), "secret detail") {
		t.Fatalf("log: %s", logs.String())
	}
}
