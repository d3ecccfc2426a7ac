package conformance_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// kubectl port-forward to a simulated server: the stock kubectl opens a
// local port, an HTTP request through it is answered by the pod's server
// container, and a port nothing in the pod listens on is refused.
func TestPortForward(t *testing.T) {
	e := newEnv(t, shared, "port-forward")
	e.applyYAML(`apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - {name: nginx, image: nginx:1.27}
  - {name: sidecar, image: busybox:1.36, command: [sleep, "3600"]}
`)
	if err := e.waitPod("web", 90*time.Second, "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning }); err != nil {
		t.Fatal(err)
	}
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("needs the stock kubectl")
	}
	forward := func(ports string) (addr string, stop func(), out *lockedBuffer) {
		cmd := exec.Command(kubectl, "--kubeconfig", e.c.Kubeconfig, "-n", e.ns, "port-forward", "pod/web", "--address", "127.0.0.1", ports)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		out = &lockedBuffer{}
		cmd.Stderr = out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		stop = func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
		found := make(chan string, 1)
		go func() {
			re := regexp.MustCompile(`Forwarding from (127\.0\.0\.1:\d+)`)
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if m := re.FindStringSubmatch(sc.Text()); m != nil {
					found <- m[1]
				}
			}
		}()
		select {
		case addr = <-found:
		case <-time.After(30 * time.Second):
			stop()
			t.Fatalf("kubectl port-forward did not start: %s", out)
		}
		return addr, stop, out
	}
	addr, stop, _ := forward(":80")
	defer stop()
	client := &http.Client{Timeout: 20 * time.Second}
	// nginx serves its own pages; any other path answers 404, as nginx does.
	for path, want := range map[string]int{"/": http.StatusOK, "/index.html": http.StatusOK, "/no-such-page": http.StatusNotFound} {
		resp, err := client.Get("http://" + addr + path)
		if err != nil {
			t.Fatalf("GET %s through the forward: %v", path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != want || !strings.Contains(string(body), "container nginx of pod web on port 80") ||
			!strings.Contains(string(body), "path "+path) {
			t.Fatalf("GET %s: %d %s, want %d", path, resp.StatusCode, body, want)
		}
	}
	stop()

	// Port 6379: nothing in this pod listens there.
	addr, stop2, out := forward(":6379")
	defer stop2()
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err == nil {
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		_, _ = conn.Write([]byte("PING\r\n"))
		n, _ := conn.Read(make([]byte, 64))
		_ = conn.Close()
		if n != 0 {
			t.Fatalf("port 6379 answered %d bytes", n)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) && !strings.Contains(out.String(), "nothing listens on port 6379") {
		time.Sleep(200 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "nothing listens on port 6379") {
		t.Fatalf("kubectl did not report the closed port: %q", out.String())
	}
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
