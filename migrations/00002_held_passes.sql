-- +goose Up
-- A step that passed stays passed until the learner resets the step or the sandbox, even when
-- the cluster changes later. passed_at is when the pass being held happened (NULL: none held);
-- it is cleared by a reset, unlike first_passed_at (the first pass ever, for the class's
-- completion plot). step_progress.passed stays the checker's latest verdict.
ALTER TABLE step_progress ADD COLUMN passed_at INTEGER;
UPDATE step_progress SET passed_at = first_passed_at;

-- +goose Down
ALTER TABLE step_progress DROP COLUMN passed_at;
