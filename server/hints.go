package server

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kubelab/kubelab/store"
)

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
	if !s.readForm(w, r, "") {
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

// deliverHints sends hints to the learner's open pages and marks them read once a page got them.
func (s *Server) deliverHints(ctx context.Context, l *learner, hints []store.Hint) {
	l.mu.Lock()
	conns := l.connsLocked()
	l.mu.Unlock()
	pages := 0
	for _, c := range conns {
		if !c.viewer {
			pages++
		}
	}
	if pages == 0 {
		return
	}
	for _, h := range hints {
		l.send(hintMsg{Type: "hint", Text: h.Text})
		if err := s.cfg.Store.MarkHintRead(ctx, l.user.ID, h.ID); err != nil {
			s.log.Warn("hint read", "err", err)
		}
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
