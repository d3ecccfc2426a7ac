package server

import (
	"net/http"
	"strings"

	"github.com/kubelab/kubelab/history"
	"github.com/kubelab/kubelab/manifest"
)

// mark records a mark on the learner's history (docs/history.md): a
// command or an apply about to run, a verdict change, a rewind. Nothing is
// recorded when the server keeps no history.
func (l *learner) mark(m history.Mark) {
	h, err := l.historyLog()
	if err == nil && h != nil {
		err = h.AddMark(m)
	}
	if err != nil {
		l.s.log.Warn("history mark", "learner", l.name, "kind", m.Kind, "err", err)
	}
}

// applyMarkText names what an apply carries: "Deployment web, Service web".
func applyMarkText(docs []manifest.Doc) string {
	names := make([]string, 0, len(docs))
	for _, d := range docs {
		if d.Object != nil {
			names = append(names, d.Object.GetKind()+" "+d.Object.GetName())
		}
	}
	return strings.Join(names, ", ")
}

// historyMarks answers GET /api/history/marks?from=UNIX_MS&to=UNIX_MS
// (both optional: the whole kept history): {"marks": [...]}, oldest first;
// a verdict or rewind mark gets its step's title in the page's language.
func (s *Server) historyMarks(w http.ResponseWriter, r *http.Request) {
	s.readHistory(w, r, true, []string{"from", "to"}, func(h *history.Log, t []int64) (map[string]any, error) {
		marks, err := h.Marks(t[0], t[1])
		if err != nil {
			return nil, err
		}
		for i, m := range marks {
			if m.Step == "" {
				continue
			}
			if lab := s.cfg.Catalog.Lab(m.Lab); lab != nil {
				for _, st := range lab.Steps {
					if st.ID == m.Step {
						marks[i].Text = st.Title.Pick(lang(r))
					}
				}
			}
		}
		return map[string]any{"from": t[0], "to": t[1], "marks": marks}, nil
	})
}

// verdictMarked reports whether a verdict is worth a mark: the step's
// passed state changed, or it passed on its first grading.
func verdictMarked(seen, prevPassed, passed bool) bool {
	return (seen && prevPassed != passed) || (!seen && passed)
}
