// Package procstats lets a sandbox process be measured from outside: a
// small HTTP server on a unix socket in the sandbox's directory answers
// /stats (garbage collector and CPU time from runtime/metrics, heap, memory
// from /proc) and the Go profiler's /debug/pprof/ pages. Benchmarks and
// tests read it with Read; nothing else listens on it.
package procstats

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// SocketFile is the file, in the sandbox directory, that holds the path of
// the stats socket (the socket itself may live elsewhere when the
// directory's path is too long for a unix socket).
const SocketFile = "stats.addr"

// Stats is one reading of a sandbox process.
type Stats struct {
	// PID is the process.
	PID int `json:"pid"`
	// Uptime is seconds since the process started serving stats.
	Uptime float64 `json:"uptimeSeconds"`
	// CPUSeconds is the process's user + system CPU time so far.
	CPUSeconds float64 `json:"cpuSeconds"`
	// GCCPUSeconds is the CPU time the garbage collector has used so far
	// (runtime/metrics /cpu/classes/gc/total:cpu-seconds, an estimate the
	// runtime keeps).
	GCCPUSeconds float64 `json:"gcCpuSeconds"`
	// GCCycles counts completed collections.
	GCCycles uint64 `json:"gcCycles"`
	// HeapLive is the heap the last collection found alive.
	HeapLive uint64 `json:"heapLiveBytes"`
	// HeapGoal is the heap size at which the next collection starts.
	HeapGoal uint64 `json:"heapGoalBytes"`
	// MemoryLimit is the Go memory limit in force (math.MaxInt64: none).
	MemoryLimit int64 `json:"memoryLimitBytes"`
	// GOGC is the garbage collector's percent setting (-1: off).
	GOGC int `json:"gogc"`
	// Anonymous is the process's private (anonymous) memory.
	Anonymous uint64 `json:"anonymousBytes"`
	// RSS is the resident set, shared code pages included.
	RSS uint64 `json:"rssBytes"`
	// Extra holds what the sandbox adds (for example its clock's stops).
	Extra map[string]any `json:"extra,omitempty"`
}

// Serve answers on a unix socket for dir until ctx ends. extra, if not nil,
// is called for each reading.
func Serve(ctx context.Context, dir string, extra func() map[string]any) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("procstats: %w", err)
	}
	sock := filepath.Join(dir, "stats.sock")
	if len(sock) > 100 { // unix socket paths are limited to about 108 bytes
		sock = filepath.Join(os.TempDir(), "kubelab-stats-"+strconv.Itoa(os.Getpid())+".sock")
	}
	_ = os.Remove(sock)
	l, err := net.Listen("unix", sock)
	if err != nil {
		return fmt.Errorf("procstats: listen on %s: %w", sock, err)
	}
	if err := os.Chmod(sock, 0o600); err != nil {
		l.Close()
		return fmt.Errorf("procstats: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, SocketFile), []byte(sock), 0o600); err != nil {
		l.Close()
		return fmt.Errorf("procstats: %w", err)
	}
	began := time.Now()
	mux := http.NewServeMux()
	mux.HandleFunc("/stats", func(w http.ResponseWriter, _ *http.Request) {
		s := Collect()
		s.Uptime = time.Since(began).Seconds()
		if extra != nil {
			s.Extra = extra()
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s)
	})
	mux.HandleFunc("/gc", func(w http.ResponseWriter, _ *http.Request) {
		runtime.GC()
		debug.FreeOSMemory()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	go func() { <-ctx.Done(); _ = srv.Close(); _ = os.Remove(sock) }()
	return nil
}

var samples = []metrics.Sample{
	{Name: "/cpu/classes/gc/total:cpu-seconds"},
	{Name: "/gc/cycles/total:gc-cycles"},
	{Name: "/gc/heap/live:bytes"},
	{Name: "/gc/heap/goal:bytes"},
	{Name: "/gc/gomemlimit:bytes"},
	{Name: "/gc/gogc:percent"},
}

// Collect reads this process's figures.
func Collect() Stats {
	s := make([]metrics.Sample, len(samples))
	copy(s, samples)
	metrics.Read(s)
	out := Stats{PID: os.Getpid()}
	if s[0].Value.Kind() == metrics.KindFloat64 {
		out.GCCPUSeconds = s[0].Value.Float64()
	}
	if s[1].Value.Kind() == metrics.KindUint64 {
		out.GCCycles = s[1].Value.Uint64()
	}
	if s[2].Value.Kind() == metrics.KindUint64 {
		out.HeapLive = s[2].Value.Uint64()
	}
	if s[3].Value.Kind() == metrics.KindUint64 {
		out.HeapGoal = s[3].Value.Uint64()
	}
	if s[4].Value.Kind() == metrics.KindUint64 {
		out.MemoryLimit = int64(s[4].Value.Uint64())
	}
	if s[5].Value.Kind() == metrics.KindUint64 {
		out.GOGC = int(s[5].Value.Uint64())
	}
	out.CPUSeconds = CPU().Seconds()
	out.RSS, out.Anonymous = Memory(os.Getpid())
	return out
}

// CPU is this process's user and system CPU time so far (0 if it cannot
// be read): one system call, cheap enough to read often.
func CPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Memory reads a process's resident and anonymous memory from
// /proc/PID/smaps_rollup (zeros where it cannot).
func Memory(pid int) (rss, anon uint64) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/smaps_rollup")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseUint(f[1], 10, 64)
		switch f[0] {
		case "Rss:":
			rss = kb << 10
		case "Anonymous:":
			anon = kb << 10
		}
	}
	return rss, anon
}

// Client returns an HTTP client that talks to the stats socket of the
// sandbox in dir.
func Client(dir string) (*http.Client, error) {
	data, err := os.ReadFile(filepath.Join(dir, SocketFile))
	if err != nil {
		return nil, fmt.Errorf("procstats: the sandbox in %s serves no stats: %w", dir, err)
	}
	sock := strings.TrimSpace(string(data))
	return &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		},
	}}, nil
}

// Read takes one reading of the sandbox process in dir.
func Read(ctx context.Context, dir string) (Stats, error) {
	var s Stats
	c, err := Client(dir)
	if err != nil {
		return s, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://sandbox/stats", nil)
	if err != nil {
		return s, fmt.Errorf("procstats: %w", err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return s, fmt.Errorf("procstats: read stats of %s: %w", dir, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return s, errors.New("procstats: stats answered " + resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return s, fmt.Errorf("procstats: decode stats: %w", err)
	}
	return s, nil
}
