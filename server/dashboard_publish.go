package server

import (
	"context"
	"time"

	"github.com/kubelab/kubelab/store"
)

// cellMsg is a heat map cell update on the dashboard websocket.
type cellMsg struct {
	Type      string  `json:"type"` // "cell"
	User      int64   `json:"user"`
	Lab       string  `json:"lab"`
	Step      string  `json:"step"`
	State     string  `json:"state"`
	Score     float64 `json:"score"`
	MessageKo string  `json:"messageKo,omitempty"`
	MessageEn string  `json:"messageEn,omitempty"`
	// At is when the server published a verdict's cell (unix ms), for
	// latency figures.
	At int64 `json:"at,omitempty"`
}

type sandboxMsg struct {
	Type    string `json:"type"` // "sandbox"
	User    int64  `json:"user"`
	State   string `json:"state"`
	Message string `json:"message,omitempty"`
}

// userMsg is a dashboard message about one student: "roster" (they joined
// or left the class) or "quiz" (they answered a question).
type userMsg struct {
	Type string `json:"type"`
	User int64  `json:"user"`
}

// activityMsg is a student's latest activity (RFC 3339).
type activityMsg struct {
	Type string `json:"type"` // "activity"
	User int64  `json:"user"`
	At   string `json:"at"`
}

// rowMsg is a student's whole row of cells.
type rowMsg struct {
	Type  string    `json:"type"` // "row"
	User  int64     `json:"user"`
	Cells []cellMsg `json:"cells"`
}

// classNotify is the learner's hook (learner.send): the dashboards of the
// learner's classes follow their verdicts and sandbox states.
func (s *Server) classNotify(l *learner, msg liveMsg) {
	if s.class == nil || s.class.hub.empty() {
		return
	}
	if out := msg.forDashboard(l.user.ID); out != nil {
		s.publishToClasses(s.ctx, l.user.ID, out)
	}
}

// progressCell is a student's recorded progress on one step as a heat map
// cell, its message in both languages.
func (s *Server) progressCell(userID int64, p store.StepProgress) cellMsg {
	state, ko := s.cellOf("ko", userID, p.LabID, p.StepID, p, true)
	_, en := s.cellOf("en", userID, p.LabID, p.StepID, p, true)
	return cellMsg{Type: "cell", User: userID, Lab: p.LabID, Step: p.StepID, State: state, Score: p.Score, MessageKo: ko, MessageEn: en}
}

// publishRow sends a student's whole row (a reading step may have passed
// without a verdict).
func (s *Server) publishRow(userID int64) {
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	rows, err := s.cfg.Store.Progress(ctx, userID)
	if err != nil {
		return
	}
	cells := make([]cellMsg, 0, len(rows))
	for _, p := range rows {
		cells = append(cells, s.progressCell(userID, p))
	}
	s.publishToClasses(ctx, userID, rowMsg{Type: "row", User: userID, Cells: cells})
}

// progressChanged tells the dashboards of a learner's classes that their
// row may have changed without a verdict (opening a lab page passes its
// reading step).
func (s *Server) progressChanged(u store.User) {
	if u.Role != store.RoleLearner || s.class == nil || s.class.hub.empty() {
		return
	}
	go s.publishRow(u.ID)
}

// quizAnswered tells the dashboards of a learner's classes that their quiz
// results changed.
func (s *Server) quizAnswered(u store.User) {
	if u.Role != store.RoleLearner || s.class == nil || s.class.hub.empty() {
		return
	}
	go s.publishToClasses(s.ctx, u.ID, userMsg{Type: "quiz", User: u.ID})
}

// publishToClasses sends msg to the dashboards of every class of userID.
func (s *Server) publishToClasses(ctx context.Context, userID int64, msg any) {
	if s.class == nil || s.class.hub.empty() {
		return
	}
	for _, id := range s.memberClasses(ctx, userID) {
		s.class.hub.publish(id, msg)
	}
}
