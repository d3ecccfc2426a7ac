// Package quizzes holds the course's knowledge checks as data
// (content/<id>.yaml) and scores answers, including live questions whose
// right answer is read from the learner's own cluster when they answer.
package quizzes

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/text"
)

//go:embed content
var contentFS embed.FS

// Quiz is one knowledge check.
type Quiz struct {
	ID        string     `json:"id"`
	Title     text.Text  `json:"title"`
	Sources   []string   `json:"sources"`
	Questions []Question `json:"questions"`
}

// Question is a multiple-choice or live question.
type Question struct {
	ID          string         `json:"id"`
	Origin      string         `json:"origin"` // module | original | live
	Prompt      text.Text      `json:"prompt"`
	Choices     []Choice       `json:"choices,omitempty"`
	Answer      string         `json:"answer,omitempty"`
	Resource    *labs.Resource `json:"resource,omitempty"`
	AnswerExpr  string         `json:"answerExpr,omitempty"`
	Explanation text.Text      `json:"explanation"`
}

// Live reports whether the question is answered from the live cluster.
func (q *Question) Live() bool { return q.Origin == "live" }

// Choice is one option of a multiple-choice question.
type Choice struct {
	ID   string    `json:"id"`
	Text text.Text `json:"text"`
}

// Set is all quizzes by id.
type Set struct {
	byID map[string]*Quiz
	ids  []string
	cat  *labs.Catalog
}

// Quiz returns the quiz with the given id, or nil.
func (s *Set) Quiz(id string) *Quiz { return s.byID[id] }

// IDs lists the quiz ids in order.
func (s *Set) IDs() []string { return s.ids }

// Question returns a question of a quiz, or nil.
func (q *Quiz) Question(id string) *Question {
	for i := range q.Questions {
		if q.Questions[i].ID == id {
			return &q.Questions[i]
		}
	}
	return nil
}

// Load reads and lints the built-in quizzes; cat compiles live answers.
func Load(cat *labs.Catalog) (*Set, error) {
	sub, err := fs.Sub(contentFS, "content")
	if err != nil {
		return nil, fmt.Errorf("quizzes: %w", err)
	}
	return LoadFS(sub, cat)
}

// LoadFS reads quizzes from fsys (<id>.yaml files) and lints them.
func LoadFS(fsys fs.FS, cat *labs.Catalog) (*Set, error) {
	files, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, fmt.Errorf("quizzes: %w", err)
	}
	s := &Set{byID: map[string]*Quiz{}, cat: cat}
	var problems []string
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("quizzes: read %s: %w", f, err)
		}
		var q Quiz
		if err := yaml.UnmarshalStrict(data, &q); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", f, err))
			continue
		}
		if want := strings.TrimSuffix(path.Base(f), ".yaml"); q.ID != want {
			problems = append(problems, fmt.Sprintf("%s: id %q differs from the file name", f, q.ID))
		}
		for _, p := range lint(&q, cat) {
			problems = append(problems, f+": "+p)
		}
		s.byID[q.ID] = &q
		s.ids = append(s.ids, q.ID)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("quizzes: content has %d problem(s):\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	sort.Strings(s.ids)
	return s, nil
}

func lint(q *Quiz, cat *labs.Catalog) []string {
	var p []string
	add := func(f string, a ...any) { p = append(p, fmt.Sprintf(f, a...)) }
	both := func(what string, t text.Text) {
		if strings.TrimSpace(t.Ko) == "" || strings.TrimSpace(t.En) == "" {
			add("%s needs both ko and en", what)
		}
		if cat != nil && cat.Glossary() != nil {
			for _, g := range cat.Glossary().Check(t.Ko) {
				add("%s: %s", what, g)
			}
		}
	}
	both("title", q.Title)
	seen := map[string]bool{}
	for _, qu := range q.Questions {
		w := "question " + qu.ID
		if qu.ID == "" || seen[qu.ID] {
			add("%s: id missing or repeated", w)
		}
		seen[qu.ID] = true
		both(w+" prompt", qu.Prompt)
		both(w+" explanation", qu.Explanation)
		switch qu.Origin {
		case "module", "original":
			if len(qu.Choices) < 2 {
				add("%s: needs at least two choices", w)
			}
			right := 0
			ids := map[string]bool{}
			for _, c := range qu.Choices {
				both(w+" choice "+c.ID, c.Text)
				if ids[c.ID] {
					add("%s: choice %s repeated", w, c.ID)
				}
				ids[c.ID] = true
				if c.ID == qu.Answer {
					right++
				}
			}
			if right != 1 {
				add("%s: answer %q must name exactly one choice", w, qu.Answer)
			}
		case "live":
			if qu.AnswerExpr == "" {
				add("%s: live question without answerExpr", w)
			} else if cat != nil {
				if err := cat.Compile(qu.AnswerExpr); err != nil {
					add("%s: answerExpr: %v", w, err)
				}
			}
		default:
			add("%s: origin %q is not module, original or live", w, qu.Origin)
		}
	}
	if len(q.Questions) == 0 {
		add("no questions")
	}
	return p
}

// Result is the verdict on one answer.
type Result struct {
	Correct bool `json:"correct"`
	// Expected is the right answer (a choice id, or the live value).
	Expected    string    `json:"expected"`
	Explanation text.Text `json:"explanation"`
}

// Score checks an answer. Live questions read the cluster through state at
// this moment; the comparison is trimmed and case-insensitive.
func (s *Set) Score(ctx context.Context, q *Question, answer string, state labs.State) (Result, error) {
	r := Result{Explanation: q.Explanation}
	if !q.Live() {
		r.Expected = q.Answer
		r.Correct = answer == q.Answer
		return r, nil
	}
	v, err := s.cat.Eval(ctx, q.AnswerExpr, q.Resource, state, labs.Activity{})
	if err != nil {
		return r, fmt.Errorf("quizzes: live answer of %s: %w", q.ID, err)
	}
	r.Expected = fmt.Sprint(v)
	r.Correct = strings.EqualFold(strings.TrimSpace(answer), strings.TrimSpace(r.Expected))
	return r, nil
}
