package viz

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
)

// dotWriter writes DOT text. It remembers the first write error, so callers
// check once at the end.
type dotWriter struct {
	w   *bufio.Writer
	err error
}

func (d *dotWriter) printf(format string, args ...any) {
	if d.err != nil {
		return
	}
	_, d.err = fmt.Fprintf(d.w, format, args...)
}

func (d *dotWriter) line(s string) {
	if d.err != nil {
		return
	}
	_, d.err = d.w.WriteString(s)
	if d.err == nil {
		d.err = d.w.WriteByte('\n')
	}
}

// attrs is an ordered attribute list; the order is kept so DOT stays
// byte-identical from run to run.
type attrs []string

func (a attrs) add(key, val string) attrs { return append(a, key+"="+quote(val)) }

func (a attrs) num(key string, v float64) attrs { return append(a, key+"="+num(v)) }

func (a attrs) String() string {
	if len(a) == 0 {
		return ""
	}
	return " [" + strings.Join(a, ", ") + "]"
}

// quote returns s as a DOT double-quoted string. The escapes \n, \l, \r
// (line breaks) and \\ (a backslash, see [text]) pass through; other
// backslashes are doubled.
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			if i+1 < len(s) && (s[i+1] == 'n' || s[i+1] == 'l' || s[i+1] == 'r' || s[i+1] == '\\') {
				b.WriteByte('\\')
				b.WriteByte(s[i+1])
				i++
				continue
			}
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r', '\t':
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// text escapes s for use inside a label: backslashes and line breaks are
// shown as they are, not read as Graphviz escapes.
func text(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	return strings.NewReplacer("\n", " ", "\r", " ", "\t", " ").Replace(s)
}

// num formats a coordinate with at most two decimals, so DOT is stable and
// short.
func num(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// pos formats a pinned position in points.
func pos(x, y float64) string { return num(x) + "," + num(y) + "!" }

// inches converts points to inches, Graphviz's unit for width and height.
func inches(pt float64) float64 { return pt / 72 }

// helvetica holds the widths of the printable ASCII characters in
// Helvetica (and Arial, and Liberation Sans), in thousandths of the font
// size: the metrics Graphviz measures labels with.
var helvetica = [95]uint16{
	278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // space to /
	556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0 to ?
	1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @ to O
	667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P to _
	333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // ` to o
	556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p to ~
}

// textWidth returns the width in points of s in Helvetica at size pt, to
// place labels before Graphviz measures them.
func textWidth(s string, size float64) float64 {
	w := 0
	for _, r := range s {
		if r >= ' ' && r <= '~' {
			w += int(helvetica[r-' '])
		} else {
			w += 556
		}
	}
	return float64(w) / 1000 * size
}

// truncate shortens s to at most n runes, marking the cut with an ellipsis.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-3]) + "..."
}
