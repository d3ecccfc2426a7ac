package console

import (
	"fmt"
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
		return nil, newError(CodeTooLong,
			fmt.Sprintf("명령이 너무 깁니다(%d바이트). 최대 %d바이트까지 입력할 수 있습니다.", len(line), MaxLineLength),
			fmt.Sprintf("The command is too long (%d bytes); the console accepts at most %d bytes.", len(line), MaxLineLength))
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
				return nil, newError(CodeShellOperator,
					"#으로 시작하는 주석은 쓸 수 없습니다. 값에 #이 필요하면 따옴표로 감싸세요(예: '#x').",
					"Shell comments (#) are not supported here. If # is part of a value, put it in quotes, e.g. '#x'.")
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
		return newError(CodeBadChar,
			"명령에 올바르지 않은 문자(UTF-8이 아닌 바이트)가 있습니다.",
			"The command contains bytes that are not valid UTF-8 text.")
	}
	for _, r := range line {
		switch {
		case r == '\n' || r == '\r':
			return newError(CodeBadChar,
				"명령은 한 줄이어야 합니다. 줄바꿈은 쓸 수 없습니다. 여러 줄짜리 매니페스트는 YAML 편집기에 넣으세요.",
				"The console runs one line: newlines are not allowed. Put multi-line manifests in the YAML editor.")
		case r == '\t':
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return newError(CodeBadChar,
				fmt.Sprintf("명령에 제어 문자(U+%04X)가 있습니다.", r),
				fmt.Sprintf("The command contains a control character (U+%04X).", r))
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
		return newError(CodeShellVariable,
			fmt.Sprintf("%s 같은 셸 변수는 여기서 풀리지 않습니다. 값을 직접 입력하세요. 글자 그대로의 $가 필요하면 작은따옴표로 감싸세요.", name[:end]),
			fmt.Sprintf("Shell variables such as %s are not expanded here: type the value itself. For a literal $, use single quotes.", name[:end]))
	}
	return nil
}

func unterminated(q string) *Error {
	if q == `\` {
		return newError(CodeUnterminated,
			"줄 끝의 백슬래시(\\) 뒤에 글자가 없습니다. 명령은 한 줄이어야 합니다.",
			`The line ends with a backslash (\): the console runs one line, there is no continuation.`)
	}
	return newError(CodeUnterminated,
		fmt.Sprintf("닫히지 않은 따옴표(%s)가 있습니다.", q),
		fmt.Sprintf("A quote (%s) is not closed.", q))
}

func substitution(s string) *Error {
	return newError(CodeShellSubstitution,
		fmt.Sprintf("%s 같은 셸 치환은 쓸 수 없습니다. 콘솔은 셸 없이 kubectl 명령 하나만 실행합니다. 글자 그대로 필요하면 작은따옴표로 감싸세요.", s),
		fmt.Sprintf("Shell substitution (%s) is not supported: the console runs a single kubectl command without a shell. If you mean the characters literally, put them in single quotes.", s))
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
	return newError(CodeShellOperator,
		fmt.Sprintf("셸 연산자 %s 는 쓸 수 없습니다. 콘솔은 셸 없이 kubectl 명령 하나만 실행합니다(파이프, 리다이렉트, 명령 연결 없음). 값의 일부라면 따옴표로 감싸세요.", op),
		fmt.Sprintf("The shell operator %s is not supported: the console runs a single kubectl command without a shell (no pipes, redirections or command lists). If it is part of a value, put it in quotes.", op))
}
