package viz

import (
	"fmt"
	"strconv"
	"strings"
)

// drawing is a laid-out graph as Graphviz's xdot drawing operations: what
// draw.go paints to PNG and PDF.
type drawing struct {
	bb    [4]float64 // llx, lly, urx, ury in points, y up
	graph [][]xop    // the graph's own drawing (background, title)
	nodes [][]xop    // one list per node, in file order
	edges [][]xop    // one list per edge, drawn after the nodes
}

// xop is one xdot operation.
type xop struct {
	op    byte      // E e P p L B b T t C c F S
	pts   []float64 // x0, y0, x1, y1, ...; E/e: x, y, w, h
	text  string    // T: the text; C/c: the colour; F: the font; S: the style
	just  int       // T: -1 left, 0 centre, 1 right
	width float64   // T: the text's width as Graphviz measured it
	size  float64   // F: font size
	flags int       // t: font flags
}

// drawAttrs are the attributes that hold drawing operations, in the order
// Graphviz's own renderers paint them.
var drawAttrs = []string{"_draw_", "_ldraw_", "_hdraw_", "_tdraw_", "_hldraw_", "_tldraw_"}

// parseXDOT reads the DOT text Graphviz writes for the xdot format.
func parseXDOT(src []byte) (*drawing, error) {
	toks, err := dotTokens(string(src))
	if err != nil {
		return nil, err
	}
	d := &drawing{}
	haveBB := false
	stmt := func(ts []string) error {
		if len(ts) == 0 {
			return nil
		}
		kind := "node"
		head := ts[0]
		if head == "graph" || head == "node" || head == "edge" {
			kind = head
		} else {
			for _, t := range ts {
				if t == "->" || t == "--" {
					kind = "edge-stmt"
				}
			}
		}
		at := map[string]string{}
		for k := 0; k < len(ts); k++ {
			if ts[k] != "[" {
				continue
			}
			for k++; k < len(ts) && ts[k] != "]"; k++ {
				if ts[k] == "," || ts[k] == ";" {
					continue
				}
				if k+2 < len(ts) && ts[k+1] == "=" {
					at[unq(ts[k])] = unq(ts[k+2])
					k += 2
				}
			}
		}
		var ops []xop
		for _, name := range drawAttrs {
			if s, ok := at[name]; ok {
				o, err := parseOps(s)
				if err != nil {
					return fmt.Errorf("%s of %s %s: %w", name, kind, head, err)
				}
				ops = append(ops, o...)
				ops = append(ops, xop{op: 0}) // reset the state between attributes
			}
		}
		switch kind {
		case "graph":
			if bb, ok := at["bb"]; ok && !haveBB {
				f := strings.Split(bb, ",")
				if len(f) != 4 {
					return fmt.Errorf("bad bb %q", bb)
				}
				for k := range f {
					v, err := strconv.ParseFloat(f[k], 64)
					if err != nil {
						return fmt.Errorf("bad bb %q", bb)
					}
					d.bb[k] = v
				}
				haveBB = true
			}
			if len(ops) > 0 {
				d.graph = append(d.graph, ops)
			}
		case "node":
			if len(ops) > 0 {
				d.nodes = append(d.nodes, ops)
			}
		case "edge-stmt":
			if len(ops) > 0 {
				d.edges = append(d.edges, ops)
			}
		}
		return nil
	}
	var cur []string
	for _, t := range toks {
		switch t {
		case ";", "{", "}":
			if err := stmt(cur); err != nil {
				return nil, err
			}
			cur = cur[:0]
		default:
			if t == "digraph" || t == "strict" || (len(cur) == 0 && t == "subgraph") {
				continue
			}
			cur = append(cur, t)
		}
	}
	if !haveBB {
		return nil, fmt.Errorf("no bounding box")
	}
	return d, nil
}

// unq removes the quotes of a DOT string token.
func unq(s string) string {
	if len(s) >= 2 && s[0] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// dotTokens splits DOT text into tokens: quoted strings (kept with their
// quotes, escapes resolved), identifiers and punctuation.
func dotTokens(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '"':
			var b strings.Builder
			b.WriteByte('"')
			i++
			for {
				if i >= len(s) {
					return nil, fmt.Errorf("unterminated string")
				}
				if s[i] == '\\' && i+1 < len(s) {
					switch s[i+1] {
					case '\n':
						i += 2
						continue
					case '\r':
						i += 2
						if i < len(s) && s[i] == '\n' {
							i++
						}
						continue
					case '"', '\\':
						b.WriteByte(s[i+1])
						i += 2
						continue
					}
				}
				if s[i] == '"' {
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			b.WriteByte('"')
			toks = append(toks, b.String())
		case c == '<':
			depth, j := 0, i
			for ; j < len(s); j++ {
				if s[j] == '<' {
					depth++
				} else if s[j] == '>' {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated html string")
			}
			toks = append(toks, s[i:j+1])
			i = j + 1
		case c == '-' && i+1 < len(s) && (s[i+1] == '>' || s[i+1] == '-'):
			toks = append(toks, s[i:i+2])
			i += 2
		case strings.IndexByte("[]{};,=:", c) >= 0:
			toks = append(toks, s[i:i+1])
			i++
		default:
			j := i
			for j < len(s) && (isIDByte(s[j]) || s[j] >= 0x80) {
				j++
			}
			if j == i {
				return nil, fmt.Errorf("unexpected %q at byte %d", c, i)
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks, nil
}

func isIDByte(c byte) bool {
	return c == '_' || c == '.' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// parseOps reads xdot drawing operations (Graphviz's xdot format, version
// 1.7). Strings are "n -bytes": n counts bytes, not characters.
func parseOps(s string) ([]xop, error) {
	var ops []xop
	i := 0
	skip := func() {
		for i < len(s) && s[i] == ' ' {
			i++
		}
	}
	number := func() (float64, error) {
		skip()
		j := i
		for j < len(s) && s[j] != ' ' {
			j++
		}
		v, err := strconv.ParseFloat(s[i:j], 64)
		if err != nil {
			return 0, fmt.Errorf("bad number %q at byte %d", s[i:j], i)
		}
		i = j
		return v, nil
	}
	str := func() (string, error) {
		n, err := number()
		if err != nil {
			return "", err
		}
		skip()
		if i >= len(s) || s[i] != '-' {
			return "", fmt.Errorf("string without '-' at byte %d", i)
		}
		i++
		end := i + int(n)
		if n < 0 || end > len(s) {
			return "", fmt.Errorf("string of %v bytes runs past the end", n)
		}
		t := s[i:end]
		i = end
		return t, nil
	}
	points := func(k int) ([]float64, error) {
		pts := make([]float64, k)
		for j := range pts {
			v, err := number()
			if err != nil {
				return nil, err
			}
			pts[j] = v
		}
		return pts, nil
	}
	for {
		skip()
		if i >= len(s) {
			return ops, nil
		}
		o := xop{op: s[i]}
		i++
		var err error
		switch o.op {
		case 'E', 'e':
			o.pts, err = points(4)
		case 'P', 'p', 'L', 'B', 'b':
			var n float64
			if n, err = number(); err == nil {
				if n < 0 || n > 1e6 {
					return nil, fmt.Errorf("bad point count %v", n)
				}
				o.pts, err = points(2 * int(n))
			}
		case 'T':
			var p []float64
			if p, err = points(4); err == nil {
				o.pts, o.just, o.width = p[:2], int(p[2]), p[3]
				o.text, err = str()
			}
		case 't':
			var f float64
			f, err = number()
			o.flags = int(f)
		case 'C', 'c', 'S':
			o.text, err = str()
		case 'F':
			if o.size, err = number(); err == nil {
				o.text, err = str()
			}
		case 'I':
			if _, err = points(4); err == nil {
				_, err = str()
			}
			continue
		default:
			return nil, fmt.Errorf("unknown operation %q at byte %d", o.op, i-1)
		}
		if err != nil {
			return nil, err
		}
		ops = append(ops, o)
	}
}
