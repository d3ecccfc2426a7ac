-- +goose Up
-- kubelab initial schema.
-- Timestamps are unix milliseconds (UTC) stored as INTEGER; NULL means "never".

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    display_name  TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('learner', 'instructor')),
    email         TEXT    UNIQUE,
    password_hash TEXT,
    resume_token  TEXT    UNIQUE,
    locale        TEXT    NOT NULL DEFAULT 'ko',
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL
);

CREATE TABLE classes (
    id            INTEGER PRIMARY KEY,
    instructor_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    join_code     TEXT    NOT NULL UNIQUE,
    closed_at     INTEGER,
    created_at    INTEGER NOT NULL
);

CREATE INDEX classes_instructor_idx ON classes (instructor_id);

CREATE TABLE class_members (
    class_id   INTEGER NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at  INTEGER NOT NULL,
    removed_at INTEGER,
    PRIMARY KEY (class_id, user_id)
) WITHOUT ROWID;

CREATE INDEX class_members_user_idx ON class_members (user_id);

CREATE TABLE sandboxes (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL UNIQUE,
    backend    TEXT    NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('starting', 'ready', 'stopped', 'failed')),
    message    TEXT    NOT NULL DEFAULT '',
    dir        TEXT    NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL
);

CREATE TABLE step_progress (
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    lab_id          TEXT    NOT NULL,
    step_id         TEXT    NOT NULL,
    passed          INTEGER NOT NULL CHECK (passed IN (0, 1)),
    score           REAL    NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    first_passed_at INTEGER,
    last_message    TEXT    NOT NULL DEFAULT '',
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (user_id, lab_id, step_id)
) WITHOUT ROWID;

CREATE TABLE quiz_answers (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    quiz_id     TEXT    NOT NULL,
    question_id TEXT    NOT NULL,
    answer      TEXT    NOT NULL,
    correct     INTEGER NOT NULL CHECK (correct IN (0, 1)),
    answered_at INTEGER NOT NULL
);

-- Latest answer per (user, quiz, question) is MAX(id) within the group.
CREATE INDEX quiz_answers_user_question_idx ON quiz_answers (user_id, quiz_id, question_id, id);

CREATE TABLE console_history (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    command     TEXT    NOT NULL,
    exit_code   INTEGER NOT NULL,
    output      TEXT    NOT NULL DEFAULT '',
    started_at  INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX console_history_user_idx ON console_history (user_id, id);

CREATE TABLE hints (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    from_user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    text         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    read_at      INTEGER
);

CREATE INDEX hints_unread_idx ON hints (user_id, id) WHERE read_at IS NULL;
CREATE INDEX hints_from_user_idx ON hints (from_user_id) WHERE from_user_id IS NOT NULL;

-- Exactly the table github.com/alexedwards/scs/sqlite3store expects.
CREATE TABLE sessions (
    token  TEXT PRIMARY KEY,
    data   BLOB NOT NULL,
    expiry REAL NOT NULL
);

CREATE INDEX sessions_expiry_idx ON sessions (expiry);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- +goose Down

DROP TABLE settings;
DROP INDEX sessions_expiry_idx;
DROP TABLE sessions;
DROP INDEX hints_from_user_idx;
DROP INDEX hints_unread_idx;
DROP TABLE hints;
DROP INDEX console_history_user_idx;
DROP TABLE console_history;
DROP INDEX quiz_answers_user_question_idx;
DROP TABLE quiz_answers;
DROP TABLE step_progress;
DROP TABLE sandboxes;
DROP INDEX class_members_user_idx;
DROP TABLE class_members;
DROP INDEX classes_instructor_idx;
DROP TABLE classes;
DROP TABLE users;
