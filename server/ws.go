package server

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/kubelab/kubelab/watch"
)

// Websocket limits: the page sends almost nothing; the server sends a
// snapshot, then small deltas.
const (
	wsMaxMessage  = 4 << 10
	wsSendBuffer  = 512
	wsWriteWait   = 10 * time.Second
	wsPingPeriod  = 25 * time.Second
	wsPongTimeout = 60 * time.Second
)

var upgrader = websocket.Upgrader{
	ReadBufferSize:  1024,
	WriteBufferSize: 16 << 10,
	// The default CheckOrigin refuses cross-origin pages: only our own
	// pages may open the stream.
	EnableCompression: true,
}

// wsConn is one page's websocket.
type wsConn struct {
	l    *learner
	ws   *websocket.Conn
	lang string

	out     chan []byte // user-level messages
	watcher chan *watch.Watcher
	done    chan struct{}
	once    sync.Once
}

func (c *wsConn) sendRaw(b []byte) {
	select {
	case c.out <- b:
	default: // a page that does not read loses user messages, never blocks the server
	}
}

// attach switches the stream to a (new) watcher: the page gets a snapshot.
func (c *wsConn) attach(w *watch.Watcher) {
	select {
	case c.watcher <- w:
	case <-c.done:
	}
}

func (c *wsConn) close() {
	c.once.Do(func() {
		close(c.done)
		_ = c.ws.Close()
	})
}

func (s *Server) websocket(w http.ResponseWriter, r *http.Request) {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader wrote the error
	}
	l := s.learnerFor(userOf(r))
	c := &wsConn{l: l, ws: ws, lang: lang(r), out: make(chan []byte, 64), watcher: make(chan *watch.Watcher, 1), done: make(chan struct{})}
	l.mu.Lock()
	l.conns[c] = struct{}{}
	l.lastPage = time.Now()
	wt := l.watcher
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		delete(l.conns, c)
		l.lastPage = time.Now()
		l.mu.Unlock()
		c.close()
	}()
	release := s.cfg.Provider.Hold(l.name) // an open page keeps the sandbox from freezing
	defer release()
	l.ensure()
	s.pageOpened(l) // hints that waited for a page (class mode)
	if b, err := json.Marshal(l.stateMessage()); err == nil {
		c.sendRaw(b)
	}
	// The verdicts graded before this page connected.
	for _, v := range l.currentVerdicts() {
		if b, err := json.Marshal(v); err == nil {
			c.sendRaw(b)
		}
	}
	if wt != nil {
		c.watcher <- wt
	}
	go c.reader()
	c.writer()
}

// reader only answers pings and notices the page going away; the page
// sends nothing else the server acts on.
func (c *wsConn) reader() {
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

type objMsg struct {
	Type string    `json:"type"`
	Seq  uint64    `json:"seq"`
	Obj  watch.Obj `json:"obj,omitempty"`
}

type snapshotMsg struct {
	Type    string      `json:"type"`
	Seq     uint64      `json:"seq"`
	Objects []watch.Obj `json:"objects"`
	// More counts, by kind, the objects left out of a snapshot bounded to
	// watch.MaxPerKind per kind.
	More map[string]int `json:"more,omitempty"`
}

// boundedSnapshot is the snapshot message of objs, at most
// watch.MaxPerKind objects of each kind.
func boundedSnapshot(seq uint64, objs []watch.Obj) snapshotMsg {
	objs, more := watch.Bound(objs, watch.MaxPerKind)
	return snapshotMsg{Type: "snapshot", Seq: seq, Objects: objs, More: more}
}

func (c *wsConn) writer() {
	ping := time.NewTicker(wsPingPeriod)
	defer ping.Stop()
	var sub *watch.Sub
	defer func() {
		if sub != nil {
			sub.Close()
		}
	}()
	var seq uint64
	var changes <-chan watch.Change
	var overflow <-chan struct{}
	write := func(v any) bool {
		_ = c.ws.SetWriteDeadline(time.Now().Add(wsWriteWait))
		return c.ws.WriteJSON(v) == nil
	}
	for {
		select {
		case <-c.done:
			return
		case w := <-c.watcher:
			if sub != nil {
				sub.Close()
			}
			var snap []watch.Obj
			snap, sub = w.Subscribe(wsSendBuffer)
			changes, overflow = sub.C(), sub.Overflowed()
			seq++
			if !write(boundedSnapshot(seq, snap)) {
				return
			}
		case ch, ok := <-changes:
			if !ok {
				changes = nil
				continue
			}
			seq++
			if !write(objMsg{Type: ch.Op, Seq: seq, Obj: ch.Obj}) {
				return
			}
		case <-overflow:
			// The page fell behind: drop the backlog, send the state anew.
			seq++
			if !write(boundedSnapshot(seq, sub.Resync())) {
				return
			}
		case b := <-c.out:
			b = c.localize(b)
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

// localize picks the page's language in verdict messages.
func (c *wsConn) localize(b []byte) []byte {
	if c.lang != "en" {
		return b
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil || m["type"] != "verdict" {
		return b
	}
	if h, ok := m["hintEn"]; ok {
		m["hint"] = h
	}
	if checks, ok := m["checks"].([]any); ok {
		for _, ch := range checks {
			if cm, ok := ch.(map[string]any); ok {
				cm["message"] = cm["messageEn"]
			}
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		return b
	}
	return out
}
