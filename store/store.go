// Package store is kubelab's persistence layer: a single SQLite database
// (github.com/mattn/go-sqlite3, WAL mode) holding users, classes, sandboxes,
// lab progress, quiz answers, console history, instructor hints, web
// sessions and settings.
//
// Open applies the embedded schema from package migrations with goose, so a
// fresh file becomes a usable database and an existing one is upgraded in
// place. Every method takes a context.Context first and returns errors that
// start with "store:" and wrap the cause; lookups of a missing row wrap
// ErrNotFound, unique-constraint violations wrap ErrConflict and references
// to a missing user or class wrap ErrForeignKey, so callers can use
// errors.Is.
//
// Timestamps are stored as unix milliseconds and returned as UTC time.Time
// values truncated to the millisecond. A zero time.Time stands for SQL NULL
// ("never"), and an empty string stands for NULL in nullable text columns
// (email, password hash, resume token).
//
// A Store is safe for concurrent use. Writes made through the Store are
// serialised in-process, so they never wait in SQLite's busy handler; writes
// made by other users of DB (the session store) rely on the 5 s busy timeout.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"
	"github.com/pressly/goose/v3"

	"github.com/kubelab/kubelab/migrations"
)

// Sentinel errors wrapped by Store methods; test for them with errors.Is.
var (
	// ErrNotFound reports that the requested row does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict reports a unique-constraint violation, such as an email
	// address, resume token or sandbox name that is already taken.
	ErrConflict = errors.New("already exists")
	// ErrForeignKey reports that a referenced user or class does not exist.
	ErrForeignKey = errors.New("referenced row does not exist")
	// ErrClassClosed reports an attempt to join a class that has been closed.
	ErrClassClosed = errors.New("class is closed")
	// ErrNotInstructor reports that a user without the instructor role tried
	// to create a class.
	ErrNotInstructor = errors.New("user is not an instructor")
)

// dsnParams are appended to the database path when opening it: WAL so that
// readers never block the writer, a busy timeout instead of immediate
// SQLITE_BUSY errors, enforced foreign keys, and BEGIN IMMEDIATE for
// transactions so that a read-then-write transaction cannot fail to upgrade
// its lock.
const dsnParams = "_journal_mode=WAL&_busy_timeout=5000&_foreign_keys=on&_txlock=immediate"

// Store is an open kubelab database. Create one with Open and release it with
// Close.
type Store struct {
	db *sql.DB
	// wsem is a one-slot semaphore serialising this process's writes; unlike
	// a sync.Mutex, waiting for it honours context cancellation.
	wsem chan struct{}
	// now is the clock; tests replace it.
	now func() time.Time
}

// Open opens (creating it if needed) the SQLite database file at path and
// brings its schema up to date by applying the migrations embedded in
// package migrations. The parent directory is created if missing. path must
// name a file: ":memory:" and paths containing '?' are rejected.
func Open(path string) (*Store, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("store: open %q: need a plain file path", path)
	}
	if strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("store: open %q: path must not contain '?'", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("store: open %q: %w", path, err)
	}
	db, err := sql.Open("sqlite3", path+"?"+dsnParams)
	if err != nil {
		return nil, fmt.Errorf("store: open %q: %w", path, err)
	}
	ctx := context.Background()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %q: %w", path, err)
	}
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %q: %w", path, err)
	}
	return &Store{
		db:   db,
		wsem: make(chan struct{}, 1),
		now:  time.Now,
	}, nil
}

// migrate applies every pending migration from migrations.FS. Running it on
// an up-to-date database is a no-op.
func migrate(ctx context.Context, db *sql.DB) error {
	p, err := goose.NewProvider(goose.DialectSQLite3, db, migrations.FS,
		goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	// Provider.Close would close db, which belongs to the Store; the
	// provider holds nothing else, so it is simply dropped.
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Close closes the database. The Store must not be used afterwards.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// DB returns the underlying connection pool, for components that need their
// own SQL access to the same file, chiefly
// github.com/alexedwards/scs/sqlite3store, whose "sessions" table the schema
// provides. The Store keeps ownership: do not close it.
func (s *Store) DB() *sql.DB { return s.db }

// clock returns the current time as stored: UTC, millisecond precision.
func (s *Store) clock() time.Time {
	return s.now().UTC().Truncate(time.Millisecond)
}

// lockWrite takes the in-process write slot, or gives up when ctx ends.
func (s *Store) lockWrite(ctx context.Context) (unlock func(), err error) {
	select {
	case s.wsem <- struct{}{}:
		return func() { <-s.wsem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// exec runs a single writing statement while holding the write slot. Its
// error is unwrapped; callers wrap it with wrapf.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	unlock, err := s.lockWrite(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return s.db.ExecContext(ctx, query, args...)
}

// inTx runs fn in a write transaction (BEGIN IMMEDIATE, via the DSN) while
// holding the write slot, committing if fn returns nil. Its error is
// unwrapped; callers wrap it with wrapf.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	unlock, err := s.lockWrite(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// wrapf adds "store: <op>: " context to err and classifies it: sql.ErrNoRows
// becomes ErrNotFound, unique and primary-key violations wrap ErrConflict and
// foreign-key violations wrap ErrForeignKey. It returns nil for a nil err and
// only formats the message when there is an error.
func wrapf(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	op := fmt.Sprintf(format, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: %s: %w", op, ErrNotFound)
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.ExtendedCode {
		case sqlite3.ErrConstraintUnique, sqlite3.ErrConstraintPrimaryKey:
			return fmt.Errorf("store: %s: %w: %w", op, ErrConflict, err)
		case sqlite3.ErrConstraintForeignKey:
			return fmt.Errorf("store: %s: %w: %w", op, ErrForeignKey, err)
		}
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

// isUnique reports whether err is a unique-constraint violation.
func isUnique(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintUnique
}

// scanner is implemented by *sql.Row and *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// toMS converts t to stored unix milliseconds.
func toMS(t time.Time) int64 { return t.UnixMilli() }

// nullMS converts t to stored unix milliseconds, or NULL for the zero time.
func nullMS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// fromMS converts stored unix milliseconds to a UTC time.
func fromMS(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// fromNullMS converts nullable stored unix milliseconds to a UTC time, or the
// zero time for NULL.
func fromNullMS(ms sql.NullInt64) time.Time {
	if !ms.Valid {
		return time.Time{}
	}
	return fromMS(ms.Int64)
}

// nullStr maps "" to NULL for nullable text columns.
func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// boolInt converts b to the stored 0/1 form.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// collect scans every row of rows with scan, closing rows.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
