package fleet

import (
	"fmt"
	"math"
	"path"
	"strconv"
	"strings"
	"unicode"
)

// Query is a parsed scene query ("rigsync fleet find"). The language:
//
//	query  = or
//	or     = and { "or" and }
//	and    = unary { ["and"] unary }      (terms side by side are "and")
//	unary  = "not" unary | "(" or ")" | comparison | word
//	comparison = field op number          field: speed (the ego's mean speed
//	             over the scene, m/s), speed_min, speed_max, duration (s),
//	             start, end (s since the log's first message), value
//	             op: > >= < <= = !=
//	word   = a scene kind (dropout, degraded, night, dusk, stop, sharp_turn,
//	         clock_offset, drift, calibration, calibration_changed,
//	         unreadable), "fault" (any fault kind), a sensor name (with *
//	         and ? globs: radar_*; also the reference sensor of a
//	         calibration scene's pair), or any word of the scene's tag ("turn",
//	         "clock")
//
// Words and keywords are case-insensitive. Example:
// "radar_front degraded and speed > 10", "(dropout or degraded) and not cam_*".
type Query struct {
	root node
	src  string
}

type node interface {
	match(s *Scene) bool
	str() string
}

type orNode struct{ a, b node }
type andNode struct{ a, b node }
type notNode struct{ a node }
type wordNode struct{ w string }
type cmpNode struct {
	field, op string
	v         float64
}

func (n orNode) match(s *Scene) bool  { return n.a.match(s) || n.b.match(s) }
func (n andNode) match(s *Scene) bool { return n.a.match(s) && n.b.match(s) }
func (n notNode) match(s *Scene) bool { return !n.a.match(s) }
func (n orNode) str() string          { return "(" + n.a.str() + " or " + n.b.str() + ")" }
func (n andNode) str() string         { return "(" + n.a.str() + " and " + n.b.str() + ")" }
func (n notNode) str() string         { return "not " + n.a.str() }
func (n wordNode) str() string        { return n.w }
func (n cmpNode) str() string {
	return n.field + " " + n.op + " " + strconv.FormatFloat(n.v, 'g', -1, 64)
}

func (n wordNode) match(s *Scene) bool {
	w := n.w
	if w == "fault" {
		return IsFault(s.Kind)
	}
	if w == strings.ToLower(s.Kind) || w == strings.ReplaceAll(strings.ToLower(s.Kind), "_", " ") {
		return true
	}
	if ok, _ := path.Match(w, strings.ToLower(s.Sensor)); ok && s.Sensor != "" {
		return true
	}
	if ok, _ := path.Match(w, strings.ToLower(s.Reference)); ok && s.Reference != "" {
		return true
	}
	for _, t := range strings.Fields(strings.ToLower(s.Tag)) {
		if t == w {
			return true
		}
	}
	return false
}

func (n cmpNode) match(s *Scene) bool {
	var x float64
	switch n.field {
	case "speed":
		x = s.SpeedMean
	case "speed_min":
		x = s.SpeedMin
	case "speed_max":
		x = s.SpeedMax
	case "duration":
		x = s.DurationS
	case "start":
		x = s.StartS
	case "end":
		x = s.EndS
	case "value":
		x = s.Value
	}
	switch n.op {
	case ">":
		return x > n.v
	case ">=":
		return x >= n.v
	case "<":
		return x < n.v
	case "<=":
		return x <= n.v
	case "=":
		return x == n.v
	}
	return x != n.v // "!="
}

// queryFields are the fields a comparison takes.
var queryFields = map[string]bool{"speed": true, "speed_min": true, "speed_max": true, "duration": true, "start": true, "end": true, "value": true}

// Match reports whether the scene matches the query.
func (q Query) Match(s Scene) bool { return q.root.match(&s) }

// String is the query fully parenthesised (ParseQuery(q.String()) is the
// same query).
func (q Query) String() string { return q.root.str() }

// QueryError is a query that does not parse: Offset is the byte offset of
// the problem in the query text.
type QueryError struct {
	Query  string
	Offset int
	Msg    string
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("query %q at offset %d: %s", e.Query, e.Offset, e.Msg)
}

type token struct {
	s   string
	off int
}

// maxQueryDepth bounds nesting (parentheses and "not"), so that a
// hostile query cannot exhaust the stack.
const maxQueryDepth = 100

// ParseQuery parses a scene query (see Query).
func ParseQuery(src string) (Query, error) {
	toks, err := lex(src)
	if err != nil {
		return Query{}, err
	}
	p := &parser{src: src, toks: toks}
	if len(toks) == 0 {
		return Query{}, &QueryError{src, 0, "empty query"}
	}
	n, err := p.or(0)
	if err != nil {
		return Query{}, err
	}
	if p.i < len(p.toks) {
		return Query{}, p.errf("unexpected %q", p.toks[p.i].s)
	}
	return Query{root: n, src: src}, nil
}

func lex(src string) ([]token, error) {
	var toks []token
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')':
			toks = append(toks, token{string(c), i})
			i++
		case c == '>' || c == '<' || c == '=' || c == '!':
			j := i + 1
			if j < len(src) && src[j] == '=' {
				j++
			}
			op := src[i:j]
			if op == "!" || op == "==" {
				if op == "==" {
					op = "="
				} else {
					return nil, &QueryError{src, i, `"!" must be "!="`}
				}
			}
			toks = append(toks, token{op, i})
			i = j
		default:
			j := i
			for j < len(src) && !strings.ContainsRune(" \t\n\r()<>=!", rune(src[j])) {
				j++
			}
			w := src[i:j]
			for k, r := range w {
				if !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("_-.*?+/:[]", r)) {
					return nil, &QueryError{src, i + k, fmt.Sprintf("unexpected character %q", r)}
				}
			}
			toks = append(toks, token{strings.ToLower(w), i})
			i = j
		}
	}
	return toks, nil
}

type parser struct {
	src  string
	toks []token
	i    int
}

func (p *parser) errf(format string, args ...any) error {
	off := len(p.src)
	if p.i < len(p.toks) {
		off = p.toks[p.i].off
	}
	return &QueryError{p.src, off, fmt.Sprintf(format, args...)}
}

func (p *parser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i].s
	}
	return ""
}

func (p *parser) or(depth int) (node, error) {
	n, err := p.and(depth)
	if err != nil {
		return nil, err
	}
	for p.peek() == "or" {
		p.i++
		m, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		n = orNode{n, m}
	}
	return n, nil
}

func (p *parser) and(depth int) (node, error) {
	n, err := p.unary(depth)
	if err != nil {
		return nil, err
	}
	for {
		switch t := p.peek(); t {
		case "", "or", ")":
			return n, nil
		case "and":
			p.i++
		}
		m, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		n = andNode{n, m}
	}
}

func (p *parser) unary(depth int) (node, error) {
	if depth > maxQueryDepth {
		return nil, p.errf("nested too deep (more than %d levels)", maxQueryDepth)
	}
	t := p.peek()
	switch t {
	case "":
		return nil, p.errf("unexpected end of query")
	case "not":
		p.i++
		n, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		return notNode{n}, nil
	case "(":
		p.i++
		n, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, p.errf(`missing ")"`)
		}
		p.i++
		return n, nil
	case ")", "and", "or", ">", ">=", "<", "<=", "=", "!=":
		return nil, p.errf("unexpected %q", t)
	}
	p.i++
	if queryFields[t] {
		op := p.peek()
		switch op {
		case ">", ">=", "<", "<=", "=", "!=":
		default:
			return nil, p.errf("%s wants a comparison (> >= < <= = !=) and a number", t)
		}
		p.i++
		num := p.peek()
		v, err := strconv.ParseFloat(strings.TrimSuffix(num, "s"), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, p.errf("%s %s: %q is not a number", t, op, num)
		}
		p.i++
		return cmpNode{t, op, v}, nil
	}
	if _, err := path.Match(t, ""); err != nil {
		return nil, &QueryError{p.src, p.toks[p.i-1].off, fmt.Sprintf("bad pattern %q", t)}
	}
	return wordNode{t}, nil
}
