package quizzes_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/quizzes"
)

func catalog(t *testing.T) *labs.Catalog {
	t.Helper()
	cat, err := labs.Load()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func TestEveryLabQuizExistsAndTheModulesChecksAreThere(t *testing.T) {
	cat := catalog(t)
	set, err := quizzes.Load(cat)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range cat.Labs {
		if l.Quiz != "" && set.Quiz(l.Quiz) == nil {
			t.Errorf("lab %s names quiz %s, which does not exist", l.ID, l.Quiz)
		}
	}
	module := 0
	for _, id := range set.IDs() {
		q := set.Quiz(id)
		original := 0
		for _, qu := range q.Questions {
			switch qu.Origin {
			case "module":
				module++
			case "original":
				original++
			}
		}
		if original < 3 {
			t.Errorf("quiz %s has %d original questions, want at least 3", id, original)
		}
	}
	if module < 2 {
		t.Errorf("the module's two knowledge checks: found %d", module)
	}
	pod := set.Quiz("pod-basics")
	for _, qu := range pod.Questions {
		if qu.Origin == "module" {
			res, err := set.Score(context.Background(), &qu, qu.Answer, nil)
			if err != nil || !res.Correct {
				t.Fatalf("the right answer scored wrong: %v %+v", err, res)
			}
			for _, c := range qu.Choices {
				if c.ID != qu.Answer && strings.Contains(strings.ToLower(c.Text.En), "pod") {
					t.Errorf("module question: a wrong choice mentions Pod: %q", c.Text.En)
				}
			}
		}
	}
}

const goodQuiz = `id: demo
title: {ko: "퀴즈", en: "Quiz"}
questions:
  - id: q1
    origin: original
    prompt: {ko: "질문", en: "Question"}
    choices:
      - {id: a, text: {ko: "가", en: "A"}}
      - {id: b, text: {ko: "나", en: "B"}}
    answer: a
    explanation: {ko: "설명", en: "Why"}
`

func TestQuizLint(t *testing.T) {
	cat := catalog(t)
	if _, err := quizzes.LoadFS(fstest.MapFS{"demo.yaml": {Data: []byte(goodQuiz)}}, cat); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string][2]string{
		"no right answer":     {"answer: a", "answer: c"},
		"missing explanation": {`explanation: {ko: "설명", en: "Why"}`, `explanation: {ko: "설명"}`},
		"duplicate choice":    {"{id: b,", "{id: a,"},
		"bad origin":          {"origin: original", "origin: folklore"},
		"glossary variant":    {`prompt: {ko: "질문", en: "Question"}`, `prompt: {ko: "파드의 사본은?", en: "Question"}`},
		"glossary in choice":  {`{id: b, text: {ko: "나", en: "B"}}`, `{id: b, text: {ko: "어노테이션 대신 주석", en: "B"}}`},
	} {
		t.Run(name, func(t *testing.T) {
			bad := strings.Replace(goodQuiz, c[0], c[1], 1)
			if _, err := quizzes.LoadFS(fstest.MapFS{"demo.yaml": {Data: []byte(bad)}}, cat); err == nil {
				t.Fatal("lint accepted a broken quiz")
			}
		})
	}
}

type fakeState map[string]map[string]any

func (f fakeState) Get(_ context.Context, r labs.Resource) (map[string]any, error) {
	return f[r.Kind+"/"+r.Name], nil
}
func (f fakeState) List(context.Context, labs.Resource) ([]map[string]any, error) { return nil, nil }

// Live questions are scored against the cluster at the moment of answering.
func TestLiveQuestionReadsTheCluster(t *testing.T) {
	cat := catalog(t)
	set, err := quizzes.Load(cat)
	if err != nil {
		t.Fatal(err)
	}
	var live *quizzes.Question
	for i, qu := range set.Quiz("pod-basics").Questions {
		if qu.Live() && strings.Contains(qu.AnswerExpr, "nodeName") {
			live = &set.Quiz("pod-basics").Questions[i]
		}
	}
	if live == nil {
		t.Fatal("pod-basics has no live question about the node")
	}
	state := fakeState{"Pod/webapp": {"metadata": map[string]any{"name": "webapp"}, "spec": map[string]any{"nodeName": "ip-192-168-52-23.ec2.internal"}}}
	res, err := set.Score(context.Background(), live, " IP-192-168-52-23.ec2.internal ", state)
	if err != nil || !res.Correct {
		t.Fatalf("right node scored wrong: %v %+v", err, res)
	}
	res, _ = set.Score(context.Background(), live, "ip-192-168-40-11.ec2.internal", state)
	if res.Correct {
		t.Fatal("wrong node scored right")
	}
}
