package text

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	fsys := fstest.MapFS{"m.yaml": {Data: []byte("too-long:\n  ko: '너무 깁니다(%d바이트).'\n  en: Too long (%d bytes).\nempty:\n  ko: 비었습니다.\n  en: Empty.\n")}}
	m, err := Load(fsys, "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Get("too-long").Format(5); got != New("너무 깁니다(5바이트).", "Too long (5 bytes).") {
		t.Errorf("too-long: %q", got)
	}
	if got := MustLoad(fsys, "m.yaml").Get("empty"); got != New("비었습니다.", "Empty.") {
		t.Errorf("empty: %q", got)
	}
}

func TestLoadRefuses(t *testing.T) {
	for _, c := range []struct{ name, data, want string }{
		{"not YAML", "a: [", "m.yaml"},
		{"no messages", "", "no messages"},
		{"other language", "a:\n  ko: 가\n  en: a\n  fr: a\n", "fr"},
		{"key twice", "a:\n  ko: 가\n  en: a\na:\n  ko: 가\n  en: a\n", "a"},
		{"no English", "a:\n  ko: 가\n", "a: empty in Korean or English"},
		{"blank Korean", "a:\n  ko: ' '\n  en: a\n", "a: empty in Korean or English"},
		{"verbs differ", "a:\n  ko: '%s 가 %d'\n  en: '%s a'\n", "a: 2 fmt verbs in Korean, 1 in English"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(fstest.MapFS{"m.yaml": {Data: []byte(c.data)}}, "m.yaml")
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "text: messages") {
				t.Errorf("Load: %v, want an error with %q", err, c.want)
			}
		})
	}
	if _, err := Load(fstest.MapFS{}, "m.yaml"); err == nil {
		t.Error("Load of a missing file: no error")
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("MustLoad of a missing file does not panic")
			}
		}()
		MustLoad(fstest.MapFS{}, "m.yaml")
	}()
}

func TestGetMissing(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), `"nope"`) {
			t.Errorf("Get of a missing key: %v, want a panic naming it", r)
		}
	}()
	Messages{"a": New("가", "a")}.Get("nope")
}

func TestFormat(t *testing.T) {
	tmpl := New("%s을(를) 찾을 수 없습니다 (%d, %q)", "%s not found (%d, %q)")
	got := tmpl.Format(New("Pod 웹", "Pod web"), 3, "100%")
	if want := New(`Pod 웹을(를) 찾을 수 없습니다 (3, "100%")`, `Pod web not found (3, "100%")`); got != want {
		t.Errorf("Format = %q, want %q", got, want)
	}
}

func TestVerbs(t *testing.T) {
	for s, want := range map[string]int{
		"":                   0,
		"plain":              0,
		"100%% sure":         0,
		"%s and %q":          2,
		"U+%04X":             1,
		"%-8.3f|%+d|% x|%#v": 4,
		"%*d and %.*f":       4,
		"%[1]s then %[1]s":   2,
		"%s 같은 셸 변수":         1,
		"trailing %":         0,
		"%s: 콘솔 기록이 필요한 검사라 %v": 2,
	} {
		if got := Verbs(s); got != want {
			t.Errorf("Verbs(%q) = %d, want %d", s, got, want)
		}
	}
}
