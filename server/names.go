package server

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mtibben/confusables"
	"golang.org/x/text/secure/precis"
)

// reservedNameWords are words a learner's display name may not contain:
// they would pass the learner off as staff on the dashboard. Latin words
// are compared as whole words of the name's confusable skeleton, Korean
// ones anywhere in the name.
var (
	reservedNameWords = []string{"instructor", "teacher", "admin", "administrator", "kubelab", "system",
		"staff", "moderator", "tutor", "professor"}
	reservedNameHangul = []string{"강사", "선생님", "관리자", "교수", "조교", "운영자", "시스템"}
)

// maxStackedMarks is how many combining marks may follow one letter (two
// covers Vietnamese and other real names; more is a "Zalgo" flood).
const maxStackedMarks = 2

// normalizeDisplayName checks and normalizes a learner's display name with
// the PRECIS Nickname profile (RFC 8266: width and compatibility forms
// folded by NFKC, spaces mapped and collapsed; control, format, bidi and
// other disallowed characters refused). It returns the name, or the i18n
// key of why it is refused.
func normalizeDisplayName(raw string) (string, string) {
	for _, r := range raw {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Bidi_Control, r) {
			return "", "join.bad_chars"
		}
	}
	if strings.TrimSpace(raw) == "" {
		return "", "join.bad_name"
	}
	name, err := precis.Nickname.String(raw)
	if err != nil {
		return "", "join.bad_chars"
	}
	n := utf8.RuneCountInString(name)
	if n == 0 || n > maxNameRunes {
		return "", "join.bad_name"
	}
	visible, stacked := false, 0
	for _, r := range name {
		if unicode.In(r, unicode.Mn, unicode.Me) {
			if stacked++; stacked > maxStackedMarks {
				return "", "join.bad_chars"
			}
			continue
		}
		stacked = 0
		if isBlankLooking(r) || unicode.IsSpace(r) {
			continue
		}
		if unicode.In(r, unicode.L, unicode.N, unicode.P, unicode.S) {
			visible = true
		}
	}
	if !visible {
		return "", "join.invisible"
	}
	if nameIsReserved(name) {
		return "", "join.reserved"
	}
	return name, ""
}

// isBlankLooking reports characters that are letters or symbols by their
// category but print as nothing.
func isBlankLooking(r rune) bool {
	switch r {
	case '\u2800', // BRAILLE PATTERN BLANK
		'\u115F', '\u1160', '\u3164', '\uFFA0', // Hangul fillers
		'\u17B4', '\u17B5', // Khmer inherent vowels
		'\u180E', '\u2060', '\uFEFF':
		return true
	}
	return unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r)
}

// nameKeys are what display names are compared by for uniqueness in a
// class: the Unicode TR39 confusable skeleton, case-folded both before it
// (so "Ina" and "ina" meet, although TR39 maps "I" to "l") and after it
// (so Cyrillic "Воb" meets "bob"). "Bob", "bob", "Воb" and the full-width
// "Ｂｏｂ" share a key.
func nameKeys(name string) [2]string {
	if n, err := precis.Nickname.String(name); err == nil {
		name = n
	}
	return [2]string{confusables.Skeleton(strings.ToLower(name)),
		confusables.Skeleton(strings.ToLower(confusables.Skeleton(name)))}
}

// nameIsReserved reports names that contain a reserved word, compared by
// skeleton (so "іnstructor" with a Cyrillic і is caught too).
func nameIsReserved(name string) bool {
	for _, w := range reservedNameHangul {
		if strings.Contains(name, w) {
			return true
		}
	}
	for _, key := range nameKeys(name) {
		words := strings.FieldsFunc(key, func(r rune) bool { return !unicode.In(r, unicode.L, unicode.N) })
		for _, word := range words {
			for _, w := range reservedNameWords {
				if k := nameKeys(w); word == k[0] || word == k[1] {
					return true
				}
			}
		}
	}
	return false
}

// sameName reports whether two display names would pass for each other.
func sameName(a, b string) bool {
	ka, kb := nameKeys(a), nameKeys(b)
	return ka[0] == kb[0] || ka[0] == kb[1] || ka[1] == kb[0] || ka[1] == kb[1]
}

// cleanName tidies a display name: spaces collapsed, no control or format
// characters; "" when nothing usable is left or it is too long.
func cleanName(name string, maxRunes int) string {
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, name)
	name = strings.Join(strings.Fields(name), " ")
	if name == "" || utf8.RuneCountInString(name) > maxRunes {
		return ""
	}
	return name
}
