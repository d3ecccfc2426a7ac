package web

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/kubelab/kubelab/text"
)

//go:embed i18n.yaml
var i18nYAML []byte

// Langs are the page languages, the default first.
var Langs = text.Langs

// messages maps key -> its text in both languages.
var messages = mustLoadMessages(i18nYAML)

func mustLoadMessages(data []byte) map[string]text.Text {
	m, err := loadMessages(data)
	if err != nil {
		panic(err)
	}
	return m
}

// loadMessages reads i18n.yaml: a key twice or a language other than ko and
// en is an error.
func loadMessages(data []byte) (map[string]text.Text, error) {
	var m map[string]text.Text
	if err := yaml.UnmarshalStrict(data, &m); err != nil {
		return nil, fmt.Errorf("web: i18n.yaml: %w", err)
	}
	return m, nil
}

// Lang returns the supported page language for l: "en" for English ("en", "en-US"...), else "ko".
func Lang(l string) string { return text.Lang(l) }

// T returns the UI string key in lang ("ko" or "en"). A string missing in English falls back to
// Korean; an unknown key is returned as is.
func T(lang, key string) string {
	e, ok := messages[key]
	if !ok {
		return key
	}
	return e.Pick(lang)
}

// Text returns the UI string key in both languages, for messages each page
// shows in its own language; an unknown key is the key in both.
func Text(key string) text.Text {
	if e, ok := messages[key]; ok {
		return e
	}
	return text.New(key, key)
}

// Tf is T with {name} placeholders filled from name, value pairs:
// Tf("en", "home.progress", "passed", "2", "total", "5").
func Tf(lang, key string, pairs ...string) string {
	s := T(lang, key)
	if len(pairs) < 2 {
		return s
	}
	old := make([]string, 0, len(pairs))
	for i := 0; i+1 < len(pairs); i += 2 {
		old = append(old, "{"+pairs[i]+"}", pairs[i+1])
	}
	return strings.NewReplacer(old...).Replace(s)
}

// Keys returns all UI string keys, sorted.
func Keys() []string {
	ks := make([]string, 0, len(messages))
	for k := range messages {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// ScriptGroups are the groups of UI strings (a key's part before its first
// dot) the browser's scripts write: the live diagrams, the console and
// editor, the drills, the history scrubber, and the words a live update
// writes into what the page was rendered with (status, sandbox, connection,
// buttons). ScriptTable holds them.
var ScriptGroups = []string{"ar", "btn", "cl", "cm", "co", "conn", "diagram", "dr", "ed", "hs", "ru", "rw", "sb", "sr", "status", "tl", "wh", "wp"}

// ScriptTablePath is where ScriptTable is committed, from this folder.
const ScriptTablePath = "../assets/static/js/i18n-table.js"

//go:generate go run ./internal/i18ntable

// ScriptTable is the browser's table of UI strings
// (assets/static/js/i18n-table.js, served as /assets/js/i18n-table.js and
// read by i18n.js): the keys of ScriptGroups, sorted, each with its Korean
// and English text. It is generated from i18n.yaml and committed, so the
// pages need no build step; TestScriptTableUpToDate fails when it is stale.
func ScriptTable() []byte {
	var b strings.Builder
	b.WriteString("// The browser's UI strings: key -> [Korean, English]. Generated from web/i18n.yaml by\n")
	b.WriteString("// `go generate ./web`; do not edit (web.ScriptTable, TestScriptTableUpToDate).\n\n")
	b.WriteString("export default {\n")
	keys := scriptKeys()
	for i, k := range keys {
		e := messages[k]
		line, err := json.Marshal([]string{e.Ko, e.En})
		if err != nil {
			panic(err) // strings always encode
		}
		kb, _ := json.Marshal(k)
		b.WriteString("  " + string(kb) + ": " + string(line))
		if i < len(keys)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("}\n")
	return []byte(b.String())
}

// scriptKeys are the keys of ScriptGroups, sorted.
func scriptKeys() []string {
	var ks []string
	for _, k := range Keys() {
		group, _, _ := strings.Cut(k, ".")
		if slices.Contains(ScriptGroups, group) {
			ks = append(ks, k)
		}
	}
	return ks
}
