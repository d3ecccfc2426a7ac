package web

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestI18nEveryKeyInBothLanguages(t *testing.T) {
	ph := regexp.MustCompile(`\{\w+\}`)
	if len(Keys()) < 50 {
		t.Fatalf("only %d keys", len(Keys()))
	}
	for _, k := range Keys() {
		e := messages[k]
		for l := range e {
			if !slices.Contains(Langs, l) {
				t.Errorf("%s: unknown language %q", k, l)
			}
		}
		ko, en := strings.TrimSpace(e["ko"]), strings.TrimSpace(e["en"])
		if ko == "" || en == "" {
			t.Errorf("%s: ko %q, en %q: both languages needed", k, ko, en)
		}
		a, b := ph.FindAllString(ko, -1), ph.FindAllString(en, -1)
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) {
			t.Errorf("%s: placeholders ko %v, en %v", k, a, b)
		}
	}
}

// TestI18nKeysUsedExist finds every T(lang, "key") and Tf(lang, "key", ...) in the templates
// and the Go code, plus the keys built from names at run time, and checks they exist.
func TestI18nKeysUsedExist(t *testing.T) {
	call := regexp.MustCompile(`\bTf?\(\s*[\w.]+\s*,\s*"([^"]+)"\s*[,)]`)
	files, _ := filepath.Glob("*.templ")
	gos, _ := filepath.Glob("*.go")
	for _, f := range gos {
		if !strings.HasSuffix(f, "_test.go") && !strings.HasSuffix(f, "_templ.go") {
			files = append(files, f)
		}
	}
	used := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllStringSubmatch(string(data), -1) {
			used[m[1]] = true
			if !hasKey(m[1]) {
				t.Errorf("%s uses unknown key %q", f, m[1])
			}
		}
	}
	if len(used) < 40 {
		t.Errorf("found only %d keys in use: is the pattern still right?", len(used))
	}
	var dynamic []string
	for _, d := range Diagrams {
		dynamic = append(dynamic, "diagram."+d)
	}
	for _, s := range append(SandboxStates, "none") {
		dynamic = append(dynamic, "sb."+s, "sbx."+s)
	}
	for _, b := range Backends {
		dynamic = append(dynamic, backendKey(b))
	}
	for _, p := range CourseParts {
		dynamic = append(dynamic, "part."+p)
	}
	for _, p := range []string{"done", "started", "new"} {
		dynamic = append(dynamic, "home."+p)
	}
	for _, m := range LabLayouts {
		dynamic = append(dynamic, "layout."+m)
	}
	dynamic = append(dynamic, kindKey("lab"), kindKey("concept"))
	for _, k := range dynamic {
		if !hasKey(k) {
			t.Errorf("unknown key %q", k)
		}
	}
}

func TestT(t *testing.T) {
	if got := T("en", "btn.run"); got != "Run" {
		t.Errorf("en: %q", got)
	}
	for _, l := range []string{"ko", "", "fr", "KO"} {
		if got := T(l, "btn.run"); got != "실행" {
			t.Errorf("%q: %q, want the Korean default", l, got)
		}
	}
	if got := T("en-US", "btn.copy"); got != "Copy" {
		t.Errorf("en-US: %q", got)
	}
	if got := T("en", "no.such.key"); got != "no.such.key" {
		t.Errorf("unknown key: %q", got)
	}
	if got := Tf("en", "home.progress", "passed", "2", "total", "5"); got != "2 of 5 steps passed" {
		t.Errorf("Tf: %q", got)
	}
	if got := Tf("ko", "home.progress", "passed", "2", "total", "5"); got != "단계 2/5 통과" {
		t.Errorf("Tf ko: %q", got)
	}
	for _, k := range []string{"btn.run", "btn.copy", "btn.edit", "btn.dry", "btn.apply", "reset.button", "reset.confirm", "kubeconfig.download"} {
		if !hasKey(k) {
			t.Errorf("missing %s", k)
		}
	}
	m := map[string][2]string{"btn.edit": {"편집기로", "Open in editor"}, "btn.dry": {"모의 실행", "Dry run"}, "btn.apply": {"적용", "Apply"},
		"reset.button": {"샌드박스 초기화", "Reset sandbox"}, "kubeconfig.download": {"kubeconfig 내려받기", "Download kubeconfig"}}
	for k, w := range m {
		if T("ko", k) != w[0] || T("en", k) != w[1] {
			t.Errorf("%s: %q / %q", k, T("ko", k), T("en", k))
		}
	}
	if _, err := loadMessages([]byte("a: {ko: x, en: y}\na: {ko: z, en: w}\n")); err == nil {
		t.Error("a duplicate key is an error")
	}
}

// TestI18nMatchesScripts checks that the words lab.js writes into the same elements later
// (status badges, sandbox and connection state) are the words the page starts with.
func TestI18nMatchesScripts(t *testing.T) {
	data, err := os.ReadFile("../assets/static/js/i18n.js")
	if err != nil {
		t.Skip("no browser strings:", err)
	}
	entry := regexp.MustCompile(`'([\w.]+)':\s*\['((?:[^'\\]|\\.)*)',\s*'((?:[^'\\]|\\.)*)'\]`)
	js := map[string][2]string{}
	for _, m := range entry.FindAllStringSubmatch(string(data), -1) {
		js[m[1]] = [2]string{m[2], m[3]}
	}
	pairs := map[string]string{"status.passed": "st.passed", "status.failed": "st.failed", "status.changed": "st.changed", "conn.connecting": "conn.connecting", "btn.run": "co.run"}
	for _, s := range SandboxStates {
		pairs["sb."+s] = "sb." + s
	}
	for ours, theirs := range pairs {
		w, ok := js[theirs]
		if !ok {
			t.Errorf("i18n.js has no %s", theirs)
			continue
		}
		if T("ko", ours) != w[0] || T("en", ours) != w[1] {
			t.Errorf("%s = %q/%q but i18n.js %s = %q/%q", ours, T("ko", ours), T("en", ours), theirs, w[0], w[1])
		}
	}
	score := strings.ReplaceAll(js["lab.score"][1], "{n}", "50")
	if got := Tf("en", "status.score", "n", "50"); got != score {
		t.Errorf("score %q, i18n.js %q", got, score)
	}
}
