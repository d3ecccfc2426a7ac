package console

import (
	"strings"
	"unicode/utf8"
)

// Sanitize makes kubectl output safe to show as text in a web page: it
// strips ANSI escape sequences (CSI such as colours and cursor moves, OSC
// such as window titles and hyperlinks, and the other ESC sequences, in
// their 7-bit and 8-bit forms), turns CR LF into LF, drops the other control
// characters except newline and tab, and replaces invalid UTF-8 with U+FFFD.
func Sanitize(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == 0x1b: // ESC
			i += escapeLen(s[i:])
		case r == 0x9b: // 8-bit CSI
			i += size + csiLen(s[i+size:])
		case r == 0x9d || r == 0x90 || r == 0x98 || r == 0x9e || r == 0x9f: // 8-bit OSC, DCS, SOS, PM, APC
			i += size + stringLen(s[i+size:])
		case r == '\r':
			i += size
			if i < len(s) && s[i] == '\n' {
				continue // CR LF: keep the LF
			}
			if i < len(s) {
				b.WriteByte('\n') // a lone CR starts the line again: show a new line
			}
		case r == '\n' || r == '\t':
			b.WriteRune(r)
			i += size
		case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0:
			i += size
		default:
			b.WriteString(s[i : i+size])
			i += size
		}
	}
	return b.String()
}

// escapeLen is the length of the escape sequence at the start of s, which
// starts with ESC.
func escapeLen(s string) int {
	if len(s) < 2 {
		return len(s)
	}
	switch c := s[1]; {
	case c == '[':
		return 2 + csiLen(s[2:])
	case c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_':
		return 2 + stringLen(s[2:])
	case c >= 0x20 && c <= 0x2f:
		// nF: intermediate bytes, then one final byte (e.g. ESC ( B).
		n := 2
		for n < len(s) && s[n] >= 0x20 && s[n] <= 0x2f {
			n++
		}
		if n < len(s) && s[n] >= 0x30 && s[n] <= 0x7e {
			n++
		}
		return n
	case c >= 0x30 && c <= 0x7e:
		return 2 // Fp, Fe, Fs: ESC and one byte (e.g. ESC 7, ESC c)
	}
	return 1 // a lone ESC
}

// csiLen is the length of a CSI sequence's body: parameter and
// intermediate bytes, then one final byte.
func csiLen(s string) int {
	n := 0
	for n < len(s) && s[n] >= 0x20 && s[n] <= 0x3f {
		n++
	}
	if n < len(s) && s[n] >= 0x40 && s[n] <= 0x7e {
		n++
	}
	return n
}

// stringLen is the length of an OSC, DCS, SOS, PM or APC string's body up
// to and with its terminator: BEL, ESC \ or the 8-bit ST. An unterminated
// string ends before the next newline, so that one stray ESC ] does not
// hide the rest of the output.
func stringLen(s string) int {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == 0x07 || r == 0x9c:
			return i + size
		case r == 0x1b && i+1 < len(s) && s[i+1] == '\\':
			return i + 2
		case r == '\n':
			return i
		}
		i += size
	}
	return len(s)
}
