package web

import (
	"context"
	_ "embed"
	"html"
	"html/template"
	"io"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/a-h/templ"
)

// Diagrams are the diagram names a step may show, in tab order (assets/static/js/lab.js DIAGRAMS).
var Diagrams = []string{"cluster-map", "control-loop", "service-routing", "rolling-update", "why-pending", "why-here", "timeline", "architecture"}

// SandboxStates are the states a sandbox reports (docs/stream.md), for the UI strings sb.* and sbx.*.
var SandboxStates = []string{"starting", "ready", "stopped", "failed"}

// Backends are the sandbox backends, for the UI strings backend.*.
var Backends = []string{"embedded", "kind", "remote"}

// CourseParts are the parts of the module (docs/content-format.md), for the UI strings part.*
// the server uses as Part titles.
var CourseParts = []string{"benefits", "orchestration", "inside", "scheduling", "kubectl", "objects", "checks"}

//go:embed page.css
var pageCSS string

// labURL is the address of a lab page.
func labURL(id string) templ.SafeURL { return templ.SafeURL("/labs/" + url.PathEscape(id)) }

// LabLayouts are a lab page's layouts (main#lab[data-layout], assets/static/js/layout.js), the
// default first: the diagram side beside the lesson, a wide diagram side, the side below.
var LabLayouts = []string{"side", "wide", "below"}

// stepResetURL is where a lab's held passes are reset (POST, field step).
func stepResetURL(lab string) templ.SafeURL {
	return templ.SafeURL("/api/labs/" + url.PathEscape(lab) + "/reset")
}

// quizURL is the address of a quiz page.
func quizURL(id string) templ.SafeURL { return templ.SafeURL("/quizzes/" + url.PathEscape(id)) }

// answerURL is where a quiz answer is POSTed.
func answerURL(quiz, question string) templ.SafeURL {
	return templ.SafeURL("/quizzes/" + url.PathEscape(quiz) + "/" + url.PathEscape(question))
}

// stepURL is the address of another step of the same lab.
func stepURL(id string) templ.SafeURL { return templ.SafeURL("?step=" + url.QueryEscape(id)) }

// back is the local path forms send back as "back" (never another site).
func back(p Page) string {
	if !strings.HasPrefix(p.Path, "/") || strings.HasPrefix(p.Path, "//") || strings.HasPrefix(p.Path, `/\`) {
		return "/"
	}
	return p.Path
}

// pageTitle is the document title: the page's own title, then the course title.
func pageTitle(p Page) string {
	site := T(p.Lang, "site.title")
	if p.Title == "" || p.Title == site {
		return site + " · kubelab"
	}
	return p.Title + " · " + site
}

// sandboxText is what #sandbox-state says, as lab.js writes it.
func sandboxText(p Page) string {
	s := T(p.Lang, sandboxKey("sb.", p.SandboxState))
	if p.SandboxMessage != "" {
		s += " — " + p.SandboxMessage
	}
	return s
}

// sandboxKey is prefix + state for a known state, else prefix + "none".
func sandboxKey(prefix, state string) string {
	for _, s := range SandboxStates {
		if s == state {
			return prefix + s
		}
	}
	return prefix + "none"
}

// backendKey is the UI string key of a backend ("" for none).
func backendKey(b string) string {
	for _, x := range Backends {
		if x == b {
			return "backend." + x
		}
	}
	return ""
}

// current returns the shown step and its index (ok false if the lab has no steps).
func current(v LabView) (StepView, int, bool) {
	if len(v.Steps) == 0 {
		return StepView{}, 0, false
	}
	i := min(max(v.Current, 0), len(v.Steps)-1)
	return v.Steps[i], i, true
}

// checked reports whether a step has a verdict: a score, a passed check or a check message.
func checked(s StepView) bool {
	if s.Score > 0 {
		return true
	}
	for _, c := range s.Checks {
		if c.Passed || c.Message != "" {
			return true
		}
	}
	return false
}

// stepState is a step's data-state: passed, failed (checked, not passed) or pending (not started).
func stepState(s StepView) string {
	switch {
	case s.Passed:
		return "passed"
	case len(s.Checks) > 0 && checked(s):
		return "failed"
	}
	return "pending"
}

// stepStatusText is a step badge's words, as lab.js writes them.
func stepStatusText(lang string, s StepView) string {
	switch stepState(s) {
	case "passed":
		return T(lang, "status.passed")
	case "failed":
		t := T(lang, "status.failed")
		if s.Score > 0 {
			t += " · " + Tf(lang, "status.score", "n", strconv.Itoa(int(math.Round(s.Score*100))))
		}
		return t
	}
	return T(lang, "status.pending")
}

// checkState is a check's data-state: passed, failed or pending (not run yet).
func checkState(s StepView, c CheckView) string {
	switch {
	case c.Passed:
		return "passed"
	case c.Message != "" || checked(s):
		return "failed"
	}
	return "pending"
}

// checkStatusText is a check's status words.
func checkStatusText(lang string, s StepView, c CheckView) string {
	switch checkState(s, c) {
	case "passed":
		return T(lang, "status.passed")
	case "failed":
		return T(lang, "status.failed")
	}
	return T(lang, "check.pending")
}

// firstDiagram is the diagram a step opens with: its own, "none", or the cluster map.
func firstDiagram(d string) string {
	if d == "none" {
		return d
	}
	for _, x := range Diagrams {
		if x == d {
			return d
		}
	}
	return Diagrams[0]
}

// diagramTabs lists the diagram tabs, the step's own diagram first.
func diagramTabs(d string) []string {
	first := firstDiagram(d)
	tabs := make([]string, 0, len(Diagrams))
	if first != "none" {
		tabs = append(tabs, first)
	}
	for _, x := range Diagrams {
		if x != first {
			tabs = append(tabs, x)
		}
	}
	return tabs
}

// itemProgress is a course item's progress: done, started or new.
func itemProgress(it CourseItem) string {
	switch {
	case it.Steps > 0 && it.Passed >= it.Steps:
		return "done"
	case it.Passed > 0 || it.QuizAnswered > 0:
		return "started"
	}
	return "new"
}

// kindKey is the UI string key of a course item's kind.
func kindKey(kind string) string {
	if kind == "concept" {
		return "home.kind.concept"
	}
	return "home.kind.lab"
}

// quizCounts returns how many questions are answered and answered right.
func quizCounts(v QuizView) (answered, correct int) {
	for _, q := range v.Questions {
		if q.Answered {
			answered++
			if q.Correct {
				correct++
			}
		}
	}
	return answered, correct
}

// answerHTML is the learner's answer as shown: a choice's text (Markdown), or the live
// answer they typed (plain text).
func answerHTML(lang string, q QuestionView) template.HTML {
	for _, c := range q.Choices {
		if c.ID == q.Answer {
			return RenderInlineMarkdown(lang, c.Text)
		}
	}
	return template.HTML(html.EscapeString(q.Answer))
}

// expectedHTML is the right answer as shown: a choice's text (Markdown), or the live answer
// (plain text); "" for none.
func expectedHTML(lang string, q QuestionView) template.HTML {
	for _, c := range q.Choices {
		if c.ID == q.Expected {
			return RenderInlineMarkdown(lang, c.Text)
		}
	}
	return template.HTML(html.EscapeString(q.Expected))
}

// errorText is an error page's explanation.
func errorText(v ErrorView) string {
	if v.Message != "" {
		return v.Message
	}
	if k := "error." + strconv.Itoa(v.Code); hasKey(k) {
		return T(v.Lang, k)
	}
	return T(v.Lang, "error.generic")
}

func hasKey(k string) bool { _, ok := messages[k]; return ok }

// nonceAttr is ` nonce="…"` for the CSP nonce set with templ.WithNonce, or "".
func nonceAttr(ctx context.Context) string {
	if n := templ.GetNonce(ctx); n != "" {
		return ` nonce="` + html.EscapeString(n) + `"`
	}
	return ""
}

// inlineStyle writes the pages' own style sheet (additions to /assets/css/app.css).
func inlineStyle() templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		_, err := io.WriteString(w, "<style"+nonceAttr(ctx)+">"+pageCSS+"</style>")
		return err
	})
}
