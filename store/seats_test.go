package store

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestSeatLimit: joins past a class's seat limit are refused, concurrent
// joins included, and nothing is created for a refused new learner.
func TestSeatLimit(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	teacher := mustUser(t, s, "teacher", RoleInstructor)
	c, err := s.CreateClass(ctx, teacher.ID, "Monday")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetSeatLimit(ctx, c.ID, 3); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ClassByID(ctx, c.ID); got.SeatLimit != 3 {
		t.Fatalf("seat limit %d", got.SeatLimit)
	}
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = s.CreateLearnerInClass(ctx, c.ID, User{DisplayName: "s" + strings.Repeat("x", i), Role: RoleLearner}, nil)
		})
	}
	wg.Wait()
	joined := 0
	for _, err := range errs {
		switch {
		case err == nil:
			joined++
		default:
			wantErr(t, err, ErrClassFull)
		}
	}
	members, _ := s.Members(ctx, c.ID)
	if joined != 3 || len(members) != 3 {
		t.Fatalf("joined %d, members %d; want 3", joined, len(members))
	}
	var users int
	if err := s.DB().QueryRow(`SELECT COUNT(*) FROM users WHERE role = 'learner'`).Scan(&users); err != nil || users != 3 {
		t.Fatalf("learner accounts %d (%v): a refused join must create none", users, err)
	}
	// An existing member joining again is not a new seat; an outsider is refused.
	if err := s.JoinClass(ctx, c.ID, members[0].UserID, nil); err != nil {
		t.Fatalf("a member joining again: %v", err)
	}
	wantErr(t, s.JoinClass(ctx, c.ID, mustUser(t, s, "late", RoleLearner).ID, nil), ErrClassFull)
	// Removing one frees a seat.
	if err := s.RemoveMember(ctx, c.ID, members[0].UserID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateLearnerInClass(ctx, c.ID, User{DisplayName: "late2", Role: RoleLearner}, nil); err != nil {
		t.Fatal(err)
	}
	// Promised seats: the open classes' limits, a closed class not counted.
	c2, _ := s.CreateClass(ctx, teacher.ID, "Tuesday")
	_ = s.SetSeatLimit(ctx, c2.ID, 10)
	if n, err := s.PromisedSeats(ctx, 0); err != nil || n != 13 {
		t.Fatalf("promised %d %v, want 13", n, err)
	}
	if n, _ := s.PromisedSeats(ctx, c2.ID); n != 3 {
		t.Fatalf("promised except c2 %d, want 3", n)
	}
	_ = s.CloseClass(ctx, c2.ID)
	if n, _ := s.PromisedSeats(ctx, 0); n != 3 {
		t.Fatalf("promised after closing %d, want 3", n)
	}
}

// TestJoinNameClash: the clash predicate sees every active member's name,
// and a clash creates nothing.
func TestJoinNameClash(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	teacher := mustUser(t, s, "teacher", RoleInstructor)
	c, _ := s.CreateClass(ctx, teacher.ID, "Monday")
	if _, err := s.CreateLearnerInClass(ctx, c.ID, User{DisplayName: "Bob", Role: RoleLearner}, nil); err != nil {
		t.Fatal(err)
	}
	clash := func(m string) bool { return strings.EqualFold(m, "bob") }
	_, err := s.CreateLearnerInClass(ctx, c.ID, User{DisplayName: "BOB", Role: RoleLearner}, clash)
	wantErr(t, err, ErrNameTaken)
	other := mustUser(t, s, "bob", RoleLearner)
	wantErr(t, s.JoinClass(ctx, c.ID, other.ID, clash), ErrNameTaken)
}

// TestSessionGen: each bump returns a higher generation, read back with
// the user.
func TestSessionGen(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	u := mustUser(t, s, "ann", RoleLearner)
	if u.SessionGen != 0 {
		t.Fatalf("new user's generation %d", u.SessionGen)
	}
	g1, err := s.BumpSessionGen(ctx, u.ID)
	if err != nil || g1 != 1 {
		t.Fatalf("bump: %d %v", g1, err)
	}
	g2, _ := s.BumpSessionGen(ctx, u.ID)
	got, _ := s.UserByID(ctx, u.ID)
	if g2 != 2 || got.SessionGen != 2 {
		t.Fatalf("gen %d, stored %d", g2, got.SessionGen)
	}
	_, err = s.BumpSessionGen(ctx, 9999)
	wantErr(t, err, ErrNotFound)
}

// TestExpectedArrivals: a class expects its free seats plus the members
// who joined but have no sandbox yet (their page is about to ask for one);
// a member counts as arrived once a sandbox is made for them, or an hour
// after joining without one.
func TestExpectedArrivals(t *testing.T) {
	ctx := context.Background()
	s, clk, _ := newStore(t)
	teacher := mustUser(t, s, "teacher", RoleInstructor)
	c, err := s.CreateClass(ctx, teacher.ID, "Monday")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetSeatLimit(ctx, c.ID, 5); err != nil {
		t.Fatal(err)
	}
	want := func(n int) {
		t.Helper()
		if got, err := s.ExpectedArrivals(ctx); err != nil || got != n {
			t.Fatalf("expected arrivals %d (%v), want %d", got, err, n)
		}
	}
	want(5)
	a, err := s.CreateLearnerInClass(ctx, c.ID, User{DisplayName: "a", Role: RoleLearner}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateLearnerInClass(ctx, c.ID, User{DisplayName: "b", Role: RoleLearner}, nil); err != nil {
		t.Fatal(err)
	}
	want(5) // both joined, neither has a sandbox yet: their warm ones must stay
	if _, err := s.UpsertSandbox(ctx, Sandbox{UserID: a.ID, Name: "u1", Backend: "embedded", State: SandboxStarting}); err != nil {
		t.Fatal(err)
	}
	want(4)
	clk.Advance(2 * time.Hour)
	want(3) // b joined long ago without ever opening a page
}
