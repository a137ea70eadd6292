package traceevent

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"

	"github.com/handoff-viz/handoff/tracer"
)

const (
	// HandoffWidth is the longest a send or receive slice lasts.
	HandoffWidth tracer.Time = 1000
	// MinWidth is the shortest: long enough that its flow event, 1 ns in,
	// lies inside it.
	MinWidth tracer.Time = 2

	// ProcessID is the pid of every event.
	ProcessID = 1
	// MutexTIDBase is added to a mutex's id to make its tid; goroutine
	// ids must stay below it.
	MutexTIDBase = 1 << 30
)

// sliceKind says what a goroutine's open slice is.
type sliceKind uint8

const (
	sliceNone sliceKind = iota
	sliceRunning
	sliceBlocked
	sliceHandoff
)

// goTrack is a live goroutine's track: its open slice, and where the next
// thing on it may start.
type goTrack struct {
	id     tracer.GoID
	kind   sliceKind
	start  tracer.Time
	name   []byte // the open slice's name (blocked, handoff), a JSON string
	args   []byte // its args, a JSON object, or empty
	cursor tracer.Time
	// instant is the time of the last instant written on the track (-1:
	// none): a send or receive slice starts after it, so that its flow
	// event binds to it and not to the instant.
	instant tracer.Time
	// made is a make event held back: when the goroutine's next event
	// sends that value at the same time, it is folded into the send slice
	// (args made: true), as imports make every value just to send it.
	made    tracer.Event
	hasMade bool
	madeTS  tracer.Time
}

// floor is the earliest time something new may be put on the track.
func (g *goTrack) floor() tracer.Time {
	if g.kind != sliceNone {
		return max(g.cursor, g.start)
	}
	return g.cursor
}

// handoffStart is where a send or receive slice opened at t starts.
func (g *goTrack) handoffStart(t tracer.Time) tracer.Time {
	return max(t, g.cursor, g.instant+1)
}

type channel struct {
	id        tracer.ChanID
	name      string
	display   []byte // ch3 "name", escaped for a JSON string, without quotes
	occupancy int
	// The counter is written once per timestamp, when its value changed:
	// a value in transit for no time at all (send and receive at one
	// instant) leaves no mark.
	shown   int // the value last written, -1 before the first
	pending bool
	pendT   tracer.Time
	pendTID tracer.GoID
}

type hold struct {
	g     tracer.GoID
	start tracer.Time
}

type mutex struct {
	name string
	held bool
	hold hold
}

// flowKey names a value in a channel.
type flowKey struct {
	ch tracer.ChanID
	v  tracer.ValueID
}

// pendingSend is the send half of a flow arrow, waiting for its receive.
type pendingSend struct {
	tid tracer.GoID
	ts  tracer.Time
}

// Stats counts what a Writer read and wrote.
type Stats struct {
	Events     int64 // handoff events read
	Written    int64 // trace events written
	Flows      int64 // handoffs drawn as flow arrows
	Unreceived int   // values sent and never received: no arrow
}

// Writer writes a trace in the Trace Event format. Call [Writer.Write]
// with each event in the trace's order, then [Writer.Close]. Write does not
// check that the trace makes sense ([tracer.Validate] does); a trace that
// does not still makes a well-formed file.
type Writer struct {
	w     *bufio.Writer
	buf   []byte // the event being written, begun by line
	tmp   []byte // a name being made
	err   error
	first bool
	stats Stats
	lastT tracer.Time

	gs      map[tracer.GoID]*goTrack
	gnames  map[tracer.GoID]string
	ended   map[tracer.GoID]tracer.Time // goroutines whose track reaches past their end: where to resume
	chans   map[tracer.ChanID]*channel
	mutexes map[tracer.MutexID]*mutex
	labels  map[tracer.ValueID]label
	pending map[flowKey]pendingSend
	nextID  uint64
	free    []*goTrack
	esc     map[string][]byte // labels escaped for JSON strings, a few thousand at most
	// made holds the values whose labels are kept, oldest first, a ring
	// of at most MaxLabels: imports make a value per handoff and never
	// drop it.
	made     []tracer.ValueID
	madeNext int
}

// label is a value's label, and the same escaped for a JSON string.
type label struct {
	raw string
	esc []byte
}

// MaxLabels is how many values' labels a Writer keeps: those of the
// values made most recently and not dropped. An older value is named by
// its id (v123).
const MaxLabels = 1 << 16

// maxEscapeCache bounds Writer.esc.
const maxEscapeCache = 4096

// NewWriter starts a Trace Event file on w for a trace with header h: the
// top-level object, and the process's metadata.
func NewWriter(w io.Writer, h tracer.Header) *Writer {
	tw := &Writer{
		w:       bufio.NewWriterSize(w, 256<<10),
		first:   true,
		gs:      map[tracer.GoID]*goTrack{},
		gnames:  map[tracer.GoID]string{},
		ended:   map[tracer.GoID]tracer.Time{},
		chans:   map[tracer.ChanID]*channel{},
		mutexes: map[tracer.MutexID]*mutex{},
		labels:  map[tracer.ValueID]label{},
		pending: map[flowKey]pendingSend{},
		esc:     map[string][]byte{},
	}
	var b []byte
	b = append(b, `{"displayTimeUnit":"ns","otherData":{"format":"handoff trace, exported by handoff export"`...)
	b = appendField(b, "source", h.Source)
	b = appendField(b, "clock", h.Clock)
	b = appendField(b, "note", h.Note)
	b = append(b, "},\"traceEvents\":[\n"...)
	tw.w.Write(b)
	name := "handoff"
	if h.Source != "" {
		name = "handoff: " + h.Source
	}
	tw.buf = tw.metadata(tw.line(), "process_name", ProcessID, "name", name)
	tw.flush()
	tw.buf = tw.metadataInt(tw.line(), "process_sort_index", ProcessID, ProcessID)
	tw.flush()
	return tw
}

// Write adds one event of the trace.
func (w *Writer) Write(e *tracer.Event) error {
	if w.err != nil {
		return w.err
	}
	if e.G <= 0 || int64(e.G) >= MutexTIDBase {
		return w.fail(fmt.Errorf("event %d: goroutine id %d does not fit a Trace Event tid (1 to %d)", e.Seq, e.G, MutexTIDBase-1))
	}
	if e.Kind == tracer.KindGo && (e.Child <= 0 || int64(e.Child) >= MutexTIDBase) {
		return w.fail(fmt.Errorf("event %d: goroutine id %d does not fit a Trace Event tid (1 to %d)", e.Seq, e.Child, MutexTIDBase-1))
	}
	if e.Mu < 0 || int64(e.Mu) >= MutexTIDBase {
		return w.fail(fmt.Errorf("event %d: mutex id %d is out of range (0 to %d)", e.Seq, e.Mu, MutexTIDBase-1))
	}
	if e.T < w.lastT {
		return w.fail(fmt.Errorf("event %d: time %d goes back (previous event at %d)", e.Seq, e.T, w.lastT))
	}
	w.lastT = e.T
	w.stats.Events++
	t := e.T
	g := w.track(e.G, t)
	if g.hasMade {
		g.hasMade = false
		if e.Kind == tracer.KindSend && e.V == g.made.V && e.T == g.made.T {
			w.send(g, e, true)
			return w.err
		}
		w.writeMake(g)
	}
	w.settle(g, t)
	if g.kind == sliceBlocked && e.Kind != tracer.KindBlock && e.Kind != tracer.KindViolation {
		w.open(g, t, sliceRunning)
	}

	switch e.Kind {
	case tracer.KindBlock:
		w.open(g, t, sliceBlocked)
		g.name = w.blockName(g.name[:0], e)
		g.args = w.blockArgs(g.args[:0], e)
	case tracer.KindSend:
		w.send(g, e, false)
	case tracer.KindRecv:
		key := flowKey{e.Ch, e.V}
		p, sent := w.pending[key]
		w.open(g, t, sliceHandoff)
		g.start = g.handoffStart(t)
		if e.Close {
			g.name = append(g.name[:0], `"recv: closed"`...)
			g.args = append(append(g.args[:0], '{'), `"channel":"`...)
			g.args = append(append(g.args, w.channel(e.Ch).display...), '"')
			g.args = appendField(g.args, "at", e.At)
			g.args = append(g.args, '}')
			break
		}
		if sent {
			// Never draw a receive before its send, whose slice may have
			// been pushed a few nanoseconds later.
			g.start = max(g.start, p.ts)
		}
		g.name, g.args = w.handoffSlice(g.name[:0], g.args[:0], "recv", e, false)
		w.received(e)
		if sent {
			delete(w.pending, key)
			w.flow(p, e.G, g.start+1)
		}
	case tracer.KindDiscard:
		w.received(e)
		delete(w.pending, flowKey{e.Ch, e.V})
		name := w.valueName(append(w.tmp[:0], "discard "...), e.V)
		w.instant(g, e, "event", w.chanName(append(name, " from "...), e.Ch), nil)
		delete(w.labels, e.V)
	case tracer.KindEnd:
		w.close(g, t)
		switch {
		case e.Abort:
			w.instant(g, e, "event", []byte("aborted"), nil)
		case e.Panic != "":
			w.instant(g, e, "event", []byte("panic"), appendField(nil, "panic", e.Panic))
		}
		if resume := max(g.cursor, g.instant+1); resume > t {
			// Its last slice or instant is at or past its end: should the
			// trace (wrongly) show it again, start it after them.
			w.ended[e.G] = resume
		}
		delete(w.gs, e.G)
		w.free = append(w.free, g)
	case tracer.KindGo:
		name := e.Name
		w.instant(g, e, "event", w.goName(append(w.tmp[:0], "go "...), e.Child, name), nil)
		w.spawn(e.Child, name, t)
	case tracer.KindJoin:
		var extra []byte
		if e.Panic != "" {
			extra = appendField(nil, "panic", e.Panic)
		}
		w.instant(g, e, "event", w.goName(append(w.tmp[:0], "join "...), e.Child, w.gnames[e.Child]), extra)
	case tracer.KindChan:
		c := w.channel(e.Ch)
		c.name = e.Name
		c.display = w.chanDisplay(c.display[:0], e.Ch, e.Name)
		w.counter(e, c, 0)
	case tracer.KindMutex:
		w.mutexTrack(e.Mu, e.Name, true)
	case tracer.KindLock:
		m := w.mutexTrack(e.Mu, "", false)
		if m.held {
			w.release(e.Mu, m, t) // the trace is wrong; keep the track flat
		}
		m.held, m.hold = true, hold{g: e.G, start: t}
	case tracer.KindUnlock:
		if m := w.mutexes[e.Mu]; m != nil && m.held && m.hold.g == e.G {
			w.release(e.Mu, m, t)
		}
	case tracer.KindMake:
		w.keepLabel(e.V, e.Label)
		g.made, g.hasMade, g.madeTS = *e, true, max(t, g.floor())
	case tracer.KindUse:
		op := "use "
		if e.Op != "" {
			op = e.Op + " "
		}
		w.instant(g, e, "event", w.valueName(append(w.tmp[:0], op...), e.V), nil)
	case tracer.KindBorrow:
		op := "borrow "
		if e.Mut {
			op = "borrow mut "
		}
		w.instant(g, e, "event", w.valueName(append(w.tmp[:0], op...), e.V), nil)
	case tracer.KindRelease:
		w.instant(g, e, "event", w.valueName(append(w.tmp[:0], "release "...), e.V), nil)
	case tracer.KindDrop:
		w.instant(g, e, "event", w.valueName(append(w.tmp[:0], "drop "...), e.V), nil)
		delete(w.labels, e.V)
	case tracer.KindClose:
		w.instant(g, e, "event", w.chanName(append(w.tmp[:0], "close "...), e.Ch), nil)
	case tracer.KindScope, tracer.KindScopeEnd:
		name := strconv.AppendInt(append(append(w.tmp[:0], e.Kind.String()...), " s"...), int64(e.Scope), 10)
		w.instant(g, e, "event", name, nil)
	case tracer.KindViolation:
		extra := appendField(nil, "rule", e.Rule)
		extra = appendField(extra, "msg", e.Msg)
		w.instant(g, e, "violation", append(append(w.tmp[:0], "violation: "...), e.Rule...), extra)
	}
	return w.err
}

// send opens g's send slice for e, and holds the send half of its arrow
// until the receive.
func (w *Writer) send(g *goTrack, e *tracer.Event, made bool) {
	w.settle(g, e.T)
	w.open(g, e.T, sliceHandoff)
	g.start = g.handoffStart(e.T)
	g.name, g.args = w.handoffSlice(g.name[:0], g.args[:0], "send", e, made)
	w.counter(e, w.channel(e.Ch), +1)
	key := flowKey{e.Ch, e.V}
	if _, dup := w.pending[key]; !dup {
		w.pending[key] = pendingSend{tid: e.G, ts: g.start + 1}
	}
}

// keepLabel remembers v's label, forgetting the oldest when there are
// MaxLabels.
func (w *Writer) keepLabel(v tracer.ValueID, text string) {
	if len(w.made) < MaxLabels {
		w.made = append(w.made, v)
	} else {
		delete(w.labels, w.made[w.madeNext])
		w.made[w.madeNext] = v
		w.madeNext = (w.madeNext + 1) % MaxLabels
	}
	w.labels[v] = label{raw: text, esc: w.escape(text)}
}

// writeMake writes the make instant g held back.
func (w *Writer) writeMake(g *goTrack) {
	e := &g.made
	name := w.valueName(append(w.tmp[:0], "make "...), e.V)
	w.instantAt(g, e, "event", name, nil, g.madeTS)
}

// Close ends every slice still open at the time of the last event, ends
// the file and flushes it. It returns what was written.
func (w *Writer) Close() (Stats, error) {
	if w.err != nil {
		return w.stats, w.err
	}
	for _, id := range slices.Sorted(maps.Keys(w.gs)) {
		g := w.gs[id]
		if g.hasMade {
			g.hasMade = false
			w.writeMake(g)
		}
		w.settle(g, w.lastT)
		w.close(g, w.lastT)
	}
	for _, id := range slices.Sorted(maps.Keys(w.chans)) {
		w.writeCounter(w.chans[id])
	}
	for _, id := range slices.Sorted(maps.Keys(w.mutexes)) {
		if m := w.mutexes[id]; m.held {
			w.release(id, m, w.lastT)
		}
	}
	w.stats.Unreceived = len(w.pending)
	w.w.WriteString("\n]}\n")
	if err := w.w.Flush(); err != nil && w.err == nil {
		w.err = fmt.Errorf("write trace events: %w", err)
	}
	return w.stats, w.err
}

func (w *Writer) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return w.err
}

// track returns g's track, starting it (running from t) when g is new.
func (w *Writer) track(id tracer.GoID, t tracer.Time) *goTrack {
	if g := w.gs[id]; g != nil {
		return g
	}
	name, known := w.gnames[id]
	if !known && id == 1 {
		name = "main" // the first goroutine of a run, and of a Go program
	}
	return w.spawn(id, name, t)
}

// spawn starts goroutine id's track, running from t, and names it.
func (w *Writer) spawn(id tracer.GoID, name string, t tracer.Time) *goTrack {
	old, seen := w.gnames[id]
	w.gnames[id] = name
	if !seen || old != name {
		w.buf = w.metadata(w.line(), "thread_name", id, "name", string(w.goName(nil, id, name)))
		w.flush()
		if !seen {
			w.buf = w.metadataInt(w.line(), "thread_sort_index", id, int64(id))
			w.flush()
		}
	}
	g := w.gs[id]
	if g == nil {
		if n := len(w.free); n > 0 {
			g, w.free = w.free[n-1], w.free[:n-1]
			*g = goTrack{name: g.name[:0], args: g.args[:0]}
		} else {
			g = &goTrack{}
		}
		g.id, g.instant = id, -1
		if c, ok := w.ended[id]; ok {
			g.cursor = c
			delete(w.ended, id)
		}
		w.gs[id] = g
		w.open(g, t, sliceRunning)
	}
	return g
}

// settle ends g's open send or receive slice, before anything else of g at
// t: at most HandoffWidth long, at least MinWidth.
func (w *Writer) settle(g *goTrack, t tracer.Time) {
	if g.kind != sliceHandoff {
		return
	}
	end := min(g.start+HandoffWidth, max(t, g.start+MinWidth))
	w.close(g, end)
	g.kind, g.start = sliceRunning, end
}

// close writes g's open slice, ending at t (or where it starts, if that is
// later); an empty running or blocked slice is left out.
func (w *Writer) close(g *goTrack, t tracer.Time) {
	if g.kind == sliceNone {
		return
	}
	end := max(t, g.start)
	if end > g.start || g.kind == sliceHandoff {
		b := append(w.line(), `{"name":`...)
		cat := "state"
		switch g.kind {
		case sliceRunning:
			b = append(b, `"running"`...)
		case sliceBlocked:
			b = append(b, g.name...)
		case sliceHandoff:
			b = append(b, g.name...)
			cat = "handoff"
		}
		b = append(b, `,"cat":"`...)
		b = append(b, cat...)
		b = append(b, `","ph":"X","ts":`...)
		b = appendMicros(b, g.start)
		b = append(b, `,"dur":`...)
		b = appendMicros(b, end-g.start)
		b = appendIDs(b, g.id)
		if g.kind != sliceRunning && len(g.args) > 0 {
			b = append(b, `,"args":`...)
			b = append(b, g.args...)
		}
		w.buf = append(b, '}')
		w.flush()
	}
	g.cursor = max(g.cursor, end)
	g.kind = sliceNone
}

// open ends g's open slice at t and opens one of kind.
func (w *Writer) open(g *goTrack, t tracer.Time, kind sliceKind) {
	w.close(g, t)
	g.kind, g.start = kind, max(t, g.cursor)
	g.args = g.args[:0]
}

// instant writes a thread instant on g, no earlier than what g has open.
func (w *Writer) instant(g *goTrack, e *tracer.Event, cat string, name, extra []byte) {
	w.instantAt(g, e, cat, name, extra, max(e.T, g.floor()))
}

func (w *Writer) instantAt(g *goTrack, e *tracer.Event, cat string, name, extra []byte, ts tracer.Time) {
	b := append(w.line(), `{"name":"`...)
	b = appendEscaped(b, string(name))
	b = append(b, `","cat":"`...)
	b = append(b, cat...)
	b = append(b, `","ph":"i","s":"t","ts":`...)
	b = appendMicros(b, ts)
	b = appendIDs(b, e.G)
	b = append(b, `,"args":{"seq":`...)
	b = strconv.AppendUint(b, e.Seq, 10)
	b = appendField(b, "at", e.At)
	b = append(b, extra...)
	w.buf = append(b, '}', '}')
	w.flush()
	w.tmp = name[:0]
	g.instant = max(g.instant, ts)
}

// flow writes one handoff's arrow: its start on the sender, its end on
// the receiver.
func (w *Writer) flow(p pendingSend, to tracer.GoID, ts tracer.Time) {
	w.nextID++
	w.stats.Flows++
	for _, half := range [2]struct {
		ph  string
		tid tracer.GoID
		ts  tracer.Time
	}{{`"s"`, p.tid, p.ts}, {`"f","bp":"e"`, to, ts}} {
		b := append(w.line(), `{"name":"handoff","cat":"handoff","ph":`...)
		b = append(b, half.ph...)
		b = append(b, `,"id":`...)
		b = strconv.AppendUint(b, w.nextID, 10)
		b = append(b, `,"ts":`...)
		b = appendMicros(b, half.ts)
		b = appendIDs(b, half.tid)
		w.buf = append(b, '}')
		w.flush()
	}
}

// received takes e's value out of its channel's count.
func (w *Writer) received(e *tracer.Event) {
	if c := w.chans[e.Ch]; c != nil && c.occupancy > 0 {
		w.counter(e, c, -1)
	}
}

// counter changes channel c's occupancy by delta at e, writing first the
// value it had at an earlier time.
func (w *Writer) counter(e *tracer.Event, c *channel, delta int) {
	if c.pending && c.pendT < e.T {
		w.writeCounter(c)
	}
	c.occupancy += delta
	c.pending, c.pendT, c.pendTID = true, e.T, e.G
}

// writeCounter writes c's pending value, if it changed.
func (w *Writer) writeCounter(c *channel) {
	if !c.pending {
		return
	}
	c.pending = false
	if c.occupancy == c.shown {
		return
	}
	c.shown = c.occupancy
	b := append(w.line(), `{"name":"`...)
	b = append(b, c.display...)
	b = append(b, `","cat":"channel","ph":"C","ts":`...)
	b = appendMicros(b, c.pendT)
	b = appendIDs(b, c.pendTID)
	b = append(b, `,"args":{"occupancy":`...)
	b = strconv.AppendInt(b, int64(c.occupancy), 10)
	w.buf = append(b, '}', '}')
	w.flush()
}

// channel returns channel id, which a send may use before any chan event.
func (w *Writer) channel(id tracer.ChanID) *channel {
	c := w.chans[id]
	if c == nil {
		c = &channel{id: id, shown: -1}
		c.display = w.chanDisplay(nil, id, "")
		w.chans[id] = c
	}
	return c
}

// mutexTrack returns mutex id, naming its track when it is new or when a
// mutex event names it.
func (w *Writer) mutexTrack(id tracer.MutexID, name string, named bool) *mutex {
	m := w.mutexes[id]
	if m != nil && !named {
		return m
	}
	if m == nil {
		m = &mutex{}
		w.mutexes[id] = m
	}
	m.name = name
	tid := tracer.GoID(MutexTIDBase + int64(id))
	track := "mutex mu" + strconv.FormatInt(int64(id), 10)
	if name != "" {
		track += " " + strconv.Quote(name)
	}
	w.buf = w.metadata(w.line(), "thread_name", tid, "name", track)
	w.flush()
	w.buf = w.metadataInt(w.line(), "thread_sort_index", tid, int64(tid))
	w.flush()
	return m
}

// release writes a hold of mutex id ending at t.
func (w *Writer) release(id tracer.MutexID, m *mutex, t tracer.Time) {
	b := append(w.line(), `{"name":`...)
	b = tracer.AppendJSONString(b, string(w.goName(append(w.tmp[:0], "held by "...), m.hold.g, w.gnames[m.hold.g])))
	b = append(b, `,"cat":"lock","ph":"X","ts":`...)
	b = appendMicros(b, m.hold.start)
	b = append(b, `,"dur":`...)
	b = appendMicros(b, max(t, m.hold.start)-m.hold.start)
	b = appendIDs(b, tracer.GoID(MutexTIDBase+int64(id)))
	b = append(b, `,"args":{"goroutine":`...)
	b = strconv.AppendInt(b, int64(m.hold.g), 10)
	w.buf = append(b, '}', '}')
	w.flush()
	m.held = false
}

// line starts the next element of traceEvents in the free space of the
// writer's buffer, where it is written without a copy when it fits.
func (w *Writer) line() []byte {
	b := w.w.AvailableBuffer()
	if w.first {
		w.first = false
		return b
	}
	return append(b, ',', '\n')
}

// flush writes w.buf, begun by line, as the next element of traceEvents.
func (w *Writer) flush() {
	if _, err := w.w.Write(w.buf); err != nil && w.err == nil {
		w.err = fmt.Errorf("write trace events: %w", err)
	}
	w.buf = nil
	w.stats.Written++
}

func (w *Writer) metadata(b []byte, name string, tid tracer.GoID, key, value string) []byte {
	b = append(b, `{"name":"`...)
	b = append(b, name...)
	b = append(b, `","ph":"M","ts":0`...)
	b = appendIDs(b, tid)
	b = append(b, `,"args":{"`...)
	b = append(b, key...)
	b = append(b, `":`...)
	b = tracer.AppendJSONString(b, value)
	return append(b, '}', '}')
}

func (w *Writer) metadataInt(b []byte, name string, tid tracer.GoID, v int64) []byte {
	b = append(b, `{"name":"`...)
	b = append(b, name...)
	b = append(b, `","ph":"M","ts":0`...)
	b = appendIDs(b, tid)
	b = append(b, `,"args":{"sort_index":`...)
	b = strconv.AppendInt(b, v, 10)
	return append(b, '}', '}')
}

// handoffSlice renders the name and args of a send or receive slice.
func (w *Writer) handoffSlice(name, args []byte, op string, e *tracer.Event, made bool) ([]byte, []byte) {
	l := w.labels[e.V]
	esc, hasLabel := l.esc, l.raw != ""
	name = append(name, '"')
	name = append(name, op...)
	if hasLabel {
		name = append(name, ` \"`...)
		name = append(name, esc...)
		name = append(name, `\""`...)
	} else {
		name = append(name, " v"...)
		name = strconv.AppendInt(name, int64(e.V), 10)
		name = append(name, '"')
	}
	args = append(args, `{"v":`...)
	args = strconv.AppendInt(args, int64(e.V), 10)
	if hasLabel {
		args = append(args, `,"value":"`...)
		args = append(args, esc...)
		args = append(args, '"')
	}
	args = append(args, `,"channel":"`...)
	args = append(args, w.channel(e.Ch).display...)
	args = append(args, '"')
	if made {
		args = append(args, `,"made":true`...)
	}
	args = appendField(args, "conf", e.Conf)
	args = appendField(args, "at", e.At)
	args = append(args, `,"seq":`...)
	args = strconv.AppendUint(args, e.Seq, 10)
	return name, append(args, '}')
}

// escape returns s escaped for a JSON string, without its quotes.
func (w *Writer) escape(s string) []byte {
	if b, ok := w.esc[s]; ok {
		return b
	}
	q := tracer.AppendJSONString(nil, s)
	b := q[1 : len(q)-1]
	if len(w.esc) < maxEscapeCache {
		w.esc[s] = b
	}
	return b
}

func (w *Writer) blockName(b []byte, e *tracer.Event) []byte {
	b = append(b, `"blocked: `...)
	b = appendEscaped(b, e.On)
	switch e.On {
	case tracer.OnSend, tracer.OnRecv:
		b = append(b, " on "...)
		b = append(b, w.channel(e.Ch).display...)
	case tracer.OnLock:
		b = append(b, ' ')
		b = appendEscaped(b, w.mutexName(e.Mu))
	case tracer.OnJoin:
		b = append(b, ' ')
		b = appendEscaped(b, string(w.goName(w.tmp[:0], e.Child, w.gnames[e.Child])))
	case tracer.OnSelect:
		b = append(b, " on "...)
		q := tracer.AppendJSONString(w.tmp[:0], w.cases(e.Cases))
		b = append(b, q[1:len(q)-1]...)
	}
	return append(b, '"')
}

// cases names a select's cases: recv from ch1 "jobs" | its context's Done.
func (w *Writer) cases(cases []tracer.SelectCase) string {
	return tracer.DescribeCases(cases, func(id tracer.ChanID) string {
		if c := w.chans[id]; c != nil && c.name != "" {
			return fmt.Sprintf("ch%d %q", id, c.name)
		}
		return fmt.Sprintf("ch%d", id)
	}, func(id tracer.ValueID) string {
		if l, ok := w.labels[id]; ok {
			return strconv.Quote(l.raw)
		}
		return fmt.Sprintf("v%d", id)
	})
}

func (w *Writer) blockArgs(b []byte, e *tracer.Event) []byte {
	b = append(b, `{"on":`...)
	b = tracer.AppendJSONString(b, e.On)
	switch e.On {
	case tracer.OnSend, tracer.OnRecv:
		b = append(b, `,"channel":"`...)
		b = append(b, w.channel(e.Ch).display...)
		b = append(b, '"')
	case tracer.OnLock:
		b = append(b, `,"mu":`...)
		b = strconv.AppendInt(b, int64(e.Mu), 10)
	case tracer.OnJoin:
		b = append(b, `,"goroutine":`...)
		b = strconv.AppendInt(b, int64(e.Child), 10)
	case tracer.OnSelect:
		b = append(b, `,"cases":`...)
		b = tracer.AppendJSONString(b, w.cases(e.Cases))
	}
	b = appendField(b, "at", e.At)
	return append(b, '}')
}

// goName appends "g3 worker-1" (or "g3" when it has no name).
func (w *Writer) goName(b []byte, id tracer.GoID, name string) []byte {
	b = append(b, 'g')
	b = strconv.AppendInt(b, int64(id), 10)
	if name != "" {
		b = append(b, ' ')
		b = append(b, name...)
	}
	return b
}

// chanName appends ch1 "jobs" (or ch1).
func (w *Writer) chanName(b []byte, ch tracer.ChanID) []byte {
	b = append(b, "ch"...)
	b = strconv.AppendInt(b, int64(ch), 10)
	if c := w.chans[ch]; c != nil && c.name != "" {
		b = append(b, ' ', '"')
		b = append(b, c.name...)
		b = append(b, '"')
	}
	return b
}

// chanDisplay appends ch1 "jobs" (or ch1) escaped for a JSON string.
func (w *Writer) chanDisplay(b []byte, ch tracer.ChanID, name string) []byte {
	b = append(b, "ch"...)
	b = strconv.AppendInt(b, int64(ch), 10)
	if name != "" {
		b = append(b, ` \"`...)
		b = appendEscaped(b, name)
		b = append(b, `\"`...)
	}
	return b
}

func (w *Writer) mutexName(mu tracer.MutexID) string {
	if m := w.mutexes[mu]; m != nil && m.name != "" {
		return `"` + m.name + `"`
	}
	return "mu" + strconv.FormatInt(int64(mu), 10)
}

// valueName appends the value's label in quotes, or v7 when it has none.
func (w *Writer) valueName(b []byte, v tracer.ValueID) []byte {
	if l := w.labels[v]; l.raw != "" {
		b = append(b, '"')
		b = append(b, l.raw...)
		return append(b, '"')
	}
	b = append(b, 'v')
	return strconv.AppendInt(b, int64(v), 10)
}

// appendEscaped appends s escaped for a JSON string, without quotes.
func appendEscaped(b []byte, s string) []byte {
	n := len(b)
	b = tracer.AppendJSONString(b, s)
	copy(b[n:], b[n+1:len(b)-1])
	return b[:len(b)-2]
}

// appendIDs appends ,"pid":1,"tid":N.
func appendIDs(b []byte, tid tracer.GoID) []byte {
	b = append(b, `,"pid":`...)
	b = strconv.AppendInt(b, ProcessID, 10)
	b = append(b, `,"tid":`...)
	return strconv.AppendInt(b, int64(tid), 10)
}

// appendMicros appends t, in nanoseconds, as microseconds with three
// decimals: exact, and what both importers read.
func appendMicros(b []byte, t tracer.Time) []byte {
	if t < 0 {
		b = append(b, '-')
		t = -t
	}
	b = strconv.AppendInt(b, int64(t/1000), 10)
	frac := int64(t % 1000)
	return append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
}

// appendField appends ,"name":"s" when s is not empty.
func appendField(b []byte, name, s string) []byte {
	if s == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return tracer.AppendJSONString(b, s)
}
