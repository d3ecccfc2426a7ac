package server

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kubelab/kubelab/sandbox"
	"github.com/kubelab/kubelab/store"
	"github.com/kubelab/kubelab/watch"
	"github.com/kubelab/kubelab/web"
)

// classData is what a dashboard shows, read once per page or snapshot.
type classData struct {
	class     store.Class
	members   []store.Member
	progress  map[int64]map[string]store.StepProgress // user -> lab/step -> progress
	sandboxes map[int64]store.Sandbox
}

func (s *Server) loadClassData(ctx context.Context, c store.Class) (classData, error) {
	d := classData{class: c, progress: map[int64]map[string]store.StepProgress{}}
	var err error
	if d.members, err = s.cfg.Store.Members(ctx, c.ID); err != nil {
		return d, err
	}
	rows, err := s.cfg.Store.ClassProgress(ctx, c.ID)
	if err != nil {
		return d, err
	}
	for _, p := range rows {
		m := d.progress[p.UserID]
		if m == nil {
			m = map[string]store.StepProgress{}
			d.progress[p.UserID] = m
		}
		m[p.LabID+"/"+p.StepID] = p
	}
	d.sandboxes, err = s.cfg.Store.ClassSandboxes(ctx, c.ID)
	return d, err
}

// peekLearner returns the live state of a user if the server has any,
// without creating it.
func (s *Server) peekLearner(userID int64) *learner {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.learners[userID]
}

// sandboxOf is a student's sandbox state and its detail: the live one if
// the server holds the learner, else the last one recorded ("" if none).
func (s *Server) sandboxOf(userID int64, recorded map[int64]store.Sandbox) (string, string) {
	if l := s.peekLearner(userID); l != nil {
		st, msg, _, _ := l.snapshot()
		return string(st), msg
	}
	if sb, ok := recorded[userID]; ok {
		return string(sb.State), sb.Message
	}
	return "", ""
}

// cellOf is the state and message of one heat map cell: the learner's live
// verdict (both languages) when the server holds it, else the recorded one.
func (s *Server) cellOf(lg string, userID int64, lab, step string, p store.StepProgress, seen bool) (string, string) {
	if !seen {
		return "pending", ""
	}
	if p.Passed {
		return "passed", ""
	}
	if l := s.peekLearner(userID); l != nil {
		if v := l.lastVerdict(lab, step); v != nil && v.Passed == p.Passed {
			return "failed", strings.Join(v.Messages(lg), "; ")
		}
	}
	return "failed", p.LastMessage
}

// Heat map column filters besides a lab id.
const (
	labsInUse = ""    // the labs any student of the class has opened (all if none)
	labsAll   = "all" // every lab
)

// heatLabs are the heat map's columns in course order: one lab, every lab,
// or the labs in use in the class.
func (s *Server) heatLabs(lg, filter string, d classData) []web.HeatLab {
	used := map[string]bool{}
	if filter == labsInUse {
		for _, m := range d.members {
			for key := range d.progress[m.UserID] {
				lab, _, _ := strings.Cut(key, "/")
				used[lab] = true
			}
		}
		if len(used) == 0 {
			filter = labsAll
		}
	}
	var out []web.HeatLab
	for _, lab := range s.cfg.Catalog.Labs {
		switch filter {
		case labsAll:
		case labsInUse:
			if !used[lab.ID] {
				continue
			}
		default:
			if lab.ID != filter {
				continue
			}
		}
		hl := web.HeatLab{ID: lab.ID, Title: lab.Title.In(lg)}
		for _, st := range lab.Steps {
			hl.Steps = append(hl.Steps, web.HeatStep{ID: st.ID, Title: st.Title.In(lg), Graded: st.Graded()})
		}
		out = append(out, hl)
	}
	return out
}

func (s *Server) heatRow(lg string, d classData, m store.Member, cols []web.HeatLab) web.HeatRow {
	row := web.HeatRow{UserID: m.UserID, Name: m.DisplayName, LastSeen: m.LastSeenAt}
	row.Sandbox, row.SandboxMessage = s.sandboxOf(m.UserID, d.sandboxes)
	prog := d.progress[m.UserID]
	for _, lab := range cols {
		for _, st := range lab.Steps {
			p, seen := prog[lab.ID+"/"+st.ID]
			state, msg := s.cellOf(lg, m.UserID, lab.ID, st.ID, p, seen)
			row.Total++
			if state == "passed" {
				row.Passed++
			}
			row.Cells = append(row.Cells, web.HeatCell{Lab: lab.ID, Step: st.ID, State: state, Message: msg,
				Name: web.CellName(lab.Title, st.Title), Title: web.CellTitle(lg, lab.Title, st.Title, state, msg)})
		}
	}
	return row
}

func (s *Server) heatRows(lg string, d classData, cols []web.HeatLab) []web.HeatRow {
	rows := make([]web.HeatRow, 0, len(d.members))
	for _, m := range d.members {
		rows = append(rows, s.heatRow(lg, d, m, cols))
	}
	return rows
}

// labFilter is the ?lab= of a dashboard request: a lab id, "all", or ""
// (the labs in use).
func (s *Server) labFilter(r *http.Request) string {
	if id := r.URL.Query().Get("lab"); id == labsAll || s.cfg.Catalog.Lab(id) != nil {
		return id
	}
	return labsInUse
}

// completionPlot draws the class's first passes over time.
func (s *Server) completionPlot(lg string, d classData, cols []web.HeatLab) web.CompletionPlot {
	steps := 0
	in := map[string]bool{}
	for _, lab := range cols {
		for _, st := range lab.Steps {
			in[lab.ID+"/"+st.ID] = true
			steps++
		}
	}
	var passes []time.Time
	for _, m := range d.members {
		for key, p := range d.progress[m.UserID] {
			if in[key] && !p.FirstPassedAt.IsZero() {
				passes = append(passes, p.FirstPassedAt)
			}
		}
	}
	return web.NewCompletionPlot(lg, passes, d.class.CreatedAt, time.Now(), steps*len(d.members))
}

// quizStats are the class's quiz results in course order.
func (s *Server) quizStats(ctx context.Context, lg string, classID int64) []web.QuizStat {
	stats, err := s.cfg.Store.ClassQuizStats(ctx, classID)
	if err != nil {
		s.log.Warn("quiz stats", "err", err)
		return nil
	}
	by := map[string]store.QuestionStats{}
	for _, q := range stats {
		by[q.QuizID+"/"+q.QuestionID] = q
	}
	var out []web.QuizStat
	for _, id := range s.cfg.Quizzes.IDs() {
		q := s.cfg.Quizzes.Quiz(id)
		qs := web.QuizStat{ID: q.ID, Title: q.Title.In(lg)}
		for _, qu := range q.Questions {
			st, ok := by[q.ID+"/"+qu.ID]
			if !ok {
				continue
			}
			text := map[string]string{}
			for _, c := range qu.Choices {
				text[c.ID] = c.Text.In(lg)
			}
			view := web.QuestionStat{ID: qu.ID, Prompt: qu.Prompt.In(lg), Total: st.Total, Correct: st.Correct}
			for _, a := range st.Answers {
				t, ok := text[a.Answer]
				if !ok {
					t = a.Answer
				}
				pct := 0
				if st.Total > 0 {
					pct = a.Count * 100 / st.Total
				}
				view.Answers = append(view.Answers, web.AnswerStat{Text: t, Correct: a.Correct, Count: a.Count, Percent: pct})
			}
			qs.Questions = append(qs.Questions, view)
		}
		if len(qs.Questions) > 0 {
			out = append(out, qs)
		}
	}
	return out
}

var dashNotices = map[string]string{"closed": "dash.notice.closed", "ended": "dash.notice.ended", "removed": "dash.notice.removed",
	"reset": "student.notice.reset", "hint": "student.notice.hint", "hint_empty": "student.notice.hint_empty",
	"seats": "dash.notice.seats", "signout": "student.notice.signout",
	"zone_failed": "dash.notice.zone_failed", "zone_recovered": "dash.notice.zone_recovered"}

func notice(r *http.Request) string {
	if k, ok := dashNotices[r.URL.Query().Get("done")]; ok {
		return web.T(lang(r), k)
	}
	return ""
}

// dashboard is a class's live dashboard.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	c, ok := s.ownedClass(w, r)
	if !ok {
		return
	}
	lg := lang(r)
	d, err := s.loadClassData(r.Context(), c)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	only := s.labFilter(r)
	cols := s.heatLabs(lg, only, d)
	v := web.DashboardView{Page: s.publicPage(r, c.Name), Class: s.classSummary(r, c, len(d.members)), Labs: cols, Lab: only,
		Rows: s.heatRows(lg, d, cols), Quizzes: s.quizStats(r.Context(), lg, c.ID), Plot: s.completionPlot(lg, d, cols), Notice: notice(r)}
	v.WarmReady, v.WarmStarting = s.cfg.Provider.WarmStatus()
	v.Zones = s.cfg.Zones
	for _, lab := range s.cfg.Catalog.Labs {
		v.LabOptions = append(v.LabOptions, web.LabOption{ID: lab.ID, Title: lab.Title.In(lg)})
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, web.DashboardPage(v))
}

// heatmapFragment is the heat map table alone (the roster or the labs in
// use changed).
func (s *Server) heatmapFragment(w http.ResponseWriter, r *http.Request) {
	c, ok := s.ownedClass(w, r)
	if !ok {
		return
	}
	lg := lang(r)
	d, err := s.loadClassData(r.Context(), c)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	cols := s.heatLabs(lg, s.labFilter(r), d)
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, web.HeatTable(lg, c.ID, cols, s.heatRows(lg, d, cols)))
}

// quizFragment is the quiz results alone (an answer came in).
func (s *Server) quizFragment(w http.ResponseWriter, r *http.Request) {
	c, ok := s.ownedClass(w, r)
	if !ok {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, web.QuizStats(lang(r), s.quizStats(r.Context(), lang(r), c.ID)))
}

// completionSVG is the completion plot alone.
func (s *Server) completionSVG(w http.ResponseWriter, r *http.Request) {
	c, ok := s.ownedClass(w, r)
	if !ok {
		return
	}
	lg := lang(r)
	d, err := s.loadClassData(r.Context(), c)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, web.CompletionSVG(lg, s.completionPlot(lg, d, s.heatLabs(lg, s.labFilter(r), d))))
}

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

// dashSnapshot is the first message of a dashboard websocket: every cell
// and sandbox of the class now.
type dashSnapshot struct {
	Type      string                `json:"type"` // "snapshot"
	Cells     []snapCell            `json:"cells"`
	Sandboxes map[string]sandboxMsg `json:"sandboxes"`
	Students  []int64               `json:"students"`
}

type snapCell struct {
	User    int64  `json:"user"`
	Lab     string `json:"lab"`
	Step    string `json:"step"`
	State   string `json:"state"`
	Message string `json:"message,omitempty"`
}

func (s *Server) dashboardSnapshot(ctx context.Context, lg string, c store.Class) (dashSnapshot, error) {
	d, err := s.loadClassData(ctx, c)
	if err != nil {
		return dashSnapshot{}, err
	}
	snap := dashSnapshot{Type: "snapshot", Cells: []snapCell{}, Sandboxes: map[string]sandboxMsg{}, Students: []int64{}}
	for _, m := range d.members {
		snap.Students = append(snap.Students, m.UserID)
		st, msg := s.sandboxOf(m.UserID, d.sandboxes)
		snap.Sandboxes[strconv.FormatInt(m.UserID, 10)] = sandboxMsg{Type: "sandbox", User: m.UserID, State: st, Message: msg}
		for key, p := range d.progress[m.UserID] {
			lab, step, _ := strings.Cut(key, "/")
			state, text := s.cellOf(lg, m.UserID, lab, step, p, true)
			snap.Cells = append(snap.Cells, snapCell{User: m.UserID, Lab: lab, Step: step, State: state, Message: text})
		}
	}
	return snap, nil
}

// dashboardWS streams a class's changes to its dashboard: a snapshot, then
// cell, sandbox, activity, roster and quiz messages. It accepts no actions.
func (s *Server) dashboardWS(w http.ResponseWriter, r *http.Request) {
	c, ok := s.ownedClass(w, r)
	if !ok {
		return
	}
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
	snap, err := s.dashboardSnapshot(r.Context(), lang(r), c)
	if err != nil {
		s.log.Warn("dashboard snapshot", "err", err)
		return
	}
	b, _ := json.Marshal(snap)
	dc.send(b)
	go dc.reader()
	dc.writer()
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
	s.publishToClasses(ctx, userID, map[string]any{"type": "row", "user": userID, "cells": cells})
}

// studentPage is one student for their instructor.
func (s *Server) studentPage(w http.ResponseWriter, r *http.Request) {
	c, u, ok := s.classStudent(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	lg := lang(r)
	d, err := s.loadClassData(ctx, c)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	var member store.Member
	for _, m := range d.members {
		if m.UserID == u.ID {
			member = m
		}
	}
	cols := s.heatLabs(lg, labsAll, d)
	v := web.StudentView{Page: s.publicPage(r, u.DisplayName), Class: s.classSummary(r, c, len(d.members)), Labs: cols,
		Row: s.heatRow(lg, d, member, cols), JoinedAt: member.JoinedAt, Notice: notice(r)}
	if entries, err := s.cfg.Store.ConsoleHistory(ctx, u.ID, 200); err == nil {
		for i := len(entries) - 1; i >= 0; i-- {
			e := entries[i]
			v.Console = append(v.Console, web.ConsoleLine{Command: e.Command, ExitCode: e.ExitCode, Output: e.Output, At: e.StartedAt})
		}
	}
	if hints, err := s.cfg.Store.Hints(ctx, u.ID, 50); err == nil {
		for _, h := range hints {
			v.Hints = append(v.Hints, web.HintLine{Text: h.Text, At: h.CreatedAt, Read: !h.ReadAt.IsZero()})
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, web.StudentPage(v))
}

// studentWS streams a student's cluster to their instructor read-only: the
// same snapshot and delta messages as the student's /ws, plus their sandbox
// states and verdicts. It never starts the sandbox and accepts no actions.
func (s *Server) studentWS(w http.ResponseWriter, r *http.Request) {
	_, u, ok := s.classStudent(w, r)
	if !ok {
		return
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	l := s.learnerFor(u)
	c := &wsConn{l: l, ws: ws, lang: lang(r), out: make(chan []byte, 64), watcher: make(chan *watch.Watcher, 1), done: make(chan struct{})}
	s.class.mu.Lock()
	s.class.viewers[c] = struct{}{}
	s.class.mu.Unlock()
	l.mu.Lock()
	l.conns[c] = struct{}{}
	wt := l.watcher
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		delete(l.conns, c)
		l.mu.Unlock()
		s.class.mu.Lock()
		delete(s.class.viewers, c)
		s.class.mu.Unlock()
		c.close()
	}()
	// The instructor's view keeps a frozen sandbox awake (it never starts
	// a stopped one).
	release := s.cfg.Provider.Hold(l.name)
	defer release()
	if st, _, _, _ := l.snapshot(); st == sandbox.StateFrozen {
		l.ensure()
	}
	if b, err := json.Marshal(l.stateMessage()); err == nil {
		c.sendRaw(b)
	}
	if wt != nil {
		c.watcher <- wt
	}
	go c.reader()
	c.writer()
}

// redirectTo answers a dashboard form: back to path with ?done=what.
func redirectTo(w http.ResponseWriter, r *http.Request, path, what string) {
	http.Redirect(w, r, path+"?done="+what, http.StatusSeeOther)
}

// closeClass closes the class to new members.
func (s *Server) closeClass(w http.ResponseWriter, r *http.Request) {
	c, ok := s.ownedClass(w, r)
	if !ok {
		return
	}
	s.rewarm() // the warm loop looks again shortly after
	if err := s.cfg.Store.CloseClass(r.Context(), c.ID); err != nil {
		s.internalError(w, r, err)
		return
	}
	redirectTo(w, r, classPath(c.ID), "closed")
}

// stopStudentSandbox stops a student's sandbox, keeping its state: the
// student's next visit resumes it. whyKey is the UI string that says why,
// in the student's language.
func (s *Server) stopStudentSandbox(ctx context.Context, u store.User, whyKey string) {
	why := web.T(u.Locale, whyKey)
	name := sandboxName(u)
	l := s.peekLearner(u.ID)
	if l != nil {
		l.stopWatch()
	}
	err := s.cfg.Provider.Stop(ctx, name)
	if errors.Is(err, sandbox.ErrNotFound) && l == nil {
		return // never had one
	}
	if err != nil && !errors.Is(err, sandbox.ErrNotFound) {
		s.log.Warn("stop sandbox", "user", u.ID, "err", err)
	}
	_, _ = s.cfg.Store.UpsertSandbox(ctx, store.Sandbox{UserID: u.ID, Name: name, Backend: s.cfg.Provider.Name(),
		State: store.SandboxStopped, Message: why})
	if l != nil {
		l.mu.Lock()
		l.state, l.message = sandbox.StateStopped, why
		l.mu.Unlock()
		l.broadcastState()
		return
	}
	s.publishToClasses(ctx, u.ID, sandboxMsg{Type: "sandbox", User: u.ID, State: string(sandbox.StateStopped), Message: why})
}

// forEachStudent runs f for each learner among members, four at a time,
// and returns when all are done.
func (s *Server) forEachStudent(ctx context.Context, members []store.Member, f func(u store.User)) {
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for _, m := range members {
		u, err := s.cfg.Store.UserByID(ctx, m.UserID)
		if err != nil || u.Role != store.RoleLearner {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			f(u)
		}()
	}
	wg.Wait()
}

// endSandboxes stops every sandbox of the class's students (a few at a
// time).
func (s *Server) endSandboxes(w http.ResponseWriter, r *http.Request) {
	c, ok := s.ownedClass(w, r)
	if !ok {
		return
	}
	members, err := s.cfg.Store.Members(r.Context(), c.ID)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, 2*time.Minute)
	defer cancel()
	s.forEachStudent(ctx, members, func(u store.User) { s.stopStudentSandbox(ctx, u, "dash.sbx_ended") })
	s.log.Info("class sandboxes ended", "class", c.ID, "students", len(members))
	redirectTo(w, r, classPath(c.ID), "ended")
}

// resetStudent deletes a student's sandbox and starts a fresh one.
func (s *Server) resetStudent(w http.ResponseWriter, r *http.Request) {
	c, u, ok := s.classStudent(w, r)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 60*time.Second)
	defer cancel()
	if err := s.learnerFor(u).reset(ctx); err != nil {
		s.internalError(w, r, err)
		return
	}
	redirectTo(w, r, classPath(c.ID, "/students/", strconv.FormatInt(u.ID, 10)), "reset")
}

// cleanHint keeps a hint's lines, drops control characters, and returns
// "" if nothing or too much is left.
func cleanHint(text string) string {
	text = strings.Map(func(r rune) rune {
		if r == '\n' {
			return r
		}
		if r == '\t' {
			return ' '
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, strings.ReplaceAll(text, "\r\n", "\n"))
	text = strings.TrimSpace(text)
	if text == "" || utf8.RuneCountInString(text) > maxHintRunes {
		return ""
	}
	return text
}

// hintStudent stores a hint for the student and shows it on their open
// pages at once (else on the next page they open).
func (s *Server) hintStudent(w http.ResponseWriter, r *http.Request) {
	c, u, ok := s.classStudent(w, r)
	if !ok {
		return
	}
	back := classPath(c.ID, "/students/", strconv.FormatInt(u.ID, 10))
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "")
		return
	}
	text := cleanHint(r.PostForm.Get("text"))
	if text == "" {
		redirectTo(w, r, back, "hint_empty")
		return
	}
	h, err := s.cfg.Store.AddHint(r.Context(), u.ID, userOf(r).ID, text)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if l := s.peekLearner(u.ID); l != nil {
		s.deliverHints(r.Context(), l, []store.Hint{h})
	}
	redirectTo(w, r, back, "hint")
}

// deliverHints sends hints to the learner's open pages as
// {"type":"hint","text":...} and marks them read once a page got them.
func (s *Server) deliverHints(ctx context.Context, l *learner, hints []store.Hint) {
	l.mu.Lock()
	conns := l.connsLocked()
	l.mu.Unlock()
	pages := 0
	for _, c := range conns {
		if !s.isViewer(c) {
			pages++
		}
	}
	if pages == 0 {
		return
	}
	for _, h := range hints {
		l.send(map[string]any{"type": "hint", "text": h.Text})
		if err := s.cfg.Store.MarkHintRead(ctx, l.user.ID, h.ID); err != nil {
			s.log.Warn("hint read", "err", err)
		}
	}
}

// isViewer reports whether c is an instructor's read-only view of a
// student's cluster rather than one of the student's pages.
func (s *Server) isViewer(c *wsConn) bool {
	if s.class == nil {
		return false
	}
	s.class.mu.Lock()
	defer s.class.mu.Unlock()
	_, ok := s.class.viewers[c]
	return ok
}

// closeConns closes every websocket of the learner (they were removed).
func closeConns(l *learner) {
	l.mu.Lock()
	conns := l.connsLocked()
	l.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
}

// pageOpened is the hook of the learner's page websocket: hints that
// waited for a page are delivered now. A page that connected while its
// learner was being removed is closed.
func (s *Server) pageOpened(l *learner) {
	if s.class == nil {
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
	defer cancel()
	if l.user.Role == store.RoleLearner && len(s.memberClasses(ctx, l.user.ID)) == 0 {
		closeConns(l)
		return
	}
	hints, err := s.cfg.Store.UnreadHints(ctx, l.user.ID)
	if err != nil || len(hints) == 0 {
		return
	}
	s.deliverHints(ctx, l, hints)
}

// removeStudent takes a student out of the class: their sandbox stops, their
// pages close and they can no longer sign in (unless they are in another
// class). Their records are kept.
func (s *Server) removeStudent(w http.ResponseWriter, r *http.Request) {
	c, u, ok := s.classStudent(w, r)
	if !ok {
		return
	}
	s.rewarm() // the warm loop looks again shortly after
	if err := s.cfg.Store.RemoveMember(r.Context(), c.ID, u.ID); err != nil {
		s.internalError(w, r, err)
		return
	}
	s.membersChanged(c.ID, u.ID)
	s.log.Info("student removed", "class", c.ID, "user", u.ID)
	if len(s.memberClasses(r.Context(), u.ID)) == 0 {
		if l := s.peekLearner(u.ID); l != nil {
			closeConns(l)
		}
		go func() {
			ctx, cancel := context.WithTimeout(s.ctx, time.Minute)
			defer cancel()
			s.stopStudentSandbox(ctx, u, "dash.sbx_removed")
		}()
	}
	redirectTo(w, r, classPath(c.ID), "removed")
}

// resultsCSV exports the class's results: one row per student with their
// sandbox, activity, every step's state and every quiz answer.
func (s *Server) resultsCSV(w http.ResponseWriter, r *http.Request) {
	c, ok := s.ownedClass(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	d, err := s.loadClassData(ctx, c)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	answers, err := s.cfg.Store.ClassQuizAnswers(ctx, c.ID)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	byUser := map[int64]map[string]store.QuizAnswer{}
	for _, a := range answers {
		m := byUser[a.UserID]
		if m == nil {
			m = map[string]store.QuizAnswer{}
			byUser[a.UserID] = m
		}
		m[a.QuizID+"/"+a.QuestionID] = a
	}
	head := []string{"student", "joined_at", "last_activity", "sandbox", "steps_passed", "steps_total", "quiz_correct", "quiz_answered"}
	var steps []string
	for _, lab := range s.cfg.Catalog.Labs {
		for _, st := range lab.Steps {
			steps = append(steps, lab.ID+"/"+st.ID)
		}
	}
	var questions []string
	for _, id := range s.cfg.Quizzes.IDs() {
		for _, q := range s.cfg.Quizzes.Quiz(id).Questions {
			questions = append(questions, id+"/"+q.ID)
		}
	}
	for _, k := range steps {
		head = append(head, "step:"+k)
	}
	for _, k := range questions {
		head = append(head, "quiz:"+k)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="kubelab-class-%d.csv"`, c.ID))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write([]byte("\xef\xbb\xbf")) // UTF-8 mark: spreadsheets read Korean names right
	cw := csv.NewWriter(w)
	_ = cw.Write(head)
	for _, m := range d.members {
		state, _ := s.sandboxOf(m.UserID, d.sandboxes)
		prog := d.progress[m.UserID]
		passed := 0
		cells := make([]string, 0, len(steps))
		for _, k := range steps {
			p, seen := prog[k]
			switch {
			case !seen:
				cells = append(cells, "")
			case p.Passed:
				passed++
				cells = append(cells, "passed")
			default:
				cells = append(cells, "failed")
			}
		}
		correct, answered := 0, 0
		qcells := make([]string, 0, len(questions))
		for _, k := range questions {
			a, ok := byUser[m.UserID][k]
			switch {
			case !ok:
				qcells = append(qcells, "")
			case a.Correct:
				answered++
				correct++
				qcells = append(qcells, "correct:"+a.Answer)
			default:
				answered++
				qcells = append(qcells, "wrong:"+a.Answer)
			}
		}
		rec := []string{m.DisplayName, csvTime(m.JoinedAt), csvTime(m.LastSeenAt), state, strconv.Itoa(passed), strconv.Itoa(len(steps)),
			strconv.Itoa(correct), strconv.Itoa(answered)}
		rec = append(rec, cells...)
		rec = append(rec, qcells...)
		for i := range rec {
			rec[i] = csvSafe(rec[i])
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
}

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// csvSafe defuses spreadsheet formulas in user-typed text (names,
// answers), after OWASP's CSV injection guidance: wherever a cell could
// start once a spreadsheet splits the text (the start, and after any
// delimiter a spreadsheet may split on: , ; tab | and line breaks, spaces
// and quotes skipped), a character that starts a formula (= + - @, tab,
// CR, LF) gets a ' before it.
func csvSafe(v string) string {
	if v == "" {
		return v
	}
	var b strings.Builder
	atStart := true
	for _, r := range v {
		if atStart {
			switch r {
			case ' ', '"', '\'':
				b.WriteRune(r)
				continue
			case '=', '+', '-', '@', '\t', '\r', '\n', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20':
				b.WriteByte('\'')
			}
		}
		b.WriteRune(r)
		switch r {
		case ',', ';', '\t', '|', '\r', '\n':
			atStart = true
		default:
			atStart = false
		}
	}
	return b.String()
}

// classPath is the path of a class's dashboard, or of a path under it.
func classPath(id int64, rest ...string) string {
	return "/class/" + strconv.FormatInt(id, 10) + strings.Join(rest, "")
}
