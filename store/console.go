package store

import (
	"context"
	"slices"
	"time"
)

// ConsoleEntry is one command a user ran in the web console.
type ConsoleEntry struct {
	ID       int64
	UserID   int64
	Command  string
	ExitCode int
	// Output is the command's output, already truncated by the caller.
	Output    string
	StartedAt time.Time
	Duration  time.Duration
}

const consoleCols = `id, user_id, command, exit_code, output, started_at, duration_ms`

func scanConsole(sc scanner) (ConsoleEntry, error) {
	var (
		e                     ConsoleEntry
		startedAt, durationMS int64
	)
	if err := sc.Scan(&e.ID, &e.UserID, &e.Command, &e.ExitCode, &e.Output, &startedAt, &durationMS); err != nil {
		return ConsoleEntry{}, err
	}
	e.StartedAt, e.Duration = fromMS(startedAt), time.Duration(durationMS)*time.Millisecond
	return e, nil
}

// AppendConsole stores a console command and returns it with ID set. A zero
// e.StartedAt means now. Duration is stored in whole milliseconds. An unknown
// user yields ErrForeignKey.
func (s *Store) AppendConsole(ctx context.Context, e ConsoleEntry) (ConsoleEntry, error) {
	if e.StartedAt.IsZero() {
		e.StartedAt = s.clock()
	}
	e.StartedAt = e.StartedAt.UTC().Truncate(time.Millisecond)
	e.Duration = e.Duration.Truncate(time.Millisecond)
	res, err := s.exec(ctx, `INSERT INTO console_history (user_id, command, exit_code, output, started_at, duration_ms)
		VALUES (?, ?, ?, ?, ?, ?)`,
		e.UserID, e.Command, e.ExitCode, e.Output, toMS(e.StartedAt), e.Duration.Milliseconds())
	if err == nil {
		e.ID, err = res.LastInsertId()
	}
	if err != nil {
		return ConsoleEntry{}, wrapf(err, "append console of user %d", e.UserID)
	}
	return e, nil
}

// ConsoleHistory returns the user's last limit console entries, oldest first
// (newest last), or all of them if limit <= 0.
func (s *Store) ConsoleHistory(ctx context.Context, userID int64, limit int) ([]ConsoleEntry, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+consoleCols+`
		FROM console_history WHERE user_id = ? ORDER BY id DESC LIMIT ?`, userID, limit)
	if err != nil {
		return nil, wrapf(err, "console history of user %d", userID)
	}
	out, err := collect(rows, scanConsole)
	if err != nil {
		return nil, wrapf(err, "console history of user %d", userID)
	}
	slices.Reverse(out)
	return out, nil
}

// ConsoleSince returns the user's console entries that started at or after
// since, oldest first: the commands typed since a lab was opened.
func (s *Store) ConsoleSince(ctx context.Context, userID int64, since time.Time) ([]ConsoleEntry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+consoleCols+`
		FROM console_history WHERE user_id = ? AND started_at >= ? ORDER BY id`, userID, toMS(since))
	if err != nil {
		return nil, wrapf(err, "console of user %d since %v", userID, since)
	}
	out, err := collect(rows, scanConsole)
	return out, wrapf(err, "console of user %d since %v", userID, since)
}

// TrimConsole deletes all but the user's newest keep console entries and
// returns how many were deleted.
func (s *Store) TrimConsole(ctx context.Context, userID int64, keep int) (int64, error) {
	if keep < 0 {
		keep = 0
	}
	res, err := s.exec(ctx, `DELETE FROM console_history WHERE user_id = ?1 AND id NOT IN
		(SELECT id FROM console_history WHERE user_id = ?1 ORDER BY id DESC LIMIT ?2)`, userID, keep)
	if err != nil {
		return 0, wrapf(err, "trim console of user %d", userID)
	}
	n, err := res.RowsAffected()
	return n, wrapf(err, "trim console of user %d", userID)
}
