package instrument

import (
	"cmp"
	"slices"
	"strings"
)

// An edit changes a file's source text: it inserts text at off (end == off)
// or replaces [off, end) with it. Edits never add a newline, so every line
// of the rewritten file is the line of the same number in the original,
// and positions in panics, stack traces and compiler errors stay the user's
// own file:line.
type edit struct {
	off, end int
	text     string
	// role orders edits at the same offset: a closing insertion ends an
	// expression that ends there (deeper ones first), an opening insertion
	// starts one that starts there (shallower first), and a replacement
	// comes last.
	role  editRole
	depth int
}

type editRole uint8

const (
	roleClose editRole = iota
	roleOpen
	roleReplace
)

// edits collects the edits of one file.
type edits struct {
	list []edit
}

func (es *edits) open(off, depth int, text string) {
	es.list = append(es.list, edit{off: off, end: off, text: text, role: roleOpen, depth: depth})
}

func (es *edits) close(off, depth int, text string) {
	es.list = append(es.list, edit{off: off, end: off, text: text, role: roleClose, depth: depth})
}

func (es *edits) replace(off, end int, text string) {
	es.list = append(es.list, edit{off: off, end: end, text: text, role: roleReplace})
}

// apply returns src[lo:hi] with the edits that fall inside it applied.
func (es *edits) apply(src []byte, lo, hi int) string {
	var in []edit
	for _, e := range es.list {
		if e.off >= lo && e.end <= hi {
			in = append(in, e)
		}
	}
	slices.SortStableFunc(in, func(a, b edit) int {
		if c := cmp.Compare(a.off, b.off); c != 0 {
			return c
		}
		if c := cmp.Compare(a.role, b.role); c != 0 {
			return c
		}
		if a.role == roleClose {
			return cmp.Compare(b.depth, a.depth)
		}
		return cmp.Compare(a.depth, b.depth)
	})
	var b strings.Builder
	at := lo
	for _, e := range in {
		if e.off < at {
			continue // inside a span already replaced
		}
		b.Write(src[at:e.off])
		b.WriteString(e.text)
		at = e.end
	}
	b.Write(src[at:hi])
	return b.String()
}

// drop removes the edits inside [lo, hi): a span that was moved elsewhere
// with its edits applied.
func (es *edits) drop(lo, hi int) {
	es.list = slices.DeleteFunc(es.list, func(e edit) bool { return e.off >= lo && e.end <= hi })
}
