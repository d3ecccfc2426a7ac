package server

import (
	"context"
	"fmt"
	"strings"
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
	// At is when the server published it (unix ms), for latency figures.
	At int64 `json:"at"`
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

// classNotify is the learner's hook (learner.send): verdicts and sandbox
// states the learner's pages get also go to their classes' dashboards.
func (s *Server) classNotify(l *learner, msg any) {
	if s.class == nil || s.class.hub.empty() {
		return
	}
	m, ok := msg.(map[string]any)
	if !ok {
		return
	}
	var out any
	switch m["type"] {
	case "verdict":
		cm := cellMsg{Type: "cell", User: l.user.ID, At: time.Now().UnixMilli(), State: "failed"}
		cm.Lab, _ = m["lab"].(string)
		cm.Step, _ = m["step"].(string)
		cm.Score, _ = m["score"].(float64)
		if passed, _ := m["passed"].(bool); passed {
			cm.State = "passed"
		}
		if checks, ok := m["checks"].([]map[string]any); ok && cm.State == "failed" {
			var ko, en []string
			for _, c := range checks {
				if p, _ := c["passed"].(bool); p {
					continue
				}
				if t, _ := c["messageKo"].(string); t != "" {
					ko = append(ko, t)
				}
				if t, _ := c["messageEn"].(string); t != "" {
					en = append(en, t)
				}
			}
			cm.MessageKo, cm.MessageEn = strings.Join(ko, "; "), strings.Join(en, "; ")
		}
		out = cm
	case "sandbox":
		sm := sandboxMsg{Type: "sandbox", User: l.user.ID}
		sm.State = fmt.Sprint(m["state"])
		sm.Message, _ = m["message"].(string)
		out = sm
	default:
		return
	}
	s.publishToClasses(s.ctx, l.user.ID, out)
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
		state, ko := s.cellOf("ko", userID, p.LabID, p.StepID, p, true)
		_, en := s.cellOf("en", userID, p.LabID, p.StepID, p, true)
		cells = append(cells, cellMsg{Type: "cell", User: userID, Lab: p.LabID, Step: p.StepID, State: state, Score: p.Score,
			MessageKo: ko, MessageEn: en})
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
