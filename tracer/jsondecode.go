package tracer

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// lineDecoder decodes an event line of the shape [AppendEventJSON]
// writes, without reflection and without allocating for the fields every
// event has. It is a fast path only: on anything it is not sure to read
// exactly as encoding/json would (a key in another case, a repeated or
// unknown key, null, a number with a fraction or exponent, a surrogate
// escape, invalid UTF-8, bad syntax), decode reports false and the caller
// decodes the line with encoding/json, whose result, or error, is the
// reference. FuzzLineDecoder holds the two equal wherever the fast path
// answers.
//
// Its scratch space is reused from line to line: at most a line's worth
// of ids ([MaxLineSize] bounds a line) and up to internMax short strings.
type lineDecoder struct {
	raw rawEvent

	seq   uint64
	t, g  int64
	kind  string
	cap   int
	vs    []int64
	refs  []int64
	cycle []int64
	cases []jsonCase

	// intern keeps the short strings that repeat from event to event
	// (kinds, call sites, names, rules), so that reading them allocates
	// once.
	intern map[string]string
}

const (
	internMax    = 4096 // strings kept by lineDecoder.intern
	internMaxLen = 160  // longest string it keeps
)

// The fields of an event line, numbered for a bit set of those seen.
const (
	fieldSeq = iota
	fieldT
	fieldKind
	fieldG
	fieldChild
	fieldCh
	fieldV
	fieldMu
	fieldScope
	fieldRef
	fieldVs
	fieldRefs
	fieldCycle
	fieldCases
	fieldCase
	fieldWG
	fieldCap
	fieldName
	fieldLabel
	fieldOn
	fieldOp
	fieldRule
	fieldMsg
	fieldPanic
	fieldAt
	fieldMut
	fieldClosed
	fieldAborted
	fieldConf
	fieldCapUnknown
)

func eventField(key []byte) int {
	switch string(key) {
	case "seq":
		return fieldSeq
	case "t":
		return fieldT
	case "kind":
		return fieldKind
	case "g":
		return fieldG
	case "child":
		return fieldChild
	case "ch":
		return fieldCh
	case "v":
		return fieldV
	case "mu":
		return fieldMu
	case "scope":
		return fieldScope
	case "ref":
		return fieldRef
	case "vs":
		return fieldVs
	case "refs":
		return fieldRefs
	case "cycle":
		return fieldCycle
	case "cases":
		return fieldCases
	case "case":
		return fieldCase
	case "wg":
		return fieldWG
	case "cap":
		return fieldCap
	case "name":
		return fieldName
	case "label":
		return fieldLabel
	case "on":
		return fieldOn
	case "op":
		return fieldOp
	case "rule":
		return fieldRule
	case "msg":
		return fieldMsg
	case "panic":
		return fieldPanic
	case "at":
		return fieldAt
	case "mut":
		return fieldMut
	case "closed":
		return fieldClosed
	case "aborted":
		return fieldAborted
	case "conf":
		return fieldConf
	case "cap_unknown":
		return fieldCapUnknown
	}
	return -1
}

// decode reads line into d.raw and reports whether it could; d.raw is
// valid until the next call.
func (d *lineDecoder) decode(line []byte) bool {
	p := jsonScanner{b: line}
	d.raw = rawEvent{}
	p.space()
	if !p.eat('{') {
		return false
	}
	p.space()
	if p.eat('}') {
		p.space()
		return p.done()
	}
	var seen uint64
	for {
		p.space()
		key, ok := p.plainKey()
		if !ok {
			return false
		}
		f := eventField(key)
		if f < 0 || seen&(1<<f) != 0 {
			return false
		}
		seen |= 1 << f
		p.space()
		if !p.eat(':') {
			return false
		}
		p.space()
		if !d.value(&p, f) {
			return false
		}
		p.space()
		if p.eat(',') {
			continue
		}
		if !p.eat('}') {
			return false
		}
		p.space()
		return p.done()
	}
}

// value reads the value of field f.
func (d *lineDecoder) value(p *jsonScanner, f int) bool {
	r := &d.raw
	var ok bool
	switch f {
	case fieldSeq:
		d.seq, ok = p.uint64()
		r.Seq = &d.seq
	case fieldT:
		d.t, ok = p.int64()
		r.T = &d.t
	case fieldKind:
		d.kind, ok = d.string(p)
		r.Kind = &d.kind
	case fieldG:
		d.g, ok = p.int64()
		r.G = &d.g
	case fieldChild:
		r.Child, ok = p.int64()
	case fieldCh:
		r.Ch, ok = p.int64()
	case fieldV:
		r.V, ok = p.int64()
	case fieldMu:
		r.Mu, ok = p.int64()
	case fieldScope:
		r.Scope, ok = p.int64()
	case fieldRef:
		r.Ref, ok = p.int64()
	case fieldVs:
		d.vs, ok = p.ints(d.vs[:0])
		r.Vs = d.vs
	case fieldRefs:
		d.refs, ok = p.ints(d.refs[:0])
		r.Refs = d.refs
	case fieldCycle:
		d.cycle, ok = p.ints(d.cycle[:0])
		r.Cycle = d.cycle
	case fieldCases:
		ok = d.selectCases(p)
		r.Cases = d.cases
	case fieldCase:
		r.Case, ok = p.int()
	case fieldWG:
		r.WG, ok = p.int64()
	case fieldCap:
		d.cap, ok = p.int()
		r.Cap = &d.cap
	case fieldName:
		r.Name, ok = d.string(p)
	case fieldLabel:
		r.Label, ok = p.string(nil)
	case fieldOn:
		r.On, ok = d.string(p)
	case fieldOp:
		r.Op, ok = d.string(p)
	case fieldRule:
		r.Rule, ok = d.string(p)
	case fieldMsg:
		r.Msg, ok = p.string(nil)
	case fieldPanic:
		r.Panic, ok = p.string(nil)
	case fieldAt:
		r.At, ok = d.string(p)
	case fieldMut:
		r.Mut, ok = p.bool()
	case fieldClosed:
		r.Close, ok = p.bool()
	case fieldAborted:
		r.Abort, ok = p.bool()
	case fieldConf:
		r.Conf, ok = d.string(p)
	case fieldCapUnknown:
		r.CapU, ok = p.bool()
	}
	return ok
}

// selectCases reads the cases of a select: objects with dir, ch and v.
func (d *lineDecoder) selectCases(p *jsonScanner) bool {
	d.cases = d.cases[:0]
	if !p.eat('[') {
		return false
	}
	p.space()
	if p.eat(']') {
		return true
	}
	for {
		p.space()
		if !p.eat('{') {
			return false
		}
		var c jsonCase
		var seen [3]bool
		p.space()
		if !p.eat('}') {
			for {
				p.space()
				key, ok := p.plainKey()
				if !ok {
					return false
				}
				p.space()
				if !p.eat(':') {
					return false
				}
				p.space()
				switch string(key) {
				case "dir":
					if seen[0] {
						return false
					}
					seen[0] = true
					dir, ok := d.string(p)
					if !ok {
						return false
					}
					c.Dir = &dir
				case "ch":
					if seen[1] {
						return false
					}
					seen[1] = true
					if c.Ch, ok = p.int64(); !ok {
						return false
					}
				case "v":
					if seen[2] {
						return false
					}
					seen[2] = true
					if c.V, ok = p.int64(); !ok {
						return false
					}
				default:
					return false
				}
				p.space()
				if p.eat(',') {
					continue
				}
				if !p.eat('}') {
					return false
				}
				break
			}
		}
		d.cases = append(d.cases, c)
		p.space()
		if p.eat(',') {
			continue
		}
		return p.eat(']')
	}
}

// string reads a string, interning it when it is short.
func (d *lineDecoder) string(p *jsonScanner) (string, bool) {
	if d.intern == nil {
		d.intern = make(map[string]string)
	}
	return p.string(d.intern)
}

// jsonScanner reads JSON values from b, in the subset lineDecoder takes.
type jsonScanner struct {
	b []byte
	i int
}

func (p *jsonScanner) done() bool { return p.i == len(p.b) }

func (p *jsonScanner) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonScanner) eat(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// plainKey reads an object key made of ASCII letters and underscores.
func (p *jsonScanner) plainKey() ([]byte, bool) {
	if !p.eat('"') {
		return nil, false
	}
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			key := p.b[start:p.i]
			p.i++
			return key, true
		case 'a' <= c && c <= 'z', c == '_':
			p.i++
		default:
			return nil, false
		}
	}
	return nil, false
}

// digits reads an unsigned JSON integer (no leading zero, no fraction, no
// exponent) that fits in a uint64.
func (p *jsonScanner) digits() (uint64, bool) {
	start := p.i
	var n uint64
	for p.i < len(p.b) {
		c := p.b[p.i]
		if c < '0' || c > '9' {
			break
		}
		d := uint64(c - '0')
		if n > (math.MaxUint64-d)/10 {
			return 0, false
		}
		n = n*10 + d
		p.i++
	}
	switch {
	case p.i == start, p.b[start] == '0' && p.i-start > 1:
		return 0, false
	}
	if p.i < len(p.b) {
		switch p.b[p.i] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	return n, true
}

func (p *jsonScanner) uint64() (uint64, bool) { return p.digits() }

func (p *jsonScanner) int64() (int64, bool) {
	neg := p.eat('-')
	n, ok := p.digits()
	switch {
	case !ok:
		return 0, false
	case neg && n <= 1<<63:
		return int64(-n), true // -n wraps to the two's complement
	case !neg && n <= math.MaxInt64:
		return int64(n), true
	}
	return 0, false
}

func (p *jsonScanner) int() (int, bool) {
	n, ok := p.int64()
	if !ok || (strconv.IntSize == 32 && (n < math.MinInt32 || n > math.MaxInt32)) {
		return 0, false
	}
	return int(n), true
}

// ints reads an array of integers, appending to dst.
func (p *jsonScanner) ints(dst []int64) ([]int64, bool) {
	if !p.eat('[') {
		return dst, false
	}
	p.space()
	if p.eat(']') {
		return dst, true
	}
	for {
		p.space()
		n, ok := p.int64()
		if !ok {
			return dst, false
		}
		dst = append(dst, n)
		p.space()
		if p.eat(',') {
			continue
		}
		return dst, p.eat(']')
	}
}

func (p *jsonScanner) bool() (bool, bool) {
	rest := p.b[p.i:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		p.i += 4
		return true, true
	case len(rest) >= 5 && string(rest[:5]) == "false":
		p.i += 5
		return false, true
	}
	return false, false
}

// string reads a JSON string. It takes the escapes \" \\ \/ \b \f \n \r
// \t and \uXXXX outside the surrogates, and valid UTF-8; it refuses the
// rest, which encoding/json reads with replacements of its own. Short
// strings are looked up in, and added to, intern when it is not nil.
func (p *jsonScanner) string(intern map[string]string) (string, bool) {
	if !p.eat('"') {
		return "", false
	}
	start := p.i
	escaped, ascii := false, true
	for {
		if p.i >= len(p.b) {
			return "", false
		}
		c := p.b[p.i]
		if c == '"' {
			break
		}
		switch {
		case c < 0x20:
			return "", false
		case c == '\\':
			escaped = true
			p.i++ // the escaped byte cannot end the string
		case c >= utf8.RuneSelf:
			ascii = false
		}
		p.i++
	}
	raw := p.b[start:p.i]
	p.i++
	if !ascii && !utf8.Valid(raw) {
		return "", false
	}
	if escaped {
		s, ok := unescape(raw)
		return s, ok
	}
	if intern == nil || len(raw) > internMaxLen {
		return string(raw), true
	}
	if s, ok := intern[string(raw)]; ok {
		return s, true
	}
	s := string(raw)
	if len(intern) < internMax {
		intern[s] = s
	}
	return s, true
}

// unescape decodes the escapes of a JSON string's contents.
func unescape(raw []byte) (string, bool) {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(raw) {
			return "", false
		}
		switch raw[i] {
		case '"', '\\', '/':
			out = append(out, raw[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			if i+4 >= len(raw) {
				return "", false
			}
			r, err := strconv.ParseUint(string(raw[i+1:i+5]), 16, 32)
			if err != nil || utf8.RuneLen(rune(r)) < 0 || (r >= 0xd800 && r < 0xe000) {
				return "", false
			}
			out = utf8.AppendRune(out, rune(r))
			i += 4
		default:
			return "", false
		}
	}
	return string(out), true
}
