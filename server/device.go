package server

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"time"
)

// Trusted-device cookies, after OWASP's "Slow Down Online Guessing Attacks
// with Device Cookies": a browser that signed in to an instructor account
// gets a cookie naming the account and a random nonce, signed by the
// server. Sign-ins from such a browser are limited per cookie; sign-ins
// without one are limited per address and account as before. A student
// who types wrong passwords for the instructor's email, even behind the
// same address, so blocks only untrusted browsers, never the instructor's.
const (
	deviceCookie   = "kubelab_device"
	deviceLifetime = 180 * 24 * time.Hour
	deviceKeyName  = "server.device_key"
)

// deviceKey loads the key that signs device cookies from the settings
// table, creating it on first use; if the database fails, a key for this
// run only (cookies then last until a restart).
func deviceKey(cfg Config) []byte {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if v, ok, err := cfg.Store.GetSetting(ctx, deviceKeyName); err == nil && ok {
		if k, err := base64.RawStdEncoding.DecodeString(v); err == nil && len(k) == 32 {
			return k
		}
	}
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	if err := cfg.Store.SetSetting(ctx, deviceKeyName, base64.RawStdEncoding.EncodeToString(k)); err != nil && cfg.Logger != nil {
		cfg.Logger.Warn("device key not stored: trusted devices last until a restart", "err", err)
	}
	return k
}

func (s *Server) deviceMAC(email, nonce string) string {
	m := hmac.New(sha256.New, s.class.deviceKey)
	m.Write([]byte(email + "\x00" + nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// deviceOf returns the nonce of the request's device cookie if it is
// valid for email.
func (s *Server) deviceOf(r *http.Request, email string) (string, bool) {
	c, err := r.Cookie(deviceCookie)
	if err != nil || email == "" {
		return "", false
	}
	parts := strings.Split(c.Value, ".")
	if len(parts) != 3 {
		return "", false
	}
	who, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || string(who) != email {
		return "", false
	}
	if !hmac.Equal([]byte(parts[2]), []byte(s.deviceMAC(email, parts[1]))) {
		return "", false
	}
	return parts[1], true
}

// issueDevice gives the browser a fresh device cookie for email (after a
// successful sign-in).
func (s *Server) issueDevice(w http.ResponseWriter, email string) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return
	}
	nonce := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: deviceCookie,
		Value: base64.RawURLEncoding.EncodeToString([]byte(email)) + "." + nonce + "." + s.deviceMAC(email, nonce),
		Path:  "/login", MaxAge: int(deviceLifetime.Seconds()), HttpOnly: true, Secure: !s.cfg.InsecureCookies,
		SameSite: http.SameSiteStrictMode})
}
