package texttest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kubelab/kubelab/text"
)

// recorder is a testing.TB that keeps the errors reported to it.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
}

func TestCheckKeys(t *testing.T) {
	m := text.Messages{
		"plain":         text.New("가", "a"),
		"formatted":     text.New("%d 가", "%d a"),
		"not-formatted": text.New("%s 가", "%s a"),
		"few-args":      text.New("%s %s 가", "%s %s a"),
		"spread":        text.New("%s %s 가", "%s %s a"),
		"unused":        text.New("가", "a"),
	}
	r := &recorder{TB: t}
	CheckKeys(r, m, "testdata/pkg", "msg")
	want := []string{
		`no message "missing"`,
		"msg takes one key, a string literal",
		`message "not-formatted" has 1 verbs, not formatted here`,
		`message "few-args" has 2 verbs, formatted with 1 arguments`,
		`message "unused" is not used`,
	}
	if len(r.errs) != len(want) {
		t.Errorf("%d errors, want %d:\n%s", len(r.errs), len(want), strings.Join(r.errs, "\n"))
	}
	for _, w := range want {
		if !slices.ContainsFunc(r.errs, func(e string) bool { return strings.Contains(e, w) }) {
			t.Errorf("no error %q in:\n%s", w, strings.Join(r.errs, "\n"))
		}
	}
}
