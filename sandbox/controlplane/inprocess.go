package controlplane

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/pprof"
	"strconv"
	"sync"

	"k8s.io/client-go/rest"
)

// inProcessHost is the host of an in-process client's requests; nothing
// listens there.
const inProcessHost = "http://kube-apiserver.in-process"

// errNoInProcessServer is returned by an in-process client used before the
// API server built its handler.
var errNoInProcessServer = errors.New("controlplane: the API server has not built its handler yet")

// apiHandler holds the API server's full handler chain (authentication,
// authorization, admission: everything a request over the network goes
// through) once the server has built it.
type apiHandler struct {
	mu sync.Mutex
	h  http.Handler
	// token is the API server's loopback token: the identity of requests
	// that come from inside its own process.
	token string
}

func (a *apiHandler) set(h http.Handler, token string) {
	a.mu.Lock()
	a.h, a.token = h, token
	a.mu.Unlock()
}

func (a *apiHandler) get() (http.Handler, string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.h, a.token
}

// InProcessConfig returns a REST config whose requests are served by the
// API server's handler chain inside this process: no TLS, no socket and no
// HTTP/2 framing on either side, the request otherwise handled exactly as
// one that came over the network, as the API server's own loopback
// identity. It is for components that write often
// and small (the scheduler's decision records); it must not be used for
// watches. Before the API server is ready its requests fail.
func (c *ControlPlane) InProcessConfig() *rest.Config {
	return &rest.Config{
		Host:      inProcessHost,
		Transport: inProcessTransport{api: &c.api},
		QPS:       200,
		Burst:     400,
	}
}

// inProcessTransport serves each request with the API server's handler, in
// a goroutine of its own as the network server would, and returns the
// answer once the handler has returned.
type inProcessTransport struct{ api *apiHandler }

// RoundTrip implements http.RoundTripper.
func (t inProcessTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	h, token := t.api.get()
	if h == nil {
		return nil, errNoInProcessServer
	}
	r := req.Clone(req.Context())
	if r.Body == nil {
		r.Body = http.NoBody
	}
	r.RequestURI = r.URL.RequestURI()
	r.RemoteAddr = "127.0.0.1:0"
	r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/1.1", 1, 1
	if r.Header.Get("Authorization") == "" && token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := newMemoryResponse()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer w.finish()
		// The API server's work, whoever asked: a profile counts it as
		// the API server's, not the client's (see ComponentLabel).
		pprof.Do(r.Context(), pprof.Labels(ComponentLabel, "kube-apiserver"), func(context.Context) {
			h.ServeHTTP(w, r)
		})
	}()
	select {
	case <-done:
		_ = r.Body.Close()
	case <-req.Context().Done():
		// The handler sees the same context end and returns; it closes
		// nothing the client still uses.
		return nil, fmt.Errorf("controlplane: in-process request: %w", req.Context().Err())
	}
	return w.response(req), nil
}

// memoryResponse is an http.ResponseWriter that keeps the answer in memory.
// It flushes (a no-op) and implements CloseNotifier, as the API server's
// filters expect of a writer; a client that goes away cancels the
// request's context, which the handler also sees.
type memoryResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newMemoryResponse() *memoryResponse {
	return &memoryResponse{header: http.Header{}}
}

// Header implements http.ResponseWriter.
func (m *memoryResponse) Header() http.Header { return m.header }

// WriteHeader implements http.ResponseWriter.
func (m *memoryResponse) WriteHeader(status int) {
	if m.status == 0 {
		m.status = status
	}
}

// Write implements http.ResponseWriter.
func (m *memoryResponse) Write(p []byte) (int, error) {
	if m.status == 0 {
		m.status = http.StatusOK
	}
	return m.body.Write(p)
}

// Flush implements http.Flusher: the answer is returned whole.
func (m *memoryResponse) Flush() {}

// CloseNotify implements http.CloseNotifier, which the API server's
// timeout filter still asks for. It never fires: the request's context
// carries the client's going away.
func (m *memoryResponse) CloseNotify() <-chan bool { return nil }

// finish marks the answer complete; a handler that wrote nothing answered 200.
func (m *memoryResponse) finish() {
	if m.status == 0 {
		m.status = http.StatusOK
	}
}

func (m *memoryResponse) response(req *http.Request) *http.Response {
	return &http.Response{
		Status:        strconv.Itoa(m.status) + " " + http.StatusText(m.status),
		StatusCode:    m.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        m.header,
		Body:          io.NopCloser(bytes.NewReader(m.body.Bytes())),
		ContentLength: int64(m.body.Len()),
		Request:       req,
	}
}
