package viz

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/handoff-viz/handoff/tracer"
)

// ViewOverview is the whole of a big trace in one picture: goroutines
// (grouped by name) down, time across, how busy each lane is and how much
// of it waits, per slice of time, and where the rules broke. It is built
// from a stream of events by an [Overview], in bounded memory.
const ViewOverview = "overview"

// Overview sizes: the picture's columns (time slices) and at most this
// many lanes; the least busy groups beyond it share one lane.
const (
	overviewColumns = 240
	overviewLanes   = 40
	overviewNotes   = 12   // violations listed under the picture
	overviewGroups  = 4096 // goroutine groups tracked; later ones share "others"
)

// An Overview summarises a trace fed to it one event at a time: per group
// of goroutines (those of one name), per slice of time, the events and the
// time spent blocked, and the violations. Slices start at a microsecond
// and double (two merged into one) whenever the trace outgrows them, so a
// trace of any length ends in at most overviewColumns slices.
//
// Memory: for each group (at most overviewGroups) two rows of
// overviewColumns numbers, and a map entry per goroutine; the first
// overviewNotes violations.
type Overview struct {
	n        int
	t0, t1   tracer.Time
	width    tracer.Time // of a slice, in ns
	firstSeq [overviewColumns]uint64
	groups   []*overviewGroup
	byName   map[string]*overviewGroup
	gs       map[tracer.GoID]*overviewG
	bad      []overviewMark
	badN     int
}

type overviewGroup struct {
	name    string
	members int
	events  [overviewColumns]float64
	blocked [overviewColumns]float64 // ns blocked, summed over members
	total   float64
	marks   int
}

type overviewG struct {
	group        *overviewGroup
	blockedSince tracer.Time // -1 when not blocked
}

type overviewMark struct {
	t     tracer.Time
	seq   uint64
	group *overviewGroup
	text  string
}

// NewOverview returns an empty Overview.
func NewOverview() *Overview {
	return &Overview{width: 1000, byName: map[string]*overviewGroup{}, gs: map[tracer.GoID]*overviewG{}}
}

// Events returns how many events were added.
func (ov *Overview) Events() int { return ov.n }

// Add adds the next event of the trace.
func (ov *Overview) Add(e *tracer.Event) {
	if ov.n == 0 {
		ov.t0 = e.T
	}
	ov.n++
	ov.t1 = max(ov.t1, e.T)
	for e.T-ov.t0 >= ov.width*overviewColumns {
		ov.halve()
	}
	col := ov.column(e.T)
	if ov.firstSeq[col] == 0 {
		ov.firstSeq[col] = e.Seq
	}
	if e.Kind == tracer.KindGo {
		ov.goroutine(e.Child, e.Name)
	}
	g := ov.goroutine(e.G, "")
	if g.blockedSince >= 0 && e.Kind != tracer.KindBlock && e.Kind != tracer.KindViolation && e.Kind != tracer.KindTruncated {
		ov.addBlocked(g.group, g.blockedSince, e.T)
		g.blockedSince = -1
	}
	switch e.Kind {
	case tracer.KindBlock:
		if g.blockedSince < 0 {
			g.blockedSince = e.T
		}
	case tracer.KindEnd:
		g.blockedSince = -1
	case tracer.KindViolation:
		ov.badN++
		target := g.group
		if e.Child != 0 {
			target = ov.goroutine(e.Child, "").group
		}
		target.marks++
		if len(ov.bad) < overviewNotes {
			text := e.Rule
			if e.Msg != "" {
				text += ": " + e.Msg
			}
			ov.bad = append(ov.bad, overviewMark{t: e.T, seq: e.Seq, group: target, text: text})
		}
	}
	g.group.events[col]++
	g.group.total++
}

// goroutine returns id's record, making it (in the group of name) on its
// first sight.
func (ov *Overview) goroutine(id tracer.GoID, name string) *overviewG {
	if g := ov.gs[id]; g != nil {
		return g
	}
	key := name
	if key == "" {
		key = fmt.Sprintf("g%d", id)
	}
	grp := ov.byName[key]
	if grp == nil {
		if len(ov.groups) >= overviewGroups {
			key = "others"
			grp = ov.byName[key]
		}
		if grp == nil {
			grp = &overviewGroup{name: key}
			ov.byName[key] = grp
			ov.groups = append(ov.groups, grp)
		}
	}
	grp.members++
	g := &overviewG{group: grp, blockedSince: -1}
	ov.gs[id] = g
	return g
}

func (ov *Overview) column(t tracer.Time) int {
	return min(int((t-ov.t0)/ov.width), overviewColumns-1)
}

// halve doubles the slices' width, merging each pair.
func (ov *Overview) halve() {
	fold := func(row *[overviewColumns]float64) {
		for i := 0; i < overviewColumns/2; i++ {
			row[i] = row[2*i] + row[2*i+1]
		}
		clear(row[overviewColumns/2:])
	}
	for _, g := range ov.groups {
		fold(&g.events)
		fold(&g.blocked)
	}
	for i := 0; i < overviewColumns/2; i++ {
		a, b := ov.firstSeq[2*i], ov.firstSeq[2*i+1]
		if a == 0 {
			a = b
		}
		ov.firstSeq[i] = a
	}
	clear(ov.firstSeq[overviewColumns/2:])
	ov.width *= 2
}

// addBlocked spreads the wait [from, to) over the slices it covers.
func (ov *Overview) addBlocked(g *overviewGroup, from, to tracer.Time) {
	for from < to {
		col := ov.column(from)
		end := min(to, ov.t0+tracer.Time(col+1)*ov.width)
		if col == overviewColumns-1 {
			end = to
		}
		g.blocked[col] += float64(end - from)
		from = end
	}
}

// finish closes the waits still open at the end.
func (ov *Overview) finish() {
	for _, g := range ov.gs {
		if g.blockedSince >= 0 {
			ov.addBlocked(g.group, g.blockedSince, ov.t1)
			g.blockedSince = -1
		}
	}
}

// writeOverview draws ov as DOT with pinned positions (layout nop2).
func writeOverview(d *dotWriter, ov *Overview, o *Options) error {
	if ov == nil || ov.n == 0 {
		return fmt.Errorf("the overview needs events")
	}
	ov.finish()
	th, fs := o.theme(), o.fontSize()
	t := &timelineDOT{layout: &layout{th: th, fs: fs}}
	lanes := slices.Clone(ov.groups)
	var folded []*overviewGroup
	if len(lanes) > overviewLanes {
		busiest := slices.Clone(lanes)
		slices.SortStableFunc(busiest, func(a, b *overviewGroup) int {
			return cmp.Compare(b.total+1e9*float64(b.marks), a.total+1e9*float64(a.marks))
		})
		keep := map[*overviewGroup]bool{}
		for _, g := range busiest[:overviewLanes-1] {
			keep[g] = true
		}
		lanes = slices.DeleteFunc(lanes, func(g *overviewGroup) bool {
			if !keep[g] {
				folded = append(folded, g)
			}
			return !keep[g]
		})
		rest := &overviewGroup{}
		for _, g := range folded {
			rest.members += g.members
			rest.total += g.total
			rest.marks += g.marks
			for i := range rest.events {
				rest.events[i] += g.events[i]
				rest.blocked[i] += g.blocked[i]
			}
		}
		rest.name = fmt.Sprintf("%d other groups", len(folded))
		lanes = append(lanes, rest)
	}
	laneOf := map[*overviewGroup]int{}
	for k, g := range lanes {
		laneOf[g] = k
	}
	for _, g := range folded {
		laneOf[g] = len(lanes) - 1
	}

	used := ov.column(ov.t1) + 1 // slices with time in them
	cellW := math.Max(fs*0.35, math.Min(fs*0.6, 900/float64(used)))
	laneH := fs * 1.7
	header := 0.0
	for _, g := range lanes {
		header = max(header, textWidth(laneTitle(g), fs))
	}
	left := header + fs
	top := -fs * 0.5
	right := left + cellW*float64(used)
	maxEvents := 0.0
	for _, g := range lanes {
		for i := range used {
			maxEvents = max(maxEvents, g.events[i]/float64(g.members))
		}
	}
	for k, g := range lanes {
		y := top - laneH*(float64(k)+0.5)
		t.label(left-fs*0.5-textWidth(laneTitle(g), fs), y, laneTitle(g), fs, th.fg)
		t.box(layerBack, "l", left, right, y, laneH*0.8, attrs{}.add("fillcolor", th.laneFill))
		// The upper half: events per goroutine of the group, darker for
		// more; the lower half: the share of the group's time blocked.
		row := func(y, h float64, level func(i int) float64, full string) {
			for i := 0; i < used; {
				q := quantize(level(i))
				j := i + 1
				for j < used && quantize(level(j)) == q {
					j++
				}
				if q > 0 {
					t.box(layerMarks, "c", left+cellW*float64(i), left+cellW*float64(j), y, h, attrs{}.add("fillcolor", mix(th.laneFill, full, float64(q)/overviewShades)))
				}
				i = j
			}
		}
		row(y+laneH*0.2, laneH*0.38, func(i int) float64 {
			if maxEvents == 0 {
				return 0
			}
			return math.Sqrt(g.events[i] / float64(g.members) / maxEvents)
		}, th.send)
		row(y-laneH*0.2, laneH*0.38, func(i int) float64 {
			return g.blocked[i] / (float64(ov.width) * float64(g.members))
		}, th.blocked)
	}
	bottom := top - laneH*float64(len(lanes))
	// Violations: a numbered mark at their time, on their lane.
	for k, m := range ov.bad {
		x := left + cellW*(float64(m.t-ov.t0)/float64(ov.width))
		y := top - laneH*(float64(laneOf[m.group])+0.5)
		t.node(layerText, t.name("r"), attrs{"pos=" + quote(pos(x, y)), "shape=circle", "penwidth=1.5"}.
			num("width", inches(fs*1.1)).num("height", inches(fs*1.1)).add("fillcolor", th.bad).add("color", th.bad).
			add("label", strconv.Itoa(k+1)).add("fontcolor", th.bg).num("fontsize", fs*0.75))
	}
	// The axis: time, and the step (#seq) that starts there, for --from.
	y := bottom - fs*0.9
	ticks := max(2, min(8, used/30))
	for k := 0; k <= ticks; k++ {
		i := min(used-1, k*used/ticks)
		x := left + cellW*float64(i)
		t.line(x, top, x, y+fs*0.4, th.grid, "dotted", 1)
		at := roundDuration(time.Duration(tracer.Time(i) * ov.width))
		t.label(x-textWidth(at, fs*0.8)/2, y, at, fs*0.8, th.muted)
		if seq := ov.seqAt(i); seq > 0 {
			s := "#" + strconv.FormatUint(seq, 10)
			t.label(x-textWidth(s, fs*0.8)/2, y-fs*1.1, s, fs*0.8, th.muted)
		}
	}
	y -= fs * 2.6
	for k, m := range ov.bad {
		s := fmt.Sprintf("%d  #%d %s", k+1, m.seq, m.text)
		if len(s) > 160 {
			s = s[:157] + "..."
		}
		t.label(left, y, s, fs*0.85, th.bad)
		y -= fs * 1.3
	}
	if more := ov.badN - len(ov.bad); more > 0 {
		t.label(left, y, fmt.Sprintf("and %d more broken rules (handoff check lists them)", more), fs*0.85, th.bad)
		y -= fs * 1.3
	}
	y -= fs * 0.4
	note := fmt.Sprintf("overview of %s events, %s goroutines in %d lanes, over %s; a column is %s. Upper half: events per goroutine; lower half: time blocked. Draw the steps from #A to #B with --steps A-B.",
		thousands(ov.n), thousands(len(ov.gs)), len(lanes), roundDuration(time.Duration(ov.t1-ov.t0)), roundDuration(time.Duration(ov.width)))
	t.label(left, y, note, fs*0.85, th.muted)
	if !o.NoLegend {
		y -= fs * 1.8
		x := left
		for _, it := range []struct{ text, color string }{{"many events", th.send}, {"blocked all the time", th.blocked}, {"broken rule", th.bad}} {
			t.box(layerText, "L", x, x+fs*1.6, y, fs*1.0, attrs{}.add("fillcolor", it.color))
			t.label(x+fs*2.1, y, it.text, fs*0.85, th.fg)
			x += fs*3 + textWidth(it.text, fs*0.85)*1.15
		}
	}
	bottomY := y - fs
	rightX := max(right, t.textRight) + fs
	t.node(layerText, "corner1", attrs{"pos=" + quote(pos(-fs*0.5, fs)), "shape=point", "width=0.01", "style=invis"})
	t.node(layerText, "corner2", attrs{"pos=" + quote(pos(rightX, bottomY)), "shape=point", "width=0.01", "style=invis"})

	d.line("// handoff overview: positions are pinned, in points.")
	d.line("// Lay out with: neato -n2 -Tsvg (go-graphviz: layout nop2).")
	d.line("digraph overview {")
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
		add("fontname", "Helvetica").num("fontsize", fs*0.85).add("fontcolor", th.fg).add("color", th.fg).add("fillcolor", th.fg))
	d.printf("\tedge%s;\n", attrs{"arrowsize=0.7", "penwidth=1.6"}.add("color", th.fg))
	for k := range t.layers {
		if d.err == nil {
			_, d.err = d.w.WriteString(t.layers[k].String())
		}
	}
	d.line("}")
	return d.err
}

const overviewShades = 6

// quantize maps a level in [0, 1] to a shade 0..overviewShades; any level
// above zero shows.
func quantize(v float64) int {
	if v <= 0 {
		return 0
	}
	return max(1, min(overviewShades, int(math.Ceil(v*overviewShades))))
}

// roundDuration writes d to three significant digits.
func roundDuration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	unit := time.Duration(math.Pow(10, math.Floor(math.Log10(float64(d)))-2))
	return d.Round(max(unit, 1)).String()
}

// thousands writes n with commas: 2,000,403.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// seqAt returns the first step in slice i, 0 for none.
func (ov *Overview) seqAt(i int) uint64 { return ov.firstSeq[i] }

func laneTitle(g *overviewGroup) string {
	if g.members > 1 {
		return fmt.Sprintf("%s ×%d", g.name, g.members)
	}
	return g.name
}

// mix returns the colour a fraction f of the way from a to b (#rrggbb).
func mix(a, b string, f float64) string {
	ca, okA := parseColor(a)
	cb, okB := parseColor(b)
	if !okA || !okB {
		return b
	}
	m := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + (float64(y)-float64(x))*f)) }
	return fmt.Sprintf("#%02x%02x%02x", m(ca.R, cb.R), m(ca.G, cb.G), m(ca.B, cb.B))
}

// WriteOverviewDOT writes the overview of the trace ov was fed as DOT.
func WriteOverviewDOT(w io.Writer, ov *Overview, o Options) error {
	o.View = ViewOverview
	if err := o.check(); err != nil {
		return fmt.Errorf("viz: %w", err)
	}
	bw := bufio.NewWriter(w)
	d := &dotWriter{w: bw}
	if err := writeOverview(d, ov, &o); err != nil {
		return fmt.Errorf("viz: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("viz: write dot: %w", err)
	}
	return nil
}

// RenderOverview writes the overview of the trace ov was fed in format
// (see [Formats]).
func RenderOverview(w io.Writer, ov *Overview, format string, o Options) error {
	o.View = ViewOverview
	var dot strings.Builder
	if err := WriteOverviewDOT(&dot, ov, o); err != nil {
		return err
	}
	return renderDOT(w, []byte(dot.String()), format, &o)
}
