package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/kubelab/kubelab/history"
	"github.com/kubelab/kubelab/watch"
)

// historyBuffer is the recorder's subscription buffer: past it, the
// recorder takes a fresh snapshot (recorded as a resync).
const historyBuffer = 1024

// historyRoutes serve the learner's own recorded history. Their answers
// are JSON of many similar objects, and the scrubber fetches the whole log
// ahead (megabytes at the bound): they are compressed at gzip's fastest
// level, which shrinks them several times for little CPU.
func (s *Server) historyRoutes(r chi.Router) {
	r = r.With(middleware.Compress(1, "application/json"))
	r.Get("/history", s.historyAt)
	r.Get("/history/diff", s.historyDiff)
	r.Get("/history/range", s.historyRange)
	r.Get("/history/marks", s.historyMarks)
	r.Get("/history/log", s.historyLog)
}

// historyLog opens the learner's history log once ("" dir: not recorded).
func (l *learner) historyLog() (*history.Log, error) {
	if l.s.cfg.HistoryDir == "" {
		return nil, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.hist != nil {
		return l.hist, nil
	}
	h, err := history.Open(l.s.cfg.HistoryDir, l.name, l.s.cfg.HistoryMaxEntries)
	if err != nil {
		return nil, err
	}
	l.hist = h
	return h, nil
}

// record appends what the page's stream carries to the learner's history
// until ctx ends: the snapshot, then every change; a fresh snapshot after
// the recorder fell behind. It runs whether or not a page is open.
func (l *learner) record(ctx context.Context, w *watch.Watcher) {
	h, err := l.historyLog()
	if h == nil {
		if err != nil {
			l.s.log.Warn("history", "learner", l.name, "err", err)
		}
		return
	}
	snapshot := func(objs []watch.Obj) error {
		out := make([]history.Obj, len(objs))
		for i, o := range objs {
			out[i] = o
		}
		return h.Append(history.Entry{Op: "snapshot", Objects: out})
	}
	var batch []watch.Change
	snap, sub := w.Subscribe(historyBuffer)
	defer sub.Close()
	if err := snapshot(snap); err != nil {
		l.s.log.Warn("history", "learner", l.name, "err", err)
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case ch, ok := <-sub.C():
			if !ok {
				return
			}
			// The changes already waiting go with this one: one write.
			batch = append(batch[:0], ch)
			for more := true; more && len(batch) < historyBatch; {
				select {
				case ch, ok := <-sub.C():
					if ok {
						batch = append(batch, ch)
					}
					more = ok
				default:
					more = false
				}
			}
			err = appendChanges(h, batch)
		case <-sub.Overflowed():
			err = snapshot(sub.Resync())
		}
		if err != nil {
			l.s.log.Warn("history", "learner", l.name, "err", err)
			return
		}
	}
}

// historyBatch bounds how many waiting changes one write records.
const historyBatch = 64

// appendChanges records changes of the stream as the watcher encoded them.
func appendChanges(h *history.Log, batch []watch.Change) error {
	chs := make([]history.Change, len(batch))
	for i, ch := range batch {
		b, err := ch.Encoded()
		if err != nil {
			return fmt.Errorf("history: encode %s %v: %w", ch.Op, history.Key(ch.Obj), err)
		}
		chs[i] = history.Change{Op: ch.Op, Obj: b}
	}
	return h.AppendChanges(0, chs)
}

// forgetHistory deletes the learner's history and step snapshots with
// their sandbox.
func (l *learner) forgetHistory() error {
	if err := l.forgetStepSnapshots(); err != nil {
		return err
	}
	h, err := l.historyLog()
	if h == nil {
		return err
	}
	return h.Delete()
}

// askedLog is the history log the request is about, or false after an
// answer: the asking learner's own, or, on an instructor's student route,
// that student's (read-only; classStudent checks the class is theirs).
func (s *Server) askedLog(w http.ResponseWriter, r *http.Request) (*history.Log, bool) {
	u := userOf(r)
	if chi.URLParam(r, "student") != "" {
		_, student, ok := s.classStudent(w, r)
		if !ok {
			return nil, false
		}
		u = student
	}
	h, err := s.learnerFor(u).historyLog()
	if err != nil {
		s.internalJSON(w, r, err)
		return nil, false
	}
	if h == nil {
		writeJSON(w, http.StatusNotFound, apiError{Error: "this server does not record history", Code: "no_history"})
		return nil, false
	}
	return h, true
}

// readHistory answers a history request: it reads the request's
// Unix-millisecond parameters names, in order (see msParam; when optional,
// one that is absent reads 0), then what read makes of the asked log
// (askedLog) at those times, as JSON, or the history error (historyError).
func (s *Server) readHistory(w http.ResponseWriter, r *http.Request, optional bool, names []string, read func(h *history.Log, t []int64) (map[string]any, error)) {
	times := make([]int64, len(names))
	for i, name := range names {
		if optional && r.URL.Query().Get(name) == "" {
			continue
		}
		v, ok := msParam(w, r, name)
		if !ok {
			return
		}
		times[i] = v
	}
	h, ok := s.askedLog(w, r)
	if !ok {
		return
	}
	answer, err := read(h, times)
	if err != nil {
		s.historyError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, answer)
}

// msParam reads a Unix-millisecond query parameter.
func msParam(w http.ResponseWriter, r *http.Request, name string) (int64, bool) {
	v, err := strconv.ParseInt(r.URL.Query().Get(name), 10, 64)
	if err != nil || v <= 0 {
		writeJSON(w, http.StatusBadRequest, apiError{Error: name + ": want a time in Unix milliseconds", Code: "bad_time"})
		return 0, false
	}
	return v, true
}

func (s *Server) historyError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, history.ErrTooOld):
		writeJSON(w, http.StatusGone, apiError{Error: err.Error(), Code: "too_old"})
	case errors.Is(err, history.ErrBadRange):
		writeJSON(w, http.StatusBadRequest, apiError{Error: "to: want a time after from", Code: "bad_range"})
	default:
		s.internalJSON(w, r, err)
	}
}

// historyAt answers GET /api/history?at=UNIX_MS: {"objects": [...]}, the
// normalized objects (docs/stream.md) as the stream showed them then.
func (s *Server) historyAt(w http.ResponseWriter, r *http.Request) {
	s.readHistory(w, r, false, []string{"at"}, func(h *history.Log, t []int64) (map[string]any, error) {
		objs, err := h.At(t[0])
		return map[string]any{"at": t[0], "objects": objs}, err
	})
}

// historyDiff answers GET /api/history/diff?from=UNIX_MS&to=UNIX_MS: the
// objects added, removed and changed (with their field changes).
func (s *Server) historyDiff(w http.ResponseWriter, r *http.Request) {
	s.readHistory(w, r, false, []string{"from", "to"}, func(h *history.Log, t []int64) (map[string]any, error) {
		d, err := h.Between(t[0], t[1])
		if err != nil {
			return nil, err
		}
		return map[string]any{"from": t[0], "to": t[1], "added": d.Added, "removed": d.Removed, "changed": d.Changed}, nil
	})
}

// historyRange answers GET /api/history/range: the first and last recorded
// moments and how many changes lie between.
func (s *Server) historyRange(w http.ResponseWriter, r *http.Request) {
	h, ok := s.askedLog(w, r)
	if !ok {
		return
	}
	first, last, n := h.Range()
	writeJSON(w, http.StatusOK, map[string]any{"first": first, "last": last, "changes": n, "now": time.Now().UnixMilli()})
}

// historyLog answers GET /api/history/log?epoch=E&from=N: the recorded
// entries from number N of the log's opening E on (history.Tail), or the
// whole kept log (full) when the asker has nothing of that opening. The
// scrubber keeps the log and rebuilds moments without asking again.
func (s *Server) historyLog(w http.ResponseWriter, r *http.Request) {
	from := 0
	if v := r.URL.Query().Get("from"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeJSON(w, http.StatusBadRequest, apiError{Error: "from: want an entry number", Code: "bad_from"})
			return
		}
		from = n
	}
	h, ok := s.askedLog(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, struct {
		history.Tail
		Now int64 `json:"now"`
	}{h.Since(r.URL.Query().Get("epoch"), from), time.Now().UnixMilli()})
}
