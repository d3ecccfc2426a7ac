package history

import (
	"errors"
	"fmt"
	"strings"
)

// Kinds of mark.
const (
	// MarkCommand is a console command the learner ran.
	MarkCommand = "command"
	// MarkApply is a YAML apply from the learner's editor.
	MarkApply = "apply"
	// MarkVerdict is a change of a lab step's verdict.
	MarkVerdict = "verdict"
	// MarkRewind is a restore of the cluster to a step's snapshot.
	MarkRewind = "rewind"
)

// maxMarkText bounds a mark's text (a long command or a large apply).
const maxMarkText = 300

// Mark is a moment worth pointing at on the scrubber: something the learner
// did, or a step's verdict changing.
type Mark struct {
	At   int64  `json:"at"` // Unix milliseconds (the entry's time)
	Kind string `json:"kind"`
	// Text is the command line, the applied objects ("Deployment
	// default/web"), or the step's title.
	Text string `json:"text,omitempty"`
	// Lab and Step name the step of a verdict or rewind mark.
	Lab  string `json:"lab,omitempty"`
	Step string `json:"step,omitempty"`
	// Passed is a verdict mark's new verdict.
	Passed bool `json:"passed,omitempty"`
	// Failed reports a command that exited non-zero or an apply refused.
	Failed bool `json:"failed,omitempty"`
}

// AddMark records a mark (its At is set to now if zero).
func (l *Log) AddMark(m Mark) error {
	switch m.Kind {
	case MarkCommand, MarkApply, MarkVerdict, MarkRewind:
	default:
		return fmt.Errorf("history: unknown mark kind %q", m.Kind)
	}
	if len(m.Text) > maxMarkText {
		m.Text = strings.ToValidUTF8(m.Text[:maxMarkText], "") + "…"
	}
	at := m.At
	m.At = 0 // the entry's time is the mark's
	return l.Append(Entry{At: at, Op: "mark", Mark: &m})
}

// ErrBadRange is returned for a range whose end is before its start.
var ErrBadRange = errors.New("history: the range ends before it starts")

// Marks returns the kept marks from Unix millisecond from to to, both
// included (to <= 0: up to now), oldest first.
func (l *Log) Marks(from, to int64) ([]Mark, error) {
	if to > 0 && to < from {
		return nil, ErrBadRange
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	out := []Mark{}
	for _, ln := range l.entries {
		if ln.op != "mark" || ln.at < from || (to > 0 && ln.at > to) {
			continue
		}
		e := ln.entry()
		if e.Mark == nil {
			continue
		}
		m := *e.Mark
		m.At = e.At
		out = append(out, m)
	}
	return out, nil
}
