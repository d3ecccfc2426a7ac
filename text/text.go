// Package text is kubelab's one bilingual text: a string in Korean (the
// default language) and English. Course content (labs, quizzes), the
// scheduler's suggestions, the grader's messages and the server's live
// messages all carry their words as a Text; the pages' fixed UI strings are
// Texts too, kept in web/i18n.yaml, and so are a package's own messages,
// kept in a messages file that Load reads (console/messages.yaml,
// labs/messages.yaml). It is a leaf package: it imports nothing of kubelab,
// so every package can use it.
//
// A Text is written {ko: ..., en: ...} in YAML and {"ko":...,"en":...} in
// JSON.
package text

import "strings"

// Langs are the languages, the default first.
var Langs = []string{"ko", "en"}

// Text is a string in Korean and English.
type Text struct {
	Ko string `json:"ko"`
	En string `json:"en"`
}

// New is the Text with Korean ko and English en.
func New(ko, en string) Text { return Text{Ko: ko, En: en} }

// Lang is the supported language for l: "en" for English ("en", "en-US",
// "EN"...), else "ko".
func Lang(l string) string {
	if l = strings.ToLower(strings.TrimSpace(l)); l == "en" || strings.HasPrefix(l, "en-") {
		return "en"
	}
	return "ko"
}

// Pick returns the text in lang (see Lang). A text missing in one language
// falls back to the other.
func (t Text) Pick(lang string) string {
	if Lang(lang) == "en" && t.En != "" {
		return t.En
	}
	if t.Ko == "" {
		return t.En
	}
	return t.Ko
}

// Empty reports whether neither language has text.
func (t Text) Empty() bool { return t.Ko == "" && t.En == "" }

// Map applies f to each language's string: f(lang, s).
func (t Text) Map(f func(lang, s string) string) Text {
	return Text{Ko: f("ko", t.Ko), En: f("en", t.En)}
}

// Join joins the texts' strings, language by language, with sep between
// them; empty strings are left out.
func Join(sep string, ts ...Text) Text {
	var ko, en []string
	for _, t := range ts {
		if t.Ko != "" {
			ko = append(ko, t.Ko)
		}
		if t.En != "" {
			en = append(en, t.En)
		}
	}
	return Text{Ko: strings.Join(ko, sep), En: strings.Join(en, sep)}
}
