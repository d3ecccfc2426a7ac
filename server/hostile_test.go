package server

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubelab/kubelab/sandbox"
)

// Class mode under a hostile student: one test per way a student could
// lock others out, exhaust the server or pass for someone else.

var en = map[string]string{"Accept-Language": "en"}

// Throw-away accounts cannot take the server's sandboxes: a class has a
// seat limit, joins past it are refused, and the open classes' seats
// together never exceed what the server can run.
func TestSeatLimitStopsExhaustion(t *testing.T) {
	e := newClassEnv(t, func(c *Config) { c.MaxSandboxes = 5; c.ClassSeats = 30 })
	ina := e.instructor("Ina", "ina@school.example", "correct horse battery")
	jun := e.instructor("Jun", "jun@school.example", "another long secret")
	c1 := ina.createClass("EKS 1")
	if c1.SeatLimit != 5 {
		t.Fatalf("first class got %d seats, want the server's 5", c1.SeatLimit)
	}
	// Every sandbox is promised to class 1: Jun's class cannot be made.
	if r := jun.do("POST", "/class", url.Values{"name": {"EKS 2"}}, en); r.code != 409 || !strings.Contains(r.body, "were promised every cluster") {
		t.Fatalf("class past capacity: %d %s", r.code, r.body)
	}
	// Ina gives back two seats; Jun's class gets them and cannot take more.
	if r := ina.post("/class/"+strconv.FormatInt(c1.ID, 10)+"/seats", url.Values{"seats": {"3"}}); r.code != 303 {
		t.Fatalf("set seats: %d %s", r.code, r.body)
	}
	c2 := jun.createClass("EKS 2")
	if c2.SeatLimit != 2 {
		t.Fatalf("second class got %d seats, want 2", c2.SeatLimit)
	}
	if r := jun.do("POST", "/class/"+strconv.FormatInt(c2.ID, 10)+"/seats", url.Values{"seats": {"4"}}, en); r.code != 409 ||
		!strings.Contains(r.body, "at most 2 seats") {
		t.Fatalf("seats past capacity: %d %s", r.code, r.body)
	}
	for _, bad := range []string{"0", "-1", "x", "1001"} {
		if r := ina.post("/class/"+strconv.FormatInt(c1.ID, 10)+"/seats", url.Values{"seats": {bad}}); r.code != 400 {
			t.Errorf("seats %q: %d", bad, r.code)
		}
	}
	// Three accounts fill class 1; the fourth is refused with a clear message.
	for i := range 3 {
		e.join("Student "+strconv.Itoa(i), c1.JoinCode)
	}
	r := e.browser("extra").do("POST", "/join", url.Values{"code": {c1.JoinCode}, "name": {"Extra"}}, en)
	if r.code != 403 || !strings.Contains(r.body, "This class is full (3 seats)") {
		t.Fatalf("join past the seat limit: %d %s", r.code, r.body)
	}
	// The instructor sees the seats taken and removes an extra account;
	// the seat is free again.
	d := ina.do("GET", "/class/"+strconv.FormatInt(c1.ID, 10), nil, en)
	if !strings.Contains(d.body, "3 of 3 seats taken") {
		t.Fatalf("dashboard does not show the seats: %d", d.code)
	}
	members, _ := e.st.Members(context.Background(), c1.ID)
	if r := ina.post("/class/"+strconv.FormatInt(c1.ID, 10)+"/students/"+strconv.FormatInt(members[0].UserID, 10)+"/remove", nil); r.code != 303 {
		t.Fatalf("remove: %d", r.code)
	}
	e.join("Real student", c1.JoinCode)
}

// Nothing a GET does counts as a failure: 50 garbage resume links opened
// from the class's address (a web page elsewhere full of <img> tags would
// do it) lock nobody out, and a valid resume link always works.
func TestGarbageResumeLinksLockNobodyOut(t *testing.T) {
	w := newWorld(t)
	e := w.e
	atk := e.browser("attacker")
	for i := range 50 {
		if r := atk.get("/resume/garbage" + strconv.Itoa(i) + strings.Repeat("A", 36)); r.code != 404 {
			t.Fatalf("garbage link %d: %d", i, r.code)
		}
	}
	// The same address (every test browser is 127.0.0.1) joins and resumes.
	e.join("Dana", w.class1.JoinCode)
	if r := e.browser("Alice again").post("/resume/"+w.resumeA, nil); r.code != 303 || r.location != "/" {
		t.Fatalf("valid resume after garbage GETs: %d %s", r.code, r.location)
	}
	// Even wrong links posted past the limit do not block a valid one.
	for i := 0; i < joinMaxPerIP+5; i++ {
		atk.post("/resume/"+strings.Repeat("B", 42)+strconv.Itoa(i%10), nil)
	}
	if r := atk.post("/resume/"+strings.Repeat("C", 43), nil); r.code != 429 {
		t.Fatalf("wrong links past the limit: %d", r.code)
	}
	if r := e.browser("Alice third").post("/resume/"+w.resumeA, nil); r.code != 303 {
		t.Fatalf("valid resume after wrong POSTs: %d", r.code)
	}
}

// Wrong join codes from the class's own address (a school NAT) past the
// address's budget are refused, but the right code still joins: a student
// who burns the budget does not lock the class out.
func TestWrongJoinCodesLockNobodyOut(t *testing.T) {
	w := newWorld(t)
	e := w.e
	atk := e.browser("guesser at the school NAT")
	var r reply
	for i := 0; i < joinMaxPerIP+5; i++ {
		r = atk.do("POST", "/join", url.Values{"code": {"GUESS" + strconv.Itoa(100+i%900)}, "name": {"G"}}, en)
	}
	if r.code != 429 || !strings.Contains(r.body, "Too many wrong join codes") {
		t.Fatalf("wrong codes past the budget: %d", r.code)
	}
	if r := atk.do("POST", "/join", url.Values{"code": {"SHORT"}, "name": {"G"}}, en); r.code != 429 {
		t.Fatalf("a malformed code past the budget: %d", r.code)
	}
	// Every test browser is 127.0.0.1: the class keeps joining.
	e.join("Dana", w.class1.JoinCode)
	e.join("Eun", w.class1.JoinCode)
}

// The instructor signs in after five wrong passwords for their email from
// the same address, from a browser that signed in before (device cookie).
func TestInstructorDeviceCookieBeatsLockout(t *testing.T) {
	e := newClassEnv(t)
	const email, pw = "ina@school.example", "correct horse battery"
	ina := e.instructor("Ina", email, pw) // signs in: gets the device cookie
	if r := ina.post("/logout", nil); r.code != 303 {
		t.Fatalf("logout: %d", r.code)
	}
	atk := e.browser("student at the same NAT")
	for i := range loginMaxPerAccount {
		if r := atk.post("/login", url.Values{"email": {email}, "password": {"guess " + strconv.Itoa(i)}}); r.code != 401 {
			t.Fatalf("wrong password %d: %d", i, r.code)
		}
	}
	if r := atk.post("/login", url.Values{"email": {email}, "password": {pw}}); r.code != 429 {
		t.Fatalf("an untrusted browser after 5 failures: %d, want 429", r.code)
	}
	if r := ina.post("/login", url.Values{"email": {email}, "password": {pw}}); r.code != 303 || r.location != "/class" {
		t.Fatalf("the instructor's own browser: %d %s, want 303", r.code, r.location)
	}
	// A device cookie is for its account only, and a forged one is nobody's.
	ina.post("/logout", nil)
	forged := e.browser("forger")
	forged.jar.SetCookies(mustURL(e.ts.URL+"/login"), []*http.Cookie{{Name: deviceCookie, Value: "aW5hQHNjaG9vbC5leGFtcGxl.nonce.mac", Path: "/login"}})
	if r := forged.post("/login", url.Values{"email": {email}, "password": {pw}}); r.code != 429 {
		t.Fatalf("forged device cookie: %d", r.code)
	}
	// Wrong passwords from the trusted browser lock that browser only.
	for range loginMaxPerAccount {
		ina.post("/login", url.Values{"email": {email}, "password": {"typo"}})
	}
	if r := ina.post("/login", url.Values{"email": {email}, "password": {pw}}); r.code != 429 {
		t.Fatalf("trusted browser after its own 5 failures: %d", r.code)
	}
}

// A new resume link signs out every other session of the student, and the
// instructor can sign a student out.
func TestSessionsEndWithANewLinkOrTheInstructor(t *testing.T) {
	w := newWorld(t)
	e := w.e
	thief := e.browser("someone with the old link")
	if r := thief.post("/resume/"+w.resumeA, nil); r.code != 303 {
		t.Fatalf("resume: %d", r.code)
	}
	if r := thief.get("/api/sandbox"); r.code != 200 {
		t.Fatalf("thief signed in: %d", r.code)
	}
	if r := w.a.post("/me/resume", nil); r.code != 303 {
		t.Fatalf("new link: %d", r.code)
	}
	newLink := resumeRe.FindStringSubmatch(w.a.get("/welcome").body)
	if newLink == nil {
		t.Fatal("no new link")
	}
	if r := thief.get("/api/sandbox"); r.code != 401 {
		t.Fatalf("old session after a new link: %d, want 401", r.code)
	}
	if r := w.a.get("/api/sandbox"); r.code != 200 {
		t.Fatalf("the browser that made the link: %d", r.code)
	}
	// The instructor signs Alice out everywhere; her link brings her back.
	if r := w.i.post(w.expand("/class/{c1}/students/{a}/signout"), nil); r.code != 303 {
		t.Fatalf("sign out: %d", r.code)
	}
	if r := w.a.get("/api/sandbox"); r.code != 401 {
		t.Fatalf("after the instructor's sign-out: %d", r.code)
	}
	if r := w.b.get("/api/sandbox"); r.code != 200 {
		t.Fatalf("Bob is signed out too: %d", r.code)
	}
	if r := w.a.post("/resume/"+newLink[1], nil); r.code != 303 {
		t.Fatalf("resume after sign-out: %d", r.code)
	}
	if r := w.a.get("/api/sandbox"); r.code != 200 {
		t.Fatalf("resumed: %d", r.code)
	}
}

// Display names are PRECIS nicknames compared by confusable skeleton:
// homoglyphs, full-width and invisible names, marks floods and staff
// words are refused with a clear message, on every way of joining.
func TestNamesCannotImpersonate(t *testing.T) {
	w := newWorld(t) // class 1: Alice, Bob (instructor Ina); class 2: Chul
	e := w.e
	cases := []struct {
		name   string
		status int
		want   string
	}{
		{"Воb", 409, "one that looks the same"},     // Cyrillic В and о
		{"Ｂｏｂ", 409, "one that looks the same"},     // full-width
		{"BOB", 409, "one that looks the same"},     // case
		{"ina", 409, "one that looks the same"},     // the instructor
		{"\u3164", 400, "invisible"},                // Hangul filler
		{"\u2800", 400, "at least one visible"},     // braille blank
		{"\u3164\u2800 ", 400, ""},                  // both
		{"a\u0301\u0302\u0303\u0304", 400, "marks"}, // combining-mark flood
		{"Kim (instructor)", 400, "pass for staff"},
		{"Kim (іnstructor)", 400, "pass for staff"}, // Cyrillic і
		{"김 선생님", 400, "pass for staff"},
		{"B\u200bob", 400, "invisible"}, // zero-width space
		{"\u202eboB", 400, "direction-changing"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%q", c.name), func(t *testing.T) {
			r := e.browser("x").do("POST", "/join", url.Values{"code": {w.class1.JoinCode}, "name": {c.name}}, en)
			if r.code != c.status || !strings.Contains(r.body, c.want) {
				t.Errorf("join as %q: %d, want %d %q", c.name, r.code, c.status, c.want)
			}
		})
	}
	// Accepted names are stored normalized (NFKC width, spaces).
	d, _ := e.join("Ｄａｎａ   Lee", w.class1.JoinCode)
	if u, _ := e.st.UserByID(context.Background(), d.id); u.DisplayName != "Dana Lee" {
		t.Fatalf("stored name %q", u.DisplayName)
	}
	// A signed-in learner joining a second class meets the same check:
	// "Аlice" (Cyrillic А) in class 2 keeps Alice out.
	e.join("Аlice", w.class2.JoinCode)
	r := w.a.do("POST", "/join", url.Values{"code": {w.class2.JoinCode}}, en)
	if r.code != 409 || !strings.Contains(r.body, "looks like Alice") {
		t.Fatalf("signed-in join with a clashing name: %d", r.code)
	}
	if ok, _ := e.st.IsMember(context.Background(), w.class2.ID, w.a.id); ok {
		t.Fatal("Alice joined class 2 beside Аlice")
	}
}

// A multiple-choice answer must be one of the choices; free text is 400.
func TestQuizAnswerMustBeAChoice(t *testing.T) {
	w := newWorld(t)
	for _, bad := range []string{"wrong:x;=1+1", "<b>d</b>", "C", ""} {
		t.Run(fmt.Sprintf("%q", bad), func(t *testing.T) {
			if r := w.a.do("POST", "/quizzes/kubectl-activity/empty-default", url.Values{"answer": {bad}}, en); r.code != 400 ||
				!strings.Contains(r.body, "Pick one of the question") {
				t.Errorf("answer %q: %d", bad, r.code)
			}
		})
	}
	if r := w.a.post("/quizzes/kubectl-activity/empty-default", url.Values{"answer": {"c"}}); r.code != 303 {
		t.Fatalf("a real choice: %d", r.code)
	}
}

// CSV cells are neutralized wherever a spreadsheet could start a formula,
// after any delimiter too.
func TestCSVNeutralizesFormulasAfterDelimiters(t *testing.T) {
	for in, want := range map[string]string{
		"x;=1+1": "x;'=1+1", "wrong:x;=1+1": "wrong:x;'=1+1", "=1+1": "'=1+1", "a,+b": "a,'+b", "a| -2": "a| '-2",
		"a\t@SUM(1)": "a\t'@SUM(1)", `x;"=cmd`: `x;"'=cmd`, "Kim Lee": "Kim Lee", "passed": "passed", "2026-11-26T10:00:00Z": "2026-11-26T10:00:00Z",
		"a\n=b": "a\n'=b", "＝1": "'＝1",
	} {
		t.Run(fmt.Sprintf("%q", in), func(t *testing.T) {
			if got := csvSafe(in); got != want {
				t.Errorf("csvSafe(%q) = %q, want %q", in, got, want)
			}
		})
	}
	// Through the export: an answer stored before answers were checked.
	w := newWorld(t)
	ctx := context.Background()
	if _, err := w.e.st.RecordQuizAnswer(ctx, w.a.id, "kubectl-activity", "empty-default", "x;=1+1", false); err != nil {
		t.Fatal(err)
	}
	r := w.i.get(w.expand("/class/{c1}/results.csv"))
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.body, "\xef\xbb\xbf"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, rec := range recs {
		for _, cell := range rec {
			if strings.Contains(cell, "x;") {
				found = true
				if cell != "wrong:x;'=1+1" {
					t.Errorf("cell %q", cell)
				}
			}
		}
	}
	if !found {
		t.Fatal("the answer is not in the export")
	}
}

// A student's sandbox with none of their pages open stops after the grace
// period, so idle throw-away accounts hold no capacity; an open page keeps
// it running.
func TestPagelessSandboxesStop(t *testing.T) {
	e := newClassEnv(t, func(c *Config) { c.PageGrace = 50 * time.Millisecond })
	ina := e.instructor("Ina", "ina@school.example", "correct horse battery")
	c1 := ina.createClass("EKS 1")
	idle, _ := e.join("Idle", c1.JoinCode)
	busy, _ := e.join("Busy", c1.JoinCode)
	ws, _, err := busy.dial("/ws")
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	for _, a := range []*actor{idle, busy} {
		u, _ := e.st.UserByID(context.Background(), a.id)
		l := e.srv.learnerFor(u)
		for a == busy { // the page tried to start it (this backend has none to give): wait for that to end
			if st, _, _, _ := l.snapshot(); st == sandbox.StateFailed {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		l.mu.Lock()
		l.state = sandbox.StateReady // as if its sandbox had started
		l.mu.Unlock()
	}
	stopped := func(a *actor) bool {
		return slices.Contains(e.backend.called(), "stop u"+strconv.FormatInt(a.id, 10))
	}
	deadline := time.Now().Add(5 * time.Second)
	for !stopped(idle) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !stopped(idle) {
		t.Fatal("the sandbox of a student with no page open was not stopped")
	}
	time.Sleep(200 * time.Millisecond)
	if stopped(busy) {
		t.Fatal("the sandbox of a student with an open page was stopped")
	}
}
