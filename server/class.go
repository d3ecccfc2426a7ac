package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/alexedwards/scs/sqlite3store"
	"github.com/alexedwards/scs/v2"
	"github.com/go-chi/chi/v5"

	"github.com/kubelab/kubelab/store"
	"github.com/kubelab/kubelab/web"
)

// classMode is the state class mode adds to the server: sessions, sign-in
// limits, the dashboards' hub and small caches.
type classMode struct {
	sessions  *scs.SessionManager
	sessStore *sqlite3store.SQLite3Store

	loginFails   *failLimiter // per address and email
	loginIPFails *failLimiter // per address
	joinFails    *failLimiter // wrong join codes, per address
	resumeFails  *failLimiter // wrong resume links posted, per address
	deviceFails  *failLimiter // wrong passwords, per trusted-device cookie
	deviceKey    []byte       // signs trusted-device cookies

	hub *classHub

	mu      sync.Mutex
	touched map[int64]time.Time // last activity recorded, by user
	members map[int64]memberEntry
	viewers map[*wsConn]struct{} // instructors' read-only views of a student's cluster

	rewarm chan struct{} // asks warmLoop to look again
}

type memberEntry struct {
	classes []int64
	at      time.Time
}

// Caching and throttling of per-request work.
const (
	touchEvery     = 30 * time.Second
	membershipTTL  = 10 * time.Second
	maxNameRunes   = 40
	maxClassRunes  = 80
	maxHintRunes   = 1000
	resumeTokenLen = 32
)

func newClassMode(cfg Config) *classMode {
	sm, st := newSessions(cfg)
	return &classMode{
		sessions: sm, sessStore: st,
		loginFails:   newFailLimiter(loginMaxPerAccount, loginWindow),
		loginIPFails: newFailLimiter(loginMaxPerIP, loginWindow),
		joinFails:    newFailLimiter(joinMaxPerIP, loginWindow),
		resumeFails:  newFailLimiter(joinMaxPerIP, loginWindow),
		deviceFails:  newFailLimiter(loginMaxPerAccount, loginWindow),
		deviceKey:    deviceKey(cfg),
		hub:          newClassHub(),
		rewarm:       make(chan struct{}, 1),
		touched:      map[int64]time.Time{},
		members:      map[int64]memberEntry{},
		viewers:      map[*wsConn]struct{}{},
	}
}

func (c *classMode) close() {
	if c == nil {
		return
	}
	c.sessStore.StopCleanup()
	c.hub.closeAll()
}

// classRoutes adds class mode's routes: sign-in, joining and resuming
// (public), the learner's own page, and the instructor's classes. In local
// mode there are none.
func (s *Server) classRoutes(r chi.Router) {
	if s.class == nil {
		return
	}
	r.Get("/login", s.loginPage)
	r.Post("/login", s.login)
	r.Post("/logout", s.logout)
	r.Get("/join", s.joinPage)
	r.Get("/join/{code}", s.joinPage)
	r.Post("/join", s.join)
	r.Get("/resume/{token}", s.resumePage)
	r.Post("/resume/{token}", s.resume)
	r.Group(func(r chi.Router) {
		r.Use(s.authenticate)
		r.Get("/welcome", s.welcome)
		r.Get("/me", s.mePage)
		r.Post("/me/resume", s.newResumeLink)
		r.Route("/class", func(r chi.Router) {
			r.Use(s.requireInstructor)
			r.Get("/", s.classList)
			r.Post("/", s.createClass)
			r.Route("/{class}", func(r chi.Router) {
				r.Get("/", s.dashboard)
				r.Get("/ws", s.dashboardWS)
				r.Get("/heatmap", s.heatmapFragment)
				r.Get("/quiz", s.quizFragment)
				r.Get("/completion.svg", s.completionSVG)
				r.Get("/results.csv", s.resultsCSV)
				r.Post("/close", s.closeClass)
				r.Post("/end-sandboxes", s.endSandboxes)
				r.Post("/seats", s.setSeats)
				r.Post("/zones/{zone}", s.classZone)
				r.Route("/students/{student}", func(r chi.Router) {
					r.Get("/", s.studentPage)
					r.Get("/ws", s.studentWS)
					r.Post("/reset", s.resetStudent)
					r.Post("/hint", s.hintStudent)
					r.Post("/remove", s.removeStudent)
					r.Post("/signout", s.signOutStudent)
					r.Get("/history", s.historyAt)
					r.Get("/history/diff", s.historyDiff)
					r.Get("/history/range", s.historyRange)
					r.Get("/history/marks", s.historyMarks)
				})
			})
		})
	})
}

// publicPage is the frame of class mode's own pages (no sandbox in it).
func (s *Server) publicPage(r *http.Request, title string) web.Page {
	p := web.Page{Lang: lang(r), Title: title, Mode: s.cfg.Mode, Backend: s.cfg.Provider.Name(), Path: r.URL.RequestURI()}
	u := userOf(r)
	if u.ID == 0 && s.class != nil {
		u, _ = s.sessionUser(r)
	}
	p.UserName, p.Role = u.DisplayName, string(u.Role)
	return p
}

// baseURL is this server's address as the browser sees it, for the links
// an instructor hands out.
func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return strings.TrimRight(s.cfg.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// newResumeSecret returns a random resume secret (what the link carries)
// and the hash stored for it: the database never holds the secret.
func newResumeSecret() (secret, stored string, err error) {
	b := make([]byte, resumeTokenLen)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	secret = base64.RawURLEncoding.EncodeToString(b)
	return secret, resumeHash(secret), nil
}

func resumeHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// cleanName tidies a display name: spaces collapsed, no control or format
// characters; "" when nothing usable is left or it is too long.
func cleanName(name string, maxRunes int) string {
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, name)
	name = strings.Join(strings.Fields(name), " ")
	if name == "" || utf8.RuneCountInString(name) > maxRunes {
		return ""
	}
	return name
}

// joinPage shows the join form (the code filled in from /join/{code}).
func (s *Server) joinPage(w http.ResponseWriter, r *http.Request) {
	lg := lang(r)
	v := web.JoinView{Page: s.publicPage(r, web.T(lg, "join.title")), Code: store.NormalizeJoinCode(chi.URLParam(r, "code"))}
	q := r.URL.Query()
	switch {
	case q.Get("removed") != "":
		v.Notice = web.T(lg, "join.removed")
	case q.Get("bye") != "":
		v.Notice = web.T(lg, "join.bye")
	}
	if v.Code != "" {
		if c, err := s.cfg.Store.ClassByJoinCode(r.Context(), v.Code); err == nil {
			v.ClassName = c.Name
			if c.Closed() {
				v.Error = web.T(lg, "join.closed")
			}
		}
	}
	s.render(w, r, http.StatusOK, web.JoinPage(v))
}

// join makes the visitor a member of the class with the posted code: a new
// learner account with the posted name and a resume link, or the signed-in
// learner's own account.
func (s *Server) join(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "")
		return
	}
	lg := lang(r)
	code := store.NormalizeJoinCode(r.PostForm.Get("code"))
	v := web.JoinView{Page: s.publicPage(r, web.T(lg, "join.title")), Code: code, Name: r.PostForm.Get("name")}
	fail := func(code int, key string) {
		v.Error = web.T(lg, key)
		s.render(w, r, code, web.JoinPage(v))
	}
	ip := clientIP(r)
	if wait := s.class.joinFails.retryAfter(ip); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		fail(http.StatusTooManyRequests, "join.limited")
		return
	}
	if len(code) != store.JoinCodeLength {
		s.class.joinFails.fail(ip)
		fail(http.StatusBadRequest, "join.bad_code")
		return
	}
	class, err := s.cfg.Store.ClassByJoinCode(r.Context(), code)
	if errors.Is(err, store.ErrNotFound) {
		s.class.joinFails.fail(ip)
		fail(http.StatusNotFound, "join.bad_code")
		return
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	v.ClassName = class.Name
	if class.Closed() {
		fail(http.StatusForbidden, "join.closed")
		return
	}
	current, cerr := s.sessionUser(r)
	if cerr == nil && current.Role == store.RoleInstructor {
		fail(http.StatusConflict, "join.instructor")
		return
	}
	instructorName := ""
	if in, err := s.cfg.Store.UserByID(r.Context(), class.InstructorID); err == nil {
		instructorName = in.DisplayName
	}
	if cerr == nil { // a signed-in learner joins one more class, under the same name checks
		if sameName(current.DisplayName, instructorName) {
			v.Error = web.Tf(lg, "join.name_taken_signed_in", "name", current.DisplayName)
			s.render(w, r, http.StatusConflict, web.JoinPage(v))
			return
		}
		s.rewarm() // the warm loop looks again shortly after
		err := s.cfg.Store.JoinClass(r.Context(), class.ID, current.ID, func(m string) bool { return sameName(m, current.DisplayName) })
		if errors.Is(err, store.ErrNameTaken) {
			v.Error = web.Tf(lg, "join.name_taken_signed_in", "name", current.DisplayName)
			s.render(w, r, http.StatusConflict, web.JoinPage(v))
			return
		}
		if err != nil {
			s.joinError(w, r, v, class, err)
			return
		}
		s.membersChanged(class.ID, current.ID)
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	name, why := normalizeDisplayName(v.Name)
	if why != "" {
		fail(http.StatusBadRequest, why)
		return
	}
	if sameName(name, instructorName) {
		fail(http.StatusConflict, "join.name_taken")
		return
	}
	secret, stored, err := newResumeSecret()
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	s.rewarm() // the warm loop looks again shortly after
	u, err := s.cfg.Store.CreateLearnerInClass(r.Context(), class.ID,
		store.User{DisplayName: name, Role: store.RoleLearner, ResumeToken: stored, Locale: lg},
		func(m string) bool { return sameName(m, name) })
	if err != nil {
		s.joinError(w, r, v, class, err)
		return
	}
	if err := s.signIn(r, u); err != nil {
		s.internalError(w, r, err)
		return
	}
	s.class.sessions.Put(r.Context(), sessResume, secret)
	s.membersChanged(class.ID, u.ID)
	s.log.Info("learner joined", "class", class.ID, "user", u.ID)
	http.Redirect(w, r, "/welcome", http.StatusSeeOther)
}

// joinError answers a join the store refused: closed, full, or a name
// that clashes; anything else is a server error.
func (s *Server) joinError(w http.ResponseWriter, r *http.Request, v web.JoinView, class store.Class, err error) {
	lg := lang(r)
	switch {
	case errors.Is(err, store.ErrClassClosed):
		v.Error = web.T(lg, "join.closed")
		s.render(w, r, http.StatusForbidden, web.JoinPage(v))
		return
	case errors.Is(err, store.ErrClassFull):
		v.Error = web.Tf(lg, "join.full", "seats", strconv.Itoa(class.SeatLimit))
		s.log.Info("join refused: class full", "class", class.ID, "seats", class.SeatLimit)
		s.render(w, r, http.StatusForbidden, web.JoinPage(v))
		return
	case errors.Is(err, store.ErrNameTaken):
		v.Error = web.T(lg, "join.name_taken")
		s.render(w, r, http.StatusConflict, web.JoinPage(v))
		return
	}
	s.internalError(w, r, err)
}

// welcome shows a learner their resume link, once, right after it was made.
func (s *Server) welcome(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	if u.Role != store.RoleLearner {
		s.notFound(w, r)
		return
	}
	lg := lang(r)
	v := web.WelcomeView{Page: s.publicPage(r, web.T(lg, "welcome.title"))}
	if secret := s.class.sessions.PopString(r.Context(), sessResume); secret != "" {
		v.ResumeURL = s.baseURL(r) + "/resume/" + secret
	}
	v.Classes = s.classNames(r.Context(), u.ID)
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, web.WelcomePage(v))
}

// mePage shows a learner their classes and lets them make a new resume link.
func (s *Server) mePage(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	if u.Role != store.RoleLearner {
		s.notFound(w, r)
		return
	}
	lg := lang(r)
	v := web.WelcomeView{Page: s.publicPage(r, web.T(lg, "me.title")), Me: true, Classes: s.classNames(r.Context(), u.ID)}
	s.render(w, r, http.StatusOK, web.WelcomePage(v))
}

// newResumeLink replaces the learner's resume link (the old one stops
// working) and shows the new one.
func (s *Server) newResumeLink(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	if u.Role != store.RoleLearner {
		s.notFound(w, r)
		return
	}
	secret, stored, err := newResumeSecret()
	if err == nil {
		err = s.cfg.Store.SetResumeToken(r.Context(), u.ID, stored)
	}
	var gen int64
	if err == nil { // whoever signed in with the old link is signed out; this browser stays
		gen, err = s.cfg.Store.BumpSessionGen(r.Context(), u.ID)
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	s.class.sessions.Put(r.Context(), sessGen, gen)
	s.class.sessions.Put(r.Context(), sessResume, secret)
	s.closeOtherPages(u.ID)
	http.Redirect(w, r, "/welcome", http.StatusSeeOther)
}

// closeOtherPages closes the open pages of a learner who was signed out
// everywhere: they reconnect, and those of a stale session are refused.
func (s *Server) closeOtherPages(userID int64) {
	l := s.peekLearner(userID)
	if l == nil {
		return
	}
	l.mu.Lock()
	conns := l.connsLocked()
	l.mu.Unlock()
	for _, c := range conns {
		if !s.isViewer(c) {
			c.close()
		}
	}
}

func (s *Server) classNames(ctx context.Context, userID int64) []string {
	classes, _ := s.cfg.Store.ClassesByMember(ctx, userID)
	out := make([]string, 0, len(classes))
	for _, c := range classes {
		out = append(out, c.Name)
	}
	return out
}

// resumeUser finds the learner of the resume link in the URL, or answers
// (404, 429, or the join page for a removed learner) and returns false.
// A link is 256 random bits: it cannot be guessed, so a valid link always
// works, and opening links (GET) never counts against anyone. Wrong links
// posted from one address are counted, and past resumeMaxWrong of them
// that address gets 429 instead of 404 for further wrong ones.
func (s *Server) resumeUser(w http.ResponseWriter, r *http.Request) (store.User, bool) {
	lg := lang(r)
	ip := clientIP(r)
	w.Header().Set("Cache-Control", "no-store")
	secret := chi.URLParam(r, "token")
	var u store.User
	err := store.ErrNotFound
	if len(secret) == base64.RawURLEncoding.EncodedLen(resumeTokenLen) {
		u, err = s.cfg.Store.UserByResumeToken(r.Context(), resumeHash(secret))
	}
	if err != nil || u.Role != store.RoleLearner {
		if r.Method != http.MethodPost {
			s.errorPage(w, r, http.StatusNotFound, web.T(lg, "resume.invalid"))
			return store.User{}, false
		}
		if wait := s.class.resumeFails.retryAfter(ip); wait > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
			s.errorPage(w, r, http.StatusTooManyRequests, web.T(lg, "resume.limited"))
			return store.User{}, false
		}
		s.class.resumeFails.fail(ip)
		s.log.Info("wrong resume link", "ip", ip)
		s.errorPage(w, r, http.StatusNotFound, web.T(lg, "resume.invalid"))
		return store.User{}, false
	}
	if len(s.memberClasses(r.Context(), u.ID)) == 0 {
		http.Redirect(w, r, "/join?removed=1", http.StatusSeeOther)
		return store.User{}, false
	}
	return u, true
}

// resumePage asks before signing in from a resume link: opening a link
// changes nothing (another site cannot sign a visitor in to someone
// else's lab), the button POSTs.
func (s *Server) resumePage(w http.ResponseWriter, r *http.Request) {
	u, ok := s.resumeUser(w, r)
	if !ok {
		return
	}
	lg := lang(r)
	s.render(w, r, http.StatusOK, web.ResumePage(web.ResumeView{Page: s.publicPage(r, web.T(lg, "resume.title")), Name: u.DisplayName,
		Action: r.URL.Path}))
}

// resume signs a learner in from their resume link (any browser).
func (s *Server) resume(w http.ResponseWriter, r *http.Request) {
	u, ok := s.resumeUser(w, r)
	if !ok {
		return
	}
	if err := s.signIn(r, u); err != nil {
		s.internalError(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// memberClasses returns the ids of the classes the user is an active
// member of (cached for a few seconds; joins and removals refresh it).
func (s *Server) memberClasses(ctx context.Context, userID int64) []int64 {
	c := s.class
	c.mu.Lock()
	e, ok := c.members[userID]
	c.mu.Unlock()
	if ok && time.Since(e.at) < membershipTTL {
		return e.classes
	}
	classes, err := s.cfg.Store.ClassesByMember(ctx, userID)
	if err != nil {
		s.log.Warn("memberships", "user", userID, "err", err)
		return e.classes
	}
	ids := make([]int64, 0, len(classes))
	for _, cl := range classes {
		ids = append(ids, cl.ID)
	}
	c.mu.Lock()
	if len(c.members) > 50_000 {
		clear(c.members)
	}
	c.members[userID] = memberEntry{classes: ids, at: time.Now()}
	c.mu.Unlock()
	return ids
}

// membersChanged forgets a user's cached memberships and tells the class's
// dashboards that the roster changed.
func (s *Server) membersChanged(classID, userID int64) {
	s.class.mu.Lock()
	delete(s.class.members, userID)
	s.class.mu.Unlock()
	s.class.hub.publish(classID, map[string]any{"type": "roster", "user": userID})
}

// touch records a signed-in user's activity (at most every touchEvery) and
// shows it on their classes' dashboards.
func (s *Server) touch(u store.User) {
	now := time.Now()
	c := s.class
	c.mu.Lock()
	last := c.touched[u.ID]
	if now.Sub(last) < touchEvery {
		c.mu.Unlock()
		return
	}
	if len(c.touched) > 50_000 {
		clear(c.touched)
	}
	c.touched[u.ID] = now
	c.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
		defer cancel()
		if err := s.cfg.Store.TouchUser(ctx, u.ID); err != nil && s.ctx.Err() == nil {
			s.log.Warn("touch user", "err", err)
		}
		if u.Role == store.RoleLearner {
			s.publishToClasses(ctx, u.ID, map[string]any{"type": "activity", "user": u.ID, "at": now.UTC().Format(time.RFC3339)})
		}
	}()
}

// afterLearnerRequest tells the dashboards what a learner's request may
// have changed without a verdict: reading steps passed by opening a lab
// page, quiz answers.
func (s *Server) afterLearnerRequest(u store.User, r *http.Request) {
	if s.class.hub.empty() {
		return
	}
	switch {
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/labs/"):
		go s.publishRow(u.ID)
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/quizzes/"):
		go s.publishToClasses(s.ctx, u.ID, map[string]any{"type": "quiz", "user": u.ID})
	}
}

// publishToClasses sends msg to the dashboards of every class of userID.
func (s *Server) publishToClasses(ctx context.Context, userID int64, msg any) {
	if s.class == nil || s.class.hub.empty() {
		return
	}
	for _, id := range s.memberClasses(ctx, userID) {
		s.class.hub.publish(id, msg)
	}
}

// classList shows the instructor's classes and the form for a new one.
func (s *Server) classList(w http.ResponseWriter, r *http.Request) {
	s.renderClassList(w, r, http.StatusOK, "", "")
}

func (s *Server) renderClassList(w http.ResponseWriter, r *http.Request, code int, name, errKey string) {
	lg := lang(r)
	u := userOf(r)
	v := web.ClassListView{Page: s.publicPage(r, web.T(lg, "classes.title")), Name: name}
	if errKey != "" {
		v.Error = web.T(lg, errKey)
	}
	classes, err := s.cfg.Store.ClassesByInstructor(r.Context(), u.ID)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	for _, c := range classes {
		members, _ := s.cfg.Store.Members(r.Context(), c.ID)
		v.Classes = append(v.Classes, s.classSummary(r, c, len(members)))
	}
	s.render(w, r, code, web.ClassListPage(v))
}

func (s *Server) classSummary(r *http.Request, c store.Class, members int) web.ClassSummary {
	return web.ClassSummary{ID: c.ID, Name: c.Name, JoinCode: c.JoinCode, JoinURL: s.baseURL(r) + "/join/" + c.JoinCode,
		Closed: c.Closed(), Members: members, CreatedAt: c.CreatedAt, SeatLimit: c.SeatLimit}
}

// createClass makes a class for the instructor and opens its dashboard.
func (s *Server) createClass(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "")
		return
	}
	raw := r.PostForm.Get("name")
	name := cleanName(raw, maxClassRunes)
	if name == "" {
		s.renderClassList(w, r, http.StatusBadRequest, raw, "classes.bad_name")
		return
	}
	seats, err := s.seatsForNewClass(r.Context())
	if errors.Is(err, errNoCapacity) {
		s.renderClassList(w, r, http.StatusConflict, raw, "classes.no_capacity")
		return
	}
	var c store.Class
	if err == nil {
		s.rewarm() // the warm loop looks again shortly after
		c, err = s.cfg.Store.CreateClass(r.Context(), userOf(r).ID, name)
	}
	if err == nil {
		s.rewarm() // the warm loop looks again shortly after
		err = s.cfg.Store.SetSeatLimit(r.Context(), c.ID, seats)
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	http.Redirect(w, r, "/class/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
}

// ownedClass returns the class of the URL if the signed-in instructor owns
// it; otherwise it answers 404 (the same as for a class that does not
// exist) and returns false.
func (s *Server) ownedClass(w http.ResponseWriter, r *http.Request) (store.Class, bool) {
	id, err := strconv.ParseInt(chi.URLParam(r, "class"), 10, 64)
	if err != nil || id <= 0 {
		s.notFound(w, r)
		return store.Class{}, false
	}
	c, err := s.cfg.Store.ClassByID(r.Context(), id)
	u := userOf(r)
	if err != nil || u.Role != store.RoleInstructor || c.InstructorID != u.ID {
		s.notFound(w, r)
		return store.Class{}, false
	}
	return c, true
}

// classStudent returns the class and the student of the URL if the
// signed-in instructor owns the class and the student is an active member
// of it; otherwise 404.
func (s *Server) classStudent(w http.ResponseWriter, r *http.Request) (store.Class, store.User, bool) {
	c, ok := s.ownedClass(w, r)
	if !ok {
		return c, store.User{}, false
	}
	id, err := strconv.ParseInt(chi.URLParam(r, "student"), 10, 64)
	if err != nil || id <= 0 {
		s.notFound(w, r)
		return c, store.User{}, false
	}
	if ok, err := s.cfg.Store.IsMember(r.Context(), c.ID, id); err != nil || !ok {
		s.notFound(w, r)
		return c, store.User{}, false
	}
	u, err := s.cfg.Store.UserByID(r.Context(), id)
	if err != nil || u.Role != store.RoleLearner {
		s.notFound(w, r)
		return c, store.User{}, false
	}
	return c, u, true
}
