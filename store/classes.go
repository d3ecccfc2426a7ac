package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Class is an instructor's class in class mode. Learners join it with
// JoinCode.
type Class struct {
	ID           int64
	InstructorID int64
	Name         string
	// JoinCode is JoinCodeLength characters from JoinCodeAlphabet.
	JoinCode string
	// ClosedAt is zero while the class is open.
	ClosedAt  time.Time
	CreatedAt time.Time
	// SeatLimit is how many active members the class may have; 0 = no
	// limit.
	SeatLimit int
}

// Closed reports whether the class has been closed.
func (c Class) Closed() bool { return !c.ClosedAt.IsZero() }

// Member is an active (not removed) member of a class.
type Member struct {
	UserID      int64
	DisplayName string
	Role        Role
	JoinedAt    time.Time
	LastSeenAt  time.Time
}

// JoinCodeAlphabet is the set of characters join codes are drawn from:
// upper-case letters and digits without the easily confused I, L, O, 0
// and 1.
const JoinCodeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// JoinCodeLength is the length of a join code. 31^8 ≈ 8.5e11 possible codes.
const JoinCodeLength = 8

// newJoinCode returns a uniformly random join code from crypto/rand.
func newJoinCode() (string, error) {
	const n = len(JoinCodeAlphabet)
	// Rejection sampling: bytes >= limit would bias the modulo.
	const limit = 256 - 256%n
	code := make([]byte, 0, JoinCodeLength)
	buf := make([]byte, 2*JoinCodeLength)
	for len(code) < JoinCodeLength {
		if _, err := rand.Read(buf); err != nil {
			return "", err
		}
		for _, b := range buf {
			if int(b) < limit && len(code) < JoinCodeLength {
				code = append(code, JoinCodeAlphabet[int(b)%n])
			}
		}
	}
	return string(code), nil
}

// NormalizeJoinCode upper-cases code and drops spaces and dashes, so that
// "abcd-efgh" typed by a learner matches "ABCDEFGH".
func NormalizeJoinCode(code string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '-' || r == '\t':
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, code)
}

const classCols = `id, instructor_id, name, join_code, closed_at, created_at, seat_limit`

func scanClass(sc scanner) (Class, error) {
	var (
		c         Class
		closedAt  sql.NullInt64
		createdAt int64
	)
	if err := sc.Scan(&c.ID, &c.InstructorID, &c.Name, &c.JoinCode, &closedAt, &createdAt, &c.SeatLimit); err != nil {
		return Class{}, err
	}
	c.ClosedAt, c.CreatedAt = fromNullMS(closedAt), fromMS(createdAt)
	return c, nil
}

// CreateClass creates an open class owned by instructorID with a fresh random
// join code. It returns ErrNotFound if the user does not exist and
// ErrNotInstructor if the user is not an instructor.
func (s *Store) CreateClass(ctx context.Context, instructorID int64, name string) (Class, error) {
	c := Class{InstructorID: instructorID, Name: strings.TrimSpace(name), CreatedAt: s.clock()}
	if c.Name == "" {
		return Class{}, fmt.Errorf("store: create class: empty name")
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var role Role
		if err := tx.QueryRowContext(ctx, `SELECT role FROM users WHERE id = ?`, instructorID).Scan(&role); err != nil {
			return err
		}
		if role != RoleInstructor {
			return ErrNotInstructor
		}
		// A collision is astronomically unlikely; retry a few times anyway.
		for range 5 {
			code, err := newJoinCode()
			if err != nil {
				return fmt.Errorf("join code: %w", err)
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO classes (instructor_id, name, join_code, created_at)
				VALUES (?, ?, ?, ?)`, instructorID, c.Name, code, toMS(c.CreatedAt))
			if isUnique(err) {
				continue
			}
			if err != nil {
				return err
			}
			c.JoinCode = code
			c.ID, err = res.LastInsertId()
			return err
		}
		return errors.New("could not find a free join code")
	})
	if err != nil {
		return Class{}, wrapf(err, "create class for user %d", instructorID)
	}
	return c, nil
}

// ClassByID returns the class with the given id, or ErrNotFound.
func (s *Store) ClassByID(ctx context.Context, classID int64) (Class, error) {
	c, err := scanClass(s.db.QueryRowContext(ctx, `SELECT `+classCols+` FROM classes WHERE id = ?`, classID))
	return c, wrapf(err, "class %d", classID)
}

// ClassByJoinCode returns the class with the given join code (normalised with
// NormalizeJoinCode), open or closed, or ErrNotFound.
func (s *Store) ClassByJoinCode(ctx context.Context, code string) (Class, error) {
	c, err := scanClass(s.db.QueryRowContext(ctx, `SELECT `+classCols+` FROM classes WHERE join_code = ?`,
		NormalizeJoinCode(code)))
	return c, wrapf(err, "class by join code")
}

// ClassesByInstructor returns the instructor's classes, newest first.
func (s *Store) ClassesByInstructor(ctx context.Context, instructorID int64) ([]Class, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+classCols+` FROM classes
		WHERE instructor_id = ? ORDER BY created_at DESC, id DESC`, instructorID)
	if err != nil {
		return nil, wrapf(err, "classes of instructor %d", instructorID)
	}
	out, err := collect(rows, scanClass)
	return out, wrapf(err, "classes of instructor %d", instructorID)
}

// ClassesByMember returns the classes the user is an active member of,
// newest first.
func (s *Store) ClassesByMember(ctx context.Context, userID int64) ([]Class, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT c.id, c.instructor_id, c.name, c.join_code, c.closed_at, c.created_at, c.seat_limit
		FROM classes c JOIN class_members m ON m.class_id = c.id
		WHERE m.user_id = ? AND m.removed_at IS NULL
		ORDER BY c.created_at DESC, c.id DESC`, userID)
	if err != nil {
		return nil, wrapf(err, "classes of member %d", userID)
	}
	out, err := collect(rows, scanClass)
	return out, wrapf(err, "classes of member %d", userID)
}

// CloseClass closes the class so that no one can join it any more. Closing a
// closed class keeps its original ClosedAt. It returns ErrNotFound for an
// unknown class.
func (s *Store) CloseClass(ctx context.Context, classID int64) error {
	res, err := s.exec(ctx, `UPDATE classes SET closed_at = COALESCE(closed_at, ?) WHERE id = ?`,
		toMS(s.clock()), classID)
	return wrapf(mustAffect(res, err), "close class %d", classID)
}

// AddMember makes userID an active member of the class. Adding a current
// member is a no-op; re-adding a removed member reactivates them with a new
// JoinedAt. It returns ErrNotFound for an unknown class, ErrClassClosed for a
// closed one and ErrForeignKey for an unknown user.
func (s *Store) AddMember(ctx context.Context, classID, userID int64) error {
	now := toMS(s.clock())
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var closedAt sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT closed_at FROM classes WHERE id = ?`, classID).Scan(&closedAt); err != nil {
			return err
		}
		if closedAt.Valid {
			return ErrClassClosed
		}
		return insertMember(ctx, tx, classID, userID, now)
	})
	return wrapf(err, "add user %d to class %d", userID, classID)
}

// RemoveMember removes userID from the class; their progress is kept.
// Removing an already removed member is a no-op. It returns ErrNotFound if
// the user was never a member.
func (s *Store) RemoveMember(ctx context.Context, classID, userID int64) error {
	res, err := s.exec(ctx, `UPDATE class_members SET removed_at = COALESCE(removed_at, ?)
		WHERE class_id = ? AND user_id = ?`, toMS(s.clock()), classID, userID)
	return wrapf(mustAffect(res, err), "remove user %d from class %d", userID, classID)
}

// Members returns the active members of a class ordered by display name.
func (s *Store) Members(ctx context.Context, classID int64) ([]Member, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT u.id, u.display_name, u.role, m.joined_at, u.last_seen_at
		FROM class_members m JOIN users u ON u.id = m.user_id
		WHERE m.class_id = ? AND m.removed_at IS NULL
		ORDER BY u.display_name COLLATE NOCASE, u.id`, classID)
	if err != nil {
		return nil, wrapf(err, "members of class %d", classID)
	}
	out, err := collect(rows, func(sc scanner) (Member, error) {
		var (
			m                  Member
			joinedAt, lastSeen int64
		)
		if err := sc.Scan(&m.UserID, &m.DisplayName, &m.Role, &joinedAt, &lastSeen); err != nil {
			return Member{}, err
		}
		m.JoinedAt, m.LastSeenAt = fromMS(joinedAt), fromMS(lastSeen)
		return m, nil
	})
	return out, wrapf(err, "members of class %d", classID)
}

// IsMember reports whether userID is an active member of the class.
func (s *Store) IsMember(ctx context.Context, classID, userID int64) (bool, error) {
	var ok bool
	err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM class_members
		WHERE class_id = ? AND user_id = ? AND removed_at IS NULL)`, classID, userID).Scan(&ok)
	if err != nil {
		return false, wrapf(err, "is user %d in class %d", userID, classID)
	}
	return ok, nil
}
