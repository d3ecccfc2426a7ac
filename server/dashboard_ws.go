package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/kubelab/kubelab/store"
)

// dashSnapshot is the first message of a dashboard websocket: every cell
// and sandbox of the class now.
type dashSnapshot struct {
	Type      string                `json:"type"` // "snapshot"
	Cells     []cellMsg             `json:"cells"`
	Sandboxes map[string]sandboxMsg `json:"sandboxes"`
	Students  []int64               `json:"students"`
}

func (s *Server) dashboardSnapshot(ctx context.Context, c store.Class) (dashSnapshot, error) {
	d, err := s.loadClassData(ctx, c)
	if err != nil {
		return dashSnapshot{}, err
	}
	snap := dashSnapshot{Type: "snapshot", Cells: []cellMsg{}, Sandboxes: map[string]sandboxMsg{}, Students: []int64{}}
	for _, m := range d.members {
		snap.Students = append(snap.Students, m.UserID)
		st, msg := s.sandboxOf(m.UserID, d.sandboxes)
		snap.Sandboxes[strconv.FormatInt(m.UserID, 10)] = sandboxMsg{Type: "sandbox", User: m.UserID, State: st, Message: msg}
		for _, p := range d.progress[m.UserID] {
			snap.Cells = append(snap.Cells, s.progressCell(m.UserID, p))
		}
	}
	return snap, nil
}

// dashboardWS streams a class's changes to its dashboard: a snapshot, then
// cell, sandbox, activity, roster and quiz messages. It accepts no actions.
func (s *Server) dashboardWS(w http.ResponseWriter, r *http.Request, c store.Class) {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	dc := newDashConn(ws)
	s.class.hub.subscribe(c.ID, dc)
	defer func() {
		s.class.hub.unsubscribe(c.ID, dc)
		dc.close()
	}()
	// Subscribed first: what changes while the snapshot is read arrives
	// after it, or is already in it.
	snap, err := s.dashboardSnapshot(r.Context(), c)
	if err != nil {
		s.log.Warn("dashboard snapshot", "err", err)
		return
	}
	b, _ := json.Marshal(snap)
	dc.send(b)
	dc.serve()
}
