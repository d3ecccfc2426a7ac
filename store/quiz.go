package store

import (
	"context"
	"time"
)

// QuizAnswer is one answer a user gave to a quiz question. Every answer is
// kept; the latest one per question is the user's current answer.
type QuizAnswer struct {
	ID         int64
	UserID     int64
	QuizID     string
	QuestionID string
	// Answer is the answer as encoded by the caller (e.g. a choice id).
	Answer     string
	Correct    bool
	AnsweredAt time.Time
}

// QuestionStats summarises a class's current answers to one question.
type QuestionStats struct {
	QuizID     string
	QuestionID string
	// Total is the number of members who answered.
	Total int
	// Correct is the number of members whose current answer is correct.
	Correct int
	// Answers has one entry per distinct answer, most frequent first.
	Answers []AnswerCount
}

// AnswerCount is how many class members currently give Answer.
type AnswerCount struct {
	Answer  string
	Correct bool
	Count   int
}

const quizCols = `id, user_id, quiz_id, question_id, answer, correct, answered_at`

func scanQuizAnswer(sc scanner) (QuizAnswer, error) {
	var (
		a          QuizAnswer
		answeredAt int64
	)
	if err := sc.Scan(&a.ID, &a.UserID, &a.QuizID, &a.QuestionID, &a.Answer, &a.Correct, &answeredAt); err != nil {
		return QuizAnswer{}, err
	}
	a.AnsweredAt = fromMS(answeredAt)
	return a, nil
}

// RecordQuizAnswer stores an answer, which becomes the user's current answer
// to the question, and returns it with ID and AnsweredAt set. An unknown user
// yields ErrForeignKey.
func (s *Store) RecordQuizAnswer(ctx context.Context, userID int64, quizID, questionID, answer string, correct bool) (QuizAnswer, error) {
	a := QuizAnswer{UserID: userID, QuizID: quizID, QuestionID: questionID, Answer: answer,
		Correct: correct, AnsweredAt: s.clock()}
	res, err := s.exec(ctx, `INSERT INTO quiz_answers (user_id, quiz_id, question_id, answer, correct, answered_at)
		VALUES (?, ?, ?, ?, ?, ?)`, userID, quizID, questionID, answer, boolInt(correct), toMS(a.AnsweredAt))
	if err == nil {
		a.ID, err = res.LastInsertId()
	}
	if err != nil {
		return QuizAnswer{}, wrapf(err, "record answer of user %d to %s/%s", userID, quizID, questionID)
	}
	return a, nil
}

// QuizAnswers returns the user's current (latest) answer to every question
// they have answered, ordered by quiz and question id.
func (s *Store) QuizAnswers(ctx context.Context, userID int64) ([]QuizAnswer, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+quizCols+` FROM quiz_answers
		WHERE id IN (SELECT MAX(id) FROM quiz_answers WHERE user_id = ? GROUP BY quiz_id, question_id)
		ORDER BY quiz_id, question_id`, userID)
	if err != nil {
		return nil, wrapf(err, "quiz answers of user %d", userID)
	}
	out, err := collect(rows, scanQuizAnswer)
	return out, wrapf(err, "quiz answers of user %d", userID)
}

// QuizAnswerHistory returns every answer the user gave to one question,
// oldest first.
func (s *Store) QuizAnswerHistory(ctx context.Context, userID int64, quizID, questionID string) ([]QuizAnswer, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+quizCols+` FROM quiz_answers
		WHERE user_id = ? AND quiz_id = ? AND question_id = ? ORDER BY id`, userID, quizID, questionID)
	if err != nil {
		return nil, wrapf(err, "answer history of user %d on %s/%s", userID, quizID, questionID)
	}
	out, err := collect(rows, scanQuizAnswer)
	return out, wrapf(err, "answer history of user %d on %s/%s", userID, quizID, questionID)
}

// ClassQuizStats counts, for every question answered by an active member of
// the class, how many members currently give each answer. Questions are
// ordered by quiz and question id.
func (s *Store) ClassQuizStats(ctx context.Context, classID int64) ([]QuestionStats, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT a.quiz_id, a.question_id, a.answer, MAX(a.correct), COUNT(*)
		FROM quiz_answers a
		WHERE a.id IN (
			SELECT MAX(q.id) FROM class_members m JOIN quiz_answers q ON q.user_id = m.user_id
			WHERE m.class_id = ? AND m.removed_at IS NULL
			GROUP BY q.user_id, q.quiz_id, q.question_id)
		GROUP BY a.quiz_id, a.question_id, a.answer
		ORDER BY a.quiz_id, a.question_id, COUNT(*) DESC, a.answer`, classID)
	if err != nil {
		return nil, wrapf(err, "quiz stats of class %d", classID)
	}
	type row struct {
		quiz, question string
		AnswerCount
	}
	flat, err := collect(rows, func(sc scanner) (row, error) {
		var r row
		err := sc.Scan(&r.quiz, &r.question, &r.Answer, &r.Correct, &r.Count)
		return r, err
	})
	if err != nil {
		return nil, wrapf(err, "quiz stats of class %d", classID)
	}
	var out []QuestionStats
	for _, r := range flat {
		if n := len(out); n == 0 || out[n-1].QuizID != r.quiz || out[n-1].QuestionID != r.question {
			out = append(out, QuestionStats{QuizID: r.quiz, QuestionID: r.question})
		}
		q := &out[len(out)-1]
		q.Total += r.Count
		if r.Correct {
			q.Correct += r.Count
		}
		q.Answers = append(q.Answers, r.AnswerCount)
	}
	return out, nil
}
