package store

import (
	"context"
	"database/sql"
	"time"
)

// StepProgress is a user's standing on one step of one lab: one cell of the
// class heat map.
type StepProgress struct {
	UserID int64
	LabID  string
	StepID string
	// Passed reports whether the step counts as passed: its latest verdict
	// passed, or it passed earlier (PassedAt) and the learner has not reset
	// it since. Every reader (page, status API, dashboard, CSV) shows this.
	Passed bool
	// Current is the checker's latest verdict. Passed && !Current means the
	// step passed earlier and the cluster has changed since.
	Current bool
	// PassedAt is when the pass being held happened; zero if none is held
	// (never passed, or reset since).
	PassedAt time.Time
	// Score is the latest score, as reported by the checker.
	Score float64
	// Attempts counts transitions to failing: a first verdict that fails,
	// or a fail after a pass.
	Attempts int
	// FirstPassedAt is when the step first passed; zero if it never has.
	// It is never cleared by later failures.
	FirstPassedAt time.Time
	// LastMessage is the checker's message for the latest verdict.
	LastMessage string
	UpdatedAt   time.Time
}

// progressCols are the columns scanProgress reads, for a step_progress table aliased p.
const progressCols = `p.user_id, p.lab_id, p.step_id, p.passed, p.passed_at, p.score, p.attempts,
	p.first_passed_at, p.last_message, p.updated_at`

func scanProgress(sc scanner) (StepProgress, error) {
	var (
		p                     StepProgress
		passedAt, firstPassed sql.NullInt64
		updatedAt             int64
	)
	if err := sc.Scan(&p.UserID, &p.LabID, &p.StepID, &p.Current, &passedAt, &p.Score, &p.Attempts,
		&firstPassed, &p.LastMessage, &updatedAt); err != nil {
		return StepProgress{}, err
	}
	p.PassedAt, p.FirstPassedAt, p.UpdatedAt = fromNullMS(passedAt), fromNullMS(firstPassed), fromMS(updatedAt)
	p.Passed = p.Current || !p.PassedAt.IsZero()
	return p, nil
}

// recordVerdictSQL inserts or updates a step_progress row in one statement.
// In the DO UPDATE clause bare column names refer to the old row and
// "excluded" to the new verdict; its WHERE skips the update (0 rows
// affected) when passed, score and message are all unchanged and no new
// pass is to be held.
const recordVerdictSQL = `INSERT INTO step_progress
	(user_id, lab_id, step_id, passed, score, attempts, first_passed_at, passed_at, last_message, updated_at)
	VALUES (?1, ?2, ?3, ?4, ?5, 1 - ?4, CASE WHEN ?4 = 1 THEN ?7 END, CASE WHEN ?4 = 1 THEN ?7 END, ?6, ?7)
	ON CONFLICT (user_id, lab_id, step_id) DO UPDATE SET
		attempts = attempts + (passed = 1 AND excluded.passed = 0),
		first_passed_at = COALESCE(first_passed_at, excluded.first_passed_at),
		passed_at = COALESCE(passed_at, excluded.passed_at),
		passed = excluded.passed,
		score = excluded.score,
		last_message = excluded.last_message,
		updated_at = excluded.updated_at
	WHERE passed <> excluded.passed OR score <> excluded.score OR last_message <> excluded.last_message
		OR (passed_at IS NULL AND excluded.passed_at IS NOT NULL)`

// RecordVerdict stores the checker's verdict for a step and reports whether
// the stored progress changed. A first verdict creates the row; a verdict
// equal to the stored one (same passed, score and message) changes nothing.
// Attempts is incremented when the step newly fails: on a first verdict that
// fails and on a pass followed by a fail (not on repeated fails).
// FirstPassedAt is set by the first pass and kept from then on; PassedAt is
// set by a pass and kept until ResetPasses. An unknown user yields
// ErrForeignKey.
func (s *Store) RecordVerdict(ctx context.Context, userID int64, labID, stepID string, passed bool, score float64, message string) (bool, error) {
	res, err := s.exec(ctx, recordVerdictSQL,
		userID, labID, stepID, boolInt(passed), score, message, toMS(s.clock()))
	if err != nil {
		return false, wrapf(err, "record verdict of user %d on %s/%s", userID, labID, stepID)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, wrapf(err, "record verdict of user %d on %s/%s", userID, labID, stepID)
	}
	return n > 0, nil
}

// Progress returns every step the user has a verdict for, ordered by lab and
// step id.
func (s *Store) Progress(ctx context.Context, userID int64) ([]StepProgress, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+progressCols+` FROM step_progress p
		WHERE p.user_id = ? ORDER BY p.lab_id, p.step_id`, userID)
	if err != nil {
		return nil, wrapf(err, "progress of user %d", userID)
	}
	out, err := collect(rows, scanProgress)
	return out, wrapf(err, "progress of user %d", userID)
}

// ClassProgress returns the progress rows of every active member of the class,
// ordered by user, lab and step: the cells of the instructor's heat map.
// Members without any verdict have no rows; combine with Members for the
// full grid.
func (s *Store) ClassProgress(ctx context.Context, classID int64) ([]StepProgress, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+progressCols+`
		FROM class_members m JOIN step_progress p ON p.user_id = m.user_id
		WHERE m.class_id = ? AND m.removed_at IS NULL
		ORDER BY p.user_id, p.lab_id, p.step_id`, classID)
	if err != nil {
		return nil, wrapf(err, "progress of class %d", classID)
	}
	out, err := collect(rows, scanProgress)
	return out, wrapf(err, "progress of class %d", classID)
}

// ResetPasses lets go of the user's held passes: of every lab when labID is
// "", of one lab when stepID is "", else of one step. From then on those
// steps read as their latest verdict until they pass again. The first pass
// (FirstPassedAt) and attempts are kept. It reports how many steps it let go.
func (s *Store) ResetPasses(ctx context.Context, userID int64, labID, stepID string) (int64, error) {
	res, err := s.exec(ctx, `UPDATE step_progress SET passed_at = NULL, updated_at = ?1
		WHERE user_id = ?2 AND passed_at IS NOT NULL AND (?3 = '' OR lab_id = ?3) AND (?4 = '' OR step_id = ?4)`,
		toMS(s.clock()), userID, labID, stepID)
	if err != nil {
		return 0, wrapf(err, "reset passes of user %d on %q/%q", userID, labID, stepID)
	}
	n, err := res.RowsAffected()
	return n, wrapf(err, "reset passes of user %d on %q/%q", userID, labID, stepID)
}
