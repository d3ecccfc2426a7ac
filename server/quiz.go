package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/quizzes"
	"github.com/kubelab/kubelab/store"
	"github.com/kubelab/kubelab/web"
)

// quizPage is a quiz with the learner's latest answers.
func (s *Server) quizPage(w http.ResponseWriter, r *http.Request, q *quizzes.Quiz) {
	lg := lang(r)
	latest := s.latestAnswers(r.Context(), userOf(r).ID)[q.ID]
	v := web.QuizView{Page: s.page(r, q.Title.Pick(lg)), QuizID: q.ID, Title: q.Title.Pick(lg)}
	for _, lab := range s.cfg.Catalog.Labs {
		if lab.Quiz == q.ID {
			v.LabID = lab.ID
		}
	}
	for _, qu := range q.Questions {
		qv := web.QuestionView{ID: qu.ID, Prompt: qu.Prompt.Pick(lg), Live: qu.Live()}
		for _, c := range qu.Choices {
			qv.Choices = append(qv.Choices, web.ChoiceView{ID: c.ID, Text: c.Text.Pick(lg)})
		}
		if a, ok := latest[qu.ID]; ok {
			qv.Answered, qv.Answer, qv.Correct = true, a.Answer, a.Correct
			qv.Explanation = web.RenderMarkdown(qu.Explanation.Pick(lg))
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
	if !s.readForm(w, r, "the answer is too long or malformed") {
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
		wt := s.learnerFor(u).liveWatcher(r.Context())
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
	s.quizAnswered(u)
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

// latestAnswers are the learner's latest answer to each question they
// answered, by quiz and question ID (none when they cannot be read).
func (s *Server) latestAnswers(ctx context.Context, userID int64) map[string]map[string]store.QuizAnswer {
	answers, err := s.cfg.Store.QuizAnswers(ctx, userID)
	if err != nil {
		return nil
	}
	latest := map[string]map[string]store.QuizAnswer{}
	for _, a := range answers { // one a question, the latest
		if latest[a.QuizID] == nil {
			latest[a.QuizID] = map[string]store.QuizAnswer{}
		}
		if _, ok := latest[a.QuizID][a.QuestionID]; !ok {
			latest[a.QuizID][a.QuestionID] = a
		}
	}
	return latest
}

// quizRoutes are the quizzes: a quiz's page and an answer to one question.
func (s *Server) quizRoutes(r chi.Router) {
	r.Get("/quizzes/{quiz}", s.forQuiz(s.quizPage))
	r.Post("/quizzes/{quiz}/{question}", s.answerQuiz)
}
