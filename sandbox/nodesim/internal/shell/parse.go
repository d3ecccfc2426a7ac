package shell

import (
	"fmt"
	"strings"
)

// The parser of the simulated shell: lists, && ||, pipes, redirections,
// while/until/for/if, { } and ( ) groups, assignments (arrays too).

type partKind int

const (
	partLit    partKind = iota // unquoted literal text
	partSingle                 // '...'
	partDouble                 // "..." (expanded)
	partVar                    // an unquoted $... or `...` (expanded and split)
)

type part struct {
	kind partKind
	text string
}

type word []part

func (w word) literal() (string, bool) {
	var b strings.Builder
	for _, p := range w {
		if p.kind != partLit {
			return "", false
		}
		b.WriteString(p.text)
	}
	return b.String(), true
}

func literalWords(argv []string) []word {
	out := make([]word, len(argv))
	for i, a := range argv {
		out[i] = word{{kind: partSingle, text: a}}
	}
	return out
}

// node is a command of the syntax tree: *simpleCmd, *group, *ifCmd,
// *whileCmd or *forCmd.
type node interface{}

// cmdList is commands run one after the other.
type cmdList struct{ items []*andOr }

// andOr is pipelines joined by && and || (ops).
type andOr struct {
	pipes []*pipeline
	ops   []string
}

// pipeline is commands joined by |; bang inverts its status.
type pipeline struct {
	cmds []node
	bang bool
}

type assign struct {
	name  string
	value word
	array []word
}

type redir struct {
	op     string
	fd     int
	target word
}

// simpleCmd is a command with its assignments and redirections.
type simpleCmd struct {
	assigns []assign
	words   []word
	redirs  []redir
	last    bool // the script's last command at top level
}

type group struct {
	body     *cmdList
	subshell bool
}

type ifCmd struct {
	conds, bodies []*cmdList
	els           *cmdList
}

type whileCmd struct {
	until      bool
	cond, body *cmdList
}

type forCmd struct {
	name  string
	items []word
	body  *cmdList
}

// token is a word or an operator of a script.
type token struct {
	op   string // operator, "\n", or "" for a word
	word word
}

// heredoc is a here-document whose body follows the next newline: the
// token that gets it, its delimiter, and how its body is read.
type heredoc struct {
	tok    int
	delim  string
	tabs   bool // <<-: leading tabs are removed
	quoted bool // a quoted delimiter: the body is not expanded
}

// heredocDelim reads a here-document's delimiter at src[i:] (after << or
// <<-): it returns the delimiter without its quotes, whether it was
// quoted, and where it ends.
func heredocDelim(src string, i int) (delim string, quoted bool, end int) {
	for i < len(src) && (src[i] == ' ' || src[i] == '\t') {
		i++
	}
	var b strings.Builder
	for ; i < len(src) && strings.IndexByte(" \t\n;&|()<>", src[i]) < 0; i++ {
		switch c := src[i]; c {
		case '\'', '"':
			quoted = true
			if j := strings.IndexByte(src[i+1:], c); j >= 0 {
				b.WriteString(src[i+1 : i+1+j])
				i += j + 1
			}
		case '\\':
			quoted = true
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), quoted, i
}

// heredocBody reads the lines of a here-document from src[i:] up to its
// delimiter's line: the body, and where reading goes on. A body without
// its delimiter line ends with the script.
func heredocBody(src string, i int, h heredoc) (string, int) {
	var b strings.Builder
	for i < len(src) {
		j := strings.IndexByte(src[i:], '\n')
		line, next := src[i:], len(src)
		if j >= 0 {
			line, next = src[i:i+j], i+j+1
		}
		if h.tabs {
			line = strings.TrimLeft(line, "\t")
		}
		if line == h.delim {
			return b.String(), next
		}
		b.WriteString(line + "\n")
		i = next
	}
	return b.String(), i
}

// heredocWord is a here-document's body as a word: expanded as in double
// quotes, unless its delimiter was quoted.
func heredocWord(body string, quoted bool) word {
	if quoted || !strings.ContainsAny(body, "$`\\") {
		return word{{kind: partSingle, text: body}}
	}
	return word{{kind: partDouble, text: body}}
}

func tokenize(src string) ([]token, error) {
	var toks []token
	var cur word
	var lit strings.Builder
	inWord := false
	var pending []heredoc // here-documents whose bodies follow the next newline
	flushLit := func() {
		if lit.Len() > 0 {
			cur = append(cur, part{kind: partLit, text: lit.String()})
			lit.Reset()
		}
	}
	endWord := func() {
		flushLit()
		if inWord {
			toks = append(toks, token{word: cur})
		}
		cur, inWord = nil, false
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		if !inWord && c != ' ' && c != '\t' && isRegexOp(toks) {
			// [[ s =~ re ]]: the regular expression is one word up to " ]]".
			j := strings.Index(src[i:], " ]]")
			if j > 0 {
				toks = append(toks, token{word: word{{kind: partSingle, text: src[i : i+j]}}})
				i += j
				continue
			}
		}
		switch {
		case c == '\\':
			if i+1 < len(src) {
				if src[i+1] == '\n' {
					i++
					continue
				}
				// A quoted character: not a glob, not an operator.
				flushLit()
				cur = append(cur, part{kind: partSingle, text: src[i+1 : i+2]})
				inWord = true
				i++
			}
		case c == '\'':
			j := strings.IndexByte(src[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated quoted string")
			}
			flushLit()
			cur = append(cur, part{kind: partSingle, text: src[i+1 : i+1+j]})
			inWord = true
			i += j + 1
		case c == '"':
			j := i + 1
			for j < len(src) && src[j] != '"' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(src) {
				return nil, fmt.Errorf("unterminated quoted string")
			}
			flushLit()
			cur = append(cur, part{kind: partDouble, text: src[i+1 : j]})
			inWord = true
			i = j
		case c == '$' && i+1 < len(src) && (src[i+1] == '(' || src[i+1] == '{'):
			open, closeCh := src[i+1], byte(')')
			if open == '{' {
				closeCh = '}'
			}
			j := matchClose(src[i+1:], open, closeCh)
			if j < 0 {
				return nil, fmt.Errorf("unterminated %c", open)
			}
			flushLit()
			cur = append(cur, part{kind: partVar, text: src[i : i+2+j]})
			inWord = true
			i += 1 + j
		case c == '$' && i+1 < len(src) && (src[i+1] == '_' || isAlnum(src[i+1]) || strings.IndexByte("?$#", src[i+1]) >= 0):
			j := i + 2
			if isAlnum(src[i+1]) || src[i+1] == '_' {
				for j < len(src) && (isAlnum(src[j]) || src[j] == '_') {
					j++
				}
			}
			flushLit()
			cur = append(cur, part{kind: partVar, text: src[i:j]})
			inWord = true
			i = j - 1
		case c == '`':
			j := strings.IndexByte(src[i+1:], '`')
			if j < 0 {
				return nil, fmt.Errorf("unterminated `")
			}
			flushLit()
			cur = append(cur, part{kind: partVar, text: src[i : i+2+j]})
			inWord = true
			i += j + 1
		case c == '#' && !inWord:
			for i < len(src) && src[i] != '\n' {
				i++
			}
			i--
		case c == ' ' || c == '\t' || c == '\r':
			endWord()
		case c == '\n':
			endWord()
			toks = append(toks, token{op: "\n"})
			for _, h := range pending {
				var body string
				body, i = heredocBody(src, i+1, h)
				i--
				toks[h.tok].word = heredocWord(body, h.quoted)
			}
			pending = nil
		case strings.IndexByte(";&|()<>", c) >= 0:
			// A redirection with a file descriptor: 2>, 2>&1, 1>>.
			fdPrefix := ""
			if (c == '>' || c == '<') && inWord && len(cur) == 0 && isDigits(lit.String()) {
				fdPrefix = lit.String()
				lit.Reset()
				inWord = false
			}
			endWord()
			op := string(c)
			if i+1 < len(src) {
				two := src[i : i+2]
				switch two {
				case "&&", "||", ">>", ";;", "&>", ">|", ">&", "<<":
					op = two
				}
			}
			i += len(op) - 1
			if op == "<<" {
				// A here-document: its delimiter now, its body after the
				// line.
				h := heredoc{tok: len(toks)}
				if i+1 < len(src) && src[i+1] == '-' {
					h.tabs = true
					i++
				}
				var end int
				h.delim, h.quoted, end = heredocDelim(src, i+1)
				if h.delim == "" {
					return nil, fmt.Errorf("here-document without a delimiter")
				}
				toks = append(toks, token{op: "<<", word: word{}})
				pending = append(pending, h)
				i = end - 1
				continue
			}
			if op == ">&" {
				// >&2, 2>&1: duplicate onto another descriptor.
				j := i + 1
				for j < len(src) && src[j] >= '0' && src[j] <= '9' {
					j++
				}
				toks = append(toks, token{op: fdPrefix + ">&" + src[i+1:j]})
				i = j - 1
				continue
			}
			toks = append(toks, token{op: fdPrefix + op})
		default:
			lit.WriteByte(c)
			inWord = true
		}
	}
	endWord()
	for _, h := range pending { // bodies cut short by the end of the script
		toks[h.tok].word = word{{kind: partSingle}}
	}
	return toks, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// block parses commands up to the reserved word end, and the word.
func (p *parser) block(end string) (*cmdList, error) {
	l, err := p.list([]string{end})
	if err != nil {
		return nil, err
	}
	if err := p.expect(end); err != nil {
		return nil, err
	}
	return l, nil
}

// parser reads tokens into a syntax tree.
type parser struct {
	toks []token
	i    int
}

// parse reads a script.
func parse(src string) (*cmdList, error) {
	toks, err := tokenize(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	l, err := p.list(nil)
	if err != nil {
		return nil, err
	}
	if p.i < len(p.toks) {
		return nil, fmt.Errorf("unexpected %q", p.peekText())
	}
	return l, nil
}

func (p *parser) peek() *token {
	if p.i < len(p.toks) {
		return &p.toks[p.i]
	}
	return nil
}

func (p *parser) peekText() string {
	t := p.peek()
	if t == nil {
		return "end of script"
	}
	if t.op != "" {
		return t.op
	}
	s, _ := t.word.literal()
	return s
}

// reserved reports whether the next token is the reserved word w.
func (p *parser) reserved(w string) bool {
	t := p.peek()
	if t == nil || t.op != "" {
		return false
	}
	s, ok := t.word.literal()
	return ok && s == w
}

func (p *parser) skipNewlines() {
	for t := p.peek(); t != nil && (t.op == "\n" || t.op == ";"); t = p.peek() {
		p.i++
	}
}

// list parses and-or lists until one of the stop words (or ")").
func (p *parser) list(stops []string) (*cmdList, error) {
	l := &cmdList{}
	for {
		p.skipNewlines()
		t := p.peek()
		if t == nil || t.op == ")" || t.op == ";;" {
			return l, nil
		}
		for _, s := range stops {
			if p.reserved(s) {
				return l, nil
			}
		}
		ao, err := p.andOr(stops)
		if err != nil {
			return nil, err
		}
		l.items = append(l.items, ao)
		if t := p.peek(); t != nil && (t.op == ";" || t.op == "\n" || t.op == "&") {
			p.i++
		}
	}
}

func (p *parser) andOr(stops []string) (*andOr, error) {
	ao := &andOr{}
	pp, err := p.pipe(stops)
	if err != nil {
		return nil, err
	}
	ao.pipes = append(ao.pipes, pp)
	for t := p.peek(); t != nil && (t.op == "&&" || t.op == "||"); t = p.peek() {
		p.i++
		for t := p.peek(); t != nil && t.op == "\n"; t = p.peek() {
			p.i++
		}
		pp, err := p.pipe(stops)
		if err != nil {
			return nil, err
		}
		ao.ops = append(ao.ops, t.op)
		ao.pipes = append(ao.pipes, pp)
	}
	return ao, nil
}

func (p *parser) pipe(stops []string) (*pipeline, error) {
	pp := &pipeline{}
	if p.reserved("!") {
		p.i++
		pp.bang = true
	}
	for {
		c, err := p.command(stops)
		if err != nil {
			return nil, err
		}
		pp.cmds = append(pp.cmds, c)
		if t := p.peek(); t != nil && t.op == "|" {
			p.i++
			continue
		}
		return pp, nil
	}
}

func (p *parser) expect(w string) error {
	p.skipNewlines()
	if !p.reserved(w) {
		return fmt.Errorf("expected %q, got %q", w, p.peekText())
	}
	p.i++
	return nil
}

func (p *parser) command(stops []string) (node, error) {
	t := p.peek()
	if t == nil {
		return nil, fmt.Errorf("unexpected end of script")
	}
	if t.op == "(" {
		p.i++
		body, err := p.list(nil)
		if err != nil {
			return nil, err
		}
		if t := p.peek(); t == nil || t.op != ")" {
			return nil, fmt.Errorf("expected )")
		}
		p.i++
		return &group{body: body, subshell: true}, nil
	}
	switch {
	case p.reserved("{"):
		p.i++
		body, err := p.block("}")
		if err != nil {
			return nil, err
		}
		return &group{body: body}, nil
	case p.reserved("while"), p.reserved("until"):
		until := p.reserved("until")
		p.i++
		cond, err := p.block("do")
		if err != nil {
			return nil, err
		}
		body, err := p.block("done")
		if err != nil {
			return nil, err
		}
		return &whileCmd{until: until, cond: cond, body: body}, nil
	case p.reserved("for"):
		p.i++
		t := p.peek()
		if t == nil || t.op != "" {
			return nil, fmt.Errorf("for: expected a name")
		}
		name, _ := t.word.literal()
		p.i++
		f := &forCmd{name: name}
		if p.reserved("in") {
			p.i++
			for t := p.peek(); t != nil && t.op == ""; t = p.peek() {
				if p.reserved("do") {
					break
				}
				f.items = append(f.items, t.word)
				p.i++
			}
		}
		if err := p.expect("do"); err != nil {
			return nil, err
		}
		body, err := p.block("done")
		if err != nil {
			return nil, err
		}
		f.body = body
		return f, nil
	case p.reserved("if"):
		p.i++
		n := &ifCmd{}
		for {
			cond, err := p.block("then")
			if err != nil {
				return nil, err
			}
			body, err := p.list([]string{"elif", "else", "fi"})
			if err != nil {
				return nil, err
			}
			n.conds, n.bodies = append(n.conds, cond), append(n.bodies, body)
			if p.reserved("elif") {
				p.i++
				continue
			}
			break
		}
		if p.reserved("else") {
			p.i++
			els, err := p.block("fi")
			if err != nil {
				return nil, err
			}
			n.els = els
		} else if err := p.expect("fi"); err != nil {
			return nil, err
		}
		return n, nil
	}
	return p.simple(stops)
}

func (p *parser) simple(stops []string) (*simpleCmd, error) {
	c := &simpleCmd{}
	for {
		t := p.peek()
		if t == nil {
			break
		}
		if t.op != "" {
			op := strings.TrimLeft(t.op, "0123456789")
			fd := 1
			if op != t.op {
				fmt.Sscanf(t.op, "%d", &fd)
			}
			switch {
			case op == ">" || op == ">>" || op == "<" || op == "&>" || op == ">|":
				p.i++
				nt := p.peek()
				if nt == nil || nt.op != "" {
					return nil, fmt.Errorf("redirection without a file")
				}
				p.i++
				c.redirs = append(c.redirs, redir{op: op, fd: fd, target: nt.word})
				continue
			case strings.HasPrefix(op, ">&"):
				// >&2, 1>&2, 2>&1: fd onto the descriptor after &.
				p.i++
				c.redirs = append(c.redirs, redir{op: ">&", fd: fd, target: word{{kind: partLit, text: strings.TrimPrefix(op, ">&")}}})
				continue
			case op == "<<":
				p.i++
				c.redirs = append(c.redirs, redir{op: "<<", fd: 0, target: t.word})
				continue
			}
			break
		}
		if len(c.words) == 0 {
			stop := false
			for _, s := range stops {
				if p.reserved(s) {
					stop = true
				}
			}
			if stop {
				break
			}
			if name, val, ok := assignment(t.word); ok {
				p.i++
				if len(val) == 0 {
					if nt := p.peek(); nt != nil && nt.op == "(" {
						p.i++
						a := assign{name: name, array: []word{}}
						for nt := p.peek(); nt != nil && nt.op != ")"; nt = p.peek() {
							if nt.op == "" {
								a.array = append(a.array, nt.word)
							}
							p.i++
						}
						p.i++
						c.assigns = append(c.assigns, a)
						continue
					}
				}
				c.assigns = append(c.assigns, assign{name: name, value: val})
				continue
			}
		}
		c.words = append(c.words, t.word)
		p.i++
	}
	if len(c.words) == 0 && len(c.assigns) == 0 && len(c.redirs) == 0 {
		return nil, fmt.Errorf("unexpected %q", p.peekText())
	}
	return c, nil
}

// assignment splits NAME=value.
func assignment(w word) (string, word, bool) {
	if len(w) == 0 || w[0].kind != partLit {
		return "", nil, false
	}
	s := w[0].text
	i := strings.IndexByte(s, '=')
	if i <= 0 {
		return "", nil, false
	}
	for j := 0; j < i; j++ {
		if !(s[j] == '_' || isAlnum(s[j])) || (j == 0 && s[j] >= '0' && s[j] <= '9') {
			return "", nil, false
		}
	}
	val := word{}
	if rest := s[i+1:]; rest != "" {
		val = append(val, part{kind: partLit, text: rest})
	}
	val = append(val, w[1:]...)
	return s[:i], val, true
}

// markLast marks the last simple command of the top-level list: an
// unknown program there is the container's main process.
func markLast(l *cmdList) {
	if l == nil || len(l.items) == 0 {
		return
	}
	ao := l.items[len(l.items)-1]
	pp := ao.pipes[len(ao.pipes)-1]
	switch c := pp.cmds[len(pp.cmds)-1].(type) {
	case *simpleCmd:
		c.last = true
	case *group:
		markLast(c.body)
	}
}

// isRegexOp reports whether the last token is the =~ of [[ ... ]].
func isRegexOp(toks []token) bool {
	if len(toks) == 0 {
		return false
	}
	w := toks[len(toks)-1].word
	return toks[len(toks)-1].op == "" && len(w) == 1 && w[0].kind == partLit && w[0].text == "=~"
}
