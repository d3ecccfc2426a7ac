package controlplane

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

// The transport hands the handler what a network server would (method,
// path, query, body, the loopback token) and gives the client the answer.
// The API server's own chain behind it is exercised by every test that
// reads a scheduling record (sandbox/schedrecord).
func TestInProcessTransport(t *testing.T) {
	var c ControlPlane
	cfg := c.InProcessConfig()
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("before the server is built", func(t *testing.T) {
		_, err := client.Get(cfg.Host + "/readyz")
		if !errors.Is(err, errNoInProcessServer) {
			t.Fatalf("want %v, got %v", errNoInProcessServer, err)
		}
	})
	release := make(chan struct{})
	c.api.set(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			<-release
			return
		}
		body, _ := io.ReadAll(r.Body)
		if _, ok := w.(http.Flusher); !ok {
			t.Error("writer is no http.Flusher")
		}
		w.Header().Set("X-Seen", r.Method+" "+r.RequestURI+" "+r.Header.Get("Authorization")+" "+r.Proto)
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(append([]byte("got "), body...))
	}), "loopback-token")
	t.Run("request and answer", func(t *testing.T) {
		resp, err := client.Post(cfg.Host+"/apis/x/v1/things?fieldManager=m", "application/json", strings.NewReader(`{"a":1}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusCreated || string(body) != `got {"a":1}` {
			t.Fatalf("status %d body %q", resp.StatusCode, body)
		}
		if got, want := resp.Header.Get("X-Seen"), "POST /apis/x/v1/things?fieldManager=m Bearer loopback-token HTTP/1.1"; got != want {
			t.Fatalf("handler saw %q, want %q", got, want)
		}
	})
	t.Run("client gives up", func(t *testing.T) {
		defer close(release)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, cfg.Host+"/slow", nil)
		if _, err := client.Do(req); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("want the deadline, got %v", err)
		}
	})
}
