package store

import (
	"context"
	"database/sql"
)

// SetResumeToken replaces the user's resume token (as computed by the
// caller, typically a hash of the secret the learner holds); "" clears it.
// A token held by another user yields ErrConflict, an unknown user
// ErrNotFound.
func (s *Store) SetResumeToken(ctx context.Context, userID int64, token string) error {
	res, err := s.exec(ctx, `UPDATE users SET resume_token = ? WHERE id = ?`, nullStr(token), userID)
	// The token is a credential: keep it out of error messages.
	return wrapf(mustAffect(res, err), "set resume token of user %d", userID)
}

// SetPasswordHash replaces the user's password hash; "" clears it.
func (s *Store) SetPasswordHash(ctx context.Context, userID int64, hash string) error {
	res, err := s.exec(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, nullStr(hash), userID)
	return wrapf(mustAffect(res, err), "set password of user %d", userID)
}

// Hints returns every hint of the user, read or not, newest first, at most
// limit of them (all if limit <= 0).
func (s *Store) Hints(ctx context.Context, userID int64, limit int) ([]Hint, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, user_id, from_user_id, text, created_at, read_at
		FROM hints WHERE user_id = ? ORDER BY id DESC LIMIT ?`, userID, limit)
	if err != nil {
		return nil, wrapf(err, "hints of user %d", userID)
	}
	out, err := collect(rows, func(sc scanner) (Hint, error) {
		var (
			h         Hint
			from      sql.NullInt64
			createdAt int64
			readAt    sql.NullInt64
		)
		if err := sc.Scan(&h.ID, &h.UserID, &from, &h.Text, &createdAt, &readAt); err != nil {
			return Hint{}, err
		}
		h.FromUserID, h.CreatedAt, h.ReadAt = from.Int64, fromMS(createdAt), fromNullMS(readAt)
		return h, nil
	})
	return out, wrapf(err, "hints of user %d", userID)
}

// ClassSandboxes returns the sandbox records of the class's active members,
// by user id.
func (s *Store) ClassSandboxes(ctx context.Context, classID int64) (map[int64]Sandbox, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT s.user_id, s.name, s.backend, s.state, s.message, s.dir, s.updated_at
		FROM class_members m JOIN sandboxes s ON s.user_id = m.user_id
		WHERE m.class_id = ? AND m.removed_at IS NULL`, classID)
	if err != nil {
		return nil, wrapf(err, "sandboxes of class %d", classID)
	}
	list, err := collect(rows, scanSandbox)
	if err != nil {
		return nil, wrapf(err, "sandboxes of class %d", classID)
	}
	out := make(map[int64]Sandbox, len(list))
	for _, sb := range list {
		out[sb.UserID] = sb
	}
	return out, nil
}

// ClassQuizAnswers returns the current (latest) answer of every active
// member of the class to every question they answered, ordered by user,
// quiz and question.
func (s *Store) ClassQuizAnswers(ctx context.Context, classID int64) ([]QuizAnswer, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+quizCols+` FROM quiz_answers WHERE id IN (
			SELECT MAX(q.id) FROM class_members m JOIN quiz_answers q ON q.user_id = m.user_id
			WHERE m.class_id = ? AND m.removed_at IS NULL
			GROUP BY q.user_id, q.quiz_id, q.question_id)
		ORDER BY user_id, quiz_id, question_id`, classID)
	if err != nil {
		return nil, wrapf(err, "quiz answers of class %d", classID)
	}
	out, err := collect(rows, scanQuizAnswer)
	return out, wrapf(err, "quiz answers of class %d", classID)
}
