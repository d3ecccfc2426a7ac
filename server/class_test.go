package server

// Class mode over HTTP with a fake sandbox backend: sign-in, joining,
// resuming, and who reaches what. TestClassAccessMatrix requests every
// route and websocket as each role (nobody, two students of one class, a
// student of another class, and each class's instructor), with forged class
// and student ids.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gorilla/websocket"

	"github.com/kubelab/kubelab/console"
	"github.com/kubelab/kubelab/labs"
	"github.com/kubelab/kubelab/quizzes"
	"github.com/kubelab/kubelab/sandbox"
	"github.com/kubelab/kubelab/store"
	"github.com/kubelab/kubelab/text"
)

// fakeBackend never starts a sandbox (Acquire fails at once) and records
// the stops and deletes asked of it.
type fakeBackend struct {
	mu    sync.Mutex
	calls []string
}

func (f *fakeBackend) record(s string) { f.mu.Lock(); f.calls = append(f.calls, s); f.mu.Unlock() }
func (f *fakeBackend) called() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}
func (f *fakeBackend) Name() string { return "embedded" }
func (f *fakeBackend) Acquire(context.Context, string) (*sandbox.Sandbox, error) {
	return nil, errors.New("no sandboxes in this test")
}
func (f *fakeBackend) Stop(_ context.Context, name string) error {
	f.record("stop " + name)
	return nil
}
func (f *fakeBackend) Delete(_ context.Context, name string) error {
	f.record("delete " + name)
	return nil
}
func (f *fakeBackend) Status(name string) (sandbox.Status, error) {
	return sandbox.Status{Name: name, State: sandbox.StateStopped}, nil
}
func (f *fakeBackend) List() []sandbox.Status      { return nil }
func (f *fakeBackend) Touch(string)                {}
func (f *fakeBackend) Close(context.Context) error { return nil }

var (
	catOnce sync.Once
	catalog *labs.Catalog
	quizSet *quizzes.Set
	catErr  error
)

func course(t testing.TB) (*labs.Catalog, *quizzes.Set) {
	catOnce.Do(func() {
		catalog, catErr = labs.Load()
		if catErr == nil {
			quizSet, catErr = quizzes.Load(catalog)
		}
	})
	if catErr != nil {
		t.Fatal(catErr)
	}
	return catalog, quizSet
}

type classEnv struct {
	t       testing.TB
	srv     *Server
	ts      *httptest.Server
	st      *store.Store
	backend *fakeBackend
}

func newClassEnv(t testing.TB, opts ...func(*Config)) *classEnv {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "kubelab.db"))
	if err != nil {
		t.Fatal(err)
	}
	cat, qs := course(t)
	fb := &fakeBackend{}
	cfg := Config{Mode: ModeClass, Provider: sandbox.NewProvider(fb), Store: st, Catalog: cat, Quizzes: qs,
		Console: &console.Runner{Binary: "/nonexistent"}, HistoryDir: filepath.Join(t.TempDir(), "history")}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := &classEnv{t: t, srv: srv, ts: httptest.NewServer(srv.Handler()), st: st, backend: fb}
	t.Cleanup(func() {
		e.ts.Close()
		srv.Close()
		_ = st.Close()
	})
	return e
}

// secureJar keeps cookies as a browser on https would: the session cookie
// is Secure, and the test server speaks plain HTTP.
type secureJar struct{ *cookiejar.Jar }

func https(u *url.URL) *url.URL                              { v := *u; v.Scheme = "https"; return &v }
func (j secureJar) SetCookies(u *url.URL, cs []*http.Cookie) { j.Jar.SetCookies(https(u), cs) }
func (j secureJar) Cookies(u *url.URL) []*http.Cookie        { return j.Jar.Cookies(https(u)) }

// actor is one browser.
type actor struct {
	e    *classEnv
	name string
	jar  secureJar
	hc   *http.Client
	id   int64 // user id once known
}

func (e *classEnv) browser(name string) *actor {
	j, _ := cookiejar.New(nil)
	a := &actor{e: e, name: name, jar: secureJar{j}}
	a.hc = &http.Client{Jar: a.jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout: 30 * time.Second}
	return a
}

type reply struct {
	code     int
	location string
	body     string
	header   http.Header
}

func (a *actor) do(method, path string, form url.Values, hdr map[string]string) reply {
	a.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, a.e.ts.URL+path, body)
	if err != nil {
		a.e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		a.e.t.Fatalf("%s %s %s: %v", a.name, method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{code: resp.StatusCode, location: resp.Header.Get("Location"), body: string(b), header: resp.Header}
}

func (a *actor) get(path string) reply                { return a.do("GET", path, nil, nil) }
func (a *actor) post(path string, f url.Values) reply { return a.do("POST", path, f, nil) }

// dial opens a websocket as the actor; resp is the refusal if any.
func (a *actor) dial(path string) (*websocket.Conn, *http.Response, error) {
	u := "ws" + strings.TrimPrefix(a.e.ts.URL, "http") + path
	hdr := http.Header{"Origin": {a.e.ts.URL}}
	pu, _ := url.Parse(a.e.ts.URL + path)
	var cookies []string
	for _, c := range a.jar.Cookies(pu) {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	if len(cookies) > 0 {
		hdr.Set("Cookie", strings.Join(cookies, "; "))
	}
	c, resp, err := websocket.DefaultDialer.Dial(u, hdr)
	if c != nil {
		a.e.t.Cleanup(func() { c.Close() })
	}
	return c, resp, err
}

func (e *classEnv) instructor(name, email, pw string) *actor {
	e.t.Helper()
	hash, err := HashPassword(pw)
	if err != nil {
		e.t.Fatal(err)
	}
	u, err := e.st.CreateUser(context.Background(), store.User{DisplayName: name, Role: store.RoleInstructor, Email: email, PasswordHash: hash})
	if err != nil {
		e.t.Fatal(err)
	}
	a := e.browser(name)
	a.id = u.ID
	if r := a.post("/login", url.Values{"email": {email}, "password": {pw}}); r.code != 303 || r.location != "/class" {
		e.t.Fatalf("login %s: %d %s", email, r.code, r.location)
	}
	return a
}

func (a *actor) createClass(name string) store.Class {
	a.e.t.Helper()
	r := a.post("/class", url.Values{"name": {name}})
	if r.code != 303 || !strings.HasPrefix(r.location, "/class/") {
		a.e.t.Fatalf("create class: %d %s %s", r.code, r.location, r.body)
	}
	id, _ := strconv.ParseInt(strings.TrimPrefix(r.location, "/class/"), 10, 64)
	c, err := a.e.st.ClassByID(context.Background(), id)
	if err != nil {
		a.e.t.Fatal(err)
	}
	return c
}

var resumeRe = regexp.MustCompile(`/resume/([A-Za-z0-9_-]{43})`)

// join makes a student browser that joined the class; it returns the actor
// and their resume secret.
func (e *classEnv) join(name, code string) (*actor, string) {
	e.t.Helper()
	a := e.browser(name)
	r := a.post("/join", url.Values{"code": {strings.ToLower(code[:4] + "-" + code[4:])}, "name": {name}})
	if r.code != 303 || r.location != "/welcome" {
		e.t.Fatalf("join %s: %d %s %s", name, r.code, r.location, r.body)
	}
	r = a.get("/welcome")
	m := resumeRe.FindStringSubmatch(r.body)
	if r.code != 200 || m == nil {
		e.t.Fatalf("welcome %s: %d, no resume link", name, r.code)
	}
	if again := a.get("/welcome"); resumeRe.MatchString(again.body) {
		e.t.Fatal("the resume link is shown a second time")
	}
	u, err := e.st.UserByResumeToken(context.Background(), resumeHash(m[1]))
	if err != nil {
		e.t.Fatal(err)
	}
	a.id = u.ID
	return a, m[1]
}

// world is two instructors with a class each, students A and B in class 1
// and C in class 2, and some records of each student.
type world struct {
	e            *classEnv
	anon, a, b   *actor
	c, i, j      *actor
	class1       store.Class
	class2       store.Class
	resumeA      string
	instructorPW string
}

func newWorld(t testing.TB) *world {
	e := newClassEnv(t)
	w := &world{e: e, instructorPW: "correct horse battery"}
	w.anon = e.browser("nobody")
	w.i = e.instructor("Ina", "ina@school.example", w.instructorPW)
	w.j = e.instructor("Jun", "jun@school.example", "another long secret")
	w.class1 = w.i.createClass("EKS 1")
	w.class2 = w.j.createClass("EKS 2")
	w.a, w.resumeA = e.join("Alice", w.class1.JoinCode)
	w.b, _ = e.join("Bob", w.class1.JoinCode)
	w.c, _ = e.join("Chul", w.class2.JoinCode)
	ctx := context.Background()
	for _, s := range []*actor{w.a, w.b, w.c} {
		if _, err := e.st.AppendConsole(ctx, store.ConsoleEntry{UserID: s.id, Command: "kubectl get pods # by " + s.name, Output: "secret of " + s.name}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.st.RecordVerdict(ctx, s.id, "kubectl-activity", "create-namespace", s != w.b, 1, "message for "+s.name); err != nil {
			t.Fatal(err)
		}
		if _, err := e.st.RecordQuizAnswer(ctx, s.id, "kubectl-activity", "empty-default", "answer of "+s.name, false); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// outcome classes of a request.
const (
	allowed = "allowed"  // reached the handler
	signIn  = "sign-in"  // 303 to /login or 401
	hidden  = "404"      // not found (not the caller's)
	denied  = "403-kube" // kubeconfig in class mode
)

func classify(r reply) string {
	switch {
	case r.code == 401:
		return signIn
	case r.code == 303 && strings.HasPrefix(r.location, "/login"):
		return signIn
	case r.code == 404:
		return hidden
	case r.code == 403:
		return denied
	}
	return allowed
}

// route is one request of the matrix; path placeholders: {c1}, {c2}
// (classes), {a}, {b}, {c} (students), {code1}, {resumeA}.
type route struct {
	method, path string
	form         url.Values
	// want by actor name; missing = allowed.
	want map[string]string
	ws   bool
}

func (w *world) expand(p string) string {
	return strings.NewReplacer("{c1}", strconv.FormatInt(w.class1.ID, 10), "{c2}", strconv.FormatInt(w.class2.ID, 10),
		"{a}", strconv.FormatInt(w.a.id, 10), "{b}", strconv.FormatInt(w.b.id, 10), "{c}", strconv.FormatInt(w.c.id, 10),
		"{code1}", w.class1.JoinCode, "{resumeA}", w.resumeA).Replace(p)
}

func all(v string) map[string]string {
	return map[string]string{"nobody": v, "Alice": v, "Bob": v, "Chul": v, "Ina": v, "Jun": v}
}

func with(m map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// learnerRoute: any signed-in user reaches it; nobody is sent to sign in.
var learnerRoute = with(all(allowed), "nobody", signIn)

// ownerOnly: only Ina (class 1's instructor) reaches it.
var ownerOnly = with(all(hidden), "nobody", signIn, "Ina", allowed)

// nobodyReaches: the class route exists but nobody may reach it this way.
var nobodyReaches = with(all(hidden), "nobody", signIn)

func matrix() []route {
	var rs []route
	add := func(method, path string, form url.Values, want map[string]string) {
		rs = append(rs, route{method: method, path: path, form: form, want: want})
	}
	// The learner's own routes: they take no user id, so every signed-in
	// user gets their own (checked below for content).
	add("GET", "/labs/kubectl-activity", nil, learnerRoute)
	add("GET", "/quizzes/kubectl-activity", nil, learnerRoute)
	add("POST", "/quizzes/kubectl-activity/empty-default", url.Values{"answer": {"a"}}, with(learnerRoute, "nobody", signIn))
	add("POST", "/api/console", nil, learnerRoute) // 400: empty body, after authentication
	add("GET", "/api/console/history", nil, learnerRoute)
	add("GET", "/api/console/history?user={b}", nil, learnerRoute)
	add("POST", "/api/apply", nil, learnerRoute)
	add("GET", "/api/sandbox", nil, learnerRoute)
	add("GET", "/api/sandbox?user={a}", nil, learnerRoute)
	add("GET", "/api/kubeconfig", nil, with(all(denied), "nobody", signIn))
	add("GET", "/api/labs/kubectl-activity/status", nil, learnerRoute)
	add("GET", "/api/drills", nil, learnerRoute)
	add("GET", "/api/history?at=1", nil, learnerRoute)
	add("GET", "/api/history/diff?from=1&to=2", nil, learnerRoute)
	add("GET", "/api/history/range", nil, learnerRoute)
	add("GET", "/api/history/marks", nil, learnerRoute)
	add("GET", "/api/history/marks?from=1&to=2", nil, learnerRoute)
	add("GET", "/api/history/log", nil, learnerRoute)
	add("GET", "/api/history/log?epoch=x&from=3", nil, learnerRoute)
	add("GET", "/api/labs/kubectl-activity/rewind", nil, learnerRoute)
	add("POST", "/api/labs/kubectl-activity/steps/create-namespace/rewind", nil, learnerRoute) // 503: no sandbox in the matrix, after authentication
	add("POST", "/api/drills/zones/us-east-1a", nil, learnerRoute)                             // 400: no JSON body, after authentication
	add("POST", "/api/drills/nodes/n1/drain", nil, learnerRoute)
	add("POST", "/api/drills/nodes/n1/kubelet", nil, learnerRoute)
	add("POST", "/api/drills/nodes/n1/cordon", nil, learnerRoute)
	add("POST", "/api/labs/kubectl-activity/reset", url.Values{"step": {"create-namespace"}}, learnerRoute)
	add("GET", "/me", nil, with(all(hidden), "nobody", signIn, "Alice", allowed, "Bob", allowed, "Chul", allowed))
	add("GET", "/welcome", nil, with(all(hidden), "nobody", signIn, "Alice", allowed, "Bob", allowed, "Chul", allowed))
	// Public routes.
	add("GET", "/login", nil, all(allowed))
	add("GET", "/join", nil, all(allowed))
	add("GET", "/join/{code1}", nil, all(allowed))
	add("GET", "/healthz", nil, all(allowed))
	add("GET", "/assets/js/dashboard.js", nil, all(allowed))
	add("GET", "/resume/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", nil, all(hidden))
	add("POST", "/resume/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", nil, all(hidden))
	add("POST", "/resume/short", nil, all(hidden))
	// The instructor's class list.
	add("GET", "/class", nil, with(all(hidden), "nobody", signIn, "Ina", allowed, "Jun", allowed))
	// Class 1's routes: Ina only.
	for _, p := range []string{"/class/{c1}", "/class/{c1}/heatmap", "/class/{c1}/quiz", "/class/{c1}/completion.svg",
		"/class/{c1}/results.csv", "/class/{c1}/students/{a}", "/class/{c1}/students/{b}", "/class/{c1}/students/{a}/history/range",
		"/class/{c1}/students/{a}/history/marks", "/class/{c1}/students/{a}/history/log"} {
		add("GET", p, nil, ownerOnly)
	}
	// Forged: a class that does not exist, a student of another class, ids
	// that are not numbers.
	for _, p := range []string{"/class/999999", "/class/{c1}/students/{c}", "/class/{c2}/students/{a}", "/class/{c1}/students/{i}",
		"/class/{c1}/students/999999", "/class/abc", "/class/{c1}/students/abc", "/class/-1", "/class/{c1}/students/0",
		"/class/{c1}/results.csv/../../class/{c2}", "/class/{c1}/students/{c}/history/range", "/class/{c2}/students/{a}/history?at=1",
		"/class/{c2}/students/{a}/history/diff?from=1&to=2", "/class/{c2}/students/{a}/history/marks", "/class/{c1}/students/{c}/history/marks",
		"/class/{c2}/students/{a}/history/log", "/class/{c1}/students/{c}/history/log"} {
		add("GET", p, nil, nobodyReaches)
	}
	// Class 2's dashboard: Jun only.
	add("GET", "/class/{c2}", nil, with(all(hidden), "nobody", signIn, "Jun", allowed))
	add("GET", "/class/{c2}/results.csv", nil, with(all(hidden), "nobody", signIn, "Jun", allowed))
	// State-changing class routes, refused to all but the owner (the
	// owner's requests run in TestClassActions, not here).
	for _, p := range []string{"/class/{c1}/close", "/class/{c1}/end-sandboxes", "/class/{c1}/students/{a}/reset",
		"/class/{c1}/students/{a}/remove", "/class/{c1}/students/{a}/hint", "/class/{c1}/seats", "/class/{c1}/students/{a}/signout",
		"/class/{c1}/zones/us-east-1a"} {
		add("POST", p, url.Values{"text": {"forged"}}, with(nobodyReaches, "Ina", "skip"))
	}
	for _, p := range []string{"/class/{c1}/students/{c}/remove", "/class/{c1}/students/{c}/reset", "/class/{c1}/students/{c}/hint",
		"/class/{c2}/students/{a}/remove", "/class/{c2}/students/{b}/hint", "/class/{c1}/students/{c}/signout", "/class/{c2}/students/{a}/signout"} {
		add("POST", p, url.Values{"text": {"forged"}}, with(nobodyReaches, "Jun", hidden))
	}
	// Class 2's zone drill: Jun's own (not run here), hidden from Ina.
	add("POST", "/class/{c2}/zones/us-east-1a", url.Values{"failed": {"1"}}, with(nobodyReaches, "Jun", "skip"))
	// Websockets.
	rs = append(rs,
		route{method: "GET", path: "/ws", ws: true, want: learnerRoute},
		route{method: "GET", path: "/class/{c1}/ws", ws: true, want: ownerOnly},
		route{method: "GET", path: "/class/{c2}/ws", ws: true, want: with(all(hidden), "nobody", signIn, "Jun", allowed)},
		route{method: "GET", path: "/class/{c1}/students/{a}/ws", ws: true, want: ownerOnly},
		route{method: "GET", path: "/class/{c1}/students/{c}/ws", ws: true, want: nobodyReaches},
		route{method: "GET", path: "/class/{c2}/students/{a}/ws", ws: true, want: nobodyReaches},
		route{method: "GET", path: "/class/999999/ws", ws: true, want: nobodyReaches},
	)
	return rs
}

func TestClassAccessMatrix(t *testing.T) {
	w := newWorld(t)
	actors := []*actor{w.anon, w.a, w.b, w.c, w.i, w.j}
	expand := func(p string) string {
		return strings.ReplaceAll(w.expand(p), "{i}", strconv.FormatInt(w.i.id, 10))
	}
	type result struct{ route, actor, want, got string }
	var results []result
	for _, rt := range matrix() {
		for _, a := range actors {
			want := rt.want[a.name]
			if want == "" {
				want = allowed
			}
			if want == "skip" {
				continue
			}
			path := expand(rt.path)
			var got string
			if rt.ws {
				c, resp, err := a.dial(path)
				switch {
				case err == nil:
					got = allowed
					c.Close()
				case resp != nil:
					b, _ := io.ReadAll(resp.Body)
					got = classify(reply{code: resp.StatusCode, location: resp.Header.Get("Location"), body: string(b)})
				default:
					got = "error: " + err.Error()
				}
			} else {
				got = classify(a.do(rt.method, path, rt.form, nil))
			}
			results = append(results, result{rt.method + " " + rt.path, a.name, want, got})
			if got != want {
				t.Errorf("%s %s as %s: %s, want %s", rt.method, path, a.name, got, want)
			}
		}
	}
	// The refused state-changing requests changed nothing.
	ctx := context.Background()
	for _, s := range []*actor{w.a, w.b} {
		if ok, _ := w.e.st.IsMember(ctx, w.class1.ID, s.id); !ok {
			t.Errorf("%s was removed by a forged request", s.name)
		}
	}
	if ok, _ := w.e.st.IsMember(ctx, w.class2.ID, w.c.id); !ok {
		t.Error("Chul was removed by a forged request")
	}
	for _, id := range []int64{w.class1.ID, w.class2.ID} {
		if c, _ := w.e.st.ClassByID(ctx, id); c.Closed() {
			t.Errorf("class %d was closed by a forged request", id)
		}
	}
	if calls := w.e.backend.called(); len(calls) > 0 {
		t.Errorf("forged requests reached the sandboxes: %v", calls)
	}
	for _, s := range []*actor{w.a, w.b, w.c} {
		if hints, _ := w.e.st.Hints(ctx, s.id, 0); len(hints) > 0 {
			t.Errorf("a forged hint reached %s: %+v", s.name, hints)
		}
	}
	// Summary for the report: outcome counts per actor.
	sum := map[string]map[string]int{}
	for _, r := range results {
		if sum[r.actor] == nil {
			sum[r.actor] = map[string]int{}
		}
		sum[r.actor][r.got]++
	}
	names := make([]string, 0, len(sum))
	for n := range sum {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t.Logf("%-7s %v", n, sum[n])
	}
	t.Logf("%d requests checked", len(results))
}

// TestEveryRouteIsInTheMatrix walks the router: a new route must be added
// to the matrix (or to the routes the other tests cover).
func TestEveryRouteIsInTheMatrix(t *testing.T) {
	w := newWorld(t)
	covered := map[string]bool{
		// covered by the other tests of this file
		"POST /login": true, "POST /logout": true, "POST /join": true, "POST /me/resume": true, "GET /resume/{token}": true, "POST /resume/{token}": true,
		"POST /lang": true, "POST /class/": true, "GET /": true, "POST /api/sandbox/reset": true,
		"GET /assets/*": true,
	}
	norm := regexp.MustCompile(`\{[a-z0-9]+\}`)
	for _, rt := range matrix() {
		p := strings.SplitN(rt.path, "?", 2)[0]
		p = norm.ReplaceAllStringFunc(p, func(s string) string {
			return map[string]string{"{c1}": "{class}", "{c2}": "{class}", "{a}": "{student}", "{b}": "{student}", "{c}": "{student}",
				"{i}": "{student}", "{code1}": "{code}", "{resumeA}": "{token}"}[s]
		})
		covered[rt.method+" "+p] = true
		covered[rt.method+" "+strings.TrimSuffix(p, "/")+"/"] = true
	}
	covered["GET /labs/{lab}"], covered["GET /quizzes/{quiz}"], covered["POST /quizzes/{quiz}/{question}"] = true, true, true
	covered["GET /api/labs/{lab}/status"], covered["GET /class/"] = true, true
	covered["POST /api/labs/{lab}/reset"] = true
	covered["GET /api/labs/{lab}/rewind"], covered["POST /api/labs/{lab}/steps/{step}/rewind"] = true, true
	covered["GET /class/{class}/students/{student}/history"], covered["GET /class/{class}/students/{student}/history/diff"] = true, true
	// the drills, requested in the matrix with a concrete zone and node
	for _, r := range []string{"POST /api/drills/zones/{zone}", "POST /api/drills/nodes/{node}/drain", "POST /api/drills/nodes/{node}/kubelet",
		"POST /api/drills/nodes/{node}/cordon", "POST /class/{class}/zones/{zone}"} {
		covered[r] = true
	}
	router := w.e.srv.router.(chi.Routes)
	n := 0
	err := chi.Walk(router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		n++
		route = strings.ReplaceAll(route, "/*/", "/")
		if route == "/assets/*" {
			return nil // static files, any method (GET in the matrix)
		}
		if !covered[method+" "+route] && !covered[method+" "+strings.TrimSuffix(route, "/")] {
			t.Errorf("route %s %s is not in the access matrix", method, route)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 40 {
		t.Fatalf("walked only %d routes", n)
	}
}

func TestLearnersSeeOnlyTheirOwnRecords(t *testing.T) {
	w := newWorld(t)
	for _, s := range []*actor{w.a, w.b, w.c} {
		for _, path := range []string{"/api/console/history", fmt.Sprintf("/api/console/history?user=%d", w.b.id)} {
			r := s.get(path)
			var hist []map[string]any
			if err := json.Unmarshal([]byte(r.body), &hist); err != nil || r.code != 200 {
				t.Fatalf("%s history: %d %s", s.name, r.code, r.body)
			}
			if len(hist) != 1 || !strings.Contains(hist[0]["command"].(string), "by "+s.name) {
				t.Errorf("%s sees %v", s.name, hist)
			}
		}
		home := s.get("/")
		for _, other := range []string{"Alice", "Bob", "Chul"} {
			if other != s.name && strings.Contains(home.body, other) {
				t.Errorf("%s's home page names %s", s.name, other)
			}
		}
	}
	// A student's page websocket carries their own hint, not another's.
	wsA, _, err := w.a.dial("/ws")
	if err != nil {
		t.Fatal(err)
	}
	wsB, _, err := w.b.dial("/ws")
	if err != nil {
		t.Fatal(err)
	}
	r := w.i.post(w.expand("/class/{c1}/students/{b}/hint"), url.Values{"text": {"look at the selector"}})
	if r.code != 303 || !strings.Contains(r.location, "done=hint") {
		t.Fatalf("hint: %d %s", r.code, r.location)
	}
	readUntil(t, wsB, "Bob's hint", func(m map[string]any) bool { return m["type"] == "hint" && m["text"] == "look at the selector" })
	if m := readFor(wsA, 300*time.Millisecond, func(m map[string]any) bool { return m["type"] == "hint" }); m != nil {
		t.Errorf("Alice got Bob's hint: %v", m)
	}
	hints, _ := w.e.st.Hints(context.Background(), w.b.id, 0)
	if len(hints) != 1 || hints[0].ReadAt.IsZero() || hints[0].FromUserID != w.i.id {
		t.Errorf("Bob's stored hint: %+v", hints)
	}
	// A hint to a student with no page open waits for their next page.
	wsA.Close()
	time.Sleep(100 * time.Millisecond)
	r = w.i.post(w.expand("/class/{c1}/students/{a}/hint"), url.Values{"text": {"  two\r\nlines\x00  "}})
	if r.code != 303 {
		t.Fatalf("hint: %d", r.code)
	}
	hints, _ = w.e.st.Hints(context.Background(), w.a.id, 0)
	if len(hints) != 1 || hints[0].Text != "two\nlines" || !hints[0].ReadAt.IsZero() {
		t.Fatalf("Alice's stored hint: %+v", hints)
	}
	wsA2, _, err := w.a.dial("/ws")
	if err != nil {
		t.Fatal(err)
	}
	readUntil(t, wsA2, "the waiting hint", func(m map[string]any) bool { return m["type"] == "hint" && m["text"] == "two\nlines" })
}

func readUntil(t testing.TB, c *websocket.Conn, what string, want func(map[string]any) bool) map[string]any {
	t.Helper()
	if m := readFor(c, 10*time.Second, want); m != nil {
		return m
	}
	t.Fatalf("no %s", what)
	return nil
}

// readFor reads messages for up to d and returns the first wanted one.
func readFor(c *websocket.Conn, d time.Duration, want func(map[string]any) bool) map[string]any {
	deadline := time.Now().Add(d)
	for {
		_ = c.SetReadDeadline(deadline)
		var m map[string]any
		if err := c.ReadJSON(&m); err != nil {
			return nil
		}
		if want(m) {
			return m
		}
	}
}

func TestSignInIsLimitedAndSessionsAreSafe(t *testing.T) {
	w := newWorld(t)
	e := w.e
	// Cookie flags.
	fresh := e.browser("fresh")
	r := fresh.post("/login", url.Values{"email": {"INA@school.example "}, "password": {w.instructorPW}})
	if r.code != 303 {
		t.Fatalf("login: %d", r.code)
	}
	var session *http.Cookie
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "kubelab_session" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || !session.Secure || session.SameSite != http.SameSiteLaxMode || session.Path != "/" {
		t.Fatalf("session cookie: %+v", session)
	}
	if session.MaxAge <= 0 || session.MaxAge > int(instructorSessionLifetime.Seconds())+2 {
		t.Errorf("instructor session max-age %d", session.MaxAge)
	}
	// The token changes at sign-in (no fixation): a session that existed
	// before (a learner's) is not the one after.
	before := w.a.jar.Cookies(mustURL(e.ts.URL))
	r = w.a.post("/logout", nil)
	if r.code != 303 || r.location != "/join?bye=1" {
		t.Fatalf("logout: %d %s", r.code, r.location)
	}
	if r := w.a.get("/api/sandbox"); r.code != 401 {
		t.Fatalf("after logout: %d", r.code)
	}
	// Opening the link only asks; the button signs in.
	if r := w.a.get("/resume/" + w.resumeA); r.code != 200 || !strings.Contains(r.body, `action="/resume/`+w.resumeA+`"`) ||
		!strings.Contains(r.body, "Alice") || len(w.a.jar.Cookies(mustURL(e.ts.URL))) != 0 {
		t.Fatalf("resume page: %d", r.code)
	}
	r = w.a.post("/resume/"+w.resumeA, nil)
	after := w.a.jar.Cookies(mustURL(e.ts.URL))
	if r.code != 303 || r.location != "/" || len(after) == 0 || (len(before) > 0 && after[0].Value == before[0].Value) {
		t.Fatalf("resume: %d %s; cookies before %v after %v", r.code, r.location, before, after)
	}
	// The resume link works in another browser too, and the database does
	// not hold it.
	other := e.browser("Alice elsewhere")
	if r := other.post("/resume/"+w.resumeA, nil); r.code != 303 || r.location != "/" {
		t.Fatalf("resume elsewhere: %d %s", r.code, r.location)
	}
	if r := other.get("/api/console/history"); r.code != 200 || !strings.Contains(r.body, "by Alice") {
		t.Fatalf("resumed session: %d %s", r.code, r.body)
	}
	u, _ := e.st.UserByID(context.Background(), w.a.id)
	if strings.Contains(u.ResumeToken, w.resumeA) || !strings.HasPrefix(u.ResumeToken, "sha256:") {
		t.Fatalf("stored resume token: %q", u.ResumeToken)
	}
	// A new link replaces the old one.
	if r := other.post("/me/resume", nil); r.code != 303 || r.location != "/welcome" {
		t.Fatalf("new link: %d %s", r.code, r.location)
	}
	newLink := resumeRe.FindStringSubmatch(other.get("/welcome").body)
	if newLink == nil || newLink[1] == w.resumeA {
		t.Fatal("no new resume link")
	}
	if r := e.browser("x").post("/resume/"+w.resumeA, nil); r.code != 404 {
		t.Fatalf("old link still works: %d", r.code)
	}
	if r := e.browser("x").post("/resume/"+newLink[1], nil); r.code != 303 {
		t.Fatalf("new link: %d", r.code)
	}
	// Learners have no password to sign in with.
	if r := e.browser("x").post("/login", url.Values{"email": {""}, "password": {""}}); r.code != 401 {
		t.Fatalf("empty login: %d", r.code)
	}

	// Five wrong passwords lock this email from this address for 15 minutes,
	// even with the right password; another account still signs in.
	atk := e.browser("attacker")
	for i := 0; i < loginMaxPerAccount; i++ {
		if r := atk.post("/login", url.Values{"email": {"jun@school.example"}, "password": {"wrong password " + strconv.Itoa(i)}}); r.code != 401 ||
			!strings.Contains(r.body, "wrong") && !strings.Contains(r.body, "맞지 않습니다") {
			t.Fatalf("wrong password %d: %d", i, r.code)
		}
	}
	r = atk.do("POST", "/login", url.Values{"email": {"jun@school.example"}, "password": {"another long secret"}}, map[string]string{"Accept-Language": "en"})
	if r.code != 429 || !strings.Contains(r.body, "Too many failed sign-ins. Try again in 15 minutes.") || r.header.Get("Retry-After") == "" {
		t.Fatalf("after 5 failures: %d %q", r.code, r.header.Get("Retry-After"))
	}
	if r := atk.post("/login", url.Values{"email": {"ina@school.example"}, "password": {w.instructorPW}}); r.code != 303 {
		t.Fatalf("another account: %d", r.code)
	}
	// The window slides: 15 minutes later the account signs in again.
	e.srv.class.loginFails.now = func() time.Time { return time.Now().Add(loginWindow + time.Second) }
	if r := atk.post("/login", url.Values{"email": {"jun@school.example"}, "password": {"another long secret"}}); r.code != 303 {
		t.Fatalf("after the window: %d", r.code)
	}

	// Cross-site state changes are refused (CSRF), with or without a session.
	for _, a := range []*actor{w.i, w.anon, w.b} {
		for _, p := range []string{"/class", "/login", "/join", "/logout", w.expand("/class/{c1}/close"), "/api/sandbox/reset", "/resume/" + w.resumeA} {
			r := a.do("POST", p, url.Values{"name": {"x"}}, map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
			if r.code != 403 {
				t.Errorf("cross-site POST %s as %s: %d", p, a.name, r.code)
			}
		}
	}
	// A forged session cookie is nobody.
	forged := e.browser("forger")
	forged.jar.SetCookies(mustURL(e.ts.URL), []*http.Cookie{{Name: "kubelab_session", Value: "forged-token", Path: "/"}})
	if r := forged.get("/class"); classify(r) != signIn {
		t.Fatalf("forged cookie: %d %s", r.code, r.location)
	}
}

func mustURL(s string) *url.URL { u, _ := url.Parse(s); return u }

func TestJoinRules(t *testing.T) {
	w := newWorld(t)
	e := w.e
	x := e.browser("x")
	lang := map[string]string{"Accept-Language": "en"}
	cases := []struct {
		code, name string
		status     int
		want       string
	}{
		{"", "Dana", 400, "No class has this code"},
		{"ZZZZZZZZ", "Dana", 404, "No class has this code"},
		{w.class1.JoinCode, "", 400, "1 to 40 characters"},
		{w.class1.JoinCode, strings.Repeat("x", 41), 400, "1 to 40 characters"},
		{w.class1.JoinCode, "alice", 409, "already uses this name"},
		{w.class1.JoinCode, "\u202eecilA", 400, "direction-changing"}, // bidi controls are refused
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%q %q", c.code, c.name), func(t *testing.T) {
			r := x.do("POST", "/join", url.Values{"code": {c.code}, "name": {c.name}}, lang)
			if r.code != c.status || !strings.Contains(r.body, c.want) {
				t.Errorf("join %q %q: %d, want %d %q", c.code, c.name, r.code, c.status, c.want)
			}
		})
	}
	// An instructor cannot join as a student.
	if r := w.i.post("/join", url.Values{"code": {w.class2.JoinCode}, "name": {"Ina"}}); r.code != 409 {
		t.Errorf("instructor joins: %d", r.code)
	}
	// A signed-in learner joining another class keeps their account.
	if r := w.a.post("/join", url.Values{"code": {w.class2.JoinCode}}); r.code != 303 || r.location != "/" {
		t.Fatalf("Alice joins class 2: %d %s", r.code, r.location)
	}
	if ok, _ := e.st.IsMember(context.Background(), w.class2.ID, w.a.id); !ok {
		t.Fatal("Alice is not in class 2")
	}
	// Now Jun sees Alice in his class, and Ina still does in hers.
	if r := w.j.get(w.expand("/class/{c2}/students/{a}")); r.code != 200 {
		t.Fatalf("Jun sees Alice: %d", r.code)
	}
	// A closed class takes nobody.
	if r := w.i.post(w.expand("/class/{c1}/close"), nil); r.code != 303 {
		t.Fatalf("close: %d", r.code)
	}
	r := e.browser("late").do("POST", "/join", url.Values{"code": {w.class1.JoinCode}, "name": {"Late"}}, lang)
	if r.code != 403 || !strings.Contains(r.body, "closed") {
		t.Fatalf("join closed class: %d", r.code)
	}
	// Its students keep working.
	if r := w.b.get("/api/sandbox"); r.code != 200 {
		t.Fatalf("Bob in a closed class: %d", r.code)
	}
	// Too many wrong codes from one address are refused for a while.
	y := e.browser("guesser")
	for i := 0; i < joinMaxPerIP+2; i++ {
		r = y.do("POST", "/join", url.Values{"code": {fmt.Sprintf("GUESS%03d", i)}, "name": {"G"}}, lang)
	}
	if r.code != 429 || !strings.Contains(r.body, "Too many wrong join codes") {
		t.Fatalf("join guessing: %d", r.code)
	}
	// A valid resume link still works from that address (it cannot be guessed).
	if r := y.post("/resume/"+w.resumeA, nil); r.code != 303 {
		t.Fatalf("resume after guessing: %d", r.code)
	}
}

func TestClassActions(t *testing.T) {
	w := newWorld(t)
	e := w.e
	ctx := context.Background()
	// Dashboard and student page carry what the instructor needs.
	r := w.i.do("GET", w.expand("/class/{c1}"), nil, map[string]string{"Accept-Language": "en"})
	for _, want := range []string{"Alice", "Bob", w.class1.JoinCode, "/join/" + w.class1.JoinCode, `data-cell="` + strconv.FormatInt(w.a.id, 10) + `|kubectl-activity|create-namespace" data-state="passed"`,
		`data-cell="` + strconv.FormatInt(w.b.id, 10) + `|kubectl-activity|create-namespace" data-state="failed"`, "message for Bob", "answer of Alice",
		`id="completion"`, `/assets/js/dashboard.js`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	if strings.Contains(r.body, "Chul") {
		t.Error("class 1's dashboard names a student of class 2")
	}
	r = w.i.get(w.expand("/class/{c1}/students/{a}"))
	for _, want := range []string{"Alice", "kubectl get pods # by Alice", "secret of Alice", `id="diagram"`, "/assets/js/class-student.js"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("student page lacks %q", want)
		}
	}
	// CSV: one row per student, formulas defused.
	if _, err := e.st.RecordQuizAnswer(ctx, w.b.id, "kubectl-activity", "list-my-ns", "=HYPERLINK(\"http://evil\")", false); err != nil {
		t.Fatal(err)
	}
	evil, _ := e.join("=SUM(1,2)", w.class1.JoinCode)
	r = w.i.get(w.expand("/class/{c1}/results.csv"))
	if r.code != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") || !strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("csv: %d %v", r.code, r.header)
	}
	lines := strings.Split(strings.TrimSpace(r.body), "\n")
	if len(lines) != 4 || !strings.Contains(lines[0], "step:kubectl-activity/create-namespace") || strings.Contains(r.body, "Chul") {
		t.Fatalf("csv rows: %q", lines)
	}
	if !strings.Contains(r.body, "wrong:=HYPERLINK") || !strings.Contains(r.body, `"'=SUM(1,2)"`) {
		t.Fatalf("csv formula not defused: %s", r.body)
	}
	for _, line := range lines {
		for _, cell := range strings.Split(line, ",") {
			if strings.HasPrefix(strings.TrimPrefix(cell, `"`), "=") {
				t.Fatalf("csv cell starts a formula: %s", line)
			}
		}
	}
	// Reset: the student's sandbox is deleted and started again.
	if r := w.i.post(w.expand("/class/{c1}/students/{a}/reset"), nil); r.code != 303 || !strings.Contains(r.location, "done=reset") {
		t.Fatalf("reset: %d %s", r.code, r.location)
	}
	if calls := e.backend.called(); len(calls) != 1 || calls[0] != "delete u"+strconv.FormatInt(w.a.id, 10) {
		t.Fatalf("reset called %v", calls)
	}
	// End all sandboxes: every student of the class, no one else.
	if r := w.i.post(w.expand("/class/{c1}/end-sandboxes"), nil); r.code != 303 {
		t.Fatalf("end: %d", r.code)
	}
	stops := map[string]bool{}
	for _, c := range e.backend.called() {
		if strings.HasPrefix(c, "stop ") {
			stops[c] = true
		}
	}
	if len(stops) != 3 || !stops["stop u"+strconv.FormatInt(w.a.id, 10)] || !stops["stop u"+strconv.FormatInt(w.b.id, 10)] ||
		!stops["stop u"+strconv.FormatInt(evil.id, 10)] {
		t.Fatalf("end sandboxes stopped %v", stops)
	}
	// Remove: Bob is out, his pages close, he cannot come back.
	wsB, _, err := w.b.dial("/ws")
	if err != nil {
		t.Fatal(err)
	}
	readUntil(t, wsB, "Bob's sandbox state", func(m map[string]any) bool { return m["type"] == "sandbox" })
	if r := w.i.post(w.expand("/class/{c1}/students/{b}/remove"), nil); r.code != 303 {
		t.Fatalf("remove: %d", r.code)
	}
	began := time.Now()
	readFor(wsB, 5*time.Second, func(map[string]any) bool { return false })
	if time.Since(began) > 4*time.Second {
		t.Fatal("the removed student's page stream stayed open")
	}
	if r := w.b.get("/"); r.code != 303 || r.location != "/join?removed=1" {
		t.Fatalf("removed student: %d %s", r.code, r.location)
	}
	if _, _, err := w.b.dial("/ws"); err == nil {
		t.Fatal("a removed student's websocket opened")
	}
	if r := w.i.get(w.expand("/class/{c1}/students/{b}")); r.code != 404 {
		t.Fatalf("removed student's page: %d", r.code)
	}
	// Close.
	if r := w.i.post(w.expand("/class/{c1}/close"), nil); r.code != 303 {
		t.Fatalf("close: %d", r.code)
	}
	if c, _ := e.st.ClassByID(ctx, w.class1.ID); !c.Closed() {
		t.Fatal("not closed")
	}
}

// TestDashboardFollowsStudents drives the learner hooks (verdicts and
// sandbox states go through learner.send, as the grader sends them) and
// checks that only the class's own dashboard hears of them.
func TestDashboardFollowsStudents(t *testing.T) {
	w := newWorld(t)
	d1, _, err := w.i.dial(w.expand("/class/{c1}/ws"))
	if err != nil {
		t.Fatal(err)
	}
	d2, _, err := w.j.dial(w.expand("/class/{c2}/ws"))
	if err != nil {
		t.Fatal(err)
	}
	snap := readUntil(t, d1, "snapshot", func(m map[string]any) bool { return m["type"] == "snapshot" })
	if b, _ := json.Marshal(snap); strings.Contains(string(b), "Chul") || len(snap["students"].([]any)) != 2 {
		t.Fatalf("snapshot: %s", b)
	}
	readUntil(t, d2, "snapshot", func(m map[string]any) bool { return m["type"] == "snapshot" })
	u, _ := w.e.st.UserByID(context.Background(), w.b.id)
	l := w.e.srv.learnerFor(u)
	res := labs.StepResult{ID: "create-namespace", Passed: false, Score: 0.5, Checks: []labs.CheckResult{
		{ID: "ns", Passed: false, Message: text.Text{Ko: "네임스페이스가 없습니다", En: "no namespace my-ns"}}}}
	l.send(verdictMessage("kubectl-activity", res, time.Time{}))
	m := readUntil(t, d1, "Bob's failing cell", func(m map[string]any) bool { return m["type"] == "cell" })
	if m["state"] != "failed" || m["messageEn"] != "no namespace my-ns" || int64(m["user"].(float64)) != w.b.id {
		t.Fatalf("cell: %v", m)
	}
	res.Passed, res.Score, res.Checks[0].Passed = true, 1, true
	l.send(verdictMessage("kubectl-activity", res, time.Time{}))
	readUntil(t, d1, "Bob's passed cell", func(m map[string]any) bool { return m["type"] == "cell" && m["state"] == "passed" })
	l.mu.Lock()
	l.state = sandbox.StateStarting
	l.mu.Unlock()
	l.broadcastState()
	readUntil(t, d1, "Bob's sandbox", func(m map[string]any) bool { return m["type"] == "sandbox" && m["state"] == "starting" })
	if m := readFor(d2, 300*time.Millisecond, func(m map[string]any) bool { return m["type"] == "cell" || m["type"] == "sandbox" }); m != nil {
		t.Fatalf("class 2's dashboard heard of Bob: %v", m)
	}
	// A new student shows up as a roster change.
	e2, _ := w.e.join("Dana", w.class1.JoinCode)
	readUntil(t, d1, "the roster change", func(m map[string]any) bool {
		return m["type"] == "roster" && int64(m["user"].(float64)) == e2.id
	})
	// A quiz answer refreshes the quiz results.
	if r := w.a.post("/quizzes/kubectl-activity/empty-default", url.Values{"answer": {"b"}}); r.code != 303 {
		t.Fatalf("answer: %d %s", r.code, r.body)
	}
	readUntil(t, d1, "the quiz change", func(m map[string]any) bool { return m["type"] == "quiz" })
}

// TestDashboardFanOutLatency measures the server side of the dashboard:
// from a verdict sent by a learner to the cell message read on each of
// several open dashboards of the class.
func TestDashboardFanOutLatency(t *testing.T) {
	w := newWorld(t)
	const dashboards = 5
	var conns []*websocket.Conn
	for i := 0; i < dashboards; i++ {
		c, _, err := w.i.dial(w.expand("/class/{c1}/ws"))
		if err != nil {
			t.Fatal(err)
		}
		readUntil(t, c, "snapshot", func(m map[string]any) bool { return m["type"] == "snapshot" })
		conns = append(conns, c)
	}
	u, _ := w.e.st.UserByID(context.Background(), w.a.id)
	l := w.e.srv.learnerFor(u)
	var lat []time.Duration
	for i := 0; i < 200; i++ {
		res := labs.StepResult{ID: "list-namespaces", Passed: i%2 == 0, Score: float64(i % 2)}
		start := time.Now()
		l.send(verdictMessage("kubectl-activity", res, time.Time{}))
		for _, c := range conns {
			readUntil(t, c, "cell", func(m map[string]any) bool { return m["type"] == "cell" && m["step"] == "list-namespaces" })
			lat = append(lat, time.Since(start))
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("FIGURE dashboard fan-out (verdict -> cell message on %d dashboards, %d samples): p50 %v, p99 %v, max %v",
		dashboards, len(lat), lat[len(lat)/2].Round(time.Microsecond), lat[len(lat)*99/100].Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond))
}

func TestPasswords(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q", h)
	}
	if !VerifyPassword(h, "correct horse battery") || VerifyPassword(h, "correct horse batterY") || VerifyPassword("", "") ||
		VerifyPassword("$argon2id$v=19$m=0,t=0,p=0$$", "") {
		t.Fatal("verify")
	}
	h2, _ := HashPassword("correct horse battery")
	if h2 == h {
		t.Fatal("no salt")
	}
	for pw, ok := range map[string]bool{"short": false, "123456789": false, "aaaaaaaaaaaaaaa": false, "1234567890": true,
		"비밀번호는열글자이상": true, strings.Repeat("ab", 600): false} {
		if err := CheckPasswordStrength(pw); (err == nil) != ok {
			t.Errorf("%q: %v", pw, err)
		}
	}
}

func TestFailLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := newFailLimiter(3, time.Minute)
	l.now = func() time.Time { return now }
	for i := 0; i < 3; i++ {
		if l.retryAfter("k") != 0 {
			t.Fatal("blocked early")
		}
		l.fail("k")
		now = now.Add(10 * time.Second)
	}
	if d := l.retryAfter("k"); d != 30*time.Second {
		t.Fatalf("retry after %v", d)
	}
	now = now.Add(31 * time.Second)
	if l.retryAfter("k") != 0 {
		t.Fatal("still blocked")
	}
	l.fail("k")
	l.reset("k")
	if len(l.hits) != 0 {
		t.Fatal("reset")
	}
}

func TestLocalModeHasNoClassRoutes(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "kubelab.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cat, qs := course(t)
	srv, err := New(Config{Mode: ModeLocal, Provider: sandbox.NewProvider(&fakeBackend{}), Store: st, Catalog: cat, Quizzes: qs,
		Console: &console.Runner{}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, p := range []string{"/login", "/join", "/class", "/class/1", "/resume/x"} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", p, nil)
		req.Host = "127.0.0.1:8080"
		srv.Handler().ServeHTTP(rec, req)
		if rec.Code != 404 {
			t.Errorf("local mode %s: %d", p, rec.Code)
		}
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/api/sandbox", nil)
	req.Host = "127.0.0.1:8080"
	srv.Handler().ServeHTTP(rec, req)
	if rec.Code != 200 || len(rec.Result().Cookies()) != 0 {
		t.Errorf("local mode API: %d, cookies %v", rec.Code, rec.Result().Cookies())
	}
	if _, err := New(Config{Mode: "classroom", Provider: sandbox.NewProvider(&fakeBackend{}), Store: st, Catalog: cat, Quizzes: qs,
		Console: &console.Runner{}}); err == nil {
		t.Error("an unknown mode is accepted")
	}
}
