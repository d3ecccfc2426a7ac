package server

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kubelab/kubelab/store"
	"github.com/kubelab/kubelab/web"
)

// Sign-in limits: failures per address and email, and per address alone,
// within loginWindow.
const (
	loginMaxPerAccount = 5
	loginMaxPerIP      = 50
	loginWindow        = 15 * time.Minute
	// joinMaxPerIP is large enough for a whole class behind one address (a
	// school's NAT) mistyping codes; guessing stays hopeless (31^8 codes).
	joinMaxPerIP = 200
)

// loginPage shows the instructors' sign-in form.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if u, err := s.sessionUser(r); err == nil && u.Role == store.RoleInstructor {
		http.Redirect(w, r, "/class", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, web.LoginPage(web.LoginView{Page: s.publicPage(r, web.T(lang(r), "login.title")),
		Next: safeNext(r.URL.Query().Get("next"))}))
}

// login checks an instructor's email and password. Failures are limited
// per address and email (and per address), with a clear message when the
// limit is reached.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if !s.readForm(w, r, "") {
		return
	}
	lg := lang(r)
	email := NormalizeEmail(r.PostForm.Get("email"))
	pw := r.PostForm.Get("password")
	v := web.LoginView{Page: s.publicPage(r, web.T(lg, "login.title")), Email: email, Next: safeNext(r.PostForm.Get("next"))}
	ip := clientIP(r)
	acct := ip + "|" + email
	// A browser that signed in to this account before carries a device
	// cookie: its failures count against that cookie alone, so nobody else
	// (a student behind the same NAT) can lock the instructor out.
	device, trusted := s.deviceOf(r, email)
	wait := max(s.class.loginFails.retryAfter(acct), s.class.loginIPFails.retryAfter(ip))
	if trusted {
		wait = s.class.deviceFails.retryAfter(device)
	}
	if wait > 0 {
		minutes := strconv.Itoa(int(math.Ceil(wait.Minutes())))
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		v.Error = web.Tf(lg, "login.limited", "minutes", minutes)
		s.render(w, r, http.StatusTooManyRequests, web.LoginPage(v))
		return
	}
	u, err := s.cfg.Store.UserByEmail(r.Context(), email)
	ok := false
	if err == nil && u.Role == store.RoleInstructor && u.PasswordHash != "" && len(pw) <= 1024 {
		ok = VerifyPassword(u.PasswordHash, pw)
	} else {
		VerifyPassword(dummyHash(), pw) // the same work as for a real account
	}
	if !ok {
		if trusted {
			s.class.deviceFails.fail(device)
		} else {
			s.class.loginFails.fail(acct)
			s.class.loginIPFails.fail(ip)
		}
		s.log.Info("sign-in failed", "ip", ip, "trusted_device", trusted)
		v.Error = web.T(lg, "login.failed")
		s.render(w, r, http.StatusUnauthorized, web.LoginPage(v))
		return
	}
	if trusted {
		s.class.deviceFails.reset(device)
	} else {
		s.class.loginFails.reset(acct)
	}
	if err := s.signIn(r, u); err != nil {
		s.internalError(w, r, err)
		return
	}
	s.issueDevice(w, email)
	next := v.Next
	if next == "/" {
		next = "/class"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout ends the session; a learner needs their resume link to come back.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if s.class == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	u, _ := s.sessionUser(r)
	if err := s.class.sessions.Destroy(r.Context()); err != nil {
		s.log.Warn("logout", "err", err)
	}
	if u.Role == store.RoleLearner {
		http.Redirect(w, r, "/join?bye=1", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// safeNext is where to go after signing in: a local path, else "/".
func safeNext(next string) string {
	if next == "" {
		return "/"
	}
	return safeBack(next)
}

// loginRoutes sign instructors in and anyone out.
func (s *Server) loginRoutes(r chi.Router) {
	r.Get("/login", s.loginPage)
	r.Post("/login", s.login)
	r.Post("/logout", s.logout)
}
