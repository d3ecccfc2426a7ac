package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"

	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/quizzes"
	"github.com/kubelab/kubelab/store"
	"github.com/kubelab/kubelab/web"
)

func (s *Server) page(r *http.Request, title string) web.Page {
	u := userOf(r)
	l := s.learnerFor(u)
	st, msg, box, _ := l.snapshot()
	p := web.Page{Lang: lang(r), Title: title, Mode: s.cfg.Mode, UserName: u.DisplayName, Role: string(u.Role),
		Backend: s.cfg.Provider.Name(), SandboxState: string(st), SandboxMessage: msg, Path: r.URL.RequestURI()}
	if box != nil {
		p.RealContainers = box.RealContainers
	}
	return p
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, code int, c templ.Component) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	w.WriteHeader(code)
	if err := c.Render(r.Context(), w); err != nil {
		s.log.Warn("render", "path", r.URL.Path, "err", err)
	}
}

func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, code int, msg string) {
	p := web.Page{Lang: lang(r), Mode: s.cfg.Mode, Backend: s.cfg.Provider.Name(), Path: r.URL.RequestURI()}
	s.render(w, r, code, web.ErrorPage(web.ErrorView{Page: p, Code: code, Message: msg}))
}

// progressByStep indexes a user's recorded progress by lab/step.
func (s *Server) progressByStep(ctx context.Context, u store.User) map[string]store.StepProgress {
	rows, err := s.cfg.Store.Progress(ctx, u.ID)
	out := map[string]store.StepProgress{}
	if err != nil {
		s.log.Warn("progress", "err", err)
		return out
	}
	for _, p := range rows {
		out[p.LabID+"/"+p.StepID] = p
	}
	return out
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	lg := lang(r)
	u := userOf(r)
	s.learnerFor(u).ensure()
	prog := s.progressByStep(r.Context(), u)
	answered := map[string]int{}
	if answers, err := s.cfg.Store.QuizAnswers(r.Context(), u.ID); err == nil {
		seen := map[string]bool{}
		for _, a := range answers {
			if k := a.QuizID + "/" + a.QuestionID; !seen[k] {
				seen[k] = true
				answered[a.QuizID]++
			}
		}
	}
	h := web.Home{Page: s.page(r, "")}
	parts := map[string]int{}
	for _, lab := range s.cfg.Catalog.Labs {
		item := web.CourseItem{ID: lab.ID, Title: lab.Title.In(lg), Summary: lab.Summary.In(lg), Kind: lab.Kind, QuizID: lab.Quiz}
		for _, st := range lab.Steps {
			item.Steps++
			if st.Graded() {
				if prog[lab.ID+"/"+st.ID].Passed {
					item.Passed++
				}
			} else if _, seen := prog[lab.ID+"/"+st.ID]; seen {
				item.Passed++
			}
		}
		if q := s.cfg.Quizzes.Quiz(lab.Quiz); q != nil {
			item.QuizTotal, item.QuizAnswered = len(q.Questions), answered[q.ID]
		}
		i, ok := parts[lab.Part]
		if !ok {
			i = len(h.Parts)
			parts[lab.Part] = i
			h.Parts = append(h.Parts, web.Part{ID: lab.Part, Title: web.T(lg, "part."+lab.Part)})
		}
		h.Parts[i].Items = append(h.Parts[i].Items, item)
	}
	s.render(w, r, http.StatusOK, web.HomePage(h))
}

func (s *Server) labPage(w http.ResponseWriter, r *http.Request) {
	lg := lang(r)
	lab := s.cfg.Catalog.Lab(chi.URLParam(r, "lab"))
	if lab == nil {
		s.errorPage(w, r, http.StatusNotFound, "no such lab")
		return
	}
	u := userOf(r)
	l := s.learnerFor(u)
	l.ensure()
	l.openLabPage(r.Context(), lab.ID)
	prog := s.progressByStep(r.Context(), u)
	v := web.LabView{Page: s.page(r, lab.Title.In(lg)), LabID: lab.ID, Title: lab.Title.In(lg), Summary: lab.Summary.In(lg), QuizID: lab.Quiz}
	want := r.URL.Query().Get("step")
	for i, st := range lab.Steps {
		if st.ID == want {
			v.Current = i
		}
	}
	for i, st := range lab.Steps {
		sv := web.StepView{ID: st.ID, Title: st.Title.In(lg), Diagram: st.Diagram, Graded: st.Graded()}
		if i == v.Current {
			sv.HTML = web.RenderMarkdown(st.Text.In(lg))
		}
		p, seen := prog[lab.ID+"/"+st.ID]
		last := l.lastVerdict(lab.ID, st.ID)
		sv.Passed, sv.Score = p.Passed, p.Score
		if st.Graded() {
			// a pass is held until a reset: the latest verdict may fail while the step reads as passed
			since, current := l.heldSince(r.Context(), lab.ID, st.ID), p.Current
			if last != nil {
				current, sv.Score = last.Passed, last.Score
			}
			sv.Held = !since.IsZero()
			sv.Passed = current || sv.Held
			sv.Changed = sv.Held && !current && (seen || last != nil)
		} else {
			sv.Passed = seen || i == v.Current
		}
		for _, c := range st.Checks {
			cv := web.CheckView{ID: c.ID, ConsoleOnly: c.ConsoleOnly()}
			if last != nil {
				for _, cr := range last.Checks {
					if cr.ID == c.ID {
						cv.Passed, cv.Message = cr.Passed, cr.Message.In(lg)
						if !cr.Passed && p.Attempts >= 3 && !sv.Held {
							sv.Hint = cr.Hint.In(lg)
						}
					}
				}
			}
			sv.Checks = append(sv.Checks, cv)
		}
		v.Steps = append(v.Steps, sv)
	}
	if cur := lab.Steps[v.Current]; !cur.Graded() {
		_, _ = s.cfg.Store.RecordVerdict(r.Context(), u.ID, lab.ID, cur.ID, true, 1, "")
	}
	for i, other := range s.cfg.Catalog.Labs {
		if other.ID == lab.ID {
			if i > 0 {
				v.PrevLab = s.cfg.Catalog.Labs[i-1].ID
			}
			if i+1 < len(s.cfg.Catalog.Labs) {
				v.NextLab = s.cfg.Catalog.Labs[i+1].ID
			}
		}
	}
	s.render(w, r, http.StatusOK, web.LabPage(v))
}

func (s *Server) quizPage(w http.ResponseWriter, r *http.Request) {
	lg := lang(r)
	q := s.cfg.Quizzes.Quiz(chi.URLParam(r, "quiz"))
	if q == nil {
		s.errorPage(w, r, http.StatusNotFound, "no such quiz")
		return
	}
	u := userOf(r)
	latest := map[string]store.QuizAnswer{}
	if answers, err := s.cfg.Store.QuizAnswers(r.Context(), u.ID); err == nil {
		for _, a := range answers {
			if a.QuizID == q.ID {
				if _, ok := latest[a.QuestionID]; !ok {
					latest[a.QuestionID] = a
				}
			}
		}
	}
	v := web.QuizView{Page: s.page(r, q.Title.In(lg)), QuizID: q.ID, Title: q.Title.In(lg)}
	for _, lab := range s.cfg.Catalog.Labs {
		if lab.Quiz == q.ID {
			v.LabID = lab.ID
		}
	}
	for _, qu := range q.Questions {
		qv := web.QuestionView{ID: qu.ID, Prompt: qu.Prompt.In(lg), Live: qu.Live()}
		for _, c := range qu.Choices {
			qv.Choices = append(qv.Choices, web.ChoiceView{ID: c.ID, Text: c.Text.In(lg)})
		}
		if a, ok := latest[qu.ID]; ok {
			qv.Answered, qv.Answer, qv.Correct = true, a.Answer, a.Correct
			qv.Explanation = web.RenderMarkdown(qu.Explanation.In(lg))
			if !qu.Live() {
				qv.Expected = qu.Answer
			}
		}
		v.Questions = append(v.Questions, qv)
	}
	s.render(w, r, http.StatusOK, web.QuizPage(v))
}

// answerQuiz scores one answer; live questions read the learner's cluster
// now. The page shows the verdict and the explanation.
func (s *Server) answerQuiz(w http.ResponseWriter, r *http.Request) {
	q := s.cfg.Quizzes.Quiz(chi.URLParam(r, "quiz"))
	var qu *quizzes.Question
	if q != nil {
		qu = q.Question(chi.URLParam(r, "question"))
	}
	if qu == nil {
		s.errorPage(w, r, http.StatusNotFound, "no such question")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "the answer is too long or malformed")
		return
	}
	answer := r.PostForm.Get("answer")
	if len(answer) > 200 {
		s.errorPage(w, r, http.StatusBadRequest, "the answer is too long")
		return
	}
	if why := checkAnswer(qu, answer); why != "" {
		s.errorPage(w, r, http.StatusBadRequest, web.T(lang(r), why))
		return
	}
	u := userOf(r)
	var state labs.State
	if qu.Live() {
		_, _, _, wt := s.learnerFor(u).snapshot()
		if wt == nil {
			s.errorPage(w, r, http.StatusConflict, "your sandbox is not running yet: live questions are answered from it")
			return
		}
		state = wt
	}
	res, err := s.cfg.Quizzes.Score(r.Context(), qu, answer, state)
	if err != nil {
		res.Correct = false
		res.Expected = fmt.Sprintf("(%v)", err)
	}
	if _, err := s.cfg.Store.RecordQuizAnswer(r.Context(), u.ID, q.ID, qu.ID, answer, res.Correct); err != nil {
		s.internalError(w, r, fmt.Errorf("record quiz answer: %w", err))
		return
	}
	http.Redirect(w, r, "/quizzes/"+q.ID+"#q-"+qu.ID, http.StatusSeeOther)
}

// checkAnswer refuses what no form of the question can send: for a
// multiple-choice question anything but one of its choices' ids, for a
// typed answer control or format characters. It returns the i18n key of
// why, or "".
func checkAnswer(q *quizzes.Question, answer string) string {
	if len(q.Choices) > 0 {
		for _, c := range q.Choices {
			if answer == c.ID {
				return ""
			}
		}
		return "quiz.bad_choice"
	}
	if !utf8.ValidString(answer) || strings.IndexFunc(answer, func(r rune) bool {
		return unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
	}) >= 0 {
		return "quiz.bad_text"
	}
	return ""
}
