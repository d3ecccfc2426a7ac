package server

import (
	"context"
	"net/http"

	"github.com/kubelab/kubelab/store"
	"github.com/kubelab/kubelab/web"
)

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

// home is the course: its parts, labs and quizzes with the learner's
// progress.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	lg := lang(r)
	u := userOf(r)
	s.learnerFor(u).ensure()
	prog := s.progressByStep(r.Context(), u)
	answers := s.latestAnswers(r.Context(), u.ID)
	h := web.Home{Page: s.page(r, "")}
	parts := map[string]int{}
	for _, lab := range s.cfg.Catalog.Labs {
		item := web.CourseItem{ID: lab.ID, Title: lab.Title.Pick(lg), Summary: lab.Summary.Pick(lg), Kind: lab.Kind, QuizID: lab.Quiz}
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
			item.QuizTotal, item.QuizAnswered = len(q.Questions), len(answers[q.ID])
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
