package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Errors of JoinClass besides ErrClassClosed.
var (
	// ErrClassFull reports a join past the class's seat limit.
	ErrClassFull = errors.New("class is full")
	// ErrNameTaken reports a join whose display name clashes with an
	// active member's.
	ErrNameTaken = errors.New("display name taken in this class")
)

// SetSeatLimit changes how many active members the class may have (0 = no
// limit). Members already in the class stay, even past a lowered limit.
func (s *Store) SetSeatLimit(ctx context.Context, classID int64, seats int) error {
	if seats < 0 {
		return fmt.Errorf("store: seat limit of class %d: %d is negative", classID, seats)
	}
	res, err := s.exec(ctx, `UPDATE classes SET seat_limit = ? WHERE id = ?`, seats, classID)
	return wrapf(mustAffect(res, err), "seat limit of class %d", classID)
}

// PromisedSeats sums the seat limits of every open class except the one
// given (0: none excepted): the sandboxes the server has promised.
func (s *Store) PromisedSeats(ctx context.Context, exceptClassID int64) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(seat_limit), 0) FROM classes
		WHERE closed_at IS NULL AND id != ?`, exceptClassID).Scan(&n)
	return n, wrapf(err, "promised seats")
}

// JoinClass makes userID an active member of the class, like AddMember, in
// one transaction with the checks that keep a class what its instructor
// decided: it returns ErrClassClosed for a closed class, ErrClassFull when
// the active members already fill its seat limit, and ErrNameTaken when
// clash reports true for the display name of an active member (other than
// userID). An active member joining again is a no-op.
func (s *Store) JoinClass(ctx context.Context, classID, userID int64, clash func(memberName string) bool) error {
	now := toMS(s.clock())
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		already, err := checkJoin(ctx, tx, classID, userID, clash)
		if err != nil || already {
			return err
		}
		return insertMember(ctx, tx, classID, userID, now)
	})
	return wrapf(err, "user %d joins class %d", userID, classID)
}

// CreateLearnerInClass creates the learner u and makes them a member of
// the class in one transaction, with JoinClass's checks: nothing is
// created when the class is closed, full, or has a member whose name
// clashes.
func (s *Store) CreateLearnerInClass(ctx context.Context, classID int64, u User, clash func(memberName string) bool) (User, error) {
	var out User
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := checkJoin(ctx, tx, classID, 0, clash); err != nil {
			return err
		}
		var err error
		now := s.clock()
		if out, err = createUser(ctx, tx, u, now); err != nil {
			return err
		}
		return insertMember(ctx, tx, classID, out.ID, toMS(now))
	})
	if err != nil {
		return User{}, wrapf(err, "new learner %q in class %d", u.DisplayName, classID)
	}
	return out, nil
}

// checkJoin applies JoinClass's checks; already reports that userID is an
// active member.
func checkJoin(ctx context.Context, tx *sql.Tx, classID, userID int64, clash func(string) bool) (already bool, err error) {
	var (
		closedAt sql.NullInt64
		seats    int
	)
	if err := tx.QueryRowContext(ctx, `SELECT closed_at, seat_limit FROM classes WHERE id = ?`, classID).Scan(&closedAt, &seats); err != nil {
		return false, err
	}
	if closedAt.Valid {
		return false, ErrClassClosed
	}
	rows, err := tx.QueryContext(ctx, `SELECT u.id, u.display_name FROM class_members m JOIN users u ON u.id = m.user_id
		WHERE m.class_id = ? AND m.removed_at IS NULL`, classID)
	if err != nil {
		return false, err
	}
	type member struct {
		id   int64
		name string
	}
	members, err := collect(rows, func(sc scanner) (member, error) {
		var m member
		err := sc.Scan(&m.id, &m.name)
		return m, err
	})
	if err != nil {
		return false, err
	}
	for _, m := range members {
		if m.id == userID {
			return true, nil
		}
	}
	if seats > 0 && len(members) >= seats {
		return false, ErrClassFull
	}
	if clash != nil {
		for _, m := range members {
			if clash(m.name) {
				return false, ErrNameTaken
			}
		}
	}
	return false, nil
}

func insertMember(ctx context.Context, tx *sql.Tx, classID, userID, nowMS int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO class_members (class_id, user_id, joined_at) VALUES (?, ?, ?)
		ON CONFLICT (class_id, user_id) DO UPDATE SET joined_at = excluded.joined_at, removed_at = NULL
		WHERE removed_at IS NOT NULL`, classID, userID, nowMS)
	return err
}

// BumpSessionGen starts a new session generation for the user, so that
// every session signed in before is refused, and returns it.
func (s *Store) BumpSessionGen(ctx context.Context, userID int64) (int64, error) {
	var gen int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `UPDATE users SET session_gen = session_gen + 1 WHERE id = ? RETURNING session_gen`, userID).Scan(&gen)
	})
	return gen, wrapf(err, "new session generation of user %d", userID)
}

// arrivingFor is how long a member who joined counts as still arriving
// when no sandbox has been made for them yet (their page opens it).
const arrivingFor = time.Hour

// ExpectedArrivals is how many students the open classes still expect:
// for each open class, its seat limit less its active members who already
// have a sandbox. A member who joined within the last hour and has no
// sandbox yet is still on the way to their page, so a warm sandbox stays
// kept for them: counting them as arrived at the join would stop the very
// sandbox they are about to take.
func (s *Store) ExpectedArrivals(ctx context.Context) (int, error) {
	var n int
	since := toMS(s.clock().Add(-arrivingFor))
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(MAX(c.seat_limit - (SELECT COUNT(*) FROM class_members m
		WHERE m.class_id = c.id AND m.removed_at IS NULL
		AND (m.joined_at < ? OR EXISTS (SELECT 1 FROM sandboxes b WHERE b.user_id = m.user_id))), 0)), 0)
		FROM classes c WHERE c.closed_at IS NULL`, since).Scan(&n)
	return n, wrapf(err, "expected arrivals")
}
