package console

import (
	"strings"
	"unicode/utf8"
)

// MaxLineLength is the longest console line Parse accepts, in bytes.
const MaxLineLength = 4096

// MaxArgs is the most arguments Parse accepts after the word kubectl.
const MaxArgs = 64

// split breaks a line into words with the quoting rules of a POSIX shell,
// and no expansion at all: '...' keeps everything literally, "..." keeps
// everything but \ before $ ` " \, and an unquoted backslash keeps the next
// character. It refuses whatever a shell would treat as an operator, a
// substitution, a variable or a comment, since nothing here is a shell and
// the learner should not believe it is.
func split(line string) ([]string, error) {
	if len(line) > MaxLineLength {
		return nil, newError(CodeTooLong, msg("too-long").Format(len(line), MaxLineLength))
	}
	if err := checkChars(line); err != nil {
		return nil, err
	}
	var (
		words  []string
		cur    strings.Builder
		inWord bool
	)
	endWord := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(line); {
		c := line[i]
		switch c {
		case ' ', '\t':
			endWord()
			i++
		case '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return nil, unterminated(`'`)
			}
			cur.WriteString(line[i+1 : i+1+j])
			inWord = true
			i += j + 2
		case '"':
			inWord = true
			i++
			closed := false
			for i < len(line) && !closed {
				d := line[i]
				switch d {
				case '"':
					closed = true
					i++
				case '\\':
					if i+1 < len(line) && strings.IndexByte("$`\"\\", line[i+1]) >= 0 {
						cur.WriteByte(line[i+1])
						i += 2
					} else {
						cur.WriteByte('\\')
						i++
					}
				case '`':
					return nil, substitution("`")
				case '$':
					if err := checkDollar(line, i, true); err != nil {
						return nil, err
					}
					cur.WriteByte('$')
					i++
				default:
					cur.WriteByte(d)
					i++
				}
			}
			if !closed {
				return nil, unterminated(`"`)
			}
		case '\\':
			if i+1 >= len(line) {
				return nil, unterminated(`\`)
			}
			// The escaped character may be the first byte of a multi-byte
			// UTF-8 character; its other bytes follow as ordinary bytes.
			cur.WriteByte(line[i+1])
			inWord = true
			i += 2
		case ';', '|', '&', '>', '<', '(', ')':
			return nil, operator(line, i)
		case '`':
			return nil, substitution("`")
		case '$':
			if err := checkDollar(line, i, false); err != nil {
				return nil, err
			}
			cur.WriteByte('$')
			inWord = true
			i++
		case '#':
			if !inWord {
				return nil, newError(CodeShellOperator, msg("shell-comment"))
			}
			cur.WriteByte(c)
			i++
		default:
			cur.WriteByte(c)
			inWord = true
			i++
		}
	}
	endWord()
	return words, nil
}

// checkChars refuses newlines, other control characters and invalid UTF-8
// anywhere in the line, quoted or not: the console runs one line only.
func checkChars(line string) error {
	if !utf8.ValidString(line) {
		return newError(CodeBadChar, msg("not-utf8"))
	}
	for _, r := range line {
		switch {
		case r == '\n' || r == '\r':
			return newError(CodeBadChar, msg("newline"))
		case r == '\t':
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return newError(CodeBadChar, msg("control-char").Format(r))
		}
	}
	return nil
}

// checkDollar refuses what a shell would expand at line[i] == '$': command
// substitution $( ), parameter expansion ${ }, variables and special
// parameters, and (unquoted) bash's $'...' and $"..." quoting. A $ that a
// shell leaves alone, as in the JSONPath {$.items}, is fine.
func checkDollar(line string, i int, inDouble bool) error {
	if i+1 >= len(line) {
		return nil
	}
	n := line[i+1]
	switch {
	case n == '(':
		return substitution("$(")
	case n == '{':
		return substitution("${")
	case !inDouble && (n == '\'' || n == '"'):
		return substitution("$" + string(n))
	case n == '_' || n >= 'a' && n <= 'z' || n >= 'A' && n <= 'Z' || n >= '0' && n <= '9' ||
		strings.IndexByte("?$!#@*-", n) >= 0:
		name := line[i:]
		end := 2
		if n == '_' || n >= 'a' && n <= 'z' || n >= 'A' && n <= 'Z' {
			for end < len(name) && (name[end] == '_' || name[end] >= 'a' && name[end] <= 'z' ||
				name[end] >= 'A' && name[end] <= 'Z' || name[end] >= '0' && name[end] <= '9') {
				end++
			}
		}
		return newError(CodeShellVariable, msg("shell-variable").Format(name[:end]))
	}
	return nil
}

func unterminated(q string) *Error {
	if q == `\` {
		return newError(CodeUnterminated, msg("trailing-backslash"))
	}
	return newError(CodeUnterminated, msg("unterminated-quote").Format(q))
}

func substitution(s string) *Error {
	return newError(CodeShellSubstitution, msg("shell-substitution").Format(s))
}

// operator describes the shell operator that starts at line[i].
func operator(line string, i int) *Error {
	op := line[i : i+1]
	for _, two := range []string{"&&", "||", ">>", "<<", ">&", "<&", ">|", "<(", ">("} {
		if strings.HasPrefix(line[i:], two) {
			op = two
			break
		}
	}
	return newError(CodeShellOperator, msg("shell-operator").Format(op))
}
