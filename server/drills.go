package server

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"k8s.io/client-go/kubernetes"

	"github.com/kubelab/kubelab/sandbox/drills"
	"github.com/kubelab/kubelab/store"
	"github.com/kubelab/kubelab/web"
)

// maxDrillBody bounds a drill request's JSON body.
const maxDrillBody = 1 << 10

// drillRoutes are the failure drills of the learner's own sandbox: the
// cluster map's controls to stop a node's kubelet, fail a zone, cordon
// and drain a node, and undo each.
func (s *Server) drillRoutes(r chi.Router) {
	r.Get("/drills", s.drillNodes)
	r.Route("/drills/nodes/{node}", func(r chi.Router) {
		r.Post("/kubelet", s.drillKubelet)
		r.Post("/cordon", s.drillCordon)
		r.Post("/drain", s.drillDrain)
	})
	r.Post("/drills/zones/{zone}", s.drillZone)
}

// drillClient is a client of the asking learner's sandbox, or false after
// an answer that says why there is none.
func (s *Server) drillClient(w http.ResponseWriter, r *http.Request) (*learner, kubernetes.Interface, bool) {
	if s.cfg.Provider.Name() == "remote" {
		// The nodes are shared by every learner of the cluster.
		writeJSON(w, http.StatusConflict, apiError{Error: web.T(lang(r), "api.noDrills"), Code: "not_available"})
		return nil, nil, false
	}
	l, box, ok := s.readySandbox(w, r)
	if !ok {
		return nil, nil, false
	}
	if box.REST == nil {
		s.internalJSON(w, r, errors.New("drills: the sandbox has no client configuration"))
		return nil, nil, false
	}
	c, err := kubernetes.NewForConfig(box.REST)
	if err != nil {
		s.internalJSON(w, r, err)
		return nil, nil, false
	}
	return l, c, true
}

// drillError answers a drill that failed: the learner's mistake (no such
// node, a kubelet that is not simulated, a drain kubectl would refuse) in
// words, anything else as an internal error.
func (s *Server) drillError(w http.ResponseWriter, r *http.Request, err error) {
	var refusal *drills.DrainRefusal
	switch {
	case errors.Is(err, drills.ErrNotFound):
		writeJSON(w, http.StatusNotFound, apiError{Error: err.Error(), Code: "not_found"})
	case errors.Is(err, drills.ErrNotSimulated):
		writeJSON(w, http.StatusConflict, apiError{Error: err.Error(), Code: "not_simulated"})
	case errors.As(err, &refusal):
		writeJSON(w, http.StatusConflict, apiError{Error: refusal.Message, Code: "drain_refused"})
	default:
		s.internalJSON(w, r, err)
	}
}

func (s *Server) drillNodes(w http.ResponseWriter, r *http.Request) {
	_, c, ok := s.drillClient(w, r)
	if !ok {
		return
	}
	nodes, err := drills.Nodes(r.Context(), c)
	if err != nil {
		s.drillError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"nodes": nodes})
}

// drillOnNode reads the request into req, runs act on the node the path
// names in the learner's sandbox, and answers with what act returns.
func (s *Server) drillOnNode(w http.ResponseWriter, r *http.Request, req any, act func(context.Context, kubernetes.Interface, string) (map[string]any, error)) {
	if !readJSON(w, r, maxDrillBody, req) {
		return
	}
	l, c, ok := s.drillClient(w, r)
	if !ok {
		return
	}
	node := chi.URLParam(r, "node")
	out, err := act(r.Context(), c, node)
	if err != nil {
		s.drillError(w, r, err)
		return
	}
	l.poke()
	out["node"] = node
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) drillKubelet(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Running bool `json:"running"`
	}
	s.drillOnNode(w, r, &req, func(ctx context.Context, c kubernetes.Interface, node string) (map[string]any, error) {
		return map[string]any{"running": req.Running}, drills.SetKubelet(ctx, c, node, req.Running)
	})
}

func (s *Server) drillCordon(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Cordoned bool `json:"cordoned"`
	}
	s.drillOnNode(w, r, &req, func(ctx context.Context, c kubernetes.Interface, node string) (map[string]any, error) {
		return map[string]any{"cordoned": req.Cordoned}, drills.Cordon(ctx, c, node, req.Cordoned)
	})
}

// drillDrain answers once the node is cordoned and its pods' evictions
// have begun; they go on in the background (a PodDisruptionBudget may hold
// them back, as it holds kubectl drain).
func (s *Server) drillDrain(w http.ResponseWriter, r *http.Request) {
	l, c, ok := s.drillClient(w, r)
	if !ok {
		return
	}
	node := chi.URLParam(r, "node")
	ctx, cancel := context.WithTimeout(s.ctx, 3*time.Minute)
	pods, err := drills.Drain(ctx, c, node, func(err error) {
		defer cancel()
		if err != nil {
			s.log.Info("drain", "user", l.name, "node", node, "err", err)
		}
		l.poke()
	})
	if err != nil {
		cancel()
		s.drillError(w, r, err)
		return
	}
	l.poke()
	writeJSON(w, http.StatusAccepted, map[string]any{"node": node, "evicting": pods})
}

func (s *Server) drillZone(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Failed bool `json:"failed"`
	}
	if !readJSON(w, r, maxDrillBody, &req) {
		return
	}
	l, c, ok := s.drillClient(w, r)
	if !ok {
		return
	}
	zone := chi.URLParam(r, "zone")
	nodes, err := drills.SetZone(r.Context(), c, zone, req.Failed)
	if err != nil {
		s.drillError(w, r, err)
		return
	}
	l.poke()
	writeJSON(w, http.StatusOK, map[string]any{"zone": zone, "failed": req.Failed, "nodes": nodes})
}

// classZone fails (failed=1) or recovers a zone in the sandbox of every
// student of the class whose sandbox is running: an instructor's outage
// for the whole class. Stopped sandboxes are left alone.
func (s *Server) classZone(w http.ResponseWriter, r *http.Request, c store.Class) {
	zone, failed := chi.URLParam(r, "zone"), r.FormValue("failed") == "1"
	members, err := s.cfg.Store.Members(r.Context(), c.ID)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, time.Minute)
	defer cancel()
	var done atomic.Int32
	s.forEachStudent(ctx, members, func(u store.User) {
		l := s.peekLearner(u.ID)
		if l == nil {
			return
		}
		_, _, box, _ := l.snapshot()
		if box == nil || box.REST == nil {
			return
		}
		cl, err := kubernetes.NewForConfig(box.REST)
		if err == nil {
			_, err = drills.SetZone(ctx, cl, zone, failed)
		}
		if err != nil {
			s.log.Warn("class zone drill", "class", c.ID, "user", u.ID, "zone", zone, "err", err)
			return
		}
		l.poke()
		done.Add(1)
	})
	s.log.Info("class zone drill", "class", c.ID, "zone", zone, "failed", failed, "sandboxes", done.Load())
	what := "zone_recovered"
	if failed {
		what = "zone_failed"
	}
	redirectTo(w, r, classPath(c.ID), what)
}
