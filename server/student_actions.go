package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/kubelab/kubelab/sandbox"
	"github.com/kubelab/kubelab/store"
	"github.com/kubelab/kubelab/web"
)

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

// closeConns closes every websocket of the learner (they were removed).
func closeConns(l *learner) {
	l.mu.Lock()
	conns := l.connsLocked()
	l.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
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

// signOutStudent signs a student out of every browser: their sessions are
// refused from now on and their open pages close. Their resume link still
// works.
func (s *Server) signOutStudent(w http.ResponseWriter, r *http.Request) {
	c, u, ok := s.classStudent(w, r)
	if !ok {
		return
	}
	if _, err := s.cfg.Store.BumpSessionGen(r.Context(), u.ID); err != nil {
		s.internalError(w, r, err)
		return
	}
	s.closeOtherPages(u.ID)
	s.log.Info("student signed out", "class", c.ID, "user", u.ID)
	redirectTo(w, r, classPath(c.ID, "/students/", strconv.FormatInt(u.ID, 10)), "signout")
}

// closeOtherPages closes the open pages of a learner who was signed out
// everywhere: they reconnect, and those of a stale session are refused.
func (s *Server) closeOtherPages(userID int64) {
	l := s.peekLearner(userID)
	if l == nil {
		return
	}
	l.mu.Lock()
	conns := l.connsLocked()
	l.mu.Unlock()
	for _, c := range conns {
		if !c.viewer {
			c.close()
		}
	}
}
