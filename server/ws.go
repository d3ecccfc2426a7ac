package server

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/kubelab/kubelab/watch"
)

// Page streams: how many messages a page's queue holds (past it, a page
// that does not read loses them; it never blocks the server) and how far
// the cluster's changes may run ahead of the page before it gets a fresh
// snapshot instead.
const (
	wsQueue      = 64
	wsSendBuffer = 512
)

// wsConn is one page's websocket: the learner's own page, or an
// instructor's read-only view of a student (viewer).
type wsConn struct {
	*pump
	l      *learner
	viewer bool

	watcher chan *watch.Watcher
}

// openStream upgrades the request to l's page stream and registers it with
// the learner; nil when the upgrade failed (the upgrader answered).
func openStream(w http.ResponseWriter, r *http.Request, l *learner, viewer bool) *wsConn {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return nil
	}
	c := &wsConn{pump: newPump(ws, wsQueue, false), l: l, viewer: viewer, watcher: make(chan *watch.Watcher, 1)}
	l.mu.Lock()
	l.conns[c] = struct{}{}
	if !viewer {
		l.lastPage = time.Now()
	}
	if l.watcher != nil {
		c.watcher <- l.watcher
	}
	l.mu.Unlock()
	return c
}

// closeStream unregisters c from its learner and closes it.
func (c *wsConn) closeStream() {
	l := c.l
	l.mu.Lock()
	delete(l.conns, c)
	if !c.viewer {
		l.lastPage = time.Now()
	}
	l.mu.Unlock()
	c.close()
}

// sendJSON queues v for the page.
func (c *wsConn) sendJSON(v any) {
	if b, err := json.Marshal(v); err == nil {
		c.send(b)
	}
}

// attach switches the stream to a (new) watcher: the page gets a snapshot.
func (c *wsConn) attach(w *watch.Watcher) {
	select {
	case c.watcher <- w:
	case <-c.done:
	}
}

// serveStream runs the page's stream until it closes: the queue and pings
// (pump), and the cluster's snapshots and changes.
func (c *wsConn) serveStream() {
	go c.stream()
	c.serve()
}

// websocket is the learner's page stream (docs/stream.md).
func (s *Server) websocket(w http.ResponseWriter, r *http.Request) {
	l := s.learnerFor(userOf(r))
	c := openStream(w, r, l, false)
	if c == nil {
		return
	}
	defer c.closeStream()
	release := s.cfg.Provider.Hold(l.name) // an open page keeps the sandbox from freezing
	defer release()
	l.ensure()
	s.pageOpened(l) // hints that waited for a page (class mode)
	c.sendJSON(l.stateMessage())
	// The verdicts graded before this page connected.
	for _, v := range l.currentVerdicts() {
		c.sendJSON(v)
	}
	c.serveStream()
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

// stream writes the cluster to the page: a snapshot of each watcher
// attached, then its changes; a fresh snapshot when the page fell behind.
// A write that fails closes the connection.
func (c *wsConn) stream() {
	defer c.close()
	var sub *watch.Sub
	defer func() {
		if sub != nil {
			sub.Close()
		}
	}()
	var seq uint64
	var changes <-chan watch.Change
	var overflow <-chan struct{}
	for {
		var (
			msg any
			raw []byte // msg already encoded
		)
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
			msg = boundedSnapshot(seq, snap)
		case ch, ok := <-changes:
			if !ok {
				changes = nil
				continue
			}
			seq++
			b, err := ch.Encoded()
			if err != nil {
				return // as a message that cannot be encoded ended the stream before
			}
			raw = changeMessage(ch.Op, seq, b)
		case <-overflow:
			// The page fell behind: drop the backlog, send the state anew.
			seq++
			msg = boundedSnapshot(seq, sub.Resync())
		}
		var sent bool
		if raw != nil {
			sent = c.write(raw)
		} else {
			sent = c.writeJSON(msg)
		}
		if !sent {
			return
		}
	}
}

// changeMessage is a change's message, {"type": op, "seq": seq, "obj": ...}
// (docs/stream.md), written around its object's JSON, which the watcher
// encoded once for every page and the history.
func changeMessage(op string, seq uint64, obj []byte) []byte {
	b := make([]byte, 0, len(obj)+48)
	b = append(b, `{"type":`...)
	b = strconv.AppendQuote(b, op)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, `,"obj":`...)
	b = append(b, obj...)
	return append(b, '}')
}
