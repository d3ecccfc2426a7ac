package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Role is a user's role.
type Role string

// The roles a user can have.
const (
	// RoleLearner works through labs; the only role in local mode.
	RoleLearner Role = "learner"
	// RoleInstructor runs classes in class mode.
	RoleInstructor Role = "instructor"
)

// Valid reports whether r is one of the defined roles.
func (r Role) Valid() bool { return r == RoleLearner || r == RoleInstructor }

// DefaultLocale is the locale given to users created without one.
const DefaultLocale = "ko"

// LocalUserName is the display name of the learner created by
// EnsureLocalUser.
const LocalUserName = "learner"

// localUserKey is the settings key holding the local-mode learner's id.
const localUserKey = "store.local_user_id"

// User is a learner or instructor account. Empty Email, PasswordHash and
// ResumeToken are stored as NULL.
type User struct {
	ID          int64
	DisplayName string
	Role        Role
	// Email identifies instructors who sign in with a password; empty for
	// learners.
	Email string
	// PasswordHash is computed by the caller; the store never sees or
	// checks passwords.
	PasswordHash string
	// ResumeToken lets a learner resume a class session; unique when set.
	ResumeToken string
	Locale      string
	CreatedAt   time.Time
	LastSeenAt  time.Time
	// SessionGen is the user's session generation: sessions signed in under
	// an older one are no longer valid (see BumpSessionGen).
	SessionGen int64
}

const userCols = `id, display_name, role, email, password_hash, resume_token, locale, created_at, last_seen_at, session_gen`

func scanUser(sc scanner) (User, error) {
	var (
		u                   User
		email, hash, token  sql.NullString
		createdAt, lastSeen int64
	)
	if err := sc.Scan(&u.ID, &u.DisplayName, &u.Role, &email, &hash, &token, &u.Locale, &createdAt, &lastSeen, &u.SessionGen); err != nil {
		return User{}, err
	}
	u.Email, u.PasswordHash, u.ResumeToken = email.String, hash.String, token.String
	u.CreatedAt, u.LastSeenAt = fromMS(createdAt), fromMS(lastSeen)
	return u, nil
}

// CreateUser inserts u and returns it with ID, CreatedAt and LastSeenAt set
// (u.ID, u.CreatedAt and u.LastSeenAt are ignored). An empty Locale becomes
// DefaultLocale. A taken Email or ResumeToken yields ErrConflict.
func (s *Store) CreateUser(ctx context.Context, u User) (User, error) {
	var out User
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = createUser(ctx, tx, u, s.clock())
		return err
	})
	if err != nil {
		return User{}, wrapf(err, "create user %q", u.DisplayName)
	}
	return out, nil
}

func createUser(ctx context.Context, tx *sql.Tx, u User, now time.Time) (User, error) {
	u.DisplayName = strings.TrimSpace(u.DisplayName)
	if u.DisplayName == "" {
		return User{}, errors.New("empty display name")
	}
	if !u.Role.Valid() {
		return User{}, fmt.Errorf("invalid role %q", u.Role)
	}
	if u.Locale == "" {
		u.Locale = DefaultLocale
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO users
		(display_name, role, email, password_hash, resume_token, locale, created_at, last_seen_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		u.DisplayName, u.Role, nullStr(u.Email), nullStr(u.PasswordHash), nullStr(u.ResumeToken),
		u.Locale, toMS(now), toMS(now))
	if err != nil {
		return User{}, err
	}
	if u.ID, err = res.LastInsertId(); err != nil {
		return User{}, err
	}
	u.CreatedAt, u.LastSeenAt = now, now
	return u, nil
}

// UserByID returns the user with the given id, or ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	return u, wrapf(err, "user %d", id)
}

// UserByResumeToken returns the user holding token, or ErrNotFound. An empty
// token never matches.
func (s *Store) UserByResumeToken(ctx context.Context, token string) (User, error) {
	if token == "" {
		return User{}, wrapf(sql.ErrNoRows, "user by resume token")
	}
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE resume_token = ?`, token))
	// The token is a credential: keep it out of error messages.
	return u, wrapf(err, "user by resume token")
}

// UserByEmail returns the user with the given email address, or ErrNotFound.
// The address is matched exactly; normalising it is the caller's job. An
// empty address never matches.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	if email == "" {
		return User{}, wrapf(sql.ErrNoRows, "user by email")
	}
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE email = ?`, email))
	return u, wrapf(err, "user by email")
}

// EnsureLocalUser returns local mode's single learner, creating it (named
// LocalUserName, with DefaultLocale) on the first call. Its id is kept in the
// settings table, so later calls, including after a restart, return the same
// user.
func (s *Store) EnsureLocalUser(ctx context.Context) (User, error) {
	var out User
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var v string
		err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, localUserKey).Scan(&v)
		switch {
		case err == nil:
			id, perr := strconv.ParseInt(v, 10, 64)
			if perr != nil {
				return fmt.Errorf("setting %s=%q: %w", localUserKey, v, perr)
			}
			out, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
			if !errors.Is(err, sql.ErrNoRows) {
				return err // found, or a real error
			}
			// The user was deleted: create a new one below.
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		out, err = createUser(ctx, tx, User{DisplayName: LocalUserName, Role: RoleLearner}, s.clock())
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
			localUserKey, strconv.FormatInt(out.ID, 10))
		return err
	})
	if err != nil {
		return User{}, wrapf(err, "ensure local user")
	}
	return out, nil
}

// SetUserLocale changes a user's locale, e.g. "ko" or "en".
func (s *Store) SetUserLocale(ctx context.Context, userID int64, locale string) error {
	if locale == "" {
		return fmt.Errorf("store: set locale of user %d: empty locale", userID)
	}
	res, err := s.exec(ctx, `UPDATE users SET locale = ? WHERE id = ?`, locale, userID)
	return wrapf(mustAffect(res, err), "set locale of user %d", userID)
}

// TouchUser records that the user was seen now (last_seen_at).
func (s *Store) TouchUser(ctx context.Context, userID int64) error {
	res, err := s.exec(ctx, `UPDATE users SET last_seen_at = ? WHERE id = ?`, toMS(s.clock()), userID)
	return wrapf(mustAffect(res, err), "touch user %d", userID)
}

// mustAffect turns an UPDATE that matched no row into sql.ErrNoRows (and so,
// after wrapf, ErrNotFound).
func mustAffect(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return sql.ErrNoRows
	}
	return nil
}
