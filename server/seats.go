package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/kubelab/kubelab/store"
	"github.com/kubelab/kubelab/web"
)

// maxSeats bounds the seat limit an instructor may set.
const maxSeats = 1000

// errNoCapacity: the open classes were promised every sandbox already.
var errNoCapacity = errors.New("every sandbox is promised to open classes")

// freeSeats is how many sandboxes are not promised to open classes other
// than exceptClassID (-1: no limit known).
func (s *Server) freeSeats(ctx context.Context, exceptClassID int64) (free, promised int, err error) {
	if s.cfg.MaxSandboxes <= 0 {
		return -1, 0, nil
	}
	promised, err = s.cfg.Store.PromisedSeats(ctx, exceptClassID)
	if err != nil {
		return 0, 0, fmt.Errorf("free seats: %w", err)
	}
	return max(s.cfg.MaxSandboxes-promised, 0), promised, nil
}

// seatsForNewClass is the seat limit of a class about to be created: the
// configured default, lowered to the sandboxes no open class was promised.
func (s *Server) seatsForNewClass(ctx context.Context) (int, error) {
	seats := s.cfg.ClassSeats
	if seats <= 0 {
		seats = DefaultClassSeats
	}
	free, _, err := s.freeSeats(ctx, 0)
	if err != nil {
		return 0, err
	}
	if free == 0 {
		return 0, errNoCapacity
	}
	if free > 0 {
		seats = min(seats, free)
	}
	return seats, nil
}

// setSeats changes a class's seat limit (POST seats=N). Students already in
// the class stay; joins past the limit are refused. The limit cannot take
// sandboxes the other open classes were promised.
func (s *Server) setSeats(w http.ResponseWriter, r *http.Request, c store.Class) {
	if !s.readForm(w, r, "") {
		return
	}
	lg := lang(r)
	seats, err := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("seats")))
	if err != nil || seats < 1 || seats > maxSeats {
		s.errorPage(w, r, http.StatusBadRequest, web.T(lg, "dash.seats_bad"))
		return
	}
	free, promised, err := s.freeSeats(r.Context(), c.ID)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if free >= 0 && seats > free && !c.Closed() {
		s.errorPage(w, r, http.StatusConflict, web.Tf(lg, "dash.seats_capacity", "max", strconv.Itoa(s.cfg.MaxSandboxes),
			"promised", strconv.Itoa(promised), "free", strconv.Itoa(free)))
		return
	}
	s.rewarm() // the warm loop looks again shortly after
	if err := s.cfg.Store.SetSeatLimit(r.Context(), c.ID, seats); err != nil {
		s.internalError(w, r, err)
		return
	}
	s.log.Info("seat limit", "class", c.ID, "seats", seats)
	redirectTo(w, r, classPath(c.ID), "seats")
}
