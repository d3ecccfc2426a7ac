package server

import (
	"regexp"
	"strings"
	"testing"
)

// TestConsoleOnlyChecksAreMarked: a check that reads the web console's
// history says so on the lab page, in both languages, with the reason in its
// tooltip (commands typed with the learner's own kubectl are not seen);
// checks on the cluster carry no such mark.
func TestConsoleOnlyChecksAreMarked(t *testing.T) {
	e := newClassEnv(t)
	ina := e.instructor("Ina", "ina@school.example", "correct horse battery")
	c := ina.createClass("EKS 1")
	a, _ := e.join("Dana", c.JoinCode)
	lab := e.srv.cfg.Catalog.Lab("kubectl-activity")
	if lab == nil {
		t.Fatal("no kubectl-activity lab")
	}
	mark := regexp.MustCompile(`<li data-check="([^"]+)"[^>]*>(?:[^<]|<[^/]|</[^l])*?<span class="check-id" data-console-only title="([^"]*)">([^<]*)</span>`)
	for _, lg := range []struct{ lang, label, why string }{
		{"en", "(counts commands typed in the web console only)", "downloaded kubeconfig"},
		{"ko", "(웹 콘솔에서 입력한 명령만 인정)", "내려받은 kubeconfig"},
	} {
		for _, st := range lab.Steps {
			if !st.Graded() {
				continue
			}
			r := a.do("GET", "/labs/kubectl-activity?step="+st.ID, nil, map[string]string{"Accept-Language": lg.lang})
			if r.code != 200 {
				t.Fatalf("%s %s: %d", lg.lang, st.ID, r.code)
			}
			marked := map[string]bool{}
			for _, m := range mark.FindAllStringSubmatch(r.body, -1) {
				marked[m[1]] = true
				if m[3] != lg.label || !strings.Contains(m[2], lg.why) {
					t.Errorf("%s %s check %s: mark %q, tooltip %q", lg.lang, st.ID, m[1], m[3], m[2])
				}
			}
			for _, ch := range st.Checks {
				if ch.ConsoleOnly() != marked[ch.ID] {
					t.Errorf("%s step %s check %s: console-only %v, marked on the page %v", lg.lang, st.ID, ch.ID, ch.ConsoleOnly(), marked[ch.ID])
				}
			}
		}
	}
}
