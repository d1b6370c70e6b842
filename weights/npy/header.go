package npy

import (
	"errors"
	"fmt"
	"strconv"
)

// The header is a Python literal that numpy reads with ast.literal_eval.
// parser accepts the subset numpy writes and a little more, so files from
// other writers parse too: strings in either quote, ints (with Python 2's
// trailing L), True/False/None, tuples, lists and dicts with optional
// trailing commas. Values come back as string, int64, bool, nil, tuple,
// list and dict.
type (
	tuple []any
	list  []any
	dict  map[string]any
)

// maxDepth bounds nesting, so a header of a million '(' cannot exhaust the
// stack.
const maxDepth = 16

type parser struct {
	s     string
	pos   int
	depth int
}

// parse parses the whole header: one value, then only whitespace.
func (p *parser) parse() (any, error) {
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos != len(p.s) {
		return nil, p.errorf("unexpected %q after the value", p.s[p.pos])
	}
	return v, nil
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("byte %d: %s", p.pos, fmt.Sprintf(format, args...))
}

func (p *parser) space() {
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value() (any, error) {
	p.space()
	if p.pos == len(p.s) {
		return nil, p.errorf("unexpected end of header")
	}
	switch c := p.s[p.pos]; {
	case c == '{' || c == '(' || c == '[':
		if p.depth++; p.depth > maxDepth {
			return nil, p.errorf("nested deeper than %d", maxDepth)
		}
		defer func() { p.depth-- }()
		switch c {
		case '{':
			return p.dict()
		case '(':
			return p.seq(')')
		}
		v, err := p.seq(']')
		if t, ok := v.(tuple); ok {
			return list(t), err
		}
		return v, err
	case c == '\'' || c == '"':
		return p.str()
	case c == '-' || c == '+' || '0' <= c && c <= '9':
		return p.int()
	case 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z':
		start := p.pos
		for p.pos < len(p.s) && ('A' <= p.s[p.pos] && p.s[p.pos] <= 'Z' || 'a' <= p.s[p.pos] && p.s[p.pos] <= 'z') {
			p.pos++
		}
		switch word := p.s[start:p.pos]; word {
		case "True":
			return true, nil
		case "False":
			return false, nil
		case "None":
			return nil, nil
		default:
			p.pos = start
			return nil, p.errorf("unknown name %q", word)
		}
	default:
		return nil, p.errorf("unexpected %q", c)
	}
}

// seq parses the elements of a tuple or list up to close. A parenthesised
// single value without a trailing comma is that value, as in Python.
func (p *parser) seq(close byte) (any, error) {
	p.pos++ // the opening bracket
	var elems tuple
	comma := false
	for {
		p.space()
		if p.pos < len(p.s) && p.s[p.pos] == close {
			p.pos++
			if close == ')' && len(elems) == 1 && !comma {
				return elems[0], nil
			}
			return elems, nil
		}
		if len(elems) > 0 && !comma {
			return nil, p.errorf("expected ',' or %q", close)
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		elems = append(elems, v)
		p.space()
		comma = p.pos < len(p.s) && p.s[p.pos] == ','
		if comma {
			p.pos++
		}
	}
}

func (p *parser) dict() (any, error) {
	p.pos++ // '{'
	d := dict{}
	for {
		p.space()
		if p.pos < len(p.s) && p.s[p.pos] == '}' {
			p.pos++
			return d, nil
		}
		k, err := p.value()
		if err != nil {
			return nil, err
		}
		key, ok := k.(string)
		if !ok {
			return nil, p.errorf("dict key is not a string")
		}
		if _, dup := d[key]; dup {
			return nil, p.errorf("key %q given twice", key)
		}
		p.space()
		if p.pos >= len(p.s) || p.s[p.pos] != ':' {
			return nil, p.errorf("expected ':' after key %q", key)
		}
		p.pos++
		if d[key], err = p.value(); err != nil {
			return nil, err
		}
		p.space()
		switch {
		case p.pos < len(p.s) && p.s[p.pos] == ',':
			p.pos++
		case p.pos < len(p.s) && p.s[p.pos] == '}':
		default:
			return nil, p.errorf("expected ',' or '}'")
		}
	}
}

// str parses a quoted string. A backslash takes the next byte literally;
// that covers \' \" and \\, and numpy headers need no other escape.
func (p *parser) str() (string, error) {
	q := p.s[p.pos]
	p.pos++
	var b []byte
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		p.pos++
		switch {
		case c == q:
			return string(b), nil
		case c == '\\' && p.pos < len(p.s):
			b = append(b, p.s[p.pos])
			p.pos++
		case c == '\n':
			return "", p.errorf("newline in string")
		default:
			b = append(b, c)
		}
	}
	return "", p.errorf("unterminated string")
}

func (p *parser) int() (int64, error) {
	start := p.pos
	if c := p.s[p.pos]; c == '-' || c == '+' {
		p.pos++
	}
	digits := p.pos
	for p.pos < len(p.s) && '0' <= p.s[p.pos] && p.s[p.pos] <= '9' {
		p.pos++
	}
	if p.pos == digits {
		return 0, p.errorf("expected digits")
	}
	text := p.s[start:p.pos]
	if p.pos < len(p.s) && (p.s[p.pos] == 'L' || p.s[p.pos] == 'l') {
		p.pos++ // Python 2 long, as old numpy wrote shapes
	}
	v, err := strconv.ParseInt(text, 10, 64)
	if errors.Is(err, strconv.ErrRange) {
		return 0, p.errorf("integer %s out of range", text)
	}
	return v, err
}
