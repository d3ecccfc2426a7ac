package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Hint is a message shown to a learner, typically sent by their instructor.
type Hint struct {
	ID     int64
	UserID int64
	// FromUserID is the sender; 0 for a hint from the system (or from a
	// sender whose account was deleted).
	FromUserID int64
	Text       string
	CreatedAt  time.Time
	// ReadAt is zero while the hint is unread.
	ReadAt time.Time
}

// AddHint stores a hint for userID from fromUserID (0: the system) and
// returns it. An unknown user or sender yields ErrForeignKey.
func (s *Store) AddHint(ctx context.Context, userID, fromUserID int64, text string) (Hint, error) {
	h := Hint{UserID: userID, FromUserID: fromUserID, Text: strings.TrimSpace(text), CreatedAt: s.clock()}
	if h.Text == "" {
		return Hint{}, fmt.Errorf("store: add hint for user %d: empty text", userID)
	}
	var from any
	if fromUserID != 0 {
		from = fromUserID
	}
	res, err := s.exec(ctx, `INSERT INTO hints (user_id, from_user_id, text, created_at) VALUES (?, ?, ?, ?)`,
		userID, from, h.Text, toMS(h.CreatedAt))
	if err == nil {
		h.ID, err = res.LastInsertId()
	}
	if err != nil {
		return Hint{}, wrapf(err, "add hint for user %d", userID)
	}
	return h, nil
}

// UnreadHints returns the user's unread hints, oldest first.
func (s *Store) UnreadHints(ctx context.Context, userID int64) ([]Hint, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, user_id, from_user_id, text, created_at
		FROM hints WHERE user_id = ? AND read_at IS NULL ORDER BY id`, userID)
	if err != nil {
		return nil, wrapf(err, "unread hints of user %d", userID)
	}
	out, err := collect(rows, func(sc scanner) (Hint, error) {
		var (
			h         Hint
			from      sql.NullInt64
			createdAt int64
		)
		if err := sc.Scan(&h.ID, &h.UserID, &from, &h.Text, &createdAt); err != nil {
			return Hint{}, err
		}
		h.FromUserID, h.CreatedAt = from.Int64, fromMS(createdAt)
		return h, nil
	})
	return out, wrapf(err, "unread hints of user %d", userID)
}

// MarkHintRead marks one of the user's hints as read; marking a read hint
// again keeps its first ReadAt. It returns ErrNotFound if the user has no
// hint with that id.
func (s *Store) MarkHintRead(ctx context.Context, userID, hintID int64) error {
	res, err := s.exec(ctx, `UPDATE hints SET read_at = COALESCE(read_at, ?) WHERE id = ? AND user_id = ?`,
		toMS(s.clock()), hintID, userID)
	return wrapf(mustAffect(res, err), "mark hint %d of user %d read", hintID, userID)
}
