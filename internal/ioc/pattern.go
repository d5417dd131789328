package ioc

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Limits that keep hostile patterns from costing more than a normal one.
const (
	maxPatternBytes = 64 << 10
	maxPatternDepth = 64
)

// A STIX 2.1 pattern is read into a small tree. Observation expressions and
// comparison expressions share one node type: the tree only has to answer "which
// positive comparisons would, each on its own, prove the pattern true".

type nodeOp uint8

const (
	opCompare nodeOp = iota // a comparison (leaf)
	opOr
	opAnd
	opFollowedBy
)

type node struct {
	op        nodeOp
	args      []*node    // opOr, opAnd, opFollowedBy: flattened operands
	cmp       comparison // opCompare
	qualified bool       // an observation expression carrying WITHIN, REPEATS or START/STOP
}

// comparison is one property test: path [NOT] operator values.
type comparison struct {
	path    objectPath
	negated bool
	op      string // "=", "!=", "<", "<=", ">", ">=", "IN", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET", "EXISTS"
	values  []literal
	one     [1]literal // backs values when there is one
}

func (c *comparison) equal(d *comparison) bool {
	return c.negated == d.negated && c.op == d.op && c.path.typ == d.path.typ &&
		slices.Equal(c.path.steps, d.path.steps) && slices.Equal(c.values, d.values)
}

// objectPath is an object type and its property path, e.g. file:hashes.'SHA-256'.
type objectPath struct {
	typ   string
	steps []pathStep
}

// pathStep is one property name (ident or quoted) or one list index ("*" or a number).
type pathStep struct {
	name   string
	quoted bool
	index  bool
}

// String writes the path as STIX does, quoting the steps that were quoted.
func (p objectPath) String() string {
	var b strings.Builder
	b.WriteString(p.typ)
	b.WriteByte(':')
	for i, s := range p.steps {
		switch {
		case s.index:
			b.WriteString("[" + s.name + "]")
		case s.quoted:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString("'" + s.name + "'")
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.name)
		}
	}
	return b.String()
}

type litKind uint8

const (
	litString litKind = iota
	litInt
	litFloat
	litBool
	litTimestamp
	litHex
	litBinary
)

type literal struct {
	kind litKind
	s    string // unescaped string, or the literal's text
}

// patternError reports a STIX pattern that cannot be parsed.
type patternError struct {
	offset int // byte offset in the pattern
	msg    string
}

func (e *patternError) Error() string { return fmt.Sprintf("offset %d: %s", e.offset, e.msg) }

// Lexer.

type tokKind uint8

const (
	tokEOF tokKind = iota
	tokIdent
	tokString
	tokInt
	tokFloat
	tokTimestamp
	tokHex
	tokBinary
	tokPunct // [ ] ( ) : . , *
	tokOp    // = == != <> < <= > >=
)

type token struct {
	kind tokKind
	text string // identifier, punctuation or operator text; unescaped string contents
	pos  int
}

type lexer struct {
	src string
	pos int
}

func isIdentStart(c byte) bool { return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool      { return '0' <= c && c <= '9' }
func isIdentChar(c byte) bool  { return isIdentStart(c) || isDigit(c) || c == '-' }

func (l *lexer) errorf(pos int, format string, args ...any) error {
	return &patternError{offset: pos, msg: fmt.Sprintf(format, args...)}
}

func (l *lexer) next() (token, error) {
	s := l.src
	for l.pos < len(s) && (s[l.pos] == ' ' || s[l.pos] == '\t' || s[l.pos] == '\n' || s[l.pos] == '\r') {
		l.pos++
	}
	start := l.pos
	if start == len(s) {
		return token{kind: tokEOF, pos: start}, nil
	}
	c := s[start]
	switch {
	case c == '\'':
		v, err := l.quoted()
		return token{kind: tokString, text: v, pos: start}, err
	case isIdentStart(c):
		for l.pos < len(s) && isIdentChar(s[l.pos]) {
			l.pos++
		}
		id := s[start:l.pos]
		if l.pos < len(s) && s[l.pos] == '\'' {
			var kind tokKind
			switch id {
			case "t":
				kind = tokTimestamp
			case "h":
				kind = tokHex
			case "b", "b64":
				kind = tokBinary
			default:
				return token{}, l.errorf(l.pos, "unexpected quote after %q", id)
			}
			v, err := l.quoted()
			if err != nil {
				return token{}, err
			}
			return token{kind: kind, text: v, pos: start}, checkTyped(kind, v, start)
		}
		return token{kind: tokIdent, text: id, pos: start}, nil
	case isDigit(c) || (c == '-' || c == '+' || c == '.') && start+1 < len(s) && (isDigit(s[start+1]) || s[start+1] == '.'):
		return l.number()
	case strings.IndexByte("[]():.,*", c) >= 0:
		l.pos++
		return token{kind: tokPunct, text: s[start:l.pos], pos: start}, nil
	case c == '=' || c == '!' || c == '<' || c == '>':
		l.pos++
		if l.pos < len(s) && (s[l.pos] == '=' || c == '<' && s[l.pos] == '>') {
			l.pos++
		}
		op := s[start:l.pos]
		switch op {
		case "==":
			op = "="
		case "<>":
			op = "!="
		case "!":
			return token{}, l.errorf(start, "unexpected %q", op)
		}
		return token{kind: tokOp, text: op, pos: start}, nil
	}
	return token{}, l.errorf(start, "unexpected character %q", s[start:start+1])
}

// quoted reads a single-quoted string at l.pos; only \' and \\ are escapes.
func (l *lexer) quoted() (string, error) {
	s := l.src
	start := l.pos
	l.pos++ // opening quote
	var b []byte
	from := l.pos
	for l.pos < len(s) {
		switch s[l.pos] {
		case '\'':
			v := s[from:l.pos]
			if b != nil {
				v = string(append(b, v...))
			}
			l.pos++
			return v, nil
		case '\\':
			if l.pos+1 >= len(s) || (s[l.pos+1] != '\'' && s[l.pos+1] != '\\') {
				return "", l.errorf(l.pos, "invalid escape in string")
			}
			b = append(b, s[from:l.pos]...)
			b = append(b, s[l.pos+1])
			l.pos += 2
			from = l.pos
		default:
			l.pos++
		}
	}
	return "", l.errorf(start, "unterminated string")
}

func checkTyped(kind tokKind, v string, pos int) error {
	var err error
	switch kind {
	case tokTimestamp:
		_, err = time.Parse(time.RFC3339Nano, v)
	case tokHex:
		_, err = hex.DecodeString(v)
	case tokBinary:
		_, err = base64.StdEncoding.DecodeString(v)
	}
	if err != nil {
		return &patternError{offset: pos, msg: fmt.Sprintf("invalid literal %q", v)}
	}
	return nil
}

func (l *lexer) number() (token, error) {
	s := l.src
	start := l.pos
	if s[l.pos] == '-' || s[l.pos] == '+' {
		l.pos++
	}
	digits := func() int {
		n := 0
		for l.pos < len(s) && isDigit(s[l.pos]) {
			l.pos++
			n++
		}
		return n
	}
	n := digits()
	kind := tokInt
	if l.pos < len(s) && s[l.pos] == '.' {
		l.pos++
		if digits() == 0 {
			return token{}, l.errorf(start, "invalid number")
		}
		kind = tokFloat
	} else if n == 0 {
		return token{}, l.errorf(start, "invalid number")
	}
	if l.pos < len(s) && isIdentChar(s[l.pos]) {
		return token{}, l.errorf(start, "invalid number")
	}
	return token{kind: kind, text: s[start:l.pos], pos: start}, nil
}

// Parser: recursive descent over the STIX 2.1 patterning grammar.
//
//	pattern      = obsSeq EOF
//	obsSeq       = obsOr  { "FOLLOWEDBY" obsOr }
//	obsOr        = obsAnd { "OR" obsAnd }
//	obsAnd       = obs    { "AND" obs }
//	obs          = ( "[" cmpOr "]" | "(" obsSeq ")" ) { qualifier }
//	qualifier    = "WITHIN" number "SECONDS" | "REPEATS" int "TIMES" | "START" t'…' "STOP" t'…'
//	cmpOr        = cmpAnd { "OR" cmpAnd }
//	cmpAnd       = test   { "AND" test }
//	test         = "(" cmpOr ")" | ["NOT"] "EXISTS" path | path ["NOT"] op value
//	op value     = ("="|"!="|"<"|"<="|">"|">=") literal | "IN" "(" [literal {"," literal}] ")"
//	             | ("LIKE"|"MATCHES"|"ISSUBSET"|"ISSUPERSET") string
//	path         = ident ":" step { "." step | "[" ( int | "*" ) "]" }
//	step         = ident | string

type parser struct {
	lx    lexer
	tok   token // current token
	err   error // first lexical error; the token stream ends there
	depth int
}

// parsePattern parses a STIX 2.1 pattern. It never panics and bounds its work by
// maxPatternBytes and maxPatternDepth.
func parsePattern(src string) (*node, error) {
	if len(src) > maxPatternBytes {
		return nil, &patternError{msg: fmt.Sprintf("pattern longer than %d bytes", maxPatternBytes)}
	}
	p := &parser{lx: lexer{src: src}}
	p.advance()
	n, err := p.obsSeq()
	if err == nil && p.peek().kind != tokEOF {
		err = p.unexpected(p.peek())
	}
	if p.err != nil {
		return nil, p.err
	}
	return n, err
}

func (p *parser) peek() token { return p.tok }

// advance returns the current token and reads the next one.
func (p *parser) advance() token {
	t := p.tok
	if p.err != nil {
		return t
	}
	next, err := p.lx.next()
	if err != nil {
		p.err = err
		next = token{kind: tokEOF, pos: p.lx.pos}
	}
	p.tok = next
	return t
}

func (p *parser) isKeyword(kw string) bool {
	t := p.peek()
	return t.kind == tokIdent && t.text == kw
}

func (p *parser) isPunct(c string) bool {
	t := p.peek()
	return t.kind == tokPunct && t.text == c
}

func (p *parser) expectPunct(c string) error {
	if !p.isPunct(c) {
		return p.unexpected(p.peek())
	}
	p.advance()
	return nil
}

func (p *parser) unexpected(t token) error {
	if p.err != nil {
		return p.err
	}
	if t.kind == tokEOF {
		return &patternError{offset: t.pos, msg: "unexpected end of pattern"}
	}
	text := t.text
	if t.kind == tokString {
		text = "'" + text + "'"
	}
	return &patternError{offset: t.pos, msg: fmt.Sprintf("unexpected %q", text)}
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxPatternDepth {
		return &patternError{offset: p.peek().pos, msg: fmt.Sprintf("nesting deeper than %d", maxPatternDepth)}
	}
	return nil
}

// binary parses operand { keyword operand } into one flattened node.
func (p *parser) binary(kw string, op nodeOp, operand func() (*node, error)) (*node, error) {
	first, err := operand()
	if err != nil {
		return nil, err
	}
	if !p.isKeyword(kw) {
		return first, nil
	}
	n := &node{op: op, args: []*node{first}}
	for p.isKeyword(kw) {
		p.advance()
		next, err := operand()
		if err != nil {
			return nil, err
		}
		n.args = append(n.args, next)
	}
	return n, nil
}

func (p *parser) obsSeq() (*node, error) { return p.binary("FOLLOWEDBY", opFollowedBy, p.obsOr) }
func (p *parser) obsOr() (*node, error)  { return p.binary("OR", opOr, p.obsAnd) }
func (p *parser) obsAnd() (*node, error) { return p.binary("AND", opAnd, p.obs) }
func (p *parser) cmpOr() (*node, error)  { return p.binary("OR", opOr, p.cmpAnd) }
func (p *parser) cmpAnd() (*node, error) { return p.binary("AND", opAnd, p.test) }

func (p *parser) obs() (*node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	var n *node
	var err error
	switch {
	case p.isPunct("["):
		p.advance()
		if n, err = p.cmpOr(); err != nil {
			return nil, err
		}
		if err = p.expectPunct("]"); err != nil {
			return nil, err
		}
	case p.isPunct("("):
		p.advance()
		if n, err = p.obsSeq(); err != nil {
			return nil, err
		}
		if err = p.expectPunct(")"); err != nil {
			return nil, err
		}
	default:
		return nil, p.unexpected(p.peek())
	}
	for {
		q, err := p.qualifier()
		if err != nil {
			return nil, err
		}
		if !q {
			return n, nil
		}
		n.qualified = true
	}
}

// qualifier consumes one qualifier if present.
func (p *parser) qualifier() (bool, error) {
	number := func(t token) bool { return t.kind == tokInt || t.kind == tokFloat }
	integer := func(t token) bool { return t.kind == tokInt }
	stamp := func(t token) bool { return t.kind == tokTimestamp }
	word := func(w string) func(token) bool {
		return func(t token) bool { return t.kind == tokIdent && t.text == w }
	}
	var want []func(token) bool
	switch {
	case p.isKeyword("WITHIN"):
		want = []func(token) bool{number, word("SECONDS")}
	case p.isKeyword("REPEATS"):
		want = []func(token) bool{integer, word("TIMES")}
	case p.isKeyword("START"):
		want = []func(token) bool{stamp, word("STOP"), stamp}
	default:
		return false, nil
	}
	p.advance()
	for _, ok := range want {
		if t := p.advance(); !ok(t) {
			return false, p.unexpected(t)
		}
	}
	return true, nil
}

func (p *parser) test() (*node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	if p.isPunct("(") {
		p.advance()
		n, err := p.cmpOr()
		if err != nil {
			return nil, err
		}
		return n, p.expectPunct(")")
	}
	n := &node{}
	c := &n.cmp
	if p.isKeyword("NOT") {
		p.advance()
		if !p.isKeyword("EXISTS") {
			return nil, p.unexpected(p.peek())
		}
		c.negated = true
	}
	if p.isKeyword("EXISTS") {
		p.advance()
		path, err := p.path()
		if err != nil {
			return nil, err
		}
		c.path, c.op = path, "EXISTS"
		return n, nil
	}
	path, err := p.path()
	if err != nil {
		return nil, err
	}
	c.path = path
	if p.isKeyword("NOT") {
		p.advance()
		c.negated = true
	}
	t := p.advance()
	switch {
	case t.kind == tokOp:
		c.op = t.text
		v, err := p.literal()
		if err != nil {
			return nil, err
		}
		c.one[0] = v
		c.values = c.one[:]
	case t.kind == tokIdent && t.text == "IN":
		c.op = t.text
		if c.values, err = p.set(); err != nil {
			return nil, err
		}
	case t.kind == tokIdent && (t.text == "LIKE" || t.text == "MATCHES" || t.text == "ISSUBSET" || t.text == "ISSUPERSET"):
		c.op = t.text
		v := p.advance()
		if v.kind != tokString {
			return nil, p.unexpected(v)
		}
		c.one[0] = literal{kind: litString, s: v.text}
		c.values = c.one[:]
	default:
		return nil, p.unexpected(t)
	}
	return n, nil
}

func (p *parser) set() ([]literal, error) {
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	var vs []literal
	if p.isPunct(")") {
		p.advance()
		return vs, nil
	}
	for {
		v, err := p.literal()
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
		if p.isPunct(")") {
			p.advance()
			return vs, nil
		}
		if err := p.expectPunct(","); err != nil {
			return nil, err
		}
	}
}

func (p *parser) literal() (literal, error) {
	t := p.advance()
	switch t.kind {
	case tokString:
		return literal{kind: litString, s: t.text}, nil
	case tokInt:
		return literal{kind: litInt, s: t.text}, nil
	case tokFloat:
		return literal{kind: litFloat, s: t.text}, nil
	case tokTimestamp:
		return literal{kind: litTimestamp, s: t.text}, nil
	case tokHex:
		return literal{kind: litHex, s: t.text}, nil
	case tokBinary:
		return literal{kind: litBinary, s: t.text}, nil
	case tokIdent:
		if t.text == "true" || t.text == "false" {
			return literal{kind: litBool, s: t.text}, nil
		}
	}
	return literal{}, p.unexpected(t)
}

func (p *parser) path() (objectPath, error) {
	t := p.advance()
	if t.kind != tokIdent {
		return objectPath{}, p.unexpected(t)
	}
	op := objectPath{typ: t.text}
	if err := p.expectPunct(":"); err != nil {
		return op, err
	}
	step := func() error {
		t := p.advance()
		if t.kind != tokIdent && t.kind != tokString {
			return p.unexpected(t)
		}
		op.steps = append(op.steps, pathStep{name: t.text, quoted: t.kind == tokString})
		return nil
	}
	if err := step(); err != nil {
		return op, err
	}
	for {
		switch {
		case p.isPunct("."):
			p.advance()
			if err := step(); err != nil {
				return op, err
			}
		case p.isPunct("["):
			p.advance()
			t := p.advance()
			if t.kind != tokInt && !(t.kind == tokPunct && t.text == "*") {
				return op, p.unexpected(t)
			}
			op.steps = append(op.steps, pathStep{name: t.text, index: true})
			if err := p.expectPunct("]"); err != nil {
				return op, err
			}
		default:
			return op, nil
		}
	}
}

// Extraction: which comparisons can be matched alone.

// leaf is one usable positive equality: the STIX key and the literal value.
type leaf struct {
	path  objectPath
	value string
}

// problem is one part of a pattern that cannot be matched alone; reason is a key of
// FileReport.Skipped.
type problem struct {
	reason, msg string
}

// leaves returns the comparisons that each prove the pattern true on their own (the
// operands of its top-level disjunction), and a problem for every operand that
// cannot be matched alone.
func (n *node) leaves() ([]leaf, []problem) {
	var x extraction
	x.walk(n)
	return x.leaves, x.problems
}

type extraction struct {
	leaves   []leaf
	problems []problem
}

func (x *extraction) walk(n *node) {
	if n.qualified {
		x.problems = append(x.problems, problem{"qualified observation", "observation with a WITHIN, REPEATS or START/STOP qualifier cannot be matched alone"})
		return
	}
	switch n.op {
	case opCompare:
		x.compare(&n.cmp)
	case opOr:
		for _, a := range n.args {
			x.walk(a)
		}
	case opAnd, opFollowedBy:
		var cs []*comparison
		if !n.comparisons(&cs) || !allEqual(cs) {
			word := "AND"
			if n.op == opFollowedBy {
				word = "FOLLOWEDBY"
			}
			x.problems = append(x.problems, problem{"compound pattern", word + " joins different comparisons; one of them alone is not a match"})
			return
		}
		x.compare(cs[0])
	}
}

// comparisons collects every comparison under n; it reports false if a qualifier
// is found on the way.
func (n *node) comparisons(out *[]*comparison) bool {
	if n.qualified {
		return false
	}
	if n.op == opCompare {
		*out = append(*out, &n.cmp)
		return true
	}
	for _, a := range n.args {
		if !a.comparisons(out) {
			return false
		}
	}
	return true
}

func allEqual(cs []*comparison) bool {
	for _, c := range cs[1:] {
		if !c.equal(cs[0]) {
			return false
		}
	}
	return true
}

func (x *extraction) compare(c *comparison) {
	switch {
	case c.negated:
		x.problems = append(x.problems, problem{"unsupported operator", fmt.Sprintf("negated comparison on %q", c.path.String())})
		return
	case c.op != "=" && c.op != "IN":
		x.problems = append(x.problems, problem{"unsupported operator", fmt.Sprintf("operator %s on %q", c.op, c.path.String())})
		return
	}
	for _, v := range c.values {
		if v.kind != litString {
			x.problems = append(x.problems, problem{"invalid value", fmt.Sprintf("non-string value %s for %q", v.s, c.path.String())})
			continue
		}
		x.leaves = append(x.leaves, leaf{path: c.path, value: v.s})
	}
}
