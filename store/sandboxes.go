package store

import (
	"context"
	"fmt"
	"time"
)

// SandboxState is the lifecycle state of a learner's sandbox cluster.
type SandboxState string

// The states a sandbox can be in.
const (
	// SandboxStarting means the sandbox is being created or started.
	SandboxStarting SandboxState = "starting"
	// SandboxReady means the sandbox is up and usable.
	SandboxReady SandboxState = "ready"
	// SandboxStopped means the sandbox was stopped deliberately.
	SandboxStopped SandboxState = "stopped"
	// SandboxFailed means starting or running the sandbox failed; Message
	// says why.
	SandboxFailed SandboxState = "failed"
)

// Valid reports whether st is one of the defined states.
func (st SandboxState) Valid() bool {
	switch st {
	case SandboxStarting, SandboxReady, SandboxStopped, SandboxFailed:
		return true
	}
	return false
}

// Sandbox records the sandbox cluster that belongs to a user (at most one).
type Sandbox struct {
	UserID int64
	// Name is the cluster name, unique across users.
	Name string
	// Backend names the implementation running the sandbox, e.g. "kind".
	Backend string
	State   SandboxState
	// Message is a human-readable detail for State, e.g. an error.
	Message string
	// Dir is the sandbox's working directory (kubeconfig and so on).
	Dir       string
	UpdatedAt time.Time
}

const sandboxCols = `user_id, name, backend, state, message, dir, updated_at`

func scanSandbox(sc scanner) (Sandbox, error) {
	var (
		sb        Sandbox
		updatedAt int64
	)
	if err := sc.Scan(&sb.UserID, &sb.Name, &sb.Backend, &sb.State, &sb.Message, &sb.Dir, &updatedAt); err != nil {
		return Sandbox{}, err
	}
	sb.UpdatedAt = fromMS(updatedAt)
	return sb, nil
}

// UpsertSandbox creates or replaces the sandbox record of sb.UserID and
// returns it with UpdatedAt set (sb.UpdatedAt is ignored). A Name used by
// another user's sandbox yields ErrConflict; an unknown user, ErrForeignKey.
func (s *Store) UpsertSandbox(ctx context.Context, sb Sandbox) (Sandbox, error) {
	if !sb.State.Valid() {
		return Sandbox{}, fmt.Errorf("store: upsert sandbox of user %d: invalid state %q", sb.UserID, sb.State)
	}
	if sb.Name == "" {
		return Sandbox{}, fmt.Errorf("store: upsert sandbox of user %d: empty name", sb.UserID)
	}
	sb.UpdatedAt = s.clock()
	_, err := s.exec(ctx, `INSERT INTO sandboxes (`+sandboxCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET name = excluded.name, backend = excluded.backend,
			state = excluded.state, message = excluded.message, dir = excluded.dir,
			updated_at = excluded.updated_at`,
		sb.UserID, sb.Name, sb.Backend, sb.State, sb.Message, sb.Dir, toMS(sb.UpdatedAt))
	if err != nil {
		return Sandbox{}, wrapf(err, "upsert sandbox of user %d", sb.UserID)
	}
	return sb, nil
}

// SandboxByUser returns the user's sandbox, or ErrNotFound.
func (s *Store) SandboxByUser(ctx context.Context, userID int64) (Sandbox, error) {
	sb, err := scanSandbox(s.db.QueryRowContext(ctx, `SELECT `+sandboxCols+` FROM sandboxes WHERE user_id = ?`, userID))
	return sb, wrapf(err, "sandbox of user %d", userID)
}

// Sandboxes returns every sandbox ordered by user id, e.g. for reconciling
// records with running clusters at start-up.
func (s *Store) Sandboxes(ctx context.Context) ([]Sandbox, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+sandboxCols+` FROM sandboxes ORDER BY user_id`)
	if err != nil {
		return nil, wrapf(err, "sandboxes")
	}
	out, err := collect(rows, scanSandbox)
	return out, wrapf(err, "sandboxes")
}

// DeleteSandbox removes the user's sandbox record, or returns ErrNotFound.
func (s *Store) DeleteSandbox(ctx context.Context, userID int64) error {
	res, err := s.exec(ctx, `DELETE FROM sandboxes WHERE user_id = ?`, userID)
	return wrapf(mustAffect(res, err), "delete sandbox of user %d", userID)
}
