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
		ko, en := strings.TrimSpace(e.Ko), strings.TrimSpace(e.En)
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
	if _, err := loadMessages([]byte("a: {ko: x, en: y, fr: z}\n")); err == nil {
		t.Error("a third language is an error")
	}
	if got := Text("btn.run"); got.Ko != "실행" || got.En != "Run" {
		t.Errorf("Text: %+v", got)
	}
}

// TestScriptTableUpToDate: the browser's table (assets/static/js/i18n-table.js) is what
// i18n.yaml makes of it; run go generate ./web after changing i18n.yaml.
func TestScriptTableUpToDate(t *testing.T) {
	data, err := os.ReadFile(ScriptTablePath)
	if err != nil {
		t.Fatal(err)
	}
	if want := ScriptTable(); string(data) != string(want) {
		t.Errorf("%s is stale: run go generate ./web", ScriptTablePath)
	}
	if n := len(scriptKeys()); n < 180 {
		t.Errorf("only %d keys for the browser", n)
	}
}

// TestScriptKeysExist finds every t('key') in the browser's modules and checks that the
// browser's table has the key, so no page shows a bare key.
func TestScriptKeysExist(t *testing.T) {
	call := regexp.MustCompile(`\bt\(\s*'([\w.]+)'\s*(\+?)`)
	var files []string
	for _, g := range []string{"../assets/static/js/*.js", "../assets/static/js/diagrams/*.js"} {
		m, _ := filepath.Glob(g)
		files = append(files, m...)
	}
	inTable := map[string]bool{}
	for _, k := range scriptKeys() {
		inTable[k] = true
	}
	used := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllStringSubmatch(string(data), -1) {
			used++
			if m[2] == "+" { // a key built at run time: some key must start so
				if !slices.ContainsFunc(scriptKeys(), func(k string) bool { return strings.HasPrefix(k, m[1]) }) {
					t.Errorf("%s builds keys from %q, but the browser's table has none", f, m[1])
				}
			} else if !inTable[m[1]] {
				t.Errorf("%s uses %q, which is not in the browser's table (web.ScriptGroups)", f, m[1])
			}
		}
	}
	if used < 120 {
		t.Errorf("found only %d t('key') calls: is the pattern still right?", used)
	}
}

// TestScriptsRewriteThePagesWords: the words a live update writes into what the page was
// rendered with (status badges, sandbox and connection state, the console's button) are the
// same keys of i18n.yaml on both sides, so the browser's table must hold them.
func TestScriptsRewriteThePagesWords(t *testing.T) {
	shared := []string{"status.passed", "status.failed", "status.changed", "status.score", "conn.connecting", "btn.run"}
	for _, s := range SandboxStates {
		shared = append(shared, "sb."+s)
	}
	table := string(ScriptTable())
	for _, k := range shared {
		if !hasKey(k) || !strings.Contains(table, `"`+k+`": `) {
			t.Errorf("%s is not in the browser's table", k)
		}
	}
}
