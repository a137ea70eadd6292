package viz

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/handoff-viz/handoff/tracer"
)

// laneKind says what a lane of the timeline shows.
type laneKind uint8

const (
	laneGoroutine laneKind = iota
	laneChannel
	laneFolded // the lanes --focus left out, folded into one
)

type lane struct {
	kind   laneKind
	g      *tracer.Goroutine
	ch     *tracer.Channel
	folded int     // laneFolded: how many lanes it stands for
	rows   int     // channel: rows of tokens (buffer slots drawn)
	tokens []token // channel: the values in its buffer, each on its row
	over   []token // channel: what did not fit in maxRows, summarised
	y      float64 // centre, in points, y up
	h      float64 // height
}

// layout is where everything of a timeline goes: lanes top to bottom, one
// column per logical step, x and y in points. It is computed once per
// picture in time linear in the number of events.
type layout struct {
	total  int // events in the whole trace: len(tl.Events), or more when tl holds a Window of it
	tl     *tracer.Timeline
	opt    *Options
	th     theme
	fs     float64 // font size
	lo, hi int     // window of event indices [lo, hi)
	note   string  // what the window leaves out, for people

	lanes  []*lane
	gLane  map[tracer.GoID]int
	chLane map[tracer.ChanID]int
	fold   int // index of the folded lane, or -1

	col   []int     // column of event lo+k, -1 when not drawn
	ncol  int       //
	colX  []float64 // x of each column's centre
	colW  []float64 // width of each column
	left  float64   // x of the left edge of the lanes
	right float64   // x of the right edge
	top   float64   // y of the top edge of the lanes
	bot   float64   // y of the bottom edge

	header    float64 // width of the lane headers
	timeScale float64 // points per nanosecond with the time axis, else 0
}

// window turns Options.From and To into event indices [lo, hi).
func window(tl *tracer.Timeline, o *Options) (lo, hi int, err error) {
	evs := tl.Events
	lo, hi = 0, len(evs)
	if o.From != 0 {
		lo, _ = slices.BinarySearchFunc(evs, o.From, func(e tracer.Event, s uint64) int { return cmp.Compare(e.Seq, s) })
	}
	if o.To != 0 {
		hi, _ = slices.BinarySearchFunc(evs, o.To+1, func(e tracer.Event, s uint64) int { return cmp.Compare(e.Seq, s) })
	}
	if len(evs) > 0 && lo >= hi {
		last := evs[len(evs)-1].Seq
		if o.TraceLength > len(evs) {
			last = evs[0].Seq + uint64(o.TraceLength) - 1 // steps are numbered one after another
		}
		return 0, 0, fmt.Errorf("no events in steps %d to %d (the trace has steps %d to %d)",
			o.From, o.To, evs[0].Seq, last)
	}
	return lo, hi, nil
}

// touches calls f with the lanes event e is drawn on, the acting
// goroutine's first.
func (l *layout) touches(e *tracer.Event, f func(lane int)) {
	g := func(id tracer.GoID) {
		if k, ok := l.gLane[id]; ok {
			f(k)
		} else if l.fold >= 0 && id != tracer.NoGoroutine {
			f(l.fold)
		}
	}
	c := func(id tracer.ChanID) {
		if k, ok := l.chLane[id]; ok {
			f(k)
		} else if l.fold >= 0 && id != 0 {
			f(l.fold)
		}
	}
	g(e.G)
	switch e.Kind {
	case tracer.KindGo, tracer.KindJoin:
		g(e.Child)
	case tracer.KindChan, tracer.KindSend, tracer.KindRecv, tracer.KindClose:
		c(e.Ch)
	case tracer.KindScopeEnd:
		for _, gr := range l.tl.Goroutines {
			if gr.Scope == e.Scope && gr.Parent == e.G {
				g(gr.ID)
			}
		}
	case tracer.KindViolation:
		c(e.Ch)
		g(e.Child)
		for _, id := range e.Cycle {
			g(id)
		}
	}
}

// focusSet returns the goroutines and channels that interact with the
// focus: for a goroutine, itself, its parent and children, the channels it
// used and the goroutines that used them; for a channel, itself and its
// users; for a value, its owners and borrowers.
func focusSet(tl *tracer.Timeline, focus string) (map[tracer.GoID]bool, map[tracer.ChanID]bool, error) {
	gs, cs := map[tracer.GoID]bool{}, map[tracer.ChanID]bool{}
	users := func(ch tracer.ChanID) {
		for i := range tl.Events {
			e := &tl.Events[i]
			if e.Ch == ch && e.Kind != tracer.KindViolation {
				gs[e.G] = true
			}
		}
	}
	if g := findGoroutine(tl, focus); g != nil {
		gs[g.ID] = true
		if g.Parent != tracer.NoGoroutine {
			gs[g.Parent] = true
		}
		for _, o := range tl.Goroutines {
			if o.Parent == g.ID {
				gs[o.ID] = true
			}
		}
		for i := range tl.Events {
			e := &tl.Events[i]
			if e.G == g.ID && e.Ch != 0 {
				cs[e.Ch] = true
			}
		}
		for ch := range cs {
			users(ch)
		}
		return gs, cs, nil
	}
	if c := findChannel(tl, focus); c != nil {
		cs[c.ID] = true
		users(c.ID)
		return gs, cs, nil
	}
	v, err := findValue(tl, focus)
	if err != nil {
		return nil, nil, fmt.Errorf("focus %q: no goroutine, channel or value has that name or id", focus)
	}
	for _, s := range v.Owners {
		switch s.Owner.Kind {
		case tracer.OwnerGoroutine:
			gs[s.Owner.G] = true
		case tracer.OwnerChannel:
			cs[s.Owner.Ch] = true
		}
	}
	for _, b := range v.Borrows {
		gs[b.G] = true
	}
	return gs, cs, nil
}

// parseID reads "g3", "ch3", "v3" (with the given prefix) or "3".
func parseID(s, prefix string) (int64, bool) {
	s = strings.TrimPrefix(s, prefix)
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

func findGoroutine(tl *tracer.Timeline, s string) *tracer.Goroutine {
	if strings.HasPrefix(s, "g") {
		if id, ok := parseID(s, "g"); ok {
			if g := tl.Goroutine(tracer.GoID(id)); g != nil {
				return g
			}
		}
	}
	for _, g := range tl.Goroutines {
		if g.Name == s {
			return g
		}
	}
	return nil
}

func findChannel(tl *tracer.Timeline, s string) *tracer.Channel {
	if strings.HasPrefix(s, "ch") {
		if id, ok := parseID(s, "ch"); ok {
			if c := tl.Channel(tracer.ChanID(id)); c != nil {
				return c
			}
		}
	}
	for _, c := range tl.Channels {
		if c.Name == s {
			return c
		}
	}
	return nil
}

// findValue finds a value by id ("v3" or "3") or by label; a label that
// names several values is an error listing them.
func findValue(tl *tracer.Timeline, s string) (*tracer.ValueLife, error) {
	if id, ok := parseID(s, "v"); ok {
		if v := tl.Value(tracer.ValueID(id)); v != nil {
			return v, nil
		}
	}
	var found []*tracer.ValueLife
	for _, v := range tl.Values {
		if v.Label == s {
			found = append(found, v)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("no value %q in the trace (give its id, such as v1, or its label)", s)
	case 1:
		return found[0], nil
	}
	var ids []string
	for _, v := range found {
		ids = append(ids, fmt.Sprintf("v%d", v.ID))
	}
	return nil, fmt.Errorf("label %q names %d values (%s): give the id", s, len(found), strings.Join(ids, ", "))
}

func goName(g *tracer.Goroutine) string {
	if g.Name == "" {
		return fmt.Sprintf("g%d", g.ID)
	}
	return g.Name
}

func chanName(c *tracer.Channel) string {
	if c.Name == "" {
		return fmt.Sprintf("ch%d", c.ID)
	}
	return c.Name
}

func capText(c int) string {
	switch {
	case c < 0:
		return "unbounded"
	case c == 0:
		return "unbuffered"
	}
	return fmt.Sprintf("cap %d", c)
}

func valueName(tl *tracer.Timeline, id tracer.ValueID) string {
	if v := tl.Value(id); v != nil && v.Label != "" {
		return v.Label
	}
	return fmt.Sprintf("v%d", id)
}

// newLayout picks the window and the lanes, and places the columns.
func newLayout(tl *tracer.Timeline, o *Options) (*layout, error) {
	lo, hi, err := window(tl, o)
	if err != nil {
		return nil, err
	}
	l := &layout{tl: tl, opt: o, th: o.theme(), fs: o.fontSize(), lo: lo, hi: hi, fold: -1}
	total := max(len(tl.Events), o.TraceLength)
	l.total = total
	maxSteps := o.MaxSteps
	if maxSteps == 0 {
		maxSteps = DefaultMaxSteps
	}
	if maxSteps > 0 && hi-lo > maxSteps {
		l.hi = lo + maxSteps
	}
	if err := l.pickLanes(); err != nil {
		return nil, err
	}
	l.placeColumns()
	if o.Width > 0 && o.Height > 0 {
		l.fitReadable()
	}
	if l.lo > 0 || l.hi < total {
		first, last := uint64(0), uint64(0)
		if l.hi > l.lo {
			first, last = tl.Events[l.lo].Seq, tl.Events[l.hi-1].Seq
		}
		l.note = fmt.Sprintf("steps %d to %d of %d shown (%d before, %d after left out: use --from and --to)",
			first, last, total, l.lo, total-l.hi)
	}
	l.placeLanes()
	return l, nil
}

// pickLanes chooses the lanes of the window: goroutines alive in it and
// channels used in it, each channel under the goroutine that made it.
func (l *layout) pickLanes() error {
	tl := l.tl
	var keepG map[tracer.GoID]bool
	var keepC map[tracer.ChanID]bool
	if l.opt.Focus != "" {
		var err error
		keepG, keepC, err = focusSet(tl, l.opt.Focus)
		if err != nil {
			return err
		}
	}
	usedG := map[tracer.GoID]bool{}
	usedC := map[tracer.ChanID]bool{}
	for i := l.lo; i < l.hi; i++ {
		e := &tl.Events[i]
		usedG[e.G] = true
		if e.Child != 0 {
			usedG[e.Child] = true
		}
		for _, id := range e.Cycle {
			usedG[id] = true
		}
		if e.Ch != 0 {
			usedC[e.Ch] = true
		}
	}
	for _, g := range tl.Goroutines {
		start := g.Spawned
		if start < 0 && len(g.States) > 0 {
			start = g.States[0].From
		}
		if start < l.lo && (g.Ended < 0 || g.Ended >= l.lo) {
			usedG[g.ID] = true
		}
	}
	for _, v := range tl.Values {
		for _, s := range v.Owners {
			if s.Owner.Kind == tracer.OwnerChannel && s.From < l.hi && s.To > l.lo {
				usedC[s.Owner.Ch] = true
			}
		}
	}
	folded := 0
	l.gLane = map[tracer.GoID]int{}
	l.chLane = map[tracer.ChanID]int{}
	byMaker := map[tracer.GoID][]*tracer.Channel{}
	var orphans []*tracer.Channel
	for _, c := range tl.Channels {
		if !usedC[c.ID] {
			continue
		}
		if keepC != nil && !keepC[c.ID] {
			folded++
			continue
		}
		if c.Made >= 0 {
			byMaker[tl.Events[c.Made].G] = append(byMaker[tl.Events[c.Made].G], c)
		} else {
			orphans = append(orphans, c)
		}
	}
	addChans := func(cs []*tracer.Channel) {
		for _, c := range cs {
			l.chLane[c.ID] = len(l.lanes)
			l.lanes = append(l.lanes, &lane{kind: laneChannel, ch: c})
		}
	}
	for _, g := range tl.Goroutines {
		if !usedG[g.ID] || g.ID == tracer.NoGoroutine {
			continue
		}
		if keepG != nil && !keepG[g.ID] {
			folded++
			orphans = append(orphans, byMaker[g.ID]...)
			continue
		}
		l.gLane[g.ID] = len(l.lanes)
		l.lanes = append(l.lanes, &lane{kind: laneGoroutine, g: g})
		addChans(byMaker[g.ID])
	}
	addChans(orphans)
	if folded > 0 {
		l.fold = len(l.lanes)
		l.lanes = append(l.lanes, &lane{kind: laneFolded, folded: folded})
	}
	return nil
}

// placeColumns gives each event of the window a column: the first column
// after every earlier event on the lanes it spans and on the values and
// mutexes it touches, like a logical clock. Independent events share a
// column; causes stay left of their effects. Each column is as wide as its
// widest label.
func (l *layout) placeColumns() {
	tl := l.tl
	n := l.hi - l.lo
	l.col = make([]int, n)
	last := make([]int, len(l.lanes)) // last column used on each lane, -1 for none
	for k := range last {
		last[k] = -1
	}
	lastV := map[tracer.ValueID]int{}
	lastM := map[tracer.MutexID]int{}
	l.ncol = 0
	var widths []float64
	minW := l.fs * 3.2
	for k := 0; k < n; k++ {
		e := &tl.Events[l.lo+k]
		lo, hi := len(l.lanes), -1
		l.touches(e, func(ln int) { lo, hi = min(lo, ln), max(hi, ln) })
		if hi < 0 {
			l.col[k] = -1
			continue
		}
		if l.fold >= 0 && lo == l.fold && hi == l.fold {
			l.col[k] = -1 // only folded lanes: not drawn
			continue
		}
		c := 0
		for ln := lo; ln <= hi; ln++ {
			c = max(c, last[ln]+1)
		}
		if e.V != 0 {
			if p, ok := lastV[e.V]; ok {
				c = max(c, p+1)
			}
		}
		for _, v := range e.Vs {
			if p, ok := lastV[v]; ok {
				c = max(c, p+1)
			}
		}
		if e.Mu != 0 {
			if p, ok := lastM[e.Mu]; ok {
				c = max(c, p+1)
			}
		}
		for ln := lo; ln <= hi; ln++ {
			last[ln] = c
		}
		if e.V != 0 {
			lastV[e.V] = c
		}
		for _, v := range e.Vs {
			lastV[v] = c
		}
		if e.Mu != 0 && e.Kind != tracer.KindMutex {
			lastM[e.Mu] = c
		}
		l.col[k] = c
		for len(widths) <= c {
			widths = append(widths, minW)
		}
		widths[c] = max(widths[c], l.markWidth(e)+l.fs*1.6)
	}
	l.ncol = len(widths)
	l.colW = widths
	l.header = l.fs * 6
	for _, ln := range l.lanes {
		l.header = max(l.header, textWidth(l.laneTitle(ln), l.fs)+l.fs)
	}
	l.left = 0
	l.colX = make([]float64, l.ncol)
	x := l.left + l.fs
	for c, w := range widths {
		l.colX[c] = x + l.fs*0.6 // the anchor: marks sit here, labels run right
		x += w
	}
	l.right = x + l.fs
	if l.opt.Axis == AxisTime {
		l.timeAxis()
	}
}

// timeAxis moves the events to x proportional to their time, over the same
// width as the step axis. Events too close to tell apart overlap, as they
// would on any true time axis.
func (l *layout) timeAxis() {
	if l.hi-l.lo < 2 {
		return
	}
	t0, t1 := l.tl.Events[l.lo].T, l.tl.Events[l.hi-1].T
	if t1 <= t0 {
		return
	}
	width := max(l.right-l.left-2*l.fs, l.fs*40)
	l.timeScale = width / float64(t1-t0)
	l.right = l.left + width + 2*l.fs
}

// x returns the x of event index i: its column's centre, or with the time
// axis its time. Events left of the window are at the left edge, right of
// it at the right edge.
func (l *layout) x(i int) float64 {
	if i < l.lo {
		return l.left
	}
	if i >= l.hi {
		return l.right
	}
	if l.timeScale > 0 {
		return l.left + l.fs + float64(l.tl.Events[i].T-l.tl.Events[l.lo].T)*l.timeScale
	}
	c := l.col[i-l.lo]
	if c < 0 {
		// Not drawn: place it at the next drawn event's column start.
		for k := i - l.lo + 1; k < len(l.col); k++ {
			if c := l.col[k]; c >= 0 {
				return l.colX[c] - l.fs*0.6
			}
		}
		return l.right
	}
	return l.colX[c]
}

// fitReadable narrows the window when the picture, fitted to the requested
// size, would shrink its text below 16 pixels.
func (l *layout) fitReadable() {
	if l.opt.Axis == AxisTime {
		return
	}
	scale := 12 / l.fs // a 16px font is 12pt at 96 dpi
	maxW := float64(l.opt.Width)*0.75/scale - l.header - 2*l.fs
	if l.right-l.left <= maxW {
		return
	}
	limit := 0
	for c := range l.ncol {
		if l.colX[c]-l.fs*0.6+l.colW[c] > maxW {
			break
		}
		limit = c
	}
	cut := l.lo
	for k, c := range l.col {
		if c > limit {
			break
		}
		cut = l.lo + k + 1
	}
	if cut <= l.lo {
		cut = l.lo + 1
	}
	l.hi = cut
	// Choose the lanes again: the narrower window may not reach the
	// goroutines and channels that come later.
	l.lanes, l.fold = nil, -1
	if err := l.pickLanes(); err == nil {
		l.placeColumns()
	}
}

func (l *layout) laneTitle(ln *lane) string {
	switch ln.kind {
	case laneGoroutine:
		if ln.g.Name == "" {
			return fmt.Sprintf("g%d", ln.g.ID)
		}
		return fmt.Sprintf("%s (g%d)", ln.g.Name, ln.g.ID)
	case laneChannel:
		return fmt.Sprintf("%s (%s)", chanName(ln.ch), capText(ln.ch.Cap))
	}
	return fmt.Sprintf("%d other lanes (folded)", ln.folded)
}

// markWidth estimates the width an event's marks need in its column.
func (l *layout) markWidth(e *tracer.Event) float64 {
	small := l.fs * 0.85
	return textWidth(l.markLabel(e), small)
}

// markLabel is the text drawn beside an event's mark or arrow.
func (l *layout) markLabel(e *tracer.Event) string {
	tl := l.tl
	switch e.Kind {
	case tracer.KindGo:
		if len(e.Vs) == 0 {
			return "go"
		}
		names := make([]string, len(e.Vs))
		for k, v := range e.Vs {
			names[k] = valueName(tl, v)
		}
		return truncate("go, moves "+strings.Join(names, ", "), 40)
	case tracer.KindJoin:
		if e.Panic != "" {
			return "join (panicked)"
		}
		return "join"
	case tracer.KindMake, tracer.KindSend:
		return truncate(valueName(tl, e.V), 24)
	case tracer.KindRecv:
		if e.Close {
			return "closed"
		}
		return truncate(valueName(tl, e.V), 24)
	case tracer.KindClose:
		return "close"
	case tracer.KindUse:
		return truncate(e.Op+" "+valueName(tl, e.V), 24)
	case tracer.KindBorrow:
		if e.Mut {
			return truncate("&mut "+valueName(tl, e.V), 24)
		}
		return truncate("&"+valueName(tl, e.V), 24)
	case tracer.KindRelease:
		return "release"
	case tracer.KindDrop:
		return truncate("drop "+valueName(tl, e.V), 24)
	case tracer.KindLock, tracer.KindUnlock:
		name := fmt.Sprintf("mu%d", e.Mu)
		if m := tl.Mutex(e.Mu); m != nil && m.Name != "" {
			name = m.Name
		}
		return truncate(e.Kind.String()+" "+name, 24)
	case tracer.KindScopeEnd:
		return "scope end"
	case tracer.KindEnd:
		if e.Panic != "" {
			return truncate("panic: "+e.Panic, 32)
		}
		if e.Abort {
			return "aborted"
		}
	case tracer.KindViolation:
		return "00"
	}
	return ""
}

// placeLanes stacks the lanes from the top; a channel lane has a row for
// each value that was in its buffer at the same time as others (see
// placeTokens).
func (l *layout) placeLanes() {
	fs := l.fs
	rowH := fs * 1.6
	y := 0.0
	gap := fs * 1.4
	for _, ln := range l.lanes {
		switch ln.kind {
		case laneChannel:
			l.placeTokens(ln)
			ln.h = float64(ln.rows)*rowH + fs*0.6
		case laneGoroutine:
			ln.h = fs * 2.6
		default:
			ln.h = fs * 1.6
		}
		ln.y = y - ln.h/2
		y -= ln.h + gap
	}
	l.top = fs * 1.5
	l.bot = y + gap
}

// maxRows is the most rows of tokens a channel lane gets. When more values
// than that are in a buffer at once, the last row sums up the rest.
const maxRows = 8

// token is a value sitting in a channel's buffer: its box runs from a to b
// (points) on row 0 (the top) or below. A summary token (lane.over) stands
// for n values at most at once, of the values listed.
type token struct {
	v      tracer.ValueID
	span   tracer.OwnerSpan
	a, b   float64
	row    int
	n      int
	values []tracer.ValueID
}

// placeTokens gives each value that sat in channel lane ln during the
// window a box and a row. Rows are given in order of the boxes' left ends,
// each to the first row free by then (an interval colouring, which needs as
// few rows as the most values drawn at once), so no token ever covers
// another, whatever the order the values left the buffer in. A slot number
// would not do: after a receive the values left move up, and a value sent
// then takes a slot still shown as held. Rows are placed with the boxes of
// the whole picture, so every frame of WriteFrames has the same rows.
func (l *layout) placeTokens(ln *lane) {
	fs, tl := l.fs, l.tl
	ln.tokens, ln.over = ln.tokens[:0], nil
	for _, v := range tl.Values {
		for _, s := range v.Owners {
			if s.Owner.Kind != tracer.OwnerChannel || s.Owner.Ch != ln.ch.ID || s.To <= l.lo || s.From >= l.hi {
				continue
			}
			a, b := l.x(s.From)+fs*0.2, l.x(s.To)-fs*0.2
			b = max(b, a+fs*0.4)
			ln.tokens = append(ln.tokens, token{v: v.ID, span: s, a: a, b: b})
		}
	}
	slices.SortStableFunc(ln.tokens, func(p, q token) int {
		return cmp.Or(cmp.Compare(p.a, q.a), cmp.Compare(p.span.From, q.span.From), cmp.Compare(p.v, q.v))
	})
	var ends []float64 // right end of the last box on each row
	sep := fs * 0.1    // the least gap between two boxes on a row
	for k := range ln.tokens {
		tk := &ln.tokens[k]
		r := slices.IndexFunc(ends, func(e float64) bool { return e+sep <= tk.a })
		if r < 0 {
			r = len(ends)
			ends = append(ends, 0)
		}
		tk.row, ends[r] = r, tk.b
	}
	ln.rows = max(len(ends), 1)
	if ln.rows <= maxRows {
		return
	}
	// Too many at once: the values beyond row maxRows-2 go into summary
	// boxes on the last row, one per stretch of time when some are there,
	// each saying how many are there at most at once.
	ln.rows = maxRows
	kept := ln.tokens[:0]
	var rest []token
	for _, tk := range ln.tokens {
		if tk.row < maxRows-1 {
			kept = append(kept, tk)
		} else {
			rest = append(rest, tk)
		}
	}
	ln.tokens = kept
	for k := 0; k < len(rest); {
		s := token{a: rest[k].a, b: rest[k].b, row: maxRows - 1}
		j := k
		for ; j < len(rest) && rest[j].a < s.b+sep; j++ {
			s.b = max(s.b, rest[j].b)
			s.values = append(s.values, rest[j].v)
		}
		// The most boxes of the stretch over one point: a sweep over its
		// ends.
		type mark struct {
			x float64
			d int
		}
		var ms []mark
		for _, tk := range rest[k:j] {
			ms = append(ms, mark{tk.a, 1}, mark{tk.b, -1})
		}
		slices.SortFunc(ms, func(p, q mark) int { return cmp.Or(cmp.Compare(p.x, q.x), cmp.Compare(p.d, q.d)) })
		at := 0
		for _, m := range ms {
			at += m.d
			s.n = max(s.n, at)
		}
		ln.over = append(ln.over, s)
		k = j
	}
}
