package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/kubelab/kubelab/store"
	"github.com/kubelab/kubelab/web"
)

// Heat map column filters besides a lab id.
const (
	labsInUse = ""    // the labs any student of the class has opened (all if none)
	labsAll   = "all" // every lab
)

// heatLabs are the heat map's columns in course order: one lab, every lab,
// or the labs in use in the class.
func (s *Server) heatLabs(lg, filter string, d classData) []web.HeatLab {
	used := map[string]bool{}
	if filter == labsInUse {
		for _, m := range d.members {
			for key := range d.progress[m.UserID] {
				lab, _, _ := strings.Cut(key, "/")
				used[lab] = true
			}
		}
		if len(used) == 0 {
			filter = labsAll
		}
	}
	var out []web.HeatLab
	for _, lab := range s.cfg.Catalog.Labs {
		switch filter {
		case labsAll:
		case labsInUse:
			if !used[lab.ID] {
				continue
			}
		default:
			if lab.ID != filter {
				continue
			}
		}
		hl := web.HeatLab{ID: lab.ID, Title: lab.Title.Pick(lg)}
		for _, st := range lab.Steps {
			hl.Steps = append(hl.Steps, web.HeatStep{ID: st.ID, Title: st.Title.Pick(lg), Graded: st.Graded()})
		}
		out = append(out, hl)
	}
	return out
}

func (s *Server) heatRow(lg string, d classData, m store.Member, cols []web.HeatLab) web.HeatRow {
	row := web.HeatRow{UserID: m.UserID, Name: m.DisplayName, LastSeen: m.LastSeenAt}
	row.Sandbox, row.SandboxMessage = s.sandboxOf(m.UserID, d.sandboxes)
	prog := d.progress[m.UserID]
	for _, lab := range cols {
		for _, st := range lab.Steps {
			p, seen := prog[lab.ID+"/"+st.ID]
			state, msg := s.cellOf(lg, m.UserID, lab.ID, st.ID, p, seen)
			row.Total++
			if state == "passed" {
				row.Passed++
			}
			row.Cells = append(row.Cells, web.HeatCell{Lab: lab.ID, Step: st.ID, State: state, Message: msg,
				Name: web.CellName(lab.Title, st.Title), Title: web.CellTitle(lg, lab.Title, st.Title, state, msg)})
		}
	}
	return row
}

func (s *Server) heatRows(lg string, d classData, cols []web.HeatLab) []web.HeatRow {
	rows := make([]web.HeatRow, 0, len(d.members))
	for _, m := range d.members {
		rows = append(rows, s.heatRow(lg, d, m, cols))
	}
	return rows
}

// labFilter is the ?lab= of a dashboard request: a lab id, "all", or ""
// (the labs in use).
func (s *Server) labFilter(r *http.Request) string {
	if id := r.URL.Query().Get("lab"); id == labsAll || s.cfg.Catalog.Lab(id) != nil {
		return id
	}
	return labsInUse
}

// completionPlot draws the class's first passes over time.
func (s *Server) completionPlot(lg string, d classData, cols []web.HeatLab) web.CompletionPlot {
	steps := 0
	in := map[string]bool{}
	for _, lab := range cols {
		for _, st := range lab.Steps {
			in[lab.ID+"/"+st.ID] = true
			steps++
		}
	}
	var passes []time.Time
	for _, m := range d.members {
		for key, p := range d.progress[m.UserID] {
			if in[key] && !p.FirstPassedAt.IsZero() {
				passes = append(passes, p.FirstPassedAt)
			}
		}
	}
	return web.NewCompletionPlot(lg, passes, d.class.CreatedAt, time.Now(), steps*len(d.members))
}
