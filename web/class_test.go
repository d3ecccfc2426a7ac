package web

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func classPage(lang string) Page {
	return Page{Lang: lang, Title: "EKS " + hostile, Path: "/class/7", Mode: "class", UserName: "Kim " + hostile, Role: "instructor", Backend: "embedded"}
}

func dashboardView(lang string) DashboardView {
	labs := []HeatLab{{ID: "kubectl-activity", Title: "Activity", Steps: []HeatStep{{ID: "create-namespace", Title: "Create", Graded: true}, {ID: "list", Title: "List", Graded: true}}}}
	cell := func(user int64, step, state, msg string) HeatCell {
		name := CellName("Activity", step)
		return HeatCell{Lab: "kubectl-activity", Step: step, State: state, Message: msg, Name: name, Title: CellTitle(lang, "Activity", step, state, msg)}
	}
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	return DashboardView{
		Page:  classPage(lang),
		Class: ClassSummary{ID: 7, Name: "EKS " + hostile, JoinCode: "ABCDEFGH", JoinURL: "http://x/join/ABCDEFGH", Members: 2, CreatedAt: at},
		Labs:  labs, LabOptions: []LabOption{{ID: "kubectl-activity", Title: "Activity"}},
		Rows: []HeatRow{
			{UserID: 3, Name: "Minji " + hostile, Sandbox: "ready", LastSeen: at, Passed: 1, Total: 2,
				Cells: []HeatCell{cell(3, "create-namespace", "passed", ""), cell(3, "list", "failed", "no namespace "+hostile)}},
			{UserID: 4, Name: "Seojun", Sandbox: "", Total: 2, Cells: []HeatCell{cell(4, "create-namespace", "pending", ""), cell(4, "list", "pending", "")}},
		},
		Quizzes: []QuizStat{{ID: "q", Title: "Quiz", Questions: []QuestionStat{{ID: "q1", Prompt: "Why?", Total: 2, Correct: 1,
			Answers: []AnswerStat{{Text: "Because " + hostile, Correct: true, Count: 1, Percent: 50}, {Text: "No", Count: 1, Percent: 50}}}}}},
		Plot: NewCompletionPlot(lang, []time.Time{at.Add(time.Minute)}, at, at.Add(time.Hour), 4),
	}
}

func TestDashboardPageContract(t *testing.T) {
	out := render(t, DashboardPage(dashboardView("en")))
	if strings.Contains(out, hostile) {
		t.Fatal("unescaped user text")
	}
	d := doc(t, out)
	main := byID(t, d, "dashboard")
	wantAttr(t, main, "data-class", "7")
	var words map[string]string
	if err := json.Unmarshal([]byte(attrVal(main, "data-i18n")), &words); err != nil || words["cell.failed"] != "Failing" || words["conn.open"] != "Live" ||
		words["students"] != "{n} students" {
		t.Fatalf("data-i18n %v %v", words, err)
	}
	one(t, d, "script", and(tag("script"), has("src", "/assets/js/dashboard.js")))
	wantText(t, byID(t, d, "join-code"), "join code", "ABCDEFGH")
	wantAttr(t, byID(t, d, "join-link"), "value", "http://x/join/ABCDEFGH")
	// the heat map: columns, one row per student, cells with state and hover text
	one(t, d, "lab columns", has("data-lab-col", "kubectl-activity"))
	if n := len(all(d, has("data-col"))); n != 2 {
		t.Fatalf("%d step columns", n)
	}
	if n := len(all(byID(t, d, "heat-rows"), has("data-user"))); n != 2 {
		t.Fatalf("%d rows", n)
	}
	c := one(t, d, "failing cell", has("data-cell", "3|kubectl-activity|list"))
	wantAttr(t, c, "data-state", "failed")
	wantAttr(t, c, "title", "Activity › list: Failing — no namespace "+hostile)
	wantAttr(t, c, "data-name", "Activity › list")
	wantAttr(t, one(t, d, "pending cell", has("data-cell", "4|kubectl-activity|list")), "data-state", "pending")
	wantText(t, one(t, d, "count", has("data-passed-of", "3")), "count", "1/2")
	wantAttr(t, one(t, d, "sandbox", has("data-sandbox-of", "3")), "data-state", "ready")
	wantText(t, one(t, d, "no sandbox", has("data-sandbox-of", "4")), "no sandbox", "No cluster yet")
	wantAttr(t, one(t, d, "activity", and(tag("time"), has("datetime", "2026-11-26T10:00:00Z"))), "datetime", "2026-11-26T10:00:00Z")
	one(t, d, "student link", has("href", "/class/7/students/3"))
	// destructive actions ask first and post to the class's routes
	for _, action := range []string{"/class/7/close", "/class/7/end-sandboxes"} {
		f := one(t, d, action, and(tag("form"), has("action", action)))
		wantAttr(t, f, "method", "post")
		if f.Parent == nil || f.Parent.Data != "details" {
			t.Errorf("%s is not behind a disclosure", action)
		}
	}
	one(t, d, "csv", has("href", "/class/7/results.csv"))
	// quiz results and the plot
	q := byID(t, d, "quiz-stats")
	wantText(t, one(t, q, "right answer", has("data-correct", "true")), "right answer", "✓ Right answer: Because "+hostile+" 1 (50%)")
	svg := one(t, byID(t, d, "completion"), "plot", tag("svg"))
	wantAttr(t, svg, "data-passed", "1")
	wantAttr(t, svg, "data-total", "4")
	wantAttr(t, svg, "role", "img")
}

func TestDashboardClosedAndKorean(t *testing.T) {
	v := dashboardView("ko")
	v.Class.Closed = true
	v.Rows = nil
	d := doc(t, render(t, DashboardPage(v)))
	if len(all(d, has("id", "join-link"))) != 0 || len(all(d, has("action", "/class/7/close"))) != 0 {
		t.Error("a closed class offers its join link or closing again")
	}
	one(t, d, "empty", has("id", "heat-empty"))
	if !strings.Contains(textOf(d), "종료됨") || !strings.Contains(textOf(d), "아직 참여한 학생이 없습니다") {
		t.Error("Korean texts")
	}
}

func TestClassPages(t *testing.T) {
	p := classPage("en")
	p.Role, p.UserName = "", ""
	d := doc(t, render(t, LoginPage(LoginView{Page: p, Email: "a@b.c", Next: "/class/7", Error: "The email or the password is wrong."})))
	f := byID(t, d, "login-form")
	wantAttr(t, f, "method", "post")
	wantAttr(t, f, "action", "/login")
	wantAttr(t, one(t, f, "password", has("name", "password")), "autocomplete", "current-password")
	wantAttr(t, one(t, f, "next", has("name", "next")), "value", "/class/7")
	wantText(t, byID(t, d, "login-error"), "error", "The email or the password is wrong.")

	d = doc(t, render(t, JoinPage(JoinView{Page: p, Code: "ABCDEFGH", ClassName: "EKS " + hostile})))
	f = byID(t, d, "join-form")
	wantAttr(t, one(t, f, "code", has("name", "code")), "value", "ABCDEFGH")
	one(t, f, "name", has("name", "name"))
	if !strings.Contains(textOf(d), "Joining the class EKS "+hostile) {
		t.Error("class name")
	}
	// a signed-in learner gives the code only
	p2 := p
	p2.Role, p2.UserName = "learner", "Minji"
	d = doc(t, render(t, JoinPage(JoinView{Page: p2})))
	if len(all(byID(t, d, "join-form"), has("name", "name"))) != 0 {
		t.Error("a signed-in learner is asked for a name")
	}

	d = doc(t, render(t, WelcomePage(WelcomeView{Page: p2, ResumeURL: "http://x/resume/abc", Classes: []string{"EKS"}})))
	wantAttr(t, byID(t, d, "resume-link"), "value", "http://x/resume/abc")
	one(t, d, "new link", and(tag("form"), has("action", "/me/resume")))
	d = doc(t, render(t, WelcomePage(WelcomeView{Page: p2, Me: true})))
	if len(all(d, has("id", "resume-link"))) != 0 {
		t.Error("no link to show")
	}

	cl := ClassListView{Page: classPage("en"), Classes: []ClassSummary{{ID: 7, Name: "A", JoinCode: "ABCDEFGH", JoinURL: "http://x/join/ABCDEFGH", Members: 3}}}
	d = doc(t, render(t, ClassListPage(cl)))
	one(t, d, "class link", has("href", "/class/7"))
	one(t, d, "create", and(tag("form"), has("action", "/class")))
}

func TestStudentPageContract(t *testing.T) {
	v := dashboardView("en")
	sv := StudentView{Page: classPage("en"), Class: v.Class, Row: v.Rows[0], Labs: v.Labs,
		Console: []ConsoleLine{{Command: "kubectl get pods " + hostile, ExitCode: 1, Output: "out " + hostile}},
		Hints:   []HintLine{{Text: "look " + hostile, Read: true}}}
	out := render(t, StudentPage(sv))
	if strings.Contains(out, hostile) {
		t.Fatal("unescaped user text")
	}
	d := doc(t, out)
	main := byID(t, d, "student")
	wantAttr(t, main, "data-class", "7")
	wantAttr(t, main, "data-user", "3")
	one(t, d, "script", and(tag("script"), has("src", "/assets/js/class-student.js")))
	wantAttr(t, byID(t, d, "diagram"), "data-diagram", "cluster-map")
	wantAttr(t, byID(t, d, "student-sandbox"), "data-sandbox-of", "3")
	for _, a := range []string{"/class/7/students/3/reset", "/class/7/students/3/remove", "/class/7/students/3/hint"} {
		wantAttr(t, one(t, d, a, and(tag("form"), has("action", a))), "method", "post")
	}
	wantAttr(t, one(t, d, "cell", has("data-cell", "3|kubectl-activity|create-namespace")), "data-state", "passed")
	if !strings.Contains(textOf(byID(t, d, "console-log")), "$ kubectl get pods "+hostile) {
		t.Error("console history")
	}
}

func TestCompletionPlot(t *testing.T) {
	from := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	p := NewCompletionPlot("en", []time.Time{from.Add(30 * time.Minute), from.Add(10 * time.Minute), from.Add(20 * time.Minute)}, from, from.Add(time.Hour), 10)
	if p.Passed != 3 || p.Total != 10 || p.Empty || p.Label != "The class has passed 3 of 10 steps (30%)" {
		t.Fatalf("%+v", p)
	}
	// a step line that only goes up, starting at 0 and ending at the right edge
	if !strings.HasPrefix(p.Line, "M48.0 190.0") || !strings.HasSuffix(p.Line, "H624.0") || strings.Count(p.Line, "V") != 3 {
		t.Fatalf("line %q", p.Line)
	}
	if len(p.YTicks) != 5 || p.YTicks[4].Label != "4" || len(p.XTicks) != 5 || p.XTicks[0].Label != "09:00" {
		t.Fatalf("ticks %+v %+v", p.YTicks, p.XTicks)
	}
	empty := NewCompletionPlot("ko", nil, from, from, 0)
	if !empty.Empty || empty.Label != "수업 전체에서 0개 중 0개 단계 통과 (0%)" {
		t.Fatalf("%+v", empty)
	}
	for n, want := range map[int]int{0: 4, 4: 4, 5: 8, 9: 20, 37: 40, 41: 80, 150: 200} {
		if got := niceCeil(n); got != want {
			t.Errorf("niceCeil(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestClassKeysExist(t *testing.T) {
	keys := []string{"dash.students", "nav.me", "dash.sbx_ended", "dash.sbx_removed", "error.401"}
	for _, s := range CellStates {
		keys = append(keys, "cell."+s)
	}
	for _, s := range []string{"connecting", "open", "reconnecting", "closed"} {
		keys = append(keys, "dash.conn."+s)
	}
	for _, k := range keys {
		if !hasKey(k) {
			t.Errorf("missing %s", k)
		}
	}
}
