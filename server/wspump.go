package server

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Websocket limits: pages send almost nothing; the server sends a snapshot,
// then small messages.
const (
	wsMaxMessage  = 4 << 10
	wsWriteWait   = 10 * time.Second
	wsPingPeriod  = 25 * time.Second
	wsPongTimeout = 60 * time.Second
)

var upgrader = websocket.Upgrader{
	ReadBufferSize:  1024,
	WriteBufferSize: 16 << 10,
	// The default CheckOrigin refuses cross-origin pages: only our own
	// pages may open a stream.
	EnableCompression: true,
}

// pump is one websocket's plumbing, shared by the page streams and the
// dashboards: a send queue drained by run, writes under a deadline (one at
// a time), pings, and a reader that takes the pongs and notices the peer
// going away. The peer sends nothing the server acts on.
type pump struct {
	ws *websocket.Conn
	// closeWhenFull says what send does when the queue is full: close the
	// connection (the peer reconnects and gets a fresh snapshot) or drop
	// the message.
	closeWhenFull bool
	out           chan []byte
	done          chan struct{}
	once          sync.Once
	wmu           sync.Mutex // one writer at a time
}

func newPump(ws *websocket.Conn, queue int, closeWhenFull bool) *pump {
	return &pump{ws: ws, closeWhenFull: closeWhenFull, out: make(chan []byte, queue), done: make(chan struct{})}
}

// close closes the connection once; run, read and the senders stop.
func (p *pump) close() {
	p.once.Do(func() {
		close(p.done)
		_ = p.ws.Close()
	})
}

// send queues b without ever blocking the caller.
func (p *pump) send(b []byte) {
	select {
	case p.out <- b:
	case <-p.done:
	default:
		if p.closeWhenFull {
			p.close()
		}
	}
}

// write writes b now (under the write deadline); false when the
// connection failed.
func (p *pump) write(b []byte) bool {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	_ = p.ws.SetWriteDeadline(time.Now().Add(wsWriteWait))
	return p.ws.WriteMessage(websocket.TextMessage, b) == nil
}

// writeJSON writes v as JSON now.
func (p *pump) writeJSON(v any) bool {
	b, err := json.Marshal(v)
	return err == nil && p.write(b)
}

// read takes pongs and discards what the peer sends until it goes away,
// then closes the connection.
func (p *pump) read() {
	defer p.close()
	p.ws.SetReadLimit(wsMaxMessage)
	_ = p.ws.SetReadDeadline(time.Now().Add(wsPongTimeout))
	p.ws.SetPongHandler(func(string) error { return p.ws.SetReadDeadline(time.Now().Add(wsPongTimeout)) })
	for {
		if _, _, err := p.ws.ReadMessage(); err != nil {
			return
		}
	}
}

// run writes the queued messages and pings until the connection closes.
func (p *pump) run() {
	ping := time.NewTicker(wsPingPeriod)
	defer ping.Stop()
	defer p.close()
	for {
		select {
		case <-p.done:
			return
		case b := <-p.out:
			if !p.write(b) {
				return
			}
		case <-ping.C:
			if p.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(wsWriteWait)) != nil {
				return
			}
		}
	}
}

// serve runs the connection until it closes: the reader in the background,
// the writer here.
func (p *pump) serve() {
	go p.read()
	p.run()
}
