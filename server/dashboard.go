package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/kubelab/kubelab/store"
	"github.com/kubelab/kubelab/web"
)

var dashNotices = map[string]string{"closed": "dash.notice.closed", "ended": "dash.notice.ended", "removed": "dash.notice.removed",
	"reset": "student.notice.reset", "hint": "student.notice.hint", "hint_empty": "student.notice.hint_empty",
	"seats": "dash.notice.seats", "signout": "student.notice.signout",
	"zone_failed": "dash.notice.zone_failed", "zone_recovered": "dash.notice.zone_recovered"}

func notice(r *http.Request) string {
	if k, ok := dashNotices[r.URL.Query().Get("done")]; ok {
		return web.T(lang(r), k)
	}
	return ""
}

// dashboard is a class's live dashboard.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, d classData) {
	lg, only := lang(r), s.labFilter(r)
	cols := s.heatLabs(lg, only, d)
	v := web.DashboardView{Page: s.publicPage(r, d.class.Name), Class: s.classSummary(r, d.class, len(d.members)), Labs: cols, Lab: only,
		Rows: s.heatRows(lg, d, cols), Quizzes: s.quizStats(r.Context(), lg, d.class.ID), Plot: s.completionPlot(lg, d, cols), Notice: notice(r)}
	v.WarmReady, v.WarmStarting = s.cfg.Provider.WarmStatus()
	v.Zones = s.cfg.Zones
	for _, lab := range s.cfg.Catalog.Labs {
		v.LabOptions = append(v.LabOptions, web.LabOption{ID: lab.ID, Title: lab.Title.Pick(lg)})
	}
	s.renderFresh(w, r, web.DashboardPage(v))
}

// heatmapFragment is the heat map table alone (the roster or the labs in
// use changed).
func (s *Server) heatmapFragment(w http.ResponseWriter, r *http.Request, d classData) {
	lg := lang(r)
	cols := s.heatLabs(lg, s.labFilter(r), d)
	s.renderFresh(w, r, web.HeatTable(lg, d.class.ID, cols, s.heatRows(lg, d, cols)))
}

// quizFragment is the quiz results alone (an answer came in).
func (s *Server) quizFragment(w http.ResponseWriter, r *http.Request, c store.Class) {
	s.renderFresh(w, r, web.QuizStats(lang(r), s.quizStats(r.Context(), lang(r), c.ID)))
}

// completionSVG is the completion plot alone.
func (s *Server) completionSVG(w http.ResponseWriter, r *http.Request, d classData) {
	lg := lang(r)
	s.renderFresh(w, r, web.CompletionSVG(lg, s.completionPlot(lg, d, s.heatLabs(lg, s.labFilter(r), d))))
}

// dashboardRoutes are a class's dashboard, its stream and the fragments it
// reloads (below /class/{class}).
func (s *Server) dashboardRoutes(r chi.Router) {
	r.Get("/", s.forClassData(s.dashboard))
	r.Get("/ws", s.forClass(s.dashboardWS))
	r.Get("/heatmap", s.forClassData(s.heatmapFragment))
	r.Get("/quiz", s.forClass(s.quizFragment))
}
