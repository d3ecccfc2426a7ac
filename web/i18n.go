package web

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

//go:embed i18n.yaml
var i18nYAML []byte

// Langs are the page languages, the default first.
var Langs = []string{"ko", "en"}

// messages maps key -> language -> text.
var messages = mustLoadMessages(i18nYAML)

func mustLoadMessages(data []byte) map[string]map[string]string {
	m, err := loadMessages(data)
	if err != nil {
		panic(err)
	}
	return m
}

func loadMessages(data []byte) (map[string]map[string]string, error) {
	var m map[string]map[string]string
	if err := yaml.UnmarshalStrict(data, &m); err != nil {
		return nil, fmt.Errorf("web: i18n.yaml: %w", err)
	}
	return m, nil
}

// Lang returns the supported page language for l: "en" for English ("en", "en-US"...), else "ko".
func Lang(l string) string {
	if l = strings.ToLower(strings.TrimSpace(l)); l == "en" || strings.HasPrefix(l, "en-") {
		return "en"
	}
	return "ko"
}

// T returns the UI string key in lang ("ko" or "en"). A string missing in English falls back to
// Korean; an unknown key is returned as is.
func T(lang, key string) string {
	e, ok := messages[key]
	if !ok {
		return key
	}
	if s := e[Lang(lang)]; s != "" {
		return s
	}
	return e["ko"]
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
