package server

import (
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// classHub fans dashboard messages out to the instructors' websockets of
// each class. Publishing never blocks: a dashboard that does not keep up
// is disconnected, and its page reconnects and gets a fresh snapshot.
type classHub struct {
	mu   sync.Mutex
	subs map[int64]map[*dashConn]struct{}
	n    atomic.Int64 // subscribers in all classes
}

func newClassHub() *classHub { return &classHub{subs: map[int64]map[*dashConn]struct{}{}} }

// dashConn is one dashboard's websocket.
type dashConn struct {
	ws   *websocket.Conn
	out  chan []byte
	done chan struct{}
	once sync.Once
}

const dashSendBuffer = 1024

func newDashConn(ws *websocket.Conn) *dashConn {
	return &dashConn{ws: ws, out: make(chan []byte, dashSendBuffer), done: make(chan struct{})}
}

func (c *dashConn) close() {
	c.once.Do(func() {
		close(c.done)
		_ = c.ws.Close()
	})
}

// send queues b, or closes a dashboard that fell too far behind.
func (c *dashConn) send(b []byte) {
	select {
	case c.out <- b:
	case <-c.done:
	default:
		c.close()
	}
}

// reader notices the page going away; dashboards send nothing the server
// acts on.
func (c *dashConn) reader() {
	defer c.close()
	c.ws.SetReadLimit(wsMaxMessage)
	_ = c.ws.SetReadDeadline(time.Now().Add(wsPongTimeout))
	c.ws.SetPongHandler(func(string) error { return c.ws.SetReadDeadline(time.Now().Add(wsPongTimeout)) })
	for {
		if _, _, err := c.ws.ReadMessage(); err != nil {
			return
		}
	}
}

func (c *dashConn) writer() {
	ping := time.NewTicker(wsPingPeriod)
	defer ping.Stop()
	defer c.close()
	for {
		select {
		case <-c.done:
			return
		case b := <-c.out:
			_ = c.ws.SetWriteDeadline(time.Now().Add(wsWriteWait))
			if c.ws.WriteMessage(websocket.TextMessage, b) != nil {
				return
			}
		case <-ping.C:
			if c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(wsWriteWait)) != nil {
				return
			}
		}
	}
}

func (h *classHub) subscribe(classID int64, c *dashConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.subs[classID]
	if m == nil {
		m = map[*dashConn]struct{}{}
		h.subs[classID] = m
	}
	if _, ok := m[c]; !ok {
		m[c] = struct{}{}
		h.n.Add(1)
	}
}

func (h *classHub) unsubscribe(classID int64, c *dashConn) {
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

// watching reports whether a dashboard of the class is open.
func (h *classHub) watching(classID int64) bool {
	if h.empty() {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[classID]) > 0
}

// publish sends msg (JSON) to every dashboard of the class.
func (h *classHub) publish(classID int64, msg any) {
	if h.empty() {
		return
	}
	h.mu.Lock()
	conns := make([]*dashConn, 0, len(h.subs[classID]))
	for c := range h.subs[classID] {
		conns = append(conns, c)
	}
	h.mu.Unlock()
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
	h.mu.Lock()
	var conns []*dashConn
	for _, m := range h.subs {
		for c := range m {
			conns = append(conns, c)
		}
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
}
