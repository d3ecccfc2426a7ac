package web

import (
	"context"
	"html/template"
	"strings"
	"testing"

	"github.com/a-h/templ"
	"golang.org/x/net/html"
)

const hostile = `<script>alert("x")</script>`

func page(lang string) Page {
	return Page{
		Lang: lang, Title: "kubectl activity", Path: "/labs/kubectl-activity?step=scale",
		Mode: "local", UserName: "learner", Role: "learner",
		Backend: "embedded", SandboxState: "ready",
	}
}

func labView(lang string) LabView {
	step2 := "Scale it up:\n\n```kubectl\nkubectl scale deployment web --replicas=3\n```\n\n```yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations:\n    note: \"" + hostile + "\"\n```\n"
	return LabView{
		Page:    page(lang),
		LabID:   "kubectl-activity",
		Title:   "kubectl activity",
		Summary: "Create, scale & inspect",
		Steps: []StepView{
			{ID: "create-namespace", Title: "Create a namespace", Diagram: "cluster-map", Graded: true, Passed: true, Score: 1,
				HTML:   RenderMarkdownLang(lang, "```kubectl\nkubectl create namespace my-ns\n```"),
				Checks: []CheckView{{ID: "ns-exists", Passed: true}}},
			{ID: "scale", Title: "Scale " + hostile, Diagram: "control-loop", Graded: true, Score: 0.5,
				HTML: RenderMarkdownLang(lang, step2),
				Checks: []CheckView{
					{ID: "replicas-3", Passed: true},
					{ID: "ready-3", Message: "readyReplicas is 1, expected 3 " + hostile},
				},
				Hint: "Set `spec.replicas: 3` and apply again."},
			{ID: "read-more", Title: "Read more", Diagram: "none", HTML: RenderMarkdownLang(lang, "Done.")},
		},
		Current: 1,
		QuizID:  "activity",
		PrevLab: "namespaces",
		NextLab: "summary",
	}
}

func TestLabPageContract(t *testing.T) {
	v := labView("en")
	out := render(t, LabPage(v))
	d := doc(t, out)

	wantAttr(t, one(t, d, "html", tag("html")), "lang", "en")
	main := one(t, d, "main", tag("main"))
	wantAttr(t, main, "id", "lab")
	wantAttr(t, main, "data-lab", "kubectl-activity")
	wantAttr(t, main, "data-step", "scale")
	wantAttr(t, main, "data-diagram", "control-loop")
	// lab.css lays out the first two children of #lab as the two columns.
	var kids []string
	for c := main.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode {
			kids = append(kids, c.Data)
		}
	}
	if strings.Join(kids, ",") != "article,aside" {
		t.Errorf("#lab children %v, want article, aside", kids)
	}

	// step list with status badges, the current one marked
	for _, s := range v.Steps {
		badges := all(d, has("data-step-status", s.ID))
		want := 1
		if s.ID == "scale" {
			want = 2 // in the step list and in the step's header
		}
		if len(badges) != want {
			t.Errorf("step %s: %d status badges, want %d", s.ID, len(badges), want)
		}
	}
	b := all(d, has("data-step-status", "create-namespace"))[0]
	wantAttr(t, b, "data-state", "passed")
	wantText(t, b, "passed badge", "Passed")
	b = all(d, has("data-step-status", "scale"))[0]
	wantAttr(t, b, "data-state", "failed")
	wantText(t, b, "failing badge", "Not yet · score 50%")
	b = one(t, d, "read-more badge", has("data-step-status", "read-more"))
	wantAttr(t, b, "data-state", "pending")
	wantText(t, b, "pending badge", "Not started")
	cur := one(t, d, "current step link", has("aria-current", "step"))
	wantAttr(t, cur, "href", "?step=scale")

	// the current step: its text, checks, hint and links
	sec := one(t, d, "step section", and(tag("section"), has("data-step", "scale")))
	if !inside(one(t, d, "run", has("data-run")), sec) {
		t.Error("the step text is in the step section")
	}
	wantAttr(t, one(t, sec, "run", has("data-run")), "data-run", "kubectl scale deployment web --replicas=3")
	ed := one(t, sec, "edit", has("data-edit"))
	if !strings.Contains(attrVal(ed, "data-edit"), `note: "`+hostile+`"`) {
		t.Errorf("data-edit %q", attrVal(ed, "data-edit"))
	}
	ok := one(t, sec, "passed check", has("data-check", "replicas-3"))
	wantAttr(t, ok, "data-state", "passed")
	wantText(t, one(t, ok, "status", has("data-check-status")), "check status", "Passed")
	if _, hidden := attrOf(one(t, ok, "message", has("data-check-message")), "hidden"); !hidden {
		t.Error("a passed check's message is hidden")
	}
	bad := one(t, sec, "failing check", has("data-check", "ready-3"))
	wantAttr(t, bad, "data-state", "failed")
	wantText(t, one(t, bad, "status", has("data-check-status")), "check status", "Not yet")
	wantText(t, one(t, bad, "message", has("data-check-message")), "check message", "readyReplicas is 1, expected 3 "+hostile)
	hint := byID(t, d, "hint")
	if _, hidden := attrOf(hint, "hidden"); hidden {
		t.Error("a step with a hint shows it")
	}
	wantText(t, one(t, hint, "hint text", has("data-hint-text")), "hint", "Set spec.replicas: 3 and apply again.")
	one(t, hint, "hint code", tag("code"))
	prev := one(t, d, "prev", has("rel", "prev"))
	wantAttr(t, prev, "href", "?step=create-namespace")
	next := one(t, d, "next", has("rel", "next"))
	wantAttr(t, next, "href", "?step=read-more")
	if len(all(d, has("href", "/quizzes/activity"))) == 0 {
		t.Error("no link to the quiz")
	}

	// the right column
	aside := one(t, d, "aside", tag("aside"))
	tabs := all(aside, has("data-diagram-tab"))
	if len(tabs) != len(Diagrams) {
		t.Fatalf("%d diagram tabs", len(tabs))
	}
	wantAttr(t, tabs[0], "data-diagram-tab", "control-loop")
	wantAttr(t, tabs[0], "aria-selected", "true")
	wantAttr(t, tabs[0], "type", "button")
	wantText(t, tabs[0], "tab", "Control loop")
	for _, tb := range tabs[1:] {
		wantAttr(t, tb, "aria-selected", "false")
	}
	dg := byID(t, d, "diagram")
	wantAttr(t, dg, "data-diagram", "control-loop")
	for _, id := range []string{"console", "editor", "conn-state"} {
		if !inside(byID(t, d, id), aside) {
			t.Errorf("#%s is in the right column", id)
		}
	}
	wantAttr(t, byID(t, d, "conn-state"), "data-state", "connecting")
	sb := byID(t, d, "sandbox-state")
	wantAttr(t, sb, "data-state", "ready")
	wantText(t, sb, "sandbox", "Cluster ready")
	reset := one(t, d, "reset form", has("action", "/api/sandbox/reset"))
	wantAttr(t, reset, "method", "post")
	wantText(t, reset, "reset asks first", "Reset the sandbox? Every object you created")
	wantText(t, one(t, reset, "submit", has("type", "submit")), "reset submit", "Yes, reset it")
	if reset.Parent.Data != "details" || textOf(one(t, reset.Parent, "summary", tag("summary"))) != "Reset sandbox" {
		t.Error("the reset form opens from a Reset sandbox disclosure")
	}
	wantAttr(t, one(t, reset, "back", has("name", "back")), "value", v.Path)
	kc := one(t, d, "kubeconfig link", has("href", "/api/kubeconfig"))
	wantText(t, kc, "kubeconfig", "Download kubeconfig")
	wantText(t, one(t, aside, "console section", has("class", "lab-console")), "notice", "kubectl logs shows simulated output")
	script := one(t, d, "lab.js", has("src", "/assets/js/lab.js"))
	wantAttr(t, script, "type", "module")
	one(t, d, "app.css", has("href", "/assets/css/app.css"))

	// hostile strings are text, never markup
	if strings.Contains(out, hostile) {
		t.Error("a hostile string reached the page unescaped")
	}
	if n := len(all(d, tag("script"))); n != 1 { // lab.js only: the server's CSP allows no inline scripts
		t.Errorf("%d script elements", n)
	}
	wantText(t, one(t, d, "step title", has("id", "step-title")), "title", "Scale "+hostile)
}

func TestLabPageKoreanAndClassMode(t *testing.T) {
	v := labView("ko")
	v.Mode, v.Backend, v.RealContainers, v.UserName = "class", "kind", true, "김철수 <b>"
	v.Current = 0
	d := doc(t, render(t, LabPage(v)))
	wantAttr(t, one(t, d, "html", tag("html")), "lang", "ko")
	wantAttr(t, one(t, d, "main", tag("main")), "data-diagram", "cluster-map")
	wantText(t, one(t, d, "header", has("class", "site-header")), "course title", "Kubernetes 기본 개념")
	wantText(t, byID(t, d, "sandbox-state"), "sandbox", "클러스터 준비됨")
	wantText(t, one(t, d, "run", has("data-run")), "run", "실행")
	wantText(t, byID(t, d, "conn-state"), "conn", "연결 중…")
	wantText(t, one(t, d, "reset", has("class", "reset-box")), "reset", "샌드박스 초기화")
	if len(all(d, has("href", "/api/kubeconfig"))) != 0 {
		t.Error("no kubeconfig download in class mode")
	}
	if strings.Contains(textOf(d), "시뮬레이션된 출력") {
		t.Error("no simulated-nodes notice with real containers")
	}
	wantText(t, one(t, d, "backend", has("data-backend", "kind")), "backend", "kind 클러스터")
	wantText(t, one(t, d, "user", has("class", "site-user")), "user", "김철수 <b> 님")
	one(t, d, "logout", has("action", "/logout"))
	// first step: the previous lab instead of a previous step
	wantAttr(t, one(t, d, "prev lab", and(tag("a"), has("href", "/labs/namespaces"))), "class", "kl-btn")
	// the current step is passed: its hint box stays hidden
	if _, hidden := attrOf(byID(t, d, "hint"), "hidden"); !hidden {
		t.Error("no hint: #hint hidden")
	}

	v.Current = 2 // a reading step without a diagram, the last one
	d = doc(t, render(t, LabPage(v)))
	wantAttr(t, one(t, d, "main", tag("main")), "data-diagram", "none")
	if _, hidden := attrOf(byID(t, d, "diagram"), "hidden"); !hidden {
		t.Error("diagram none: #diagram hidden until a tab is chosen")
	}
	wantText(t, one(t, d, "step section", and(tag("section"), has("data-step", "read-more"))), "reading", "읽기 단계")
	nav := one(t, d, "step nav", has("class", "step-nav"))
	one(t, nav, "quiz", has("href", "/quizzes/activity"))
	one(t, nav, "next lab", has("href", "/labs/summary"))
}

func TestLayoutFrame(t *testing.T) {
	p := page("en")
	p.Path = "//evil.example/x"
	out := render(t, Layout(p, templ.Raw("<p id=body>hello</p>")))
	d := doc(t, out)
	if !strings.HasPrefix(out, "<!doctype html>") {
		t.Errorf("doctype: %.30s", out)
	}
	one(t, d, "header", tag("header"))
	one(t, d, "footer", tag("footer"))
	main := one(t, d, "main", tag("main"))
	wantAttr(t, main, "id", "main")
	if !inside(byID(t, d, "body"), main) {
		t.Error("body inside main")
	}
	wantAttr(t, one(t, d, "skip link", has("class", "skip-link")), "href", "#main")
	wantText(t, one(t, d, "title", tag("title")), "title", "kubectl activity · Kubernetes basics")
	form := one(t, d, "lang form", has("action", "/lang"))
	wantAttr(t, form, "method", "post")
	wantAttr(t, one(t, form, "back", has("name", "back")), "value", "/")
	ko := one(t, form, "ko", and(has("name", "to"), has("value", "ko")))
	en := one(t, form, "en", and(has("name", "to"), has("value", "en")))
	wantAttr(t, ko, "aria-pressed", "false")
	wantAttr(t, en, "aria-pressed", "true")
	wantAttr(t, ko, "lang", "ko")
	nav := one(t, d, "nav", has("class", "site-nav"))
	if len(all(nav, has("href", "/class"))) != 0 {
		t.Error("no class dashboard for learners")
	}
	det := one(t, d, "backend badge", has("data-backend", "embedded"))
	if det.Data != "details" {
		t.Errorf("embedded badge is <%s>, want details", det.Data)
	}
	for _, want := range []string{"Built-in cluster", "API server, the controllers and the scheduler are real",
		"kubectl logs shows simulated output", "kubectl exec runs common shell commands only", "port-forward is not available",
		"Services get endpoints but carry no real traffic", "kind"} {
		wantText(t, det, "notice", want)
	}

	p = page("ko")
	p.Role, p.Mode, p.UserName, p.SandboxState, p.SandboxMessage = "instructor", "class", "강사", "failed", "no capacity"
	d = doc(t, render(t, Layout(p, templ.NopComponent)))
	one(t, d, "class link", has("href", "/class"))
	sb := byID(t, d, "sandbox-state")
	wantAttr(t, sb, "data-state", "failed")
	wantText(t, sb, "sandbox", "클러스터 오류 — no capacity")
	wantText(t, one(t, d, "notice", has("class", "sim-notice")), "ko notice", "kubectl logs는 시뮬레이션된 출력")
}

func TestNonce(t *testing.T) {
	ctx := templ.WithNonce(context.Background(), `n0nce"x`)
	d := doc(t, renderCtx(t, ctx, ErrorPage(ErrorView{Page: page("en"), Code: 404})))
	wantAttr(t, one(t, d, "style", tag("style")), "nonce", `n0nce"x`)
	d = doc(t, render(t, ErrorPage(ErrorView{Page: page("en"), Code: 404})))
	if _, ok := attrOf(one(t, d, "style", tag("style")), "nonce"); ok {
		t.Error("no nonce attribute without a nonce")
	}
}

// TestStepStatusFromServerData covers steps as the server fills them: Graded means "has checks",
// and a step without a verdict yet has no passed check, no message and no score.
func TestStepStatusFromServerData(t *testing.T) {
	v := labView("en")
	v.Steps[1].Score, v.Steps[1].Hint = 0, ""
	v.Steps[1].Checks = []CheckView{{ID: "replicas-3"}, {ID: "ready-3"}}
	v.Steps[2].Passed = true // a reading step the learner has opened
	d := doc(t, render(t, LabPage(v)))
	for _, b := range all(d, has("data-step-status", "scale")) {
		wantAttr(t, b, "data-state", "pending")
		wantText(t, b, "unchecked step", "Not started")
	}
	for _, c := range all(d, has("data-check")) {
		wantAttr(t, c, "data-state", "pending")
		wantText(t, c, "unchecked check", "Not checked")
	}
	wantAttr(t, one(t, d, "reading step", has("data-step-status", "read-more")), "data-state", "passed")

	v.Steps[1].Checks[1].Message = "Deployment web not found"
	d = doc(t, render(t, LabPage(v)))
	for _, b := range all(d, has("data-step-status", "scale")) {
		wantAttr(t, b, "data-state", "failed")
		wantText(t, b, "failing step", "Not yet")
	}
	wantAttr(t, one(t, d, "check", has("data-check", "replicas-3")), "data-state", "failed")
	wantText(t, one(t, d, "check", has("data-check", "ready-3")), "message", "Deployment web not found")
}

func TestHomePage(t *testing.T) {
	h := Home{Page: page("en"), Parts: []Part{
		{ID: "benefits", Title: "Why containers", Items: []CourseItem{
			{ID: "container-benefits", Title: "Container benefits", Summary: "Why " + hostile, Kind: "concept", Steps: 2, Passed: 2, QuizID: "container-benefits", QuizAnswered: 3, QuizTotal: 4},
		}},
		{ID: "objects", Title: "Objects", Items: []CourseItem{
			{ID: "pod-basics", Title: "Pods", Summary: "Run a pod", Kind: "lab", Steps: 5, Passed: 2},
			{ID: "services", Title: "Services", Kind: "lab", Steps: 4, QuizID: "services", QuizTotal: 6},
		}},
	}}
	h.Title = ""
	out := render(t, HomePage(h))
	d := doc(t, out)
	if strings.Contains(out, hostile) {
		t.Error("summary not escaped")
	}
	wantText(t, one(t, d, "h1", tag("h1")), "h1", "Kubernetes basics")
	if n := len(all(d, tag("section"))); n != 2 {
		t.Errorf("%d part sections", n)
	}
	cards := all(d, has("class", "course-card"))
	if len(cards) != 3 {
		t.Fatalf("%d cards", len(cards))
	}
	c := cards[0]
	wantAttr(t, c, "data-kind", "concept")
	wantAttr(t, c, "data-progress", "done")
	wantAttr(t, one(t, c, "title link", tag("h3")).FirstChild, "href", "/labs/container-benefits")
	for _, want := range []string{"Concept", "Done", "2 of 2 steps passed", "Quiz: 3 of 4 answered", "Why " + hostile} {
		wantText(t, c, "concept card", want)
	}
	one(t, c, "quiz link", has("href", "/quizzes/container-benefits"))
	wantAttr(t, cards[1], "data-progress", "started")
	wantText(t, cards[1], "lab card", "Hands-on lab")
	wantText(t, cards[1], "lab card", "2 of 5 steps passed")
	p := one(t, cards[1], "progress", tag("progress"))
	wantAttr(t, p, "value", "2")
	wantAttr(t, p, "max", "5")
	wantAttr(t, cards[2], "data-progress", "new")
	wantText(t, cards[2], "new card", "Quiz: 0 of 6 answered")

	h.Lang = "ko"
	d = doc(t, render(t, HomePage(h)))
	wantText(t, all(d, has("class", "course-card"))[1], "ko card", "단계 2/5 통과")
	wantText(t, one(t, d, "title", tag("title")), "title", "Kubernetes 기본 개념")
}

func quizView(lang string) QuizView {
	return QuizView{Page: page(lang), QuizID: "services", Title: "Services quiz", LabID: "services", Questions: []QuestionView{
		{ID: "what-is-a-service", Prompt: "What is a Service? " + hostile, Choices: []ChoiceView{{ID: "a", Text: "A stable address " + hostile}, {ID: "b", Text: "A pod"}},
			Answered: true, Answer: "b", Correct: false, Expected: "a", Explanation: template.HTML("<p>It routes to <code>ready</code> pods.</p>")},
		{ID: "backend-endpoints", Prompt: "How many endpoints has backend?", Live: true, Answered: true, Answer: "3", Correct: true, Expected: "3"},
		{ID: "selector", Prompt: "Which field of `kubectl get svc web -o yaml` *selects* pods?", Choices: []ChoiceView{{ID: "a", Text: "`spec.selector`"}, {ID: "b", Text: "`metadata.name`"}}},
	}}
}

func TestQuizPage(t *testing.T) {
	v := quizView("en")
	out := render(t, QuizPage(v))
	d := doc(t, out)
	if strings.Contains(out, hostile) {
		t.Error("prompt or choice not escaped")
	}
	wantText(t, one(t, d, "progress", has("class", "quiz-progress")), "progress", "2 of 3 answered, 1 correct")
	one(t, d, "lab link", has("href", "/labs/services"))
	forms := all(d, tag("form"))
	var qforms []*html.Node
	for _, f := range forms {
		if strings.HasPrefix(attrVal(f, "action"), "/quizzes/") {
			qforms = append(qforms, f)
			wantAttr(t, f, "method", "post")
		}
	}
	if len(qforms) != 3 {
		t.Fatalf("%d question forms", len(qforms))
	}
	wantAttr(t, qforms[0], "action", "/quizzes/services/what-is-a-service")
	radios := all(qforms[0], and(tag("input"), has("type", "radio")))
	if len(radios) != 2 {
		t.Fatalf("%d radios", len(radios))
	}
	for _, r := range radios {
		wantAttr(t, r, "name", "answer")
		lbl := one(t, qforms[0], "label", and(tag("label"), has("for", attrVal(r, "id"))))
		if textOf(lbl) == "" {
			t.Error("empty label")
		}
	}
	if _, checked := attrOf(radios[1], "checked"); !checked {
		t.Error("the learner's answer stays checked")
	}
	wantText(t, one(t, qforms[0], "legend", tag("legend")), "legend", "What is a Service? "+hostile)
	q1 := byID(t, d, "q-what-is-a-service")
	wantAttr(t, q1, "data-result", "wrong")
	ans := one(t, q1, "answer", has("class", "answer"))
	for _, want := range []string{"Not quite", "Your answer A pod", "The right answer A stable address " + hostile, "Explanation It routes to ready pods."} {
		wantText(t, ans, "answer", want)
	}
	one(t, ans, "explanation html", tag("code"))

	wantAttr(t, qforms[1], "action", "/quizzes/services/backend-endpoints")
	in := one(t, qforms[1], "live input", and(tag("input"), has("type", "text")))
	wantAttr(t, in, "name", "answer")
	wantAttr(t, in, "value", "3")
	one(t, qforms[1], "live label", and(tag("label"), has("for", attrVal(in, "id"))))
	wantText(t, byID(t, d, "q-backend-endpoints"), "live", "Correct")
	wantText(t, byID(t, d, "q-backend-endpoints"), "live", "Answer from your own cluster")

	q3 := byID(t, d, "q-selector")
	wantAttr(t, q3, "data-result", "unanswered")
	if len(all(q3, has("class", "answer"))) != 0 {
		t.Error("no result before answering")
	}
	wantText(t, one(t, q3, "submit", has("type", "submit")), "submit", "Check answer")
	// Markdown in questions and choices: inline code and emphasis, no backticks left.
	legend := one(t, q3, "legend", tag("legend"))
	wantText(t, legend, "markdown legend", "Which field of kubectl get svc web -o yaml selects pods?")
	wantText(t, one(t, legend, "code in the question", tag("code")), "code", "kubectl get svc web -o yaml")
	one(t, legend, "emphasis", tag("em"))
	for _, l := range all(q3, tag("label")) {
		if c := one(t, l, "code in a choice", tag("code")); textOf(c) != textOf(l) {
			t.Errorf("choice %q: code %q", textOf(l), textOf(c))
		}
	}
	if strings.Contains(textOf(q3), "`") {
		t.Errorf("backticks left in %q", textOf(q3))
	}

	d = doc(t, render(t, QuizPage(quizView("ko"))))
	wantText(t, byID(t, d, "q-what-is-a-service"), "ko", "오답입니다")
	wantText(t, one(t, d, "progress", has("class", "quiz-progress")), "ko progress", "3문항 중 2문항 답함, 1문항 정답")
}

func TestErrorPage(t *testing.T) {
	v := ErrorView{Page: page("en"), Code: 404}
	v.Title = ""
	d := doc(t, render(t, ErrorPage(v)))
	wantText(t, one(t, d, "h1", tag("h1")), "h1", "Error 404")
	wantText(t, one(t, d, "main", tag("main")), "text", "Page not found.")
	wantText(t, one(t, d, "title", tag("title")), "title", "Error 404")
	one(t, d, "home link", and(has("class", "kl-btn kl-primary"), has("href", "/")))

	v = ErrorView{Page: page("ko"), Code: 500, Message: "etcd " + hostile}
	out := render(t, ErrorPage(v))
	if strings.Contains(out, hostile) {
		t.Error("message not escaped")
	}
	d = doc(t, out)
	wantText(t, one(t, d, "main", tag("main")), "message", "etcd "+hostile)
	wantText(t, one(t, d, "main", tag("main")), "home", "코스로 돌아가기")
	d = doc(t, render(t, ErrorPage(ErrorView{Page: page("en"), Code: 418})))
	wantText(t, one(t, d, "main", tag("main")), "generic", "Something went wrong.")
}
