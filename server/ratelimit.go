package server

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// failLimiter counts failures (wrong passwords, unknown join codes) per key
// in a sliding window and blocks a key that reached max of them until the
// oldest one leaves the window. It lives in memory: a restart forgets it.
type failLimiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu   sync.Mutex
	hits map[string][]time.Time
}

func newFailLimiter(max int, window time.Duration) *failLimiter {
	return &failLimiter{max: max, window: window, now: time.Now, hits: map[string][]time.Time{}}
}

// prune drops failures older than the window; call with mu held.
func (l *failLimiter) prune(key string, now time.Time) []time.Time {
	h := l.hits[key]
	i := 0
	for i < len(h) && now.Sub(h[i]) >= l.window {
		i++
	}
	h = h[i:]
	if len(h) == 0 {
		delete(l.hits, key)
		return nil
	}
	l.hits[key] = h
	return h
}

// retryAfter returns how long key stays blocked (0: not blocked).
func (l *failLimiter) retryAfter(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	h := l.prune(key, now)
	if len(h) < l.max {
		return 0
	}
	return h[len(h)-l.max].Add(l.window).Sub(now)
}

// fail records a failure of key.
func (l *failLimiter) fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.hits) > 100_000 { // a flood of distinct keys: forget the stale ones
		for k := range l.hits {
			l.prune(k, now)
		}
	}
	h := l.prune(key, now)
	if len(h) >= 4*l.max { // keep memory bounded for one hammering key
		h = h[len(h)-l.max:]
	}
	l.hits[key] = append(h, now)
}

// reset forgets key's failures (after a success).
func (l *failLimiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.hits, key)
}

// clientIP is the address the request came from (the TCP peer: proxies'
// X-Forwarded-For headers are not trusted).
func clientIP(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}
