package viz

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/handoff-viz/handoff/scenarios"
	"github.com/handoff-viz/handoff/tracer"
)

// dotBox is a box of the timeline's DOT: a node with a pinned centre and a
// size, in points.
type dotBox struct {
	name, tooltip  string
	x0, x1, y0, y1 float64
	label          string
}

var (
	dotNodeRE = regexp.MustCompile(`(?m)^\t([a-zA-Z]+)(\d+) \[pos="([-0-9.]+),([-0-9.]+)!", width=([0-9.]+), height=([0-9.]+),(.*)\];$`)
	dotAttrRE = regexp.MustCompile(`(label|tooltip)="((?:[^"\\]|\\.)*)"`)
)

// bufferBoxes returns the boxes of values in channel buffers (prefix v) and
// of the summaries of those that did not fit (prefix o).
func bufferBoxes(t *testing.T, dot []byte) []dotBox {
	t.Helper()
	var bs []dotBox
	for _, m := range dotNodeRE.FindAllSubmatch(dot, -1) {
		if p := string(m[1]); p != "v" && p != "o" {
			continue
		}
		f := func(i int) float64 {
			v, err := strconv.ParseFloat(string(m[i]), 64)
			if err != nil {
				t.Fatalf("node %s%s: %v", m[1], m[2], err)
			}
			return v
		}
		x, y, w, h := f(3), f(4), f(5)*72, f(6)*72
		b := dotBox{name: string(m[1]) + string(m[2]), x0: x - w/2, x1: x + w/2, y0: y - h/2, y1: y + h/2}
		for _, a := range dotAttrRE.FindAllSubmatch(m[7], -1) {
			if string(a[1]) == "label" {
				b.label = string(a[2])
			} else {
				b.tooltip = string(a[2])
			}
		}
		bs = append(bs, b)
	}
	return bs
}

// checkNoOverlap fails when two token boxes share any area. Widths are
// written in hundredths of an inch, so boxes may seem to touch by up to
// 0.72pt.
func checkNoOverlap(t *testing.T, what string, bs []dotBox) {
	t.Helper()
	const slack = 0.8
	for i := range bs {
		for j := i + 1; j < len(bs); j++ {
			a, b := bs[i], bs[j]
			if a.x0 < b.x1-slack && b.x0 < a.x1-slack && a.y0 < b.y1-slack && b.y0 < a.y1-slack {
				t.Errorf("%s: token %s (%s) overlaps token %s (%s): x %.1f..%.1f and %.1f..%.1f, y %.1f..%.1f and %.1f..%.1f",
					what, a.name, a.tooltip, b.name, b.tooltip, a.x0, a.x1, b.x0, b.x1, a.y0, a.y1, b.y0, b.y1)
			}
		}
	}
}

// bufferSpans counts the times values sat in a channel's buffer.
func bufferSpans(tl *tracer.Timeline) int {
	n := 0
	for _, v := range tl.Values {
		for _, s := range v.Owners {
			if s.Owner.Kind == tracer.OwnerChannel {
				n++
			}
		}
	}
	return n
}

// TestTokensDoNotOverlap: values in a channel at the same time each get a
// row, over every scenario (the traces kept for the goldens, whose event
// order is fixed), on both axes, and in the last frame.
func TestTokensDoNotOverlap(t *testing.T) {
	for _, s := range scenarios.All() {
		t.Run(s.Name, func(t *testing.T) {
			tl := tracer.BuildTimeline(goldenTrace(t, s))
			for _, o := range []Options{{}, {Axis: AxisTime}, {Theme: "print", FontSize: 20}} {
				bs := bufferBoxes(t, dotOf(t, tl, o))
				if n := bufferSpans(tl); len(bs) != n {
					t.Errorf("%+v: %d tokens drawn for %d values in buffers", o, len(bs), n)
				}
				checkNoOverlap(t, fmt.Sprintf("%s %+v", filepath.Base(s.Name), o), bs)
			}
		})
	}
}

// queueTrace sends n values on an unbounded channel, then receives the
// first, sends one more and receives the rest: the value sent after the
// receive goes into a slot (n-1) that an older value still shows as held.
func queueTrace(n int) []tracer.Event {
	var evs []tracer.Event
	add := func(e tracer.Event) {
		e.Seq, e.T = uint64(len(evs)+1), tracer.Time(1000*(len(evs)+1))
		evs = append(evs, e)
	}
	add(tracer.Event{Kind: tracer.KindChan, G: 1, Ch: 1, Name: "q", Cap: -1})
	add(tracer.Event{Kind: tracer.KindGo, G: 1, Child: 2, Name: "consumer"})
	for k := 1; k <= n+1; k++ {
		add(tracer.Event{Kind: tracer.KindMake, G: 1, V: tracer.ValueID(k), Label: fmt.Sprintf("item-%d", k)})
	}
	for k := 1; k <= n; k++ {
		add(tracer.Event{Kind: tracer.KindSend, G: 1, Ch: 1, V: tracer.ValueID(k)})
	}
	add(tracer.Event{Kind: tracer.KindRecv, G: 2, Ch: 1, V: 1})
	add(tracer.Event{Kind: tracer.KindSend, G: 1, Ch: 1, V: tracer.ValueID(n + 1)})
	for k := 2; k <= n+1; k++ {
		add(tracer.Event{Kind: tracer.KindRecv, G: 2, Ch: 1, V: tracer.ValueID(k)})
	}
	add(tracer.Event{Kind: tracer.KindEnd, G: 2})
	add(tracer.Event{Kind: tracer.KindJoin, G: 1, Child: 2})
	add(tracer.Event{Kind: tracer.KindEnd, G: 1})
	return evs
}

func TestTokenRows(t *testing.T) {
	// Two in the buffer, one out, one in: the four tokens need two rows.
	tl := tracer.BuildTimeline(queueTrace(2))
	if err := tracer.Validate(tl.Events); err != nil {
		t.Fatal(err)
	}
	bs := bufferBoxes(t, dotOf(t, tl, Options{}))
	if len(bs) != 3 {
		t.Fatalf("%d tokens, want 3: %+v", len(bs), bs)
	}
	checkNoOverlap(t, "queue of 2", bs)
	rows := map[float64]bool{}
	for _, b := range bs {
		rows[b.y0] = true
	}
	if len(rows) != 2 {
		t.Errorf("tokens on %d rows, want 2 (never more than 2 values at once)", len(rows))
	}

	// More values at once than rows: 7 rows of tokens, and a
	// summary on the last row saying how many more there are.
	n := maxRows + 5
	tl = tracer.BuildTimeline(queueTrace(n))
	for _, o := range []Options{{}, {Axis: AxisTime}} {
		bs = bufferBoxes(t, dotOf(t, tl, o))
		checkNoOverlap(t, fmt.Sprintf("queue of %d", n), bs)
		var toks, sums int
		var label string
		for _, b := range bs {
			if b.name[0] == 'o' {
				sums++
				label = b.label
			} else {
				toks++
			}
		}
		// Rows 0 to maxRows-2 hold maxRows tokens: the value sent after
		// the first receive takes row 0 again. The other n-maxRows+1
		// values are in the buffer at once, summed up.
		if sums != 1 || toks != maxRows || label != fmt.Sprintf("+%d more", n-maxRows+1) {
			t.Errorf("%+v: %d tokens, %d summaries (label %q); want %d tokens and one summary \"+%d more\"",
				o, toks, sums, label, maxRows, n-maxRows+1)
		}
	}
}
