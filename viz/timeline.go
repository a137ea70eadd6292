package viz

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/handoff-viz/handoff/tracer"
)

// The layers of the timeline, drawn in this order.
const (
	layerBack   = iota // lane backgrounds, blocked shading, mutex holds
	layerTokens        // values sitting in channel buffers
	layerMarks         // the marks of events
	layerText          // labels, headers, notes, legend
	layerEdges         // arrows and lane lines
	numLayers
)

// timelineDOT composes the DOT of a timeline from a layout.
type timelineDOT struct {
	*layout
	layers [numLayers]strings.Builder
	nodes  int
	upTo   int // draw only events before this index (frames); the whole trace's length for all

	corners     [3]float64 // left, right, bottom of the picture, once composed
	legendRight float64    // right end of the widest legend row
	textRight   float64    // right end of the widest text, with room for wider fonts

	// what was drawn, for the legend
	sawToken, sawSend, sawRecv, sawClose, sawGo, sawBlocked, sawHold, sawWait, sawBad bool
}

func (t *timelineDOT) name(prefix string) string {
	t.nodes++
	return fmt.Sprintf("%s%d", prefix, t.nodes)
}

func (t *timelineDOT) node(layer int, name string, a attrs) {
	b := &t.layers[layer]
	b.WriteString("\t")
	b.WriteString(name)
	b.WriteString(a.String())
	b.WriteString(";\n")
}

func (t *timelineDOT) edge(from, to string, a attrs) {
	b := &t.layers[layerEdges]
	b.WriteString("\t")
	b.WriteString(from)
	b.WriteString(" -> ")
	b.WriteString(to)
	b.WriteString(a.String())
	b.WriteString(";\n")
}

// box adds a rectangle from x0 to x1 centred on y.
func (t *timelineDOT) box(layer int, prefix string, x0, x1, y, h float64, a attrs) string {
	n := t.name(prefix)
	w := max(x1-x0, 1)
	t.node(layer, n, append(attrs{"pos=" + quote(pos(x0+w/2, y))}.num("width", inches(w)).num("height", inches(h)), a...))
	return n
}

// point adds an invisible anchor for arrows and lines.
func (t *timelineDOT) point(x, y float64) string {
	n := t.name("p")
	t.node(layerMarks, n, attrs{"pos=" + quote(pos(x, y)), "shape=point", "width=0.01", "style=invis"})
	return n
}

// label adds text whose left end is at x.
func (t *timelineDOT) label(x, y float64, s string, size float64, color string) {
	w := textWidth(s, size)
	// A viewer without Helvetica or Arial draws the text in its own
	// sans-serif, up to 15% wider: leave room for that at the right.
	t.textRight = max(t.textRight, x+w*1.15)
	t.node(layerText, t.name("t"), attrs{"pos=" + quote(pos(x+w/2, y)), "shape=plaintext", "style=\"\"", "fixedsize=false", "width=0", "height=0", "margin=0"}.
		add("label", text(s)).num("fontsize", size).add("fontcolor", color))
}

// line adds a line without arrowhead from (x0,y0) to (x1,y1).
func (t *timelineDOT) line(x0, y0, x1, y1 float64, color, style string, width float64) {
	a, b := t.point(x0, y0), t.point(x1, y1)
	t.edge(a, b, attrs{"dir=none"}.add("color", color).add("style", style).num("penwidth", width))
}

// shown says whether event index i is drawn in this picture.
func (t *timelineDOT) shown(i int) bool {
	return i >= t.lo && i < t.hi && i < t.upTo && t.col[i-t.lo] >= 0
}

// end clips the end of a span [from, to) to what this picture shows.
func (t *timelineDOT) end(to int) float64 {
	if to > t.upTo-1 && t.upTo < t.total {
		return t.x(t.upTo-1) + t.fs*0.6
	}
	return t.x(to)
}

func (t *timelineDOT) laneY(k int) float64 { return t.lanes[k].y }

// edgeY returns the y where an arrow from lane a meets lane b's border.
func (t *timelineDOT) edgeY(a, b int) float64 {
	ln := t.lanes[b]
	if ln.kind == laneGoroutine {
		return ln.y
	}
	if a < b {
		return ln.y + ln.h/2
	}
	return ln.y - ln.h/2
}

// gapY returns the y of an arrow's label: in the gap beside lane a, on the
// side of lane b.
func (t *timelineDOT) gapY(a, b int) float64 {
	ln := t.lanes[a]
	if a < b {
		return ln.y - ln.h/2 - t.fs*0.7
	}
	return ln.y + ln.h/2 + t.fs*0.7
}

// recvArrow is the arrowhead of a receive: hollow and larger, where a
// send's is filled, so the two differ without colour (the print theme, a
// black-and-white printout, a reader who does not see the colours apart).
var recvArrow = attrs{"arrowhead=empty", "arrowsize=1"}

// writeTimeline writes the timeline view of tl as DOT.
func writeTimeline(d *dotWriter, tl *tracer.Timeline, o *Options) error {
	l, err := newLayout(tl, o)
	if err != nil {
		return err
	}
	t := &timelineDOT{layout: l, upTo: l.total}
	if o.upTo > 0 {
		t.upTo = min(o.upTo, l.total)
	}
	var full *timelineDOT
	if t.upTo < l.total {
		// A frame: its legend explains the marks of the whole picture and
		// its corners are those of the whole picture, so every frame is
		// the same size, with the same legend.
		full = &timelineDOT{layout: l, upTo: l.total}
		full.compose(nil)
	}
	left, right, bottom := t.compose(full)
	// Invisible corners fix the bounding box, so every frame of a sequence
	// has the same size and the same layout.
	t.node(layerText, "corner1", attrs{"pos=" + quote(pos(left, t.top)), "shape=point", "width=0.01", "style=invis"})
	t.node(layerText, "corner2", attrs{"pos=" + quote(pos(right, bottom)), "shape=point", "width=0.01", "style=invis"})

	th, fs, small := t.th, t.fs, t.fs*0.85
	d.line("// handoff timeline: positions are pinned, in points.")
	d.line("// Lay out with: neato -n2 -Tsvg (go-graphviz: layout nop2).")
	d.line("digraph timeline {")
	g := attrs{"splines=line", "outputorder=nodesfirst", "pad=0.25"}.
		add("bgcolor", th.bg).add("fontname", "Helvetica").num("fontsize", fs*1.4).add("fontcolor", th.fg)
	if o.Title != "" {
		g = g.add("label", text(o.Title)).add("labelloc", "t").add("labeljust", "l")
	}
	if s := sizeAttr(o); s != "" {
		g = g.add("size", s)
	}
	d.printf("\tgraph%s;\n", g)
	d.printf("\tnode%s;\n", attrs{"shape=box", "fixedsize=true", "style=filled", "penwidth=0"}.add("label", " ").
		add("fontname", "Helvetica").num("fontsize", small).add("fontcolor", th.fg).add("color", th.fg).add("fillcolor", th.fg))
	d.printf("\tedge%s;\n", attrs{"arrowsize=0.7", "penwidth=1.6"}.add("fontname", "Helvetica").num("fontsize", small).add("color", th.fg))
	for k := range t.layers {
		if d.err == nil {
			_, d.err = d.w.WriteString(t.layers[k].String())
		}
	}
	d.line("}")
	return d.err
}

// compose draws the lanes, events, notes and legend, and returns the left
// and right ends and the bottom of the picture. A frame passes the whole
// picture, composed, as full: it takes its legend and its size from it.
func (t *timelineDOT) compose(full *timelineDOT) (left, right, bottom float64) {
	fs := t.fs
	t.lanesDOT()
	t.eventsDOT()
	if full != nil {
		t.sawToken, t.sawSend, t.sawRecv, t.sawClose, t.sawGo = full.sawToken, full.sawSend, full.sawRecv, full.sawClose, full.sawGo
		t.sawBlocked, t.sawHold, t.sawWait, t.sawBad = full.sawBlocked, full.sawHold, full.sawWait, full.sawBad
	}
	bottom = t.notesDOT(t.bot - fs*0.8)
	if !t.opt.NoLegend {
		bottom = t.legendDOT(bottom - fs*0.6)
	}
	left = t.left - t.header - fs
	right = max(t.right, t.legendRight, t.textRight)
	if full != nil {
		left, right, bottom = min(left, full.corners[0]), max(right, full.corners[1]), min(bottom, full.corners[2])
	}
	t.corners = [3]float64{left, right, bottom}
	return left, right, bottom
}

// sizeAttr turns Options.Width and Height into Graphviz's size, in inches,
// with "!" so a small picture grows to fill a slide.
func sizeAttr(o *Options) string {
	if o.Width <= 0 || o.Height <= 0 {
		return ""
	}
	return num(float64(o.Width)/96) + "," + num(float64(o.Height)/96) + "!"
}

// lanesDOT draws the lanes: headers, lines, channel buffers with their
// tokens, blocked intervals and mutex holds.
func (t *timelineDOT) lanesDOT() {
	th, fs, tl := t.th, t.fs, t.tl
	n := len(tl.Events)
	hx := t.left - fs*0.5 - t.header/2
	for k, ln := range t.lanes {
		title := text(t.laneTitle(ln)) + `\r`
		if ln.kind == laneChannel {
			title = text(chanName(ln.ch)) + `\r` + capText(ln.ch.Cap) + `\r`
		}
		color := th.fg
		if ln.kind == laneChannel {
			color = th.chanLane
		} else if ln.kind == laneFolded {
			color = th.muted
		}
		t.node(layerText, fmt.Sprintf("lane%d", k), attrs{"pos=" + quote(pos(hx, ln.y)), "shape=plaintext", "style=\"\""}.
			num("width", inches(t.header)).num("height", inches(ln.h)).add("label", title).
			num("fontsize", fs).add("fontcolor", color))
		switch ln.kind {
		case laneGoroutine:
			t.goroutineLane(k, ln)
		case laneChannel:
			t.channelLane(k, ln)
		case laneFolded:
			t.box(layerBack, "f", t.left, t.right, ln.y, ln.h, attrs{"style=\"filled,dashed\"", "penwidth=1"}.
				add("fillcolor", th.laneFill).add("color", th.muted).add("tooltip", "lanes left out by --focus"))
		}
	}
	_ = n
}

func (t *timelineDOT) goroutineLane(k int, ln *lane) {
	th, fs, tl := t.th, t.fs, t.tl
	g := ln.g
	start := g.Spawned
	if start < 0 && len(g.States) > 0 {
		start = g.States[0].From
	}
	if start >= t.upTo || start >= t.hi {
		return
	}
	// Blocked intervals, shaded.
	for _, s := range g.States {
		if s.State != tracer.StateBlocked || s.To <= t.lo || s.From >= t.hi || s.From >= t.upTo {
			continue
		}
		x0, x1 := t.x(s.From), t.end(s.To)
		what := "blocked on " + s.On
		switch {
		case s.Ch != 0:
			if c := tl.Channel(s.Ch); c != nil {
				what += " " + chanName(c)
			}
		case s.Mu != 0:
			what += fmt.Sprintf(" mu%d", s.Mu)
		case s.Child != 0:
			what += fmt.Sprintf(" g%d", s.Child)
		}
		t.sawBlocked = true
		if s.On == tracer.OnSelect {
			what = "blocked in a select on " + t.selectCases(tl, s.Cases)
			t.selectWait(k, x0, x1, s.Cases)
		}
		t.box(layerBack, "b", x0, x1, ln.y, ln.h*0.8, attrs{}.add("fillcolor", th.blocked).add("tooltip", what))
	}
	// Mutex holds: a band above the line.
	for _, m := range tl.Mutexes {
		for _, h := range m.Holds {
			if h.G != g.ID || h.To <= t.lo || h.From >= t.hi || h.From >= t.upTo {
				continue
			}
			to := h.To
			if g.Ended >= 0 && g.Ended < to {
				to = g.Ended
			}
			t.sawHold = true
			t.box(layerBack, "h", t.x(h.From), t.end(to), ln.y-fs*0.45, fs*0.3, attrs{}.add("fillcolor", th.lock).add("tooltip", "holds "+m.Name))
		}
	}
	// The line, from spawn to end; dotted from end to join.
	x0 := t.x(start)
	endIdx := len(tl.Events)
	if g.Ended >= 0 {
		endIdx = g.Ended
	}
	x1 := t.end(endIdx)
	if g.Ended >= t.upTo || g.Ended >= t.hi {
		x1 = t.end(len(tl.Events))
	}
	if x1 > x0 || g.Ended < 0 {
		t.box(layerBack, "l", x0, max(x1, x0+1), ln.y, 2.5, attrs{}.add("fillcolor", th.lane).add("tooltip", goName(g)))
	}
	if g.Ended >= 0 && g.Ended < t.upTo && g.Ended < t.hi {
		wait := -1 // the join or scope end that waited for it
		if g.Joined > g.Ended {
			wait = g.Joined
		}
		if g.Scope != 0 {
			wait = -1
			for i := g.Ended; i < len(tl.Events); i++ {
				if e := &tl.Events[i]; e.Kind == tracer.KindScopeEnd && e.Scope == g.Scope {
					wait = i
					break
				}
			}
		}
		if wait > g.Ended && g.Ended >= t.lo {
			xe := t.end(wait)
			if wait >= t.hi || wait >= t.upTo {
				xe = t.end(len(tl.Events))
			}
			if xe > x1 {
				t.sawWait = true
				t.line(x1, ln.y, xe, ln.y, th.lane, "dotted", 1.5)
			}
		}
	}
}

func (t *timelineDOT) channelLane(k int, ln *lane) {
	th, fs, tl := t.th, t.fs, t.tl
	c := ln.ch
	if c.Made >= t.upTo {
		return
	}
	x0 := t.x(c.Made)
	if c.Made < 0 {
		x0 = t.left
	}
	x1 := t.end(len(tl.Events))
	t.box(layerBack, "c", x0, max(x1, x0+fs), ln.y, ln.h, attrs{"style=\"filled,rounded\"", "penwidth=1.2"}.
		add("fillcolor", th.chanFill).add("color", th.chanLane).add("tooltip", fmt.Sprintf("%s (ch%d, %s)", chanName(c), c.ID, capText(c.Cap))))
	rowH := fs * 1.6
	rowY := func(row int) float64 { return ln.y + ln.h/2 - fs*0.3 - rowH*(float64(row)+0.5) }
	// clip cuts a box that runs past the last event of a frame.
	clip := func(tk *token) (a, b float64, ok bool) {
		if tk.span.From >= t.upTo {
			return 0, 0, false
		}
		a, b = tk.a, tk.b
		if tk.span.To > t.upTo-1 && t.upTo < t.total {
			b = min(b, max(t.end(tk.span.To)-fs*0.2, a+fs*0.4))
		}
		return a, b, true
	}
	for k := range ln.tokens {
		tk := &ln.tokens[k]
		a, b, ok := clip(tk)
		if !ok {
			continue
		}
		name := valueName(tl, tk.v)
		label := " "
		if textWidth(name, fs*0.8) < b-a-fs*0.3 {
			label = text(name)
		}
		t.sawToken = true
		t.box(layerTokens, "v", a, b, rowY(tk.row), rowH*0.78, attrs{"style=\"filled,rounded\"", "penwidth=1"}.
			add("fillcolor", th.tokenFill).add("color", th.token).add("label", label).num("fontsize", fs*0.8).
			add("tooltip", fmt.Sprintf("%s (v%d) in %s", name, tk.v, chanName(c))))
	}
	for k := range ln.over {
		tk := &ln.over[k]
		if k := slices.IndexFunc(tk.values, func(v tracer.ValueID) bool {
			return tl.Value(v) != nil && slices.ContainsFunc(tl.Value(v).Owners, func(s tracer.OwnerSpan) bool {
				return s.Owner.Kind == tracer.OwnerChannel && s.Owner.Ch == c.ID && s.From < t.upTo
			})
		}); k < 0 {
			continue // none of them has arrived yet in this frame
		}
		a, b := tk.a, tk.b
		if t.upTo < t.total {
			b = min(b, max(t.end(t.upTo)-fs*0.2, a+fs*0.4))
		}
		s := fmt.Sprintf("+%d more", tk.n)
		label := " "
		if textWidth(s, fs*0.8) < b-a-fs*0.3 {
			label = text(s)
		}
		names := make([]string, 0, 8)
		for _, v := range tk.values[:min(len(tk.values), 8)] {
			names = append(names, valueName(tl, v))
		}
		if len(tk.values) > 8 {
			names = append(names, "...")
		}
		t.sawToken = true
		t.box(layerTokens, "o", a, b, rowY(tk.row), rowH*0.78, attrs{"style=\"filled,rounded,dashed\"", "penwidth=1"}.
			add("fillcolor", th.chanFill).add("color", th.token).add("label", label).num("fontsize", fs*0.8).
			add("tooltip", fmt.Sprintf("up to %d more values at once in %s (%d in all: %s)", tk.n, chanName(c), len(tk.values), strings.Join(names, ", "))))
	}
}

// eventsDOT draws each event's mark and arrows.
func (t *timelineDOT) eventsDOT() {
	th, fs, tl := t.th, t.fs, t.tl
	small := fs * 0.85
	violation := 0
	for i := t.lo; i < t.hi; i++ {
		e := &tl.Events[i]
		if e.Kind == tracer.KindViolation && t.col[i-t.lo] >= 0 {
			violation++
		}
		if !t.shown(i) {
			continue
		}
		gl, ok := t.gLane[e.G]
		if !ok {
			gl = t.fold
		}
		if gl < 0 {
			continue
		}
		x, y := t.x(i), t.laneY(gl)
		tip := fmt.Sprintf("#%d %s", e.Seq, e.Kind)
		if t.opt.CallSites && e.At != "" {
			tip += " at " + e.At
		}
		above := func(s, color string) {
			t.label(x+fs*0.5, y+fs*0.78, s, small, color)
		}
		mark := func(shape, fill, line string, w float64) {
			t.node(layerMarks, fmt.Sprintf("e%d", e.Seq), attrs{"pos=" + quote(pos(x, y)), "penwidth=1.2"}.add("shape", shape).
				num("width", inches(w)).num("height", inches(w)).add("fillcolor", fill).add("color", line).add("tooltip", tip))
		}
		arrow := func(to int, color, style, lbl string, reverse bool) {
			a := t.point(x, t.edgeY(to, gl))
			b := t.point(x, t.edgeY(gl, to))
			from, dst := a, b
			ly := t.gapY(gl, to)
			if reverse {
				from, dst = b, a
				ly = t.gapY(to, gl)
			}
			ea := attrs{}.add("color", color).add("style", style).add("tooltip", tip)
			if e.Kind == tracer.KindRecv {
				ea = append(ea, recvArrow...)
			}
			t.edge(from, dst, ea)
			if lbl != "" {
				t.label(x+fs*0.3, ly, lbl, small, color)
			}
		}
		chLane := func() int {
			if k, ok := t.chLane[e.Ch]; ok {
				return k
			}
			return t.fold
		}
		goLane := func(id tracer.GoID) int {
			if k, ok := t.gLane[id]; ok {
				return k
			}
			return t.fold
		}
		switch e.Kind {
		case tracer.KindGo:
			if cl := goLane(e.Child); cl >= 0 && cl != gl {
				t.sawGo = true
				mark("point", th.spawn, th.spawn, fs*0.4)
				arrow(cl, th.spawn, "bold", t.markLabel(e), false)
			}
		case tracer.KindJoin:
			if cl := goLane(e.Child); cl >= 0 && cl != gl {
				t.sawGo = true
				mark("point", th.join, th.join, fs*0.4)
				color := th.join
				if e.Panic != "" {
					color = th.bad
				}
				arrow(cl, color, "solid", t.markLabel(e), true)
			}
		case tracer.KindScopeEnd:
			mark("point", th.join, th.join, fs*0.4)
			first := true
			for _, g := range tl.Goroutines {
				if g.Scope != e.Scope || g.Parent != e.G {
					continue
				}
				if cl := goLane(g.ID); cl >= 0 && cl != gl {
					lbl := ""
					if first {
						lbl = "scope end"
						first = false
					}
					arrow(cl, th.join, "solid", lbl, true)
				}
			}
		case tracer.KindMake:
			t.sawToken = true
			w := textWidth(t.markLabel(e), small) + fs*0.8
			t.box(layerMarks, "m", x-fs*0.4, x-fs*0.4+w, y, fs*1.3, attrs{"style=\"filled,rounded\"", "penwidth=1"}.
				add("fillcolor", th.tokenFill).add("color", th.token).add("label", text(t.markLabel(e))).add("tooltip", tip))
		case tracer.KindSend, tracer.KindRecv, tracer.KindClose:
			cl := chLane()
			if cl < 0 || cl == gl {
				continue
			}
			color, style := th.send, "solid"
			if e.Kind == tracer.KindRecv {
				color = th.recv
				t.sawRecv = true
			} else {
				t.sawSend = true
			}
			if e.Kind == tracer.KindClose || e.Close {
				style = "dashed"
				t.sawClose = true
			}
			mark("point", color, color, fs*0.4)
			arrow(cl, color, style, t.markLabel(e), e.Kind == tracer.KindRecv)
			if e.Kind == tracer.KindClose {
				ln := t.lanes[cl]
				t.box(layerMarks, "x", x-1.5, x+1.5, ln.y, ln.h, attrs{}.add("fillcolor", th.chanLane).add("tooltip", "closed"))
			}
		case tracer.KindUse, tracer.KindBorrow, tracer.KindRelease, tracer.KindDrop, tracer.KindLock, tracer.KindUnlock:
			fill, line := th.bg, th.fg
			shape := "circle"
			switch e.Kind {
			case tracer.KindBorrow, tracer.KindRelease:
				line = th.borrow
			case tracer.KindLock, tracer.KindUnlock:
				fill, line, shape = th.lock, th.lock, "box"
			case tracer.KindDrop:
				shape = "box"
				fill = th.muted
			}
			mark(shape, fill, line, fs*0.45)
			above(t.markLabel(e), th.fg)
		case tracer.KindEnd:
			color := th.lane
			if e.Panic != "" || e.Abort {
				color = th.bad
			}
			t.box(layerMarks, "end", x-1.5, x+1.5, y, fs*1.4, attrs{}.add("fillcolor", color).add("tooltip", tip))
			if s := t.markLabel(e); s != "" {
				above(s, color)
			}
		case tracer.KindViolation:
			t.sawBad = true
			num := fmt.Sprint(violation)
			vmark := func(ln int) {
				t.node(layerMarks, t.name("r"), attrs{"pos=" + quote(pos(x, t.laneY(ln))), "shape=circle", "penwidth=1.5"}.
					num("width", inches(fs*1.3)).num("height", inches(fs*1.3)).add("fillcolor", th.bad).add("color", th.bad).
					add("label", num).add("fontcolor", th.bg).add("tooltip", e.Rule+": "+e.Msg))
			}
			vmark(gl)
			for _, id := range e.Cycle {
				if cl := goLane(id); cl >= 0 && cl != gl {
					vmark(cl)
				}
			}
			if cl := chLane(); e.Ch != 0 && cl >= 0 && cl != gl {
				vmark(cl)
			}
		}
	}
}

// notesDOT lists the violations of the window in red, and what the window
// leaves out, from y down; it returns the y below them.
func (t *timelineDOT) notesDOT(y float64) float64 {
	th, fs, tl := t.th, t.fs, t.tl
	if t.timeScale > 0 {
		y = t.ruler(y)
	}
	k := 0
	for i := t.lo; i < t.hi; i++ {
		e := &tl.Events[i]
		if e.Kind != tracer.KindViolation || t.col[i-t.lo] < 0 {
			continue
		}
		k++
		y -= fs * 1.7 // room for the note in every frame, so frames match
		if i >= t.upTo {
			continue
		}
		t.node(layerText, t.name("r"), attrs{"pos=" + quote(pos(t.left+fs*0.7, y)), "shape=circle", "penwidth=1.5"}.
			num("width", inches(fs*1.3)).num("height", inches(fs*1.3)).add("fillcolor", th.bad).add("color", th.bad).
			add("label", fmt.Sprint(k)).add("fontcolor", th.bg))
		t.label(t.left+fs*2, y, e.Rule+": "+e.Msg, fs, th.bad)
	}
	if t.note != "" {
		y -= fs * 1.6
		t.label(t.left, y, t.note, fs*0.85, th.muted)
	}
	return y - fs*0.8
}

// ruler draws time ticks under the lanes for the time axis.
func (t *timelineDOT) ruler(y float64) float64 {
	th, fs, tl := t.th, t.fs, t.tl
	t0, t1 := tl.Events[t.lo].T, tl.Events[t.hi-1].T
	span := float64(t1 - t0)
	step := math.Pow(10, math.Floor(math.Log10(span/6)))
	for _, m := range []float64{1, 2, 5, 10} {
		if span/(step*m) <= 8 {
			step *= m
			break
		}
	}
	for v := 0.0; v <= span; v += step {
		x := t.left + fs + v*t.timeScale
		t.line(x, t.top, x, y, th.grid, "dotted", 1)
		s := time.Duration(v).String()
		t.label(x-textWidth(s, fs*0.8)/2, y-fs*0.7, s, fs*0.8, th.muted)
	}
	return y - fs*1.2
}

// legendDOT explains the marks, in rows no wider than the lanes; it
// returns the y below it.
func (t *timelineDOT) legendDOT(y float64) float64 {
	th, fs := t.th, t.fs
	small := fs * 0.85
	y -= fs * 1.2
	x := t.left
	width := max(t.right-t.left, fs*30)
	item := func(text string, w float64, draw func(x, y float64)) {
		need := w + fs*0.5 + textWidth(text, small)*1.15 + fs*1.5
		if x > t.left && x+need > t.left+width {
			x = t.left
			y -= fs * 1.8
		}
		draw(x, y)
		t.label(x+w+fs*0.5, y, text, small, th.fg)
		x += need
		t.legendRight = max(t.legendRight, x)
	}
	if !(t.sawToken || t.sawSend || t.sawRecv || t.sawGo || t.sawBlocked || t.sawHold || t.sawWait || t.sawBad) {
		return y + fs*1.2
	}
	if t.sawToken {
		item("value", fs*1.6, func(x, y float64) {
			t.box(layerText, "L", x, x+fs*1.6, y, fs*1.1, attrs{"style=\"filled,rounded\"", "penwidth=1"}.add("fillcolor", th.tokenFill).add("color", th.token))
		})
	}
	arrowItem := func(label, color, style string, more attrs) {
		item(label, fs*2.4, func(x, y float64) {
			a, b := t.point(x, y), t.point(x+fs*2.4, y)
			t.edge(a, b, append(attrs{}.add("color", color).add("style", style), more...))
		})
	}
	if t.sawSend {
		arrowItem("send", th.send, "solid", nil)
	}
	if t.sawRecv {
		arrowItem("receive", th.recv, "solid", recvArrow)
	}
	if t.sawClose {
		arrowItem("close, or receive from closed", th.fg, "dashed", nil)
	}
	if t.sawGo {
		arrowItem("go / join", th.spawn, "bold", nil)
	}
	if t.sawBlocked {
		item("blocked", fs*1.6, func(x, y float64) {
			t.box(layerText, "L", x, x+fs*1.6, y, fs*1.1, attrs{}.add("fillcolor", th.blocked))
		})
	}
	if t.sawHold {
		item("holds a mutex", fs*1.6, func(x, y float64) {
			t.box(layerText, "L", x, x+fs*1.6, y, fs*0.3, attrs{}.add("fillcolor", th.lock))
		})
	}
	if t.sawWait {
		item("ended, not yet joined", fs*1.6, func(x, y float64) {
			t.line(x, y, x+fs*1.6, y, th.lane, "dotted", 1.5)
		})
	}
	if t.sawBad {
		item("broken rule (see the notes)", fs*1.2, func(x, y float64) {
			t.node(layerText, t.name("L"), attrs{"pos=" + quote(pos(x+fs*0.6, y)), "shape=circle", "penwidth=1.5"}.
				num("width", inches(fs*1.2)).num("height", inches(fs*1.2)).add("fillcolor", th.bad).add("color", th.bad).
				add("label", "!").add("fontcolor", th.bg))
		})
	}
	return y - fs
}

// selectCases names a select's cases for a tooltip.
func (t *timelineDOT) selectCases(tl *tracer.Timeline, cases []tracer.SelectCase) string {
	return tracer.DescribeCases(cases, func(id tracer.ChanID) string {
		if ch := tl.Channel(id); ch != nil {
			return chanName(ch)
		}
		return fmt.Sprintf("ch%d", id)
	}, func(id tracer.ValueID) string {
		if v := tl.Value(id); v != nil && v.Label != "" {
			return v.Label
		}
		return fmt.Sprintf("v%d", id)
	})
}

// selectWait draws a select's wait on lane k from x0 to x1: a dashed line
// from the middle of the wait to each channel lane it waits on, so one
// goroutine is seen waiting on several channels, and "select" (with "or
// timeout" when a context can end it) above the wait where it fits.
func (t *timelineDOT) selectWait(k int, x0, x1 float64, cases []tracer.SelectCase) {
	th, fs := t.th, t.fs
	x := (x0 + x1) / 2
	done := false
	for _, c := range cases {
		if c.Dir == tracer.DirDone {
			done = true
			continue
		}
		cl, ok := t.chLane[c.Ch]
		if !ok || c.Ch == 0 {
			continue
		}
		t.line(x, t.edgeY(k, cl), x, t.edgeY(cl, k), th.muted, "dashed", 1.2)
	}
	// Above the wait, as wide as the wait at most: the labels of the
	// events beside it sit there too.
	for _, lbl := range []string{"select or timeout", "select"} {
		if lbl == "select or timeout" && !done {
			continue
		}
		if w := textWidth(lbl, fs*0.75); w <= x1-x0 {
			t.label(x-w/2, t.laneY(k)+t.lanes[k].h*0.4+fs*0.15, lbl, fs*0.75, th.muted)
			break
		}
	}
}
