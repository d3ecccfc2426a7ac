package server

import (
	"context"

	"github.com/kubelab/kubelab/store"
	"github.com/kubelab/kubelab/web"
)

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
		qs := web.QuizStat{ID: q.ID, Title: q.Title.Pick(lg)}
		for _, qu := range q.Questions {
			st, ok := by[q.ID+"/"+qu.ID]
			if !ok {
				continue
			}
			text := map[string]string{}
			for _, c := range qu.Choices {
				text[c.ID] = c.Text.Pick(lg)
			}
			view := web.QuestionStat{ID: qu.ID, Prompt: qu.Prompt.Pick(lg), Total: st.Total, Correct: st.Correct}
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
