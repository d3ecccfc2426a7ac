package server

import (
	"encoding/json"
	"sync"
	"sync/atomic"

	"github.com/gorilla/websocket"
)

// classHub fans dashboard messages out to the instructors' websockets of
// each class. Publishing never blocks: a dashboard that does not keep up
// is disconnected, and its page reconnects and gets a fresh snapshot.
type classHub struct {
	mu   sync.Mutex
	subs map[int64]map[*pump]struct{}
	n    atomic.Int64 // subscribers in all classes
}

func newClassHub() *classHub { return &classHub{subs: map[int64]map[*pump]struct{}{}} }

// dashSendBuffer is how many messages a dashboard may fall behind before
// it is disconnected.
const dashSendBuffer = 1024

// newDashConn is one dashboard's websocket.
func newDashConn(ws *websocket.Conn) *pump { return newPump(ws, dashSendBuffer, true) }

func (h *classHub) subscribe(classID int64, c *pump) {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.subs[classID]
	if m == nil {
		m = map[*pump]struct{}{}
		h.subs[classID] = m
	}
	if _, ok := m[c]; !ok {
		m[c] = struct{}{}
		h.n.Add(1)
	}
}

func (h *classHub) unsubscribe(classID int64, c *pump) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if m := h.subs[classID]; m != nil {
		if _, ok := m[c]; ok {
			delete(m, c)
			h.n.Add(-1)
		}
		if len(m) == 0 {
			delete(h.subs, classID)
		}
	}
}

// empty reports whether no dashboard is open at all (the hooks then skip
// their work).
func (h *classHub) empty() bool { return h == nil || h.n.Load() == 0 }

// conns returns the dashboards of one class, or of every class when all.
func (h *classHub) conns(classID int64, all bool) []*pump {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*pump
	add := func(m map[*pump]struct{}) {
		for c := range m {
			out = append(out, c)
		}
	}
	if !all {
		add(h.subs[classID])
		return out
	}
	for _, m := range h.subs {
		add(m)
	}
	return out
}

// publish sends msg (JSON) to every dashboard of the class.
func (h *classHub) publish(classID int64, msg any) {
	if h.empty() {
		return
	}
	conns := h.conns(classID, false)
	if len(conns) == 0 {
		return
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return
	}
	for _, c := range conns {
		c.send(b)
	}
}

// closeAll disconnects every dashboard (the server stops).
func (h *classHub) closeAll() {
	for _, c := range h.conns(0, true) {
		c.close()
	}
}
