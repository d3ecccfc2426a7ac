-- +goose Up
-- Class mode under a hostile student (issue 19): a seat limit per class
-- (0 = none), and a session generation per user: a session signed in under
-- an older generation is refused (a new resume link, or the instructor's
-- "sign out", signs out every other browser).

ALTER TABLE classes ADD COLUMN seat_limit INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN session_gen INTEGER NOT NULL DEFAULT 0;

-- +goose Down

ALTER TABLE users DROP COLUMN session_gen;
ALTER TABLE classes DROP COLUMN seat_limit;
