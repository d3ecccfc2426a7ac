package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"
)

// fakeClock is a settable clock for deterministic timestamps.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 123_000_000, time.UTC)

// openAt opens a store at path and closes it at the end of the test.
func openAt(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// newStore opens a fresh store in a temporary directory with a fake clock.
func newStore(t testing.TB) (*Store, *fakeClock, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubelab.db")
	s := openAt(t, path)
	clk := &fakeClock{t: t0}
	s.now = clk.Now
	return s, clk, path
}

func mustUser(t testing.TB, s *Store, name string, role Role) User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), User{DisplayName: name, Role: role})
	if err != nil {
		t.Fatalf("CreateUser(%q): %v", name, err)
	}
	return u
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
	if !strings.HasPrefix(err.Error(), "store: ") {
		t.Fatalf("error %q lacks the store: prefix", err)
	}
}

func TestOpenMigratesIdempotently(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "dir", "kubelab.db") // parent dirs are created
	versions := func(s *Store) (n int, max int64) {
		t.Helper()
		if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*), MAX(version_id) FROM goose_db_version`).Scan(&n, &max); err != nil {
			t.Fatal(err)
		}
		return n, max
	}

	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	n1, v1 := versions(s)
	if v1 < 1 {
		t.Fatalf("schema version %d after Open", v1)
	}
	for _, table := range []string{"users", "classes", "class_members", "sandboxes", "step_progress",
		"quiz_answers", "console_history", "hints", "sessions", "settings"} {
		var ok bool
		if err := s.DB().QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?)`, table).Scan(&ok); err != nil || !ok {
			t.Errorf("table %s missing (err %v)", table, err)
		}
	}
	// The pragmas from the DSN must hold on every pooled connection.
	var conns []*sql.Conn
	for range 3 {
		c, err := s.DB().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var mode string
		var fk, timeout int
		if err := c.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&timeout); err != nil {
			t.Fatal(err)
		}
		if mode != "wal" || fk != 1 || timeout != 5000 {
			t.Fatalf("journal_mode=%s foreign_keys=%d busy_timeout=%d", mode, fk, timeout)
		}
	}
	for _, c := range conns {
		c.Close()
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	for range 2 {
		s, err := Open(path)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		if n, v := versions(s); n != n1 || v != v1 {
			t.Fatalf("reopen changed goose_db_version: %d rows/v%d, was %d rows/v%d", n, v, n1, v1)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOpenRejectsBadPaths(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file:x.db", "a?b.db"} {
		if s, err := Open(p); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", p)
		}
	}
	// A file that is not a database.
	path := filepath.Join(t.TempDir(), "junk.db")
	if err := writeFile(path, strings.Repeat("not a database ", 100)); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(path); err == nil {
		s.Close()
		t.Error("Open of a non-database file succeeded")
	}
}

func TestUsers(t *testing.T) {
	ctx := context.Background()
	s, clk, _ := newStore(t)

	in := User{DisplayName: "  Kim  ", Role: RoleInstructor, Email: "kim@example.com",
		PasswordHash: "$argon2id$hash", ResumeToken: "tok-1", Locale: "en"}
	u, err := s.CreateUser(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if u.ID == 0 || u.DisplayName != "Kim" || !u.CreatedAt.Equal(t0) || !u.LastSeenAt.Equal(t0) {
		t.Fatalf("created %+v", u)
	}
	for name, get := range map[string]func() (User, error){
		"id":    func() (User, error) { return s.UserByID(ctx, u.ID) },
		"email": func() (User, error) { return s.UserByEmail(ctx, "kim@example.com") },
		"token": func() (User, error) { return s.UserByResumeToken(ctx, "tok-1") },
	} {
		got, err := get()
		if err != nil {
			t.Fatalf("by %s: %v", name, err)
		}
		if got != u {
			t.Fatalf("by %s: got %+v, want %+v", name, got, u)
		}
	}

	// Learners without email/token: NULLs do not collide, locale defaults.
	a := mustUser(t, s, "a", RoleLearner)
	b := mustUser(t, s, "b", RoleLearner)
	if a.Locale != DefaultLocale || a.Email != "" || a.ResumeToken != "" {
		t.Fatalf("learner %+v", a)
	}
	if got, err := s.UserByID(ctx, b.ID); err != nil || got.Email != "" || got.PasswordHash != "" || got.Locale != "ko" {
		t.Fatalf("learner b: %+v, %v", got, err)
	}

	_, err = s.CreateUser(ctx, User{DisplayName: "dup", Role: RoleInstructor, Email: "kim@example.com"})
	wantErr(t, err, ErrConflict)
	_, err = s.CreateUser(ctx, User{DisplayName: "dup", Role: RoleLearner, ResumeToken: "tok-1"})
	wantErr(t, err, ErrConflict)
	if _, err := s.CreateUser(ctx, User{DisplayName: "x", Role: "admin"}); err == nil {
		t.Fatal("invalid role accepted")
	}
	if _, err := s.CreateUser(ctx, User{DisplayName: " ", Role: RoleLearner}); err == nil {
		t.Fatal("empty name accepted")
	}
	// The CHECK constraint backs the Go-side validation.
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO users (display_name, role, created_at, last_seen_at) VALUES ('x', 'root', 0, 0)`); err == nil {
		t.Fatal("CHECK(role) not enforced")
	}

	_, err = s.UserByID(ctx, 9999)
	wantErr(t, err, ErrNotFound)
	_, err = s.UserByEmail(ctx, "nobody@example.com")
	wantErr(t, err, ErrNotFound)
	_, err = s.UserByEmail(ctx, "")
	wantErr(t, err, ErrNotFound)
	_, err = s.UserByResumeToken(ctx, "")
	wantErr(t, err, ErrNotFound)
	_, err = s.UserByResumeToken(ctx, "nope")
	wantErr(t, err, ErrNotFound)

	if err := s.SetUserLocale(ctx, a.ID, "en"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.SetUserLocale(ctx, 9999, "en"), ErrNotFound)
	if err := s.SetUserLocale(ctx, a.ID, ""); err == nil {
		t.Fatal("empty locale accepted")
	}
	later := clk.Advance(90 * time.Second)
	if err := s.TouchUser(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.TouchUser(ctx, 9999), ErrNotFound)
	got, err := s.UserByID(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Locale != "en" || !got.LastSeenAt.Equal(later) || !got.CreatedAt.Equal(t0) {
		t.Fatalf("after locale+touch: %+v", got)
	}
}

func TestEnsureLocalUser(t *testing.T) {
	ctx := context.Background()
	s, _, path := newStore(t)
	u1, err := s.EnsureLocalUser(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if u1.Role != RoleLearner || u1.DisplayName != LocalUserName || u1.Locale != DefaultLocale {
		t.Fatalf("local user %+v", u1)
	}
	u2, err := s.EnsureLocalUser(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if u2 != u1 {
		t.Fatalf("second call: %+v, first %+v", u2, u1)
	}
	// Concurrent first calls in a fresh store agree too.
	s2, _, _ := newStore(t)
	var wg sync.WaitGroup
	ids := make([]int64, 8)
	for i := range ids {
		wg.Go(func() {
			u, err := s2.EnsureLocalUser(ctx)
			if err != nil {
				t.Error(err)
			}
			ids[i] = u.ID
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("concurrent EnsureLocalUser returned ids %v", ids)
		}
	}

	s.Close()
	s3 := openAt(t, path)
	u3, err := s3.EnsureLocalUser(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if u3.ID != u1.ID || !u3.CreatedAt.Equal(u1.CreatedAt) {
		t.Fatalf("after restart: %+v, before %+v", u3, u1)
	}
	var n int
	if err := s3.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d users (err %v), want 1", n, err)
	}
}

func TestJoinCodes(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		c, err := newJoinCode()
		if err != nil {
			t.Fatal(err)
		}
		if len(c) != JoinCodeLength {
			t.Fatalf("code %q has length %d", c, len(c))
		}
		for _, r := range c {
			if !strings.ContainsRune(JoinCodeAlphabet, r) {
				t.Fatalf("code %q has %q outside the alphabet", c, r)
			}
		}
		if seen[c] {
			t.Fatalf("duplicate code %q", c)
		}
		seen[c] = true
	}
	for _, r := range "IL01O" {
		if strings.ContainsRune(JoinCodeAlphabet, r) {
			t.Fatalf("ambiguous %q in alphabet", r)
		}
	}
	if got := NormalizeJoinCode(" abcd-efgh "); got != "ABCDEFGH" {
		t.Fatalf("NormalizeJoinCode = %q", got)
	}
}

func TestClasses(t *testing.T) {
	ctx := context.Background()
	s, clk, _ := newStore(t)
	teacher := mustUser(t, s, "teacher", RoleInstructor)
	other := mustUser(t, s, "other teacher", RoleInstructor)
	ann := mustUser(t, s, "Ann", RoleLearner)
	bob := mustUser(t, s, "bob", RoleLearner)

	c1, err := s.CreateClass(ctx, teacher.ID, "Monday")
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	c2, err := s.CreateClass(ctx, teacher.ID, "Tuesday")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateClass(ctx, other.ID, "Other"); err != nil {
		t.Fatal(err)
	}
	if c1.JoinCode == c2.JoinCode || len(c1.JoinCode) != JoinCodeLength || c1.Closed() {
		t.Fatalf("classes %+v %+v", c1, c2)
	}
	_, err = s.CreateClass(ctx, ann.ID, "nope")
	wantErr(t, err, ErrNotInstructor)
	_, err = s.CreateClass(ctx, 9999, "nope")
	wantErr(t, err, ErrNotFound)
	if _, err := s.CreateClass(ctx, teacher.ID, " "); err == nil {
		t.Fatal("empty class name accepted")
	}

	code := strings.ToLower(c1.JoinCode[:4]) + "-" + c1.JoinCode[4:]
	got, err := s.ClassByJoinCode(ctx, code)
	if err != nil || got != c1 {
		t.Fatalf("ClassByJoinCode(%q) = %+v, %v; want %+v", code, got, err, c1)
	}
	if got, err := s.ClassByID(ctx, c2.ID); err != nil || got != c2 {
		t.Fatalf("ClassByID = %+v, %v", got, err)
	}
	_, err = s.ClassByJoinCode(ctx, "ZZZZZZZZ")
	wantErr(t, err, ErrNotFound)
	_, err = s.ClassByID(ctx, 9999)
	wantErr(t, err, ErrNotFound)

	list, err := s.ClassesByInstructor(ctx, teacher.ID)
	if err != nil || len(list) != 2 || list[0] != c2 || list[1] != c1 {
		t.Fatalf("ClassesByInstructor = %+v, %v", list, err)
	}

	// Membership.
	joined := clk.Advance(time.Minute)
	for _, u := range []User{bob, ann} {
		if err := s.AddMember(ctx, c1.ID, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddMember(ctx, c1.ID, ann.ID); err != nil { // idempotent
		t.Fatal(err)
	}
	wantErr(t, s.AddMember(ctx, 9999, ann.ID), ErrNotFound)
	wantErr(t, s.AddMember(ctx, c1.ID, 9999), ErrForeignKey)
	seen := clk.Advance(time.Minute)
	if err := s.TouchUser(ctx, bob.ID); err != nil {
		t.Fatal(err)
	}
	members, err := s.Members(ctx, c1.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []Member{
		{UserID: ann.ID, DisplayName: "Ann", Role: RoleLearner, JoinedAt: joined, LastSeenAt: t0},
		{UserID: bob.ID, DisplayName: "bob", Role: RoleLearner, JoinedAt: joined, LastSeenAt: seen},
	}
	if fmt.Sprint(members) != fmt.Sprint(want) {
		t.Fatalf("Members = %+v\nwant %+v", members, want)
	}
	if ok, err := s.IsMember(ctx, c1.ID, ann.ID); err != nil || !ok {
		t.Fatalf("IsMember(ann) = %v, %v", ok, err)
	}
	if ok, err := s.IsMember(ctx, c2.ID, ann.ID); err != nil || ok {
		t.Fatalf("IsMember(c2, ann) = %v, %v", ok, err)
	}
	if cs, err := s.ClassesByMember(ctx, ann.ID); err != nil || len(cs) != 1 || cs[0].ID != c1.ID {
		t.Fatalf("ClassesByMember = %+v, %v", cs, err)
	}

	if err := s.RemoveMember(ctx, c1.ID, ann.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveMember(ctx, c1.ID, ann.ID); err != nil { // idempotent
		t.Fatal(err)
	}
	wantErr(t, s.RemoveMember(ctx, c2.ID, ann.ID), ErrNotFound)
	if ok, _ := s.IsMember(ctx, c1.ID, ann.ID); ok {
		t.Fatal("removed member still a member")
	}
	if members, _ := s.Members(ctx, c1.ID); len(members) != 1 || members[0].UserID != bob.ID {
		t.Fatalf("Members after removal = %+v", members)
	}
	rejoined := clk.Advance(time.Minute)
	if err := s.AddMember(ctx, c1.ID, ann.ID); err != nil {
		t.Fatal(err)
	}
	if members, _ := s.Members(ctx, c1.ID); len(members) != 2 || !members[0].JoinedAt.Equal(rejoined) {
		t.Fatalf("Members after rejoin = %+v", members)
	}

	closed := clk.Advance(time.Minute)
	if err := s.CloseClass(ctx, c1.ID); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	if err := s.CloseClass(ctx, c1.ID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.CloseClass(ctx, 9999), ErrNotFound)
	c1, _ = s.ClassByID(ctx, c1.ID)
	if !c1.Closed() || !c1.ClosedAt.Equal(closed) {
		t.Fatalf("closed class %+v", c1)
	}
	wantErr(t, s.AddMember(ctx, c1.ID, mustUser(t, s, "late", RoleLearner).ID), ErrClassClosed)
	if ok, _ := s.IsMember(ctx, c1.ID, bob.ID); !ok {
		t.Fatal("closing a class dropped its members")
	}
}

func TestSandboxes(t *testing.T) {
	ctx := context.Background()
	s, clk, _ := newStore(t)
	a := mustUser(t, s, "a", RoleLearner)
	b := mustUser(t, s, "b", RoleLearner)

	sa, err := s.UpsertSandbox(ctx, Sandbox{UserID: a.ID, Name: "kl-a", Backend: "kind", State: SandboxStarting, Dir: "/var/lib/kubelab/a"})
	if err != nil {
		t.Fatal(err)
	}
	later := clk.Advance(time.Second)
	sa.State, sa.Message = SandboxFailed, "image pull failed"
	sa, err = s.UpsertSandbox(ctx, sa)
	if err != nil {
		t.Fatal(err)
	}
	if !sa.UpdatedAt.Equal(later) {
		t.Fatalf("UpdatedAt %v", sa.UpdatedAt)
	}
	if got, err := s.SandboxByUser(ctx, a.ID); err != nil || got != sa {
		t.Fatalf("SandboxByUser = %+v, %v; want %+v", got, err, sa)
	}
	sb, err := s.UpsertSandbox(ctx, Sandbox{UserID: b.ID, Name: "kl-b", Backend: "kind", State: SandboxReady})
	if err != nil {
		t.Fatal(err)
	}
	all, err := s.Sandboxes(ctx)
	if err != nil || len(all) != 2 || all[0] != sa || all[1] != sb {
		t.Fatalf("Sandboxes = %+v, %v", all, err)
	}

	_, err = s.UpsertSandbox(ctx, Sandbox{UserID: b.ID, Name: "kl-a", Backend: "kind", State: SandboxReady})
	wantErr(t, err, ErrConflict)
	_, err = s.UpsertSandbox(ctx, Sandbox{UserID: 9999, Name: "kl-x", Backend: "kind", State: SandboxReady})
	wantErr(t, err, ErrForeignKey)
	if _, err := s.UpsertSandbox(ctx, Sandbox{UserID: a.ID, Name: "kl-a", State: "exploded"}); err == nil {
		t.Fatal("invalid state accepted")
	}
	_, err = s.SandboxByUser(ctx, 9999)
	wantErr(t, err, ErrNotFound)

	if err := s.DeleteSandbox(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.DeleteSandbox(ctx, a.ID), ErrNotFound)
	if all, _ := s.Sandboxes(ctx); len(all) != 1 {
		t.Fatalf("after delete: %+v", all)
	}
}

func TestRecordVerdict(t *testing.T) {
	ctx := context.Background()
	s, clk, _ := newStore(t)
	u := mustUser(t, s, "u", RoleLearner)

	step := func(wantChanged bool, passed bool, score float64, msg string) StepProgress {
		t.Helper()
		changed, err := s.RecordVerdict(ctx, u.ID, "pods", "create", passed, score, msg)
		if err != nil {
			t.Fatal(err)
		}
		if changed != wantChanged {
			t.Fatalf("RecordVerdict(%v, %v, %q) changed = %v, want %v", passed, score, msg, changed, wantChanged)
		}
		p, err := s.Progress(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p {
			if r.LabID == "pods" && r.StepID == "create" {
				return r
			}
		}
		t.Fatal("row missing")
		return StepProgress{}
	}

	t1 := clk.Now()
	p := step(true, false, 0, "no pod named web")
	if p.Passed || p.Attempts != 1 || !p.FirstPassedAt.IsZero() || !p.UpdatedAt.Equal(t1) || p.LastMessage != "no pod named web" {
		t.Fatalf("first fail: %+v", p)
	}
	clk.Advance(time.Second)
	p = step(false, false, 0, "no pod named web") // identical: nothing changes
	if p.Attempts != 1 || !p.UpdatedAt.Equal(t1) {
		t.Fatalf("repeat fail: %+v", p)
	}
	t3 := clk.Advance(time.Second)
	p = step(true, false, 0.5, "pod web is Pending") // still failing, new message: no new attempt
	if p.Attempts != 1 || p.Score != 0.5 || !p.UpdatedAt.Equal(t3) {
		t.Fatalf("fail with new message: %+v", p)
	}
	t4 := clk.Advance(time.Second)
	p = step(true, true, 1, "ok")
	if !p.Passed || p.Attempts != 1 || !p.FirstPassedAt.Equal(t4) {
		t.Fatalf("first pass: %+v", p)
	}
	clk.Advance(time.Second)
	step(false, true, 1, "ok")
	clk.Advance(time.Second)
	p = step(true, false, 0, "pod web was deleted") // pass -> fail: the pass is held
	if !p.Passed || p.Current || !p.PassedAt.Equal(t4) || p.Attempts != 2 || !p.FirstPassedAt.Equal(t4) {
		t.Fatalf("pass then fail: %+v", p)
	}
	clk.Advance(time.Second)
	p = step(true, true, 1, "ok")
	if p.Attempts != 2 || !p.FirstPassedAt.Equal(t4) {
		t.Fatalf("pass again: %+v", p)
	}
	p = step(true, true, 0.9, "ok") // score change alone is a change
	if p.Score != 0.9 || p.Attempts != 2 {
		t.Fatalf("score change: %+v", p)
	}

	// A reset lets go of the held pass: a failing step reads as failed, and the
	// next pass is held again from its own time.
	p = step(true, false, 0, "pod web was deleted")
	if !p.Passed || p.Current {
		t.Fatalf("held before reset: %+v", p)
	}
	if n, err := s.ResetPasses(ctx, u.ID, "pods", "create"); err != nil || n != 1 {
		t.Fatalf("ResetPasses = %d, %v", n, err)
	}
	p = step(false, false, 0, "pod web was deleted")
	if p.Passed || !p.PassedAt.IsZero() || !p.FirstPassedAt.Equal(t4) {
		t.Fatalf("after reset: %+v", p)
	}
	t9 := clk.Advance(time.Second)
	p = step(true, true, 1, "ok")
	if !p.Passed || !p.Current || !p.PassedAt.Equal(t9) {
		t.Fatalf("pass after reset: %+v", p)
	}
	// A reset while the step still passes is taken up again by the next (equal) verdict.
	if n, err := s.ResetPasses(ctx, u.ID, "", ""); err != nil || n != 1 {
		t.Fatalf("ResetPasses(all) = %d, %v", n, err)
	}
	t10 := clk.Advance(time.Second)
	p = step(true, true, 1, "ok")
	if !p.PassedAt.Equal(t10) {
		t.Fatalf("pass held again after a reset: %+v", p)
	}
	if n, err := s.ResetPasses(ctx, u.ID, "other-lab", ""); err != nil || n != 0 {
		t.Fatalf("ResetPasses(other lab) = %d, %v", n, err)
	}

	// A step that passes on its first verdict takes no attempts.
	if changed, err := s.RecordVerdict(ctx, u.ID, "pods", "expose", true, 1, "ok"); err != nil || !changed {
		t.Fatal(changed, err)
	}
	all, err := s.Progress(ctx, u.ID)
	if err != nil || len(all) != 2 || all[0].StepID != "create" || all[1].StepID != "expose" {
		t.Fatalf("Progress = %+v, %v", all, err)
	}
	if all[1].Attempts != 0 || all[1].FirstPassedAt.IsZero() {
		t.Fatalf("first-time pass: %+v", all[1])
	}

	_, err = s.RecordVerdict(ctx, 9999, "pods", "create", true, 1, "")
	wantErr(t, err, ErrForeignKey)
}

func TestClassProgress(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	teacher := mustUser(t, s, "t", RoleInstructor)
	c, err := s.CreateClass(ctx, teacher.ID, "c")
	if err != nil {
		t.Fatal(err)
	}
	a := mustUser(t, s, "a", RoleLearner)
	b := mustUser(t, s, "b", RoleLearner)
	gone := mustUser(t, s, "gone", RoleLearner)
	outsider := mustUser(t, s, "outsider", RoleLearner)
	for _, u := range []User{a, b, gone} {
		if err := s.AddMember(ctx, c.ID, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RemoveMember(ctx, c.ID, gone.ID); err != nil {
		t.Fatal(err)
	}
	for _, u := range []User{a, b, gone, outsider} {
		for _, st := range []string{"s1", "s2"} {
			if _, err := s.RecordVerdict(ctx, u.ID, "lab", st, u.ID == a.ID, 0, ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	rows, err := s.ClassProgress(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%d/%s/%v", r.UserID, r.StepID, r.Passed))
	}
	want := []string{
		fmt.Sprintf("%d/s1/true", a.ID), fmt.Sprintf("%d/s2/true", a.ID),
		fmt.Sprintf("%d/s1/false", b.ID), fmt.Sprintf("%d/s2/false", b.ID),
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("ClassProgress = %v, want %v", got, want)
	}
}

func TestQuiz(t *testing.T) {
	ctx := context.Background()
	s, clk, _ := newStore(t)
	teacher := mustUser(t, s, "t", RoleInstructor)
	c, err := s.CreateClass(ctx, teacher.ID, "c")
	if err != nil {
		t.Fatal(err)
	}
	a := mustUser(t, s, "a", RoleLearner)
	b := mustUser(t, s, "b", RoleLearner)
	x := mustUser(t, s, "x", RoleLearner) // not a member
	for _, u := range []User{a, b} {
		if err := s.AddMember(ctx, c.ID, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	answer := func(u User, q, ans string, correct bool) QuizAnswer {
		t.Helper()
		clk.Advance(time.Second)
		qa, err := s.RecordQuizAnswer(ctx, u.ID, "basics", q, ans, correct)
		if err != nil {
			t.Fatal(err)
		}
		return qa
	}
	first := answer(a, "q1", "B", false)
	if first.ID == 0 || !first.AnsweredAt.Equal(clk.Now()) {
		t.Fatalf("answer %+v", first)
	}
	latest := answer(a, "q1", "A", true) // a changes their mind
	answer(a, "q2", "yes", true)
	answer(b, "q1", "B", false)
	answer(x, "q1", "C", false)

	cur, err := s.QuizAnswers(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(cur) != 2 || cur[0] != latest || cur[1].QuestionID != "q2" {
		t.Fatalf("QuizAnswers = %+v", cur)
	}
	hist, err := s.QuizAnswerHistory(ctx, a.ID, "basics", "q1")
	if err != nil || len(hist) != 2 || hist[0] != first || hist[1] != latest {
		t.Fatalf("QuizAnswerHistory = %+v, %v", hist, err)
	}

	stats, err := s.ClassQuizStats(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []QuestionStats{
		{QuizID: "basics", QuestionID: "q1", Total: 2, Correct: 1, Answers: []AnswerCount{
			{Answer: "A", Correct: true, Count: 1}, {Answer: "B", Correct: false, Count: 1}}},
		{QuizID: "basics", QuestionID: "q2", Total: 1, Correct: 1, Answers: []AnswerCount{
			{Answer: "yes", Correct: true, Count: 1}}},
	}
	if fmt.Sprintf("%+v", stats) != fmt.Sprintf("%+v", want) {
		t.Fatalf("ClassQuizStats =\n%+v\nwant\n%+v", stats, want)
	}
	answer(b, "q1", "A", true)
	stats, _ = s.ClassQuizStats(ctx, c.ID)
	if len(stats[0].Answers) != 1 || stats[0].Answers[0].Count != 2 || stats[0].Correct != 2 {
		t.Fatalf("after b changes answer: %+v", stats)
	}
	_, err = s.RecordQuizAnswer(ctx, 9999, "basics", "q1", "A", true)
	wantErr(t, err, ErrForeignKey)
}

func TestConsole(t *testing.T) {
	ctx := context.Background()
	s, clk, _ := newStore(t)
	a := mustUser(t, s, "a", RoleLearner)
	b := mustUser(t, s, "b", RoleLearner)

	var all []ConsoleEntry
	for i := range 5 {
		start := clk.Advance(time.Second)
		e, err := s.AppendConsole(ctx, ConsoleEntry{UserID: a.ID, Command: fmt.Sprintf("kubectl get pods # %d", i),
			ExitCode: i % 2, Output: "NAME READY\n", StartedAt: start, Duration: 1500*time.Millisecond + 300*time.Microsecond})
		if err != nil {
			t.Fatal(err)
		}
		if e.ID == 0 || e.Duration != 1500*time.Millisecond {
			t.Fatalf("appended %+v", e)
		}
		all = append(all, e)
	}
	e, err := s.AppendConsole(ctx, ConsoleEntry{UserID: b.ID, Command: "ls"}) // zero StartedAt: now
	if err != nil || !e.StartedAt.Equal(clk.Now()) {
		t.Fatalf("AppendConsole without StartedAt = %+v, %v", e, err)
	}

	h, err := s.ConsoleHistory(ctx, a.ID, 3)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(h) != fmt.Sprint(all[2:]) {
		t.Fatalf("ConsoleHistory(3) =\n%+v\nwant\n%+v", h, all[2:])
	}
	if h, _ := s.ConsoleHistory(ctx, a.ID, 0); len(h) != 5 || h[4].ID != all[4].ID {
		t.Fatalf("ConsoleHistory(0) = %+v", h)
	}
	if h, _ := s.ConsoleHistory(ctx, b.ID, 10); len(h) != 1 || h[0].Command != "ls" {
		t.Fatalf("ConsoleHistory(b) = %+v", h)
	}
	if got, err := s.ConsoleSince(ctx, a.ID, all[3].StartedAt); err != nil || fmt.Sprint(got) != fmt.Sprint(all[3:]) {
		t.Fatalf("ConsoleSince = %+v, %v", got, err)
	}
	n, err := s.TrimConsole(ctx, a.ID, 2)
	if err != nil || n != 3 {
		t.Fatalf("TrimConsole = %d, %v", n, err)
	}
	if h, _ := s.ConsoleHistory(ctx, a.ID, 0); fmt.Sprint(h) != fmt.Sprint(all[3:]) {
		t.Fatalf("after trim: %+v", h)
	}
	if h, _ := s.ConsoleHistory(ctx, b.ID, 0); len(h) != 1 {
		t.Fatal("TrimConsole touched another user")
	}
	_, err = s.AppendConsole(ctx, ConsoleEntry{UserID: 9999, Command: "x"})
	wantErr(t, err, ErrForeignKey)
}

func TestHints(t *testing.T) {
	ctx := context.Background()
	s, clk, _ := newStore(t)
	teacher := mustUser(t, s, "t", RoleInstructor)
	a := mustUser(t, s, "a", RoleLearner)
	b := mustUser(t, s, "b", RoleLearner)

	h1, err := s.AddHint(ctx, a.ID, teacher.ID, "check the selector")
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	h2, err := s.AddHint(ctx, a.ID, 0, "system hint")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddHint(ctx, b.ID, teacher.ID, "for b"); err != nil {
		t.Fatal(err)
	}
	got, err := s.UnreadHints(ctx, a.ID)
	if err != nil || len(got) != 2 || got[0] != h1 || got[1] != h2 || got[1].FromUserID != 0 {
		t.Fatalf("UnreadHints = %+v, %v", got, err)
	}
	wantErr(t, s.MarkHintRead(ctx, b.ID, h1.ID), ErrNotFound) // not b's hint
	if err := s.MarkHintRead(ctx, a.ID, h1.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkHintRead(ctx, a.ID, h1.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.UnreadHints(ctx, a.ID); len(got) != 1 || got[0].ID != h2.ID {
		t.Fatalf("after read: %+v", got)
	}
	if _, err := s.AddHint(ctx, a.ID, teacher.ID, "  "); err == nil {
		t.Fatal("empty hint accepted")
	}
	_, err = s.AddHint(ctx, 9999, teacher.ID, "x")
	wantErr(t, err, ErrForeignKey)
	_, err = s.AddHint(ctx, a.ID, 9999, "x")
	wantErr(t, err, ErrForeignKey)
}

func TestSettings(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	if v, ok, err := s.GetSetting(ctx, "mode"); err != nil || ok || v != "" {
		t.Fatalf("missing setting: %q %v %v", v, ok, err)
	}
	for _, v := range []string{"local", "class", ""} {
		if err := s.SetSetting(ctx, "mode", v); err != nil {
			t.Fatal(err)
		}
		if got, ok, err := s.GetSetting(ctx, "mode"); err != nil || !ok || got != v {
			t.Fatalf("GetSetting = %q %v %v, want %q", got, ok, err, v)
		}
	}
}

func TestSessionsTableFitsSCS(t *testing.T) {
	s, _, _ := newStore(t)
	ss := scsStore{s.DB()}
	if err := ss.Commit("tok", []byte("data"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := ss.Commit("old", []byte("x"), time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	b, ok, err := ss.Find("tok")
	if err != nil || !ok || string(b) != "data" {
		t.Fatalf("Find = %q %v %v", b, ok, err)
	}
	if _, ok, _ := ss.Find("old"); ok {
		t.Fatal("expired session found")
	}
	if err := ss.DeleteExpired(); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.DB().QueryRow(`SELECT COUNT(*) FROM sessions`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d sessions after cleanup (err %v), want 1", n, err)
	}
	if err := ss.Delete("tok"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := ss.Find("tok"); ok {
		t.Fatal("deleted session found")
	}
	var idx string
	if err := s.DB().QueryRow(`SELECT sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'sessions' AND name = 'sessions_expiry_idx'`).Scan(&idx); err != nil || !strings.Contains(idx, "expiry") {
		t.Fatalf("expiry index: %q %v", idx, err)
	}
}

func TestForeignKeyViolation(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	_, err := s.RecordVerdict(ctx, 424242, "lab", "step", false, 0, "")
	wantErr(t, err, ErrForeignKey)
	var se sqlite3.Error
	if !errors.As(err, &se) || se.ExtendedCode != sqlite3.ErrConstraintForeignKey {
		t.Fatalf("error %v does not carry the sqlite foreign-key error", err)
	}
	// Enforced for raw SQL on the shared pool too.
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO class_members (class_id, user_id, joined_at) VALUES (1, 1, 0)`); err == nil {
		t.Fatal("raw FK violation accepted")
	}
	// Deleting a user cascades to their rows.
	u := mustUser(t, s, "u", RoleLearner)
	if _, err := s.RecordVerdict(ctx, u.ID, "lab", "step", true, 1, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, `DELETE FROM users WHERE id = ?`, u.ID); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.Progress(ctx, u.ID); len(p) != 0 {
		t.Fatalf("progress survived user deletion: %+v", p)
	}
}

func TestCanceledContext(t *testing.T) {
	s, _, _ := newStore(t)
	u := mustUser(t, s, "u", RoleLearner)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.RecordVerdict(ctx, u.ID, "l", "s", true, 1, ""); !errors.Is(err, context.Canceled) {
		t.Fatalf("RecordVerdict with canceled ctx: %v", err)
	}
	if _, err := s.UserByID(ctx, u.ID); !errors.Is(err, context.Canceled) {
		t.Fatalf("UserByID with canceled ctx: %v", err)
	}
}

// TestSurvivesRestart writes one of everything, closes the store as a server
// shutdown would, reopens the file and reads it all back.
func TestSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	s, _, path := newStore(t)
	teacher, err := s.CreateUser(ctx, User{DisplayName: "t", Role: RoleInstructor, Email: "t@example.com", PasswordHash: "h"})
	if err != nil {
		t.Fatal(err)
	}
	learner, err := s.CreateUser(ctx, User{DisplayName: "l", Role: RoleLearner, ResumeToken: "resume"})
	if err != nil {
		t.Fatal(err)
	}
	class, err := s.CreateClass(ctx, teacher.ID, "c")
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.AddMember(ctx, class.ID, learner.ID))
	sb, err := s.UpsertSandbox(ctx, Sandbox{UserID: learner.ID, Name: "kl-l", Backend: "kind", State: SandboxReady})
	must(err)
	_, err = s.RecordVerdict(ctx, learner.ID, "lab", "step", true, 1, "ok")
	must(err)
	qa, err := s.RecordQuizAnswer(ctx, learner.ID, "quiz", "q", "A", true)
	must(err)
	ce, err := s.AppendConsole(ctx, ConsoleEntry{UserID: learner.ID, Command: "kubectl version", Output: "v1"})
	must(err)
	h, err := s.AddHint(ctx, learner.ID, teacher.ID, "hint")
	must(err)
	must(s.SetSetting(ctx, "k", "v"))
	prog, err := s.Progress(ctx, learner.ID)
	must(err)
	must(s.Close())

	s = openAt(t, path)
	if u, err := s.UserByEmail(ctx, "t@example.com"); err != nil || u != teacher {
		t.Fatalf("teacher after restart: %+v %v", u, err)
	}
	if u, err := s.UserByResumeToken(ctx, "resume"); err != nil || u != learner {
		t.Fatalf("learner after restart: %+v %v", u, err)
	}
	if c, err := s.ClassByJoinCode(ctx, class.JoinCode); err != nil || c != class {
		t.Fatalf("class after restart: %+v %v", c, err)
	}
	if ok, err := s.IsMember(ctx, class.ID, learner.ID); err != nil || !ok {
		t.Fatal("membership lost", err)
	}
	if got, err := s.SandboxByUser(ctx, learner.ID); err != nil || got != sb {
		t.Fatalf("sandbox after restart: %+v %v", got, err)
	}
	if got, err := s.Progress(ctx, learner.ID); err != nil || fmt.Sprint(got) != fmt.Sprint(prog) {
		t.Fatalf("progress after restart: %+v %v", got, err)
	}
	if got, err := s.QuizAnswers(ctx, learner.ID); err != nil || len(got) != 1 || got[0] != qa {
		t.Fatalf("quiz after restart: %+v %v", got, err)
	}
	if got, err := s.ConsoleHistory(ctx, learner.ID, 10); err != nil || len(got) != 1 || got[0] != ce {
		t.Fatalf("console after restart: %+v %v", got, err)
	}
	if got, err := s.UnreadHints(ctx, learner.ID); err != nil || len(got) != 1 || got[0] != h {
		t.Fatalf("hints after restart: %+v %v", got, err)
	}
	if v, ok, err := s.GetSetting(ctx, "k"); err != nil || !ok || v != "v" {
		t.Fatalf("setting after restart: %q %v %v", v, ok, err)
	}
}

// TestConcurrentWriters has 20 goroutines record verdicts and console lines at
// once, while others write sessions and raw transactions through DB() (which
// bypasses the store's write serialisation and relies on the busy timeout).
// Every write must succeed, and the file must pass an integrity check.
func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	s, _, path := newStore(t)
	s.now = time.Now
	const (
		writers = 20
		perG    = 25
	)
	users := make([]User, writers)
	for i := range users {
		users[i] = mustUser(t, s, fmt.Sprintf("learner %d", i), RoleLearner)
	}
	sessions := scsStore{s.DB()}

	var (
		wg    sync.WaitGroup
		fails atomic.Int64
		mu    sync.Mutex
		errs  []error
	)
	report := func(err error) {
		fails.Add(1)
		mu.Lock()
		defer mu.Unlock()
		if len(errs) < 10 {
			errs = append(errs, err)
		}
	}
	start := make(chan struct{})
	for g := range writers {
		u := users[g]
		wg.Go(func() {
			<-start
			for i := range perG {
				if _, err := s.RecordVerdict(ctx, u.ID, "lab", fmt.Sprintf("step-%d", i%5), i%2 == 0, float64(i), fmt.Sprint(i)); err != nil {
					report(err)
				}
				if _, err := s.AppendConsole(ctx, ConsoleEntry{UserID: u.ID, Command: fmt.Sprintf("echo %d", i), Output: strings.Repeat("x", 512)}); err != nil {
					report(err)
				}
				if i%5 == 0 {
					if err := s.TouchUser(ctx, u.ID); err != nil {
						report(err)
					}
					if _, err := s.Progress(ctx, u.ID); err != nil {
						report(err)
					}
				}
			}
		})
	}
	// Writers outside the store's serialisation: scs sessions and an
	// explicit read-then-write transaction, as other components might do.
	for g := range 4 {
		wg.Go(func() {
			<-start
			for i := range perG {
				if err := sessions.Commit(fmt.Sprintf("tok-%d-%d", g, i), []byte("session"), time.Now().Add(time.Hour)); err != nil {
					report(err)
				}
				err := func() error {
					tx, err := s.DB().BeginTx(ctx, nil)
					if err != nil {
						return err
					}
					defer tx.Rollback()
					var n int
					if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM settings`).Scan(&n); err != nil {
						return err
					}
					if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)`, fmt.Sprintf("raw-%d-%d", g, i), fmt.Sprint(n)); err != nil {
						return err
					}
					return tx.Commit()
				}()
				if err != nil {
					report(err)
				}
			}
		})
	}
	began := time.Now()
	close(start)
	wg.Wait()
	t.Logf("%d store writers × %d iterations + 4 raw writers in %v", writers, perG, time.Since(began))
	if n := fails.Load(); n > 0 {
		for _, err := range errs {
			var se sqlite3.Error
			if errors.As(err, &se) && se.Code == sqlite3.ErrBusy {
				t.Errorf("SQLITE_BUSY: %v", err)
			} else {
				t.Errorf("error: %v", err)
			}
		}
		t.Fatalf("%d writes failed", n)
	}

	for _, u := range users {
		h, err := s.ConsoleHistory(ctx, u.ID, 0)
		if err != nil || len(h) != perG {
			t.Fatalf("user %d: %d console lines (err %v), want %d", u.ID, len(h), err, perG)
		}
		p, err := s.Progress(ctx, u.ID)
		if err != nil || len(p) != 5 {
			t.Fatalf("user %d: %d progress rows (err %v), want 5", u.ID, len(p), err)
		}
	}
	var nSessions, nRaw int
	if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM sessions`).Scan(&nSessions); err != nil || nSessions != 4*perG {
		t.Fatalf("%d sessions (err %v)", nSessions, err)
	}
	if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM settings WHERE key LIKE 'raw-%'`).Scan(&nRaw); err != nil || nRaw != 4*perG {
		t.Fatalf("%d raw rows (err %v)", nRaw, err)
	}
	checkIntegrity(t, s)
	s.Close()
	checkIntegrity(t, openAt(t, path))
}

func checkIntegrity(t *testing.T, s *Store) {
	t.Helper()
	var res string
	if err := s.DB().QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil || res != "ok" {
		t.Fatalf("integrity_check = %q, %v", res, err)
	}
	rows, err := s.DB().Query(`PRAGMA foreign_key_check`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if rows.Next() {
		t.Fatal("foreign_key_check reports violations")
	}
}

func BenchmarkRecordVerdict(b *testing.B) {
	ctx := context.Background()
	s, _, _ := newStore(b)
	s.now = time.Now
	u := mustUser(b, s, "bench", RoleLearner)
	for i := 0; b.Loop(); i++ {
		// Alternate pass and fail so that every call writes.
		if _, err := s.RecordVerdict(ctx, u.ID, "lab", fmt.Sprintf("step-%d", i%16), i/16%2 == 0, 1, "msg"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendConsole(b *testing.B) {
	ctx := context.Background()
	s, _, _ := newStore(b)
	s.now = time.Now
	u := mustUser(b, s, "bench", RoleLearner)
	out := strings.Repeat("NAME   READY   STATUS    RESTARTS   AGE\n", 25) // ~1 KiB
	for b.Loop() {
		if _, err := s.AppendConsole(ctx, ConsoleEntry{UserID: u.ID, Command: "kubectl get pods", Output: out, Duration: 42 * time.Millisecond}); err != nil {
			b.Fatal(err)
		}
	}
}

func writeFile(path, content string) error {
	return os.WriteFile(path, []byte(content), 0o600)
}

// scsStore issues exactly the statements of
// github.com/alexedwards/scs/sqlite3store (Find, Commit, Delete), so the
// tests check the sessions table against what that package expects without
// making it a dependency of this package.
type scsStore struct{ db *sql.DB }

func (s scsStore) Find(token string) ([]byte, bool, error) {
	var b []byte
	err := s.db.QueryRow("SELECT data FROM sessions WHERE token = $1 AND julianday('now') < expiry", token).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	return b, err == nil, err
}

func (s scsStore) Commit(token string, b []byte, expiry time.Time) error {
	_, err := s.db.Exec("REPLACE INTO sessions (token, data, expiry) VALUES ($1, $2, julianday($3))",
		token, b, expiry.UTC().Format("2006-01-02T15:04:05.999"))
	return err
}

func (s scsStore) Delete(token string) error {
	_, err := s.db.Exec("DELETE FROM sessions WHERE token = $1", token)
	return err
}

func (s scsStore) DeleteExpired() error {
	_, err := s.db.Exec("DELETE FROM sessions WHERE expiry < julianday('now')")
	return err
}
