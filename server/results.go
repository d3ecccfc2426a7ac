package server

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kubelab/kubelab/store"
)

// resultsCSV exports the class's results: one row per student with their
// sandbox, activity, every step's state and every quiz answer.
func (s *Server) resultsCSV(w http.ResponseWriter, r *http.Request, d classData) {
	c := d.class
	ctx := r.Context()
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

// resultRoutes are a class's results as files: the completion plot and the
// CSV export (below /class/{class}).
func (s *Server) resultRoutes(r chi.Router) {
	r.Get("/completion.svg", s.forClassData(s.completionSVG))
	r.Get("/results.csv", s.forClassData(s.resultsCSV))
}
