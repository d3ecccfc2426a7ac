package text

import (
	"encoding/json"
	"testing"

	"sigs.k8s.io/yaml"
)

func TestPick(t *testing.T) {
	both := New("통과", "Passed")
	for _, c := range []struct {
		name string
		t    Text
		lang string
		want string
	}{
		{"korean", both, "ko", "통과"},
		{"english", both, "en", "Passed"},
		{"english region", both, "en-US", "Passed"},
		{"upper case", both, " EN ", "Passed"},
		{"unknown language is Korean", both, "fr", "통과"},
		{"empty language is Korean", both, "", "통과"},
		{"no English falls back to Korean", New("통과", ""), "en", "통과"},
		{"no Korean falls back to English", New("", "Passed"), "ko", "Passed"},
		{"empty", Text{}, "en", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.t.Pick(c.lang); got != c.want {
				t.Errorf("Pick(%q) = %q, want %q", c.lang, got, c.want)
			}
		})
	}
}

func TestEmptyMapJoin(t *testing.T) {
	if !(Text{}).Empty() || New("", "x").Empty() || New("x", "").Empty() {
		t.Error("Empty is true only when both languages are empty")
	}
	got := New("a", "b").Map(func(lang, s string) string { return lang + ":" + s })
	if got != New("ko:a", "en:b") {
		t.Errorf("Map: %+v", got)
	}
	if got := Join("; ", New("가", "a"), Text{}, New("", "b"), New("다", "c")); got != New("가; 다", "a; b; c") {
		t.Errorf("Join: %+v", got)
	}
}

// TestEncoding: a Text is {ko, en} in JSON and YAML, both ways, and a
// misspelt language is an error under strict YAML.
func TestEncoding(t *testing.T) {
	b, err := json.Marshal(New("한국어", "English"))
	if err != nil || string(b) != `{"ko":"한국어","en":"English"}` {
		t.Fatalf("json %s %v", b, err)
	}
	var v struct {
		Title Text `json:"title"`
	}
	if err := yaml.UnmarshalStrict([]byte("title: {ko: 제목, en: Title}\n"), &v); err != nil || v.Title != New("제목", "Title") {
		t.Fatalf("yaml %+v %v", v, err)
	}
	if err := yaml.UnmarshalStrict([]byte("title: {ko: 제목, eng: Title}\n"), &v); err == nil {
		t.Error("an unknown language is an error")
	}
	out, err := yaml.Marshal(v)
	if err != nil || string(out) != "title:\n  en: Title\n  ko: 제목\n" {
		t.Errorf("yaml out %q %v", out, err)
	}
}
