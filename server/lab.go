package server

import (
	"net/http"

	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/web"
)

// labPage is a lab: its steps, the verdicts so far, the step's diagram,
// console and editor. Opening it makes it the lab the grader follows.
func (s *Server) labPage(w http.ResponseWriter, r *http.Request, lab *labs.Lab) {
	lg := lang(r)
	u := userOf(r)
	l := s.learnerFor(u)
	l.ensure()
	l.openLabPage(r.Context(), lab.ID)
	prog := s.progressByStep(r.Context(), u)
	v := web.LabView{Page: s.page(r, lab.Title.Pick(lg)), LabID: lab.ID, Title: lab.Title.Pick(lg), Summary: lab.Summary.Pick(lg), QuizID: lab.Quiz}
	want := r.URL.Query().Get("step")
	for i, st := range lab.Steps {
		if st.ID == want {
			v.Current = i
		}
	}
	for i, st := range lab.Steps {
		sv := web.StepView{ID: st.ID, Title: st.Title.Pick(lg), Diagram: st.Diagram, Graded: st.Graded()}
		if i == v.Current {
			sv.HTML = web.RenderMarkdown(st.Text.Pick(lg))
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
						cv.Passed, cv.Message = cr.Passed, cr.Message.Pick(lg)
						if !cr.Passed && p.Attempts >= 3 && !sv.Held {
							sv.Hint = cr.Hint.Pick(lg)
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
	s.progressChanged(u)
}
