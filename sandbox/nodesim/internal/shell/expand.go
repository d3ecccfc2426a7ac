package shell

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kubelab/kubelab/sandbox/nodesim/internal/stablehash"
)

func (vm *interp) lookupVar(name string) string {
	switch name {
	case "?":
		return strconv.Itoa(vm.status)
	case "$":
		return "1"
	case "#":
		return "0"
	case "RANDOM":
		return strconv.Itoa(int(stablehash.Of(fmt.Sprint(vm.t, vm.steps)) % 32768))
	case "SECONDS":
		return strconv.Itoa(int(vm.t / time.Second))
	}
	return vm.vars[name]
}

func (vm *interp) expand(w word) string { return strings.Join(vm.expandParts(w, false), "") }

// expandFields expands a word into fields (unquoted expansions split on spaces).
func (vm *interp) expandFields(w word) []string {
	return vm.expandParts(w, true)
}

// expandArgs expands a command's words into its arguments: fields, then
// pathnames for words with an unquoted *, ? or [ (not inside [[ ]], where
// they are patterns).
func (vm *interp) expandArgs(words []word) []string {
	var out []string
	cond := len(words) > 0 && isCond(words[0])
	for _, w := range words {
		fields := vm.expandFields(w)
		if cond || !hasGlob(w) {
			out = append(out, fields...)
			continue
		}
		for _, f := range fields {
			out = append(out, vm.glob(f)...)
		}
	}
	return out
}

// isCond reports the word [[.
func isCond(w word) bool {
	s, ok := w.literal()
	return ok && s == "[["
}

// hasGlob reports a word with an unquoted pattern character.
func hasGlob(w word) bool {
	for _, p := range w {
		if p.kind == partLit && strings.ContainsAny(p.text, "*?[") {
			return true
		}
	}
	return false
}

// glob is the pathnames pattern matches, sorted, or the pattern itself if
// none does. Patterns may be in the last part of the path only
// (/dir/*.txt, *.log); names starting with a dot match only a pattern
// that starts with one.
func (vm *interp) glob(pattern string) []string {
	dir, base := path.Split(pattern)
	if strings.ContainsAny(dir, "*?[") || !strings.ContainsAny(base, "*?[") {
		return []string{pattern}
	}
	if _, err := path.Match(base, ""); err != nil {
		return []string{pattern}
	}
	list := dir
	if list == "" {
		list = "."
	}
	names, ok := vm.listDir(list)
	if !ok {
		return []string{pattern}
	}
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, ".") && !strings.HasPrefix(base, ".") {
			continue
		}
		if ok, _ := path.Match(base, n); ok {
			out = append(out, dir+n)
		}
	}
	if len(out) == 0 {
		return []string{pattern}
	}
	sort.Strings(out)
	return out
}

func (vm *interp) expandParts(w word, split bool) []string {
	var fields []string
	cur := strings.Builder{}
	has := false
	for _, p := range w {
		switch p.kind {
		case partLit, partSingle:
			cur.WriteString(p.text)
			has = true
		case partDouble:
			cur.WriteString(vm.expandString(p.text))
			has = true
		case partVar:
			v := vm.expandString(p.text)
			if split {
				fs := strings.Fields(v)
				for i, f := range fs {
					if i > 0 {
						fields = append(fields, cur.String())
						cur.Reset()
					}
					cur.WriteString(f)
					has = true
				}
				if len(fs) == 0 && v != "" {
					has = true
				}
			} else {
				cur.WriteString(v)
				has = true
			}
		}
	}
	if has || !split {
		fields = append(fields, cur.String())
	}
	return fields
}

// expandString expands $VAR, ${VAR...}, $((...)), $(...) and `...` in s.
func (vm *interp) expandString(s string) string {
	if !strings.ContainsAny(s, "$`\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\", s[i+1]) >= 0 {
			b.WriteByte(s[i+1])
			i++
			continue
		}
		if ch == '`' {
			j := strings.IndexByte(s[i+1:], '`')
			if j < 0 {
				b.WriteString(s[i:])
				break
			}
			b.WriteString(vm.substitute(s[i+1 : i+1+j]))
			i += j + 1
			continue
		}
		if ch != '$' || i+1 >= len(s) {
			b.WriteByte(ch)
			continue
		}
		rest := s[i+1:]
		switch {
		case rest[0] == '(' || rest[0] == '{':
			// $((arithmetic)), $(command) or ${parameter...}.
			closeCh := byte(')')
			if rest[0] == '{' {
				closeCh = '}'
			}
			j := matchClose(rest, rest[0], closeCh)
			arith := strings.HasPrefix(rest, "((")
			if j < 0 || (arith && j < 3) {
				b.WriteString(s[i:])
				return b.String()
			}
			switch {
			case arith:
				b.WriteString(strconv.FormatInt(vm.arith(rest[2:j-1]), 10))
			case rest[0] == '(':
				b.WriteString(vm.substitute(rest[1:j]))
			default:
				b.WriteString(vm.braceExpr(rest[1:j]))
			}
			i += 1 + j
		default:
			j := 0
			if strings.IndexByte("?$#0123456789", rest[0]) >= 0 {
				j = 1
			} else {
				for j < len(rest) && (rest[j] == '_' || isAlnum(rest[j])) {
					j++
				}
			}
			if j == 0 {
				b.WriteByte('$')
				continue
			}
			b.WriteString(vm.lookupVar(rest[:j]))
			i += j
		}
	}
	return b.String()
}

func isAlnum(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func matchClose(s string, open, close byte) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case open:
			depth++
		case close:
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

func (vm *interp) braceExpr(e string) string {
	if strings.HasPrefix(e, "#") {
		return strconv.Itoa(len(vm.lookupVar(e[1:])))
	}
	if i := strings.IndexByte(e, '['); i > 0 && strings.HasSuffix(e, "]") {
		name, idx := e[:i], vm.expandString(e[i+1:len(e)-1])
		arr := vm.arrays[name]
		if idx == "@" || idx == "*" {
			return strings.Join(arr, " ")
		}
		n := int(vm.arith(idx))
		if n >= 0 && n < len(arr) {
			return arr[n]
		}
		return ""
	}
	for _, op := range []string{":-", ":=", ":+", "-", "="} {
		if i := strings.Index(e, op); i > 0 {
			name, word := e[:i], vm.expandString(e[i+len(op):])
			v, set := vm.vars[name]
			switch op {
			case ":-":
				if v == "" {
					return word
				}
			case "-":
				if !set {
					return word
				}
			case ":=", "=":
				if v == "" {
					vm.vars[name] = word
					return word
				}
			case ":+":
				if v != "" {
					return word
				}
				return ""
			}
			return v
		}
	}
	return vm.lookupVar(e)
}

// substitute runs a command substitution and returns its output.
func (vm *interp) substitute(src string) string {
	l, err := parse(src)
	if err != nil {
		return ""
	}
	savedExit := vm.exited
	out := vm.capture(func() { vm.runList(l, nil) })
	vm.exited = savedExit
	return strings.TrimRight(out, "\n")
}

// arith evaluates a small integer expression: + - * / % and comparisons.
func (vm *interp) arith(e string) int64 {
	e = vm.expandString(e)
	toks := arithTokens(e)
	p := &arithParser{toks: toks, vm: vm}
	return p.expr(0)
}

type arithParser struct {
	toks []string
	i    int
	vm   *interp
}

func arithTokens(e string) []string {
	var out []string
	for i := 0; i < len(e); {
		c := e[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case isAlnum(c) || c == '_':
			j := i
			for j < len(e) && (isAlnum(e[j]) || e[j] == '_') {
				j++
			}
			out = append(out, e[i:j])
			i = j
		default:
			if i+1 < len(e) && strings.Contains("== != <= >= && ||", e[i:i+2]) {
				out = append(out, e[i:i+2])
				i += 2
				continue
			}
			out = append(out, string(c))
			i++
		}
	}
	return out
}

var arithPrec = map[string]int{"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, ">": 4, "<=": 4, ">=": 4, "+": 5, "-": 5, "*": 6, "/": 6, "%": 6}

func (p *arithParser) expr(minPrec int) int64 {
	lhs := p.unary()
	for p.i < len(p.toks) {
		op := p.toks[p.i]
		prec, ok := arithPrec[op]
		if !ok || prec <= minPrec {
			break
		}
		p.i++
		rhs := p.expr(prec)
		lhs = arithApply(op, lhs, rhs)
	}
	return lhs
}

func arithApply(op string, a, b int64) int64 {
	bool2 := func(x bool) int64 {
		if x {
			return 1
		}
		return 0
	}
	switch op {
	case "+":
		return a + b
	case "-":
		return a - b
	case "*":
		return a * b
	case "/":
		if b == 0 {
			return 0
		}
		return a / b
	case "%":
		if b == 0 {
			return 0
		}
		return a % b
	case "==":
		return bool2(a == b)
	case "!=":
		return bool2(a != b)
	case "<":
		return bool2(a < b)
	case ">":
		return bool2(a > b)
	case "<=":
		return bool2(a <= b)
	case ">=":
		return bool2(a >= b)
	case "&&":
		return bool2(a != 0 && b != 0)
	case "||":
		return bool2(a != 0 || b != 0)
	}
	return 0
}

func (p *arithParser) unary() int64 {
	if p.i >= len(p.toks) {
		return 0
	}
	t := p.toks[p.i]
	p.i++
	switch t {
	case "-":
		return -p.unary()
	case "+":
		return p.unary()
	case "!":
		if p.unary() == 0 {
			return 1
		}
		return 0
	case "(":
		v := p.expr(0)
		if p.i < len(p.toks) && p.toks[p.i] == ")" {
			p.i++
		}
		return v
	}
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		return n
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(p.vm.lookupVar(t)), 10, 64)
	return n
}
