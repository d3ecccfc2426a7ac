package server

import (
	"time"

	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/sandbox"
	"github.com/kubelab/kubelab/text"
	"github.com/kubelab/kubelab/web"
)

// liveMsg is a message for a learner's open pages besides the cluster's
// objects (docs/stream.md). Its texts carry both languages: each page
// picks its own.
type liveMsg interface {
	// forDashboard is what the dashboards of the learner's classes make of
	// the message (nil: nothing).
	forDashboard(userID int64) any
}

// The texts of live messages, each made from a text.Text: the Korean text
// under the plain name (pages that read only that one), and each language
// under its own name (docs/stream.md).
type (
	checkText struct {
		Message   string `json:"message"`
		MessageKo string `json:"messageKo"`
		MessageEn string `json:"messageEn"`
	}
	hintText struct {
		Hint   string `json:"hint,omitempty"`
		HintKo string `json:"hintKo,omitempty"`
		HintEn string `json:"hintEn,omitempty"`
	}
	noteText struct {
		Note   string `json:"note,omitempty"`
		NoteKo string `json:"noteKo,omitempty"`
		NoteEn string `json:"noteEn,omitempty"`
	}
)

func checkTextOf(t text.Text) checkText {
	return checkText{Message: t.Ko, MessageKo: t.Ko, MessageEn: t.En}
}

func (c checkText) text() text.Text { return text.New(c.MessageKo, c.MessageEn) }

func hintTextOf(t text.Text) hintText { return hintText{Hint: t.Ko, HintKo: t.Ko, HintEn: t.En} }

func noteTextOf(t text.Text) noteText { return noteText{Note: t.Ko, NoteKo: t.Ko, NoteEn: t.En} }

// checkMsg is one check of a verdict.
type checkMsg struct {
	ID     string `json:"id"`
	Passed bool   `json:"passed"`
	checkText
}

// verdictMsg is a step's verdict. A held pass (PassedAt set) reads as
// passed; when the checker fails it now, Changed and the note say so.
type verdictMsg struct {
	Type     string     `json:"type"` // "verdict"
	Lab      string     `json:"lab"`
	Step     string     `json:"step"`
	Passed   bool       `json:"passed"`
	Score    float64    `json:"score"`
	Checks   []checkMsg `json:"checks"`
	PassedAt string     `json:"passedAt,omitempty"`
	Changed  bool       `json:"changed,omitempty"`
	noteText
	hintText
}

// verdictMessage is the verdict message of r. heldSince is when the step's
// held pass happened (zero if none).
func verdictMessage(lab string, r labs.StepResult, heldSince time.Time) verdictMsg {
	m := verdictMsg{Type: "verdict", Lab: lab, Step: r.ID, Passed: r.Passed, Score: r.Score, Checks: make([]checkMsg, 0, len(r.Checks))}
	for _, c := range r.Checks {
		m.Checks = append(m.Checks, checkMsg{ID: c.ID, Passed: c.Passed, checkText: checkTextOf(c.Message)})
	}
	if !heldSince.IsZero() {
		m.PassedAt = heldSince.UTC().Format(time.RFC3339)
		if !r.Passed {
			m.Passed, m.Score, m.Changed = true, 1, true
			m.noteText = noteTextOf(web.Text("status.changed"))
		}
	}
	return m
}

// withHint adds a check's hint to the verdict.
func (m verdictMsg) withHint(t text.Text) verdictMsg {
	m.hintText = hintTextOf(t)
	return m
}

// forDashboard is the verdict's heat map cell: failing checks' messages
// joined, in both languages.
func (m verdictMsg) forDashboard(userID int64) any {
	cm := cellMsg{Type: "cell", User: userID, Lab: m.Lab, Step: m.Step, State: "passed", Score: m.Score, At: time.Now().UnixMilli()}
	if m.Passed {
		return cm
	}
	cm.State = "failed"
	var failing []text.Text
	for _, c := range m.Checks {
		if !c.Passed {
			failing = append(failing, c.text())
		}
	}
	msg := text.Join("; ", failing...)
	cm.MessageKo, cm.MessageEn = msg.Ko, msg.En
	return cm
}

// stateMsg is the learner's sandbox state.
type stateMsg struct {
	Type    string        `json:"type"` // "sandbox"
	State   sandbox.State `json:"state"`
	Message string        `json:"message"`
	Backend string        `json:"backend"`
}

func (m stateMsg) forDashboard(userID int64) any {
	return sandboxMsg{Type: "sandbox", User: userID, State: string(m.State), Message: m.Message}
}

// hintMsg is an instructor's hint; dashboards do not show it.
type hintMsg struct {
	Type string `json:"type"` // "hint"
	Text string `json:"text"`
}

func (hintMsg) forDashboard(int64) any { return nil }
