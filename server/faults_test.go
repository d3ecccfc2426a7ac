package server_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A sandbox process killed with SIGKILL: the learner is told, and the next
// action brings the sandbox back with its objects.
func TestSandboxProcessKilled(t *testing.T) {
	e := start(t, t.TempDir())
	e.waitReady()
	if code, out := e.console("kubectl create configmap survivor --from-literal=a=b"); code != 200 || out["exitCode"].(float64) != 0 {
		t.Fatalf("create: %d %v", code, out)
	}
	ws := e.dial()
	pids, _ := filepath.Glob(filepath.Join(e.dir, "sandboxes", "*", "pid"))
	if len(pids) != 1 {
		t.Fatalf("want one sandbox process, found %v", pids)
	}
	data, _ := os.ReadFile(pids[0])
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	m := ws.until(20*time.Second, "the sandbox state change", func(m map[string]any) bool {
		return m["type"] == "sandbox" && m["state"] != "ready" && m["state"] != "starting"
	})
	if msg, _ := m["message"].(string); msg == "" {
		t.Fatalf("the learner gets no explanation: %v", m)
	}
	code, out := e.console("kubectl get configmap survivor")
	if code != 503 || !strings.Contains(out["error"].(string), "sandbox") {
		t.Fatalf("a command while the sandbox is down: %d %v", code, out)
	}
	e.waitReady()
	code, out = e.console("kubectl get configmap survivor -o jsonpath={.data.a}")
	if code != 200 || out["output"] != "b" {
		t.Fatalf("the restarted sandbox lost its objects: %d %v", code, out)
	}
}

// The page sends nothing big: an oversized websocket frame closes that
// connection and nothing else.
func TestOversizedWebsocketFrame(t *testing.T) {
	e := start(t, t.TempDir())
	e.waitReady()
	ws := e.dial()
	ws.until(30*time.Second, "snapshot", func(m map[string]any) bool { return m["type"] == "snapshot" })
	// The write itself may fail: the server can close the connection as
	// soon as it has read the frame's header.
	_ = ws.c.WriteMessage(1, []byte(strings.Repeat("x", 64<<10)))
	_ = ws.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, _, err := ws.c.ReadMessage(); err != nil {
			break // closed by the server
		}
	}
	// The learner's other pages and the API still work.
	if code, out := e.console("kubectl get ns default -o name"); code != 200 || out["output"] != "namespace/default\n" {
		t.Fatalf("after the oversized frame: %d %v", code, out)
	}
	other := e.dial()
	other.until(30*time.Second, "a snapshot on a new page", func(m map[string]any) bool { return m["type"] == "snapshot" })
}
