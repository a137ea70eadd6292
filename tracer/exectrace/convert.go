package exectrace

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/handoff-viz/handoff/tracer"
	"golang.org/x/exp/trace"
)

// Confidence says how sure an inferred handoff is.
type Confidence uint8

const (
	ConfBad       Confidence = iota
	ConfExact                // a parked receiver was woken by a sender
	ConfSlot                 // a parked sender was woken by a receiver
	ConfAmbiguous            // select on both sides
	numConf
)

var confNames = [...]string{ConfBad: "bad", ConfExact: "exact", ConfSlot: "slot", ConfAmbiguous: "ambiguous"}

// String returns "exact", "slot" or "ambiguous".
func (c Confidence) String() string {
	if int(c) < len(confNames) {
		return confNames[c]
	}
	return "Confidence(" + strconv.Itoa(int(c)) + ")"
}

// Options control [Convert].
type Options struct {
	// From and To keep only the events in [From, To], measured from the
	// start of the trace. To == 0 means the end of the trace. Goroutines
	// and blocking before From are still tracked, so a handoff just after
	// From is still found.
	From, To time.Duration
	// System keeps the runtime's own goroutines (garbage collector, trace
	// reader, ...), which are left out by default.
	System bool
	// Progress, when set, is called about every 64k Go trace events with
	// the number read so far.
	Progress func(events int64)
	// Origin, when not 0, is the Go trace time (Report.Origin of an earlier
	// import of the same process) that times, From and To are measured
	// from, instead of the first event. Go traces of one process share a
	// clock, so successive snapshots of a runtime/trace.FlightRecorder land
	// on one time line. Events before Origin are placed at 0.
	Origin int64
	// Ongoing says the program went on after the trace ended (a snapshot
	// of a flight recorder): goroutines parked in a sync wait at the end
	// are then not written as leaks, nor lock waiters as a deadlock. An
	// import with Origin set is a later snapshot of a running process, so
	// it counts as Ongoing too.
	Ongoing bool
}

// Group is one channel group: the channel operations that waited at one
// call site.
type Group struct {
	Ch    tracer.ChanID
	Name  string // what the output's chan event calls it
	Op    string // send, recv or select: what waited there
	At    string // file:line
	Count [numConf]int
	gen   int // channels this group had: a close retires one
}

// Blocked is a goroutine still parked when the trace (or window) ends.
type Blocked struct {
	G      tracer.GoID
	Name   string        // entry function, when the trace showed its creation
	Reason string        // the runtime's wait reason: chan receive, select, sync, ...
	Wait   string        // a sync wait's kind, from its stack: lock, rlock, wait or cond
	At     string        // file:line of the operation it waits in
	Func   string        // the function it waits in
	Since  tracer.Time   // when it blocked (0 when it was already blocked at the start)
	Peers  []tracer.GoID // goroutines seen on the other side of this call site before
	// PeersGone is true when every goroutine seen on the other side of this
	// call site has ended: nobody known is left to wake it.
	PeersGone bool
}

// Report sums up an import.
type Report struct {
	GoEvents   int64       // events read from the Go trace
	Origin     int64       // the Go trace time that times are measured from
	Events     int64       // events written
	Start, End tracer.Time // the window, from the start of the trace
	Goroutines int         // user goroutines seen
	Handoffs   [numConf]int
	Closes     int // channel waits ended by a close (the waker's stack starts at closechan's caller)
	SyncWakes  int // goroutines woken by sync.* (Unlock, Done, Signal, ...)
	// SyncWaits counts the sync waits written as block events: a stack in
	// sync.(*Mutex).Lock, (*RWMutex).Lock or RLock, (*WaitGroup).Wait or
	// (*Cond).Wait, with a user frame to name the line.
	SyncWaits int
	// Stuck is the inferred lock deadlock, when there is one: the
	// goroutines parked in a lock wait at the end of the trace while
	// nothing else ran that could release them (see finish).
	Stuck []tracer.GoID
	// TimerWakes counts channel receives and selects woken by a timer
	// (time.After, a Ticker, a Timer): TimerStacks of them exactly (the
	// waker's stack runs the runtime's timer code, time.sendTime), the
	// others inferred (woken by no goroutine: the scheduler ran the timer;
	// every other channel operation runs on a goroutine). No handoff is
	// drawn: the sender is the timer, not a goroutine.
	TimerWakes, TimerStacks int
	Unattributed            int // channel waits that ended without a waker we could read
	// Splits counts the times two channels that waited at one call site
	// were told apart: a goroutine parked on a channel group that a close
	// had closed since was handed a value, or closed by someone else. It
	// is then on the group's next channel ("#2 (after a close)").
	Splits  int
	Groups  []*Group
	Blocked []Blocked       // leak candidates
	Cycles  [][]tracer.GoID // wait-for cycles among Blocked

	// Annotations is the number of log records of handoff's own tracer
	// (category tracer.AnnotationCategory) read; AnnotatedGoroutines the
	// Go goroutines that wrote them; Exact the events rebuilt from them.
	Annotations, AnnotatedGoroutines, Exact int
}

// Note is the header note of an imported trace: what is exact, what is
// inferred, and what it cannot show.
const Note = "imported from a Go execution trace: goroutine ids are the trace's; " +
	"goroutines traced by handoff's tracer (runtime/trace log records of category \"handoff\") carry their exact recorded events: " +
	"values, channels, owners, blocking and violations, without a conf field; everything else is inferred from the scheduler: " +
	"a channel is a group of operations that waited at one call site (a runtime trace records no channel address); " +
	"operations that never block (the fast path of a buffered channel, a close nobody waits on) are not in it; " +
	"each handoff is a synthetic value whose label starts with how sure it is: exact, slot (a parked sender freed by a receiver: " +
	"on a buffered channel the receiver took an older value) or ambiguous (select on both sides)"

// Detect reports whether head, the first bytes of a file, starts like a Go
// execution trace ("go 1.NN trace\x00\x00\x00").
func Detect(head []byte) bool {
	if !bytes.HasPrefix(head, []byte("go 1.")) {
		return false
	}
	rest := head[len("go 1."):]
	i := 0
	for i < len(rest) && i < 3 && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	if i == 0 {
		return false
	}
	return bytes.HasPrefix(rest[i:], []byte(" trace"))
}

// Decode converts a whole Go execution trace in memory. name is used in
// the header's Source and in errors.
func Decode(r io.Reader, name string) (tracer.Header, []tracer.Event, error) {
	var evs []tracer.Event
	_, err := Convert(r, Options{}, func(e *tracer.Event) error {
		evs = append(evs, *e)
		return nil
	})
	h := tracer.Header{Format: tracer.FormatName, Version: tracer.FormatVersion, Source: name, Clock: "imported", Note: Note}
	if err != nil {
		return h, nil, err // the caller names the file
	}
	return h, evs, nil
}

// op is what a stack shows its goroutine doing. A waker's stack starts at
// the runtime function that readied the parked goroutine, or at its caller
// when the runtime leaves that function's own frame out: these are the
// stacks Go 1.22-1.26 write, read from programs that use every form
// (wakeups_test.go).
type op uint8

const (
	opOther  op = iota // a runtime frame none of the below: an unknown way to wake
	opSend             // a channel send: chansend1, selectnbsend, reflect.chansend0
	opRecv             // a channel receive: chanrecv1/2, selectnbrecv, reflect.chanrecv
	opSelect           // runtime.selectgo (a select statement, reflect.Select)
	opSync             // sync.*
	opNone             // no stack at all
	opClose            // closechan: its frame is left out, the stack starts at its caller
	opTimer            // the runtime's timer code delivering on a timer channel
)

// wakeOp classifies the top frame of a waker's stack.
func wakeOp(fn string) op {
	switch fn {
	case "runtime.selectnbsend", "reflect.chansend0", "reflect.chansend", "runtime.reflect_chansend":
		return opSend
	case "runtime.selectnbrecv", "reflect.chanrecv", "runtime.reflect_chanrecv":
		return opRecv
	case "runtime.selectgo", "runtime.block", "reflect.rselect", "runtime.reflect_rselect":
		return opSelect
	case "runtime.closechan", "reflect.chanclose", "runtime.reflect_chanclose":
		return opClose
	}
	switch {
	case strings.HasPrefix(fn, "runtime.chansend"):
		return opSend
	case strings.HasPrefix(fn, "runtime.chanrecv"):
		return opRecv
	case strings.HasPrefix(fn, "sync.") || strings.HasPrefix(fn, "internal/sync."):
		return opSync
	case strings.HasPrefix(fn, "runtime.") || strings.HasPrefix(fn, "internal/"):
		return opOther
	}
	// Every channel operation shows its runtime entry point on top
	// (runtime.chansend1, runtime.selectnbrecv, ...) except close:
	// closechan readies the waiters with its own frame skipped, so a close
	// shows its caller (main.stop, context.(*cancelCtx).cancel) on top.
	return opClose
}

// timerFunc reports whether fn is the runtime's timer code: a timer
// channel's value is sent from it (time.sendTime, a non-blocking send),
// on whatever goroutine happened to run the timers, or on none.
func timerFunc(fn string) bool {
	return fn == "time.sendTime" || strings.HasPrefix(fn, "runtime.(*timer).") || strings.HasPrefix(fn, "runtime.(*timers).")
}

// frame is what the converter keeps of a stack: what it does and where.
type frame struct {
	op   op
	fn   string // first user function
	at   string // file:line of the first user frame
	site string // base(file):line, for names
	sys  bool   // the outermost frame is in the runtime
	id   int32  // interned at: 0 when there is no user frame
	// For a stack that waits in package sync: what it waits for
	// (tracer.OnLock, OnRLock, OnWait, OnCond), and the caller's
	// base(file):line of the user frame at, when there is one.
	sync, from string
}

// labelKey packs the call sites of a handoff's sender and receiver, so
// that the label cache is a map with an integer key (one per confidence).
func labelKey(sendAt, recvAt int32) uint64 {
	return uint64(uint32(sendAt))<<32 | uint64(uint32(recvAt))
}

// gstate is a live goroutine.
type gstate struct {
	id      trace.GoID
	name    string
	sys     bool
	known   bool // sys is decided
	waiting bool
	reason  string
	wait    frame
	since   tracer.Time
	ch      tracer.ChanID // the channel of the block event written, if any

	// The last stack this goroutine blocked at and the last it woke another
	// from, classified: a goroutine in a loop shows the same few stacks,
	// and comparing them is cheaper than a lookup in frames.
	blockAt, wakeAt frameCache
}

// frameCache remembers one classified stack of the generation gen.
type frameCache struct {
	s   trace.Stack
	gen uint32
	f   frame
}

// siteInfo links call sites that met in a handoff, and remembers the
// goroutines seen at each (a few), for wait-for cycles.
type siteInfo struct {
	peers  map[int32]struct{}
	gs     []trace.GoID
	groups [opSelect + 1]*Group // by what waited there
	last   int32                // the peer linked last, a shortcut
}

const maxSiteGoroutines = 32

type converter struct {
	opts   Options
	emitFn func(*tracer.Event) error
	rep    Report

	start   trace.Time
	started bool
	from    tracer.Time
	to      tracer.Time // 0: no end
	lastT   tracer.Time
	stopped bool // reading stopped at the end of the window

	seq    uint64
	nextCh tracer.ChanID
	nextV  tracer.ValueID
	closes map[tracer.ChanID]closeInfo // channels a close was written for

	gs      map[trace.GoID]*gstate
	frames  map[trace.Stack]frame      // reset each generation: stacks are per generation
	gen     uint32                     // counts generations (Sync events), from 1
	labels  [numConf]map[uint64]string // by labelKey
	sites   []siteInfo                 // by frame.id; 0 is unused
	siteIDs map[string]int32           // frame.at to id
	ev      tracer.Event

	// Annotations (annotations.go): nil until the first record.
	ann     *tracer.Annotations
	annT0   tracer.Time
	annGo   map[tracer.GoID]struct{} // Go goroutines that wrote records
	pending []tracer.Event           // inferred events held since the first record
	lastOut tracer.Time
}

// Convert reads a Go execution trace from r and calls emit with each event
// of handoff's format, in order (Seq from 1, T from the start of the trace).
// emit must not keep the pointer. It returns what it found; on error, the
// report covers what was read.
func Convert(r io.Reader, opts Options, emit func(*tracer.Event) error) (*Report, error) {
	cr := &countingReader{r: r}
	tr, err := trace.NewReader(cr)
	if err != nil {
		if cr.n == 0 {
			return nil, errors.New("read go execution trace: empty file")
		}
		return nil, fmt.Errorf("read go execution trace: %w", describe(err))
	}
	c := &converter{
		opts:    opts,
		gen:     1,
		emitFn:  emit,
		from:    tracer.Time(opts.From),
		to:      tracer.Time(opts.To),
		gs:      map[trace.GoID]*gstate{},
		frames:  map[trace.Stack]frame{},
		labels:  [numConf]map[uint64]string{ConfExact: {}, ConfSlot: {}, ConfAmbiguous: {}},
		sites:   make([]siteInfo, 1),
		siteIDs: map[string]int32{},

		closes: map[tracer.ChanID]closeInfo{},
	}
	if opts.To != 0 && opts.To < opts.From {
		return nil, fmt.Errorf("read go execution trace: window ends (%v) before it starts (%v)", opts.To, opts.From)
	}
	err = c.run(tr)
	if err == nil && c.rep.GoEvents <= 1 {
		// A header and the reader's closing sync: the file was cut right
		// after its header, which no trace that ran has.
		err = errors.New("read go execution trace: the file holds nothing after its header (cut short? a program must call trace.Stop before it exits)")
	}
	c.finish()
	if err == nil && c.ann != nil {
		err = c.mergeAnnotations()
	}
	if err != nil {
		return &c.rep, err
	}
	return &c.rep, nil
}

// describe makes x/exp/trace's errors say what is wrong in words a person
// who gave the wrong file understands.
func describe(err error) error {
	msg := err.Error()
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), strings.Contains(msg, "failed to read full"):
		return fmt.Errorf("the file ends too early (truncated?): %w", err)
	case strings.Contains(msg, "bad file format"), strings.Contains(msg, "not a trace"), strings.Contains(msg, "header"):
		return fmt.Errorf("not a Go execution trace: %w", err)
	case strings.Contains(msg, "unsupported"):
		return fmt.Errorf("a Go trace version this handoff cannot read: %w", err)
	}
	return err
}

// batch is a run of events read ahead by the reading goroutine.
type batch struct {
	evs []trace.Event
	err error // after evs; io.EOF at the end
}

// batchSize events go from the reading goroutine to the converter at a
// time, batchesAhead batches at most are waiting. Measured: 4096 was no
// faster than 512 (and holds more of the trace in memory).
const batchSize, batchesAhead = 512, 4

// readAhead reads events on its own goroutine, so that parsing (x/exp/trace)
// and converting run on two cores. It stops when done is closed.
func readAhead(tr *trace.Reader, out chan<- batch, free chan []trace.Event, done <-chan struct{}) {
	defer close(out)
	for {
		var buf []trace.Event
		select {
		case buf = <-free:
		default:
			buf = make([]trace.Event, 0, batchSize)
		}
		var err error
		for len(buf) < batchSize {
			var ev trace.Event
			if ev, err = tr.ReadEvent(); err != nil {
				break
			}
			buf = append(buf, ev)
		}
		select {
		case out <- batch{buf, err}:
		case <-done:
			return
		}
		if err != nil {
			return
		}
	}
}

func (c *converter) run(tr *trace.Reader) error {
	batches := make(chan batch, batchesAhead)
	free := make(chan []trace.Event, batchesAhead+2)
	done := make(chan struct{})
	go readAhead(tr, batches, free, done)
	defer func() {
		close(done)
		for range batches { // wait for the reader to stop
		}
	}()
	for b := range batches {
		for i := range b.evs {
			if stop, err := c.event(&b.evs[i]); stop || err != nil {
				return err
			}
		}
		clear(b.evs) // drop references to the generation
		select {
		case free <- b.evs[:0]:
		default:
		}
		if b.err == io.EOF {
			return nil
		}
		if b.err != nil {
			return fmt.Errorf("read go execution trace after %d events: %w", c.rep.GoEvents, describe(b.err))
		}
	}
	return nil
}

// event converts one event; stop says the window has ended.
func (c *converter) event(ev *trace.Event) (stop bool, err error) {
	c.rep.GoEvents++
	if c.opts.Progress != nil && c.rep.GoEvents&(1<<16-1) == 0 {
		c.opts.Progress(c.rep.GoEvents)
	}
	if !c.started {
		c.start, c.started = ev.Time(), true
		if c.opts.Origin != 0 {
			c.start = trace.Time(c.opts.Origin)
		}
		c.rep.Origin = int64(c.start)
	}
	t := tracer.Time(ev.Time() - c.start)
	if t < c.lastT { // also before Origin
		t = c.lastT
	}
	if c.to > 0 && t > c.to {
		c.stopped = true
		return true, nil
	}
	c.lastT = t
	switch ev.Kind() {
	case trace.EventSync:
		clear(c.frames)
		c.gen++
	case trace.EventLog:
		if l := ev.Log(); l.Category == tracer.AnnotationCategory {
			return false, c.annotation(ev, l.Message, t)
		}
	case trace.EventStateTransition:
		st := ev.StateTransition()
		if st.Resource.Kind != trace.ResourceGoroutine {
			return false, nil
		}
		return false, c.transition(ev, &st, t)
	}
	return false, nil
}

func (c *converter) inWindow(t tracer.Time) bool { return t >= c.from }

// frameOf classifies a stack, with a cache per generation.
func (c *converter) frameOf(s trace.Stack) frame {
	if s == trace.NoStack {
		return frame{op: opNone}
	}
	if f, ok := c.frames[s]; ok {
		return f
	}
	f := frame{op: opOther}
	first, timer := true, false
	var outer string
	for fr := range s.Frames() {
		outer = fr.Func
		if first {
			first = false
			f.op = wakeOp(fr.Func)
		}
		// The whole stack: a timer's send runs on the goroutine that
		// happened to run the timers, which is not the sender.
		timer = timer || timerFunc(fr.Func)
		switch {
		case f.at == "" && !runtimeish(fr.Func):
			f.fn = fr.Func
			f.at = fr.File + ":" + strconv.FormatUint(fr.Line, 10)
			f.site = path.Base(fr.File) + ":" + strconv.FormatUint(fr.Line, 10)
		case f.at == "" && f.sync == "":
			f.sync = syncWait(fr.Func)
		case f.at != "" && f.sync != "" && f.from == "" && !runtimeish(fr.Func):
			f.from = path.Base(fr.File) + ":" + strconv.FormatUint(fr.Line, 10)
		}
	}
	f.sys = systemFunc(outer)
	if timer {
		f.op = opTimer
	}
	if f.at != "" {
		f.id = c.siteIDs[f.at]
		if f.id == 0 {
			c.sites = append(c.sites, siteInfo{})
			f.id = int32(len(c.sites) - 1)
			c.siteIDs[f.at] = f.id
		}
	}
	c.frames[s] = f
	return f
}

// cachedFrame is frameOf with a cache of one stack in fc.
func (c *converter) cachedFrame(fc *frameCache, s trace.Stack) frame {
	if fc.gen == c.gen && fc.s == s {
		return fc.f
	}
	f := c.frameOf(s)
	fc.s, fc.gen, fc.f = s, c.gen, f
	return f
}

// syncWait tells what a goroutine waits for from a frame of package sync
// (or internal/sync, which sync.Mutex runs on since Go 1.24) between the
// runtime's park and the user's call: "" for a frame that does not say.
// These are the stacks Go 1.26 writes when a goroutine parks in each wait
// (syncwaits_test.go); a sync.Once waits in its own Mutex.Lock.
func syncWait(fn string) string {
	if !strings.HasPrefix(fn, "sync.") && !strings.HasPrefix(fn, "internal/sync.") {
		return ""
	}
	switch {
	case strings.Contains(fn, "(*RWMutex).RLock"):
		return tracer.OnRLock
	case strings.Contains(fn, "(*WaitGroup).Wait"):
		return tracer.OnWait
	case strings.Contains(fn, "(*Cond).Wait"):
		return tracer.OnCond
	case strings.Contains(fn, "(*Mutex).Lock"), strings.Contains(fn, "(*Mutex).lockSlow"), strings.Contains(fn, "(*RWMutex).Lock"):
		return tracer.OnLock
	}
	return ""
}

// runtimeish reports whether fn is library plumbing between the user's call
// and the scheduler, skipped to find the call site.
func runtimeish(fn string) bool {
	return strings.HasPrefix(fn, "runtime.") || strings.HasPrefix(fn, "sync.") ||
		strings.HasPrefix(fn, "internal/") || strings.HasPrefix(fn, "time.") || strings.HasPrefix(fn, "reflect.")
}

// systemFunc reports whether a goroutine whose outermost (or entry) frame
// is fn belongs to the runtime, the runtime tracer, or handoff's own tracer
// and its helpers (the deadlock watcher, remote's writer, this importer's
// reader and package flight's loop are not the program's).
func systemFunc(fn string) bool {
	if fn == "runtime.main" {
		return false
	}
	return strings.HasPrefix(fn, "runtime.") || strings.HasPrefix(fn, "runtime/") ||
		strings.HasPrefix(fn, tracerPkg+".") || strings.HasPrefix(fn, tracerPkg+"/remote.") ||
		fn == tracerPkg+"/exectrace.readAhead" || fn == tracerPkg+"/flight.(*Recorder).loop"
}

// tracerPkg is the import path of handoff's tracer.
const tracerPkg = "github.com/handoff-viz/handoff/tracer"

func (c *converter) goroutine(id trace.GoID) *gstate {
	g := c.gs[id]
	if g == nil {
		g = &gstate{id: id}
		c.gs[id] = g
	}
	return g
}

// learn decides whether g is a system goroutine from a stack it showed.
func (c *converter) learn(g *gstate, f frame) {
	if g.known || f.op == opNone {
		return
	}
	g.known, g.sys = true, f.sys
	if !g.sys {
		c.rep.Goroutines++
	}
}

func (c *converter) user(g *gstate) bool { return g != nil && (c.opts.System || !g.sys) }

// emit writes an inferred event, or holds it once annotations were seen.
func (c *converter) emit(e *tracer.Event) error {
	if c.ann != nil {
		c.pending = append(c.pending, *e)
		return nil
	}
	return c.out(e)
}

// out writes an event.
func (c *converter) out(e *tracer.Event) error {
	c.lastOut = e.T
	c.seq++
	e.Seq = c.seq
	c.rep.Events++
	if err := c.emitFn(e); err != nil {
		return fmt.Errorf("write imported event: %w", err)
	}
	return nil
}

func (c *converter) reset(kind tracer.Kind, g trace.GoID, t tracer.Time) *tracer.Event {
	c.ev = tracer.Event{Kind: kind, G: tracer.GoID(g), T: t}
	return &c.ev
}

func (c *converter) transition(ev *trace.Event, st *trace.StateTransition, t tracer.Time) error {
	id := st.Resource.Goroutine()
	from, to := st.Goroutine()
	switch {
	case from == trace.GoNotExist && to != trace.GoNotExist:
		return c.created(ev, st, id, t)
	case from == trace.GoUndetermined:
		g := c.goroutine(id)
		f := c.frameOf(st.Stack)
		c.learn(g, f)
		if to == trace.GoWaiting && !g.waiting {
			g.waiting, g.wait, g.since, g.reason = true, f, t, ""
		}
	case to == trace.GoWaiting:
		return c.blocked(ev, st, id, t)
	case from == trace.GoWaiting:
		return c.woken(ev, id, t)
	case to == trace.GoNotExist:
		g := c.gs[id]
		delete(c.gs, id)
		if g != nil && !g.known {
			c.learn(g, frame{op: opOther})
		}
		if c.user(g) && c.inWindow(t) {
			return c.emit(c.reset(tracer.KindEnd, id, t))
		}
	}
	return nil
}

func (c *converter) created(ev *trace.Event, st *trace.StateTransition, id trace.GoID, t tracer.Time) error {
	g := &gstate{id: id}
	c.gs[id] = g
	for fr := range st.Stack.Frames() {
		g.name = fr.Func // the outermost frame is the entry function
	}
	creator := c.gs[ev.Goroutine()]
	switch {
	case g.name != "":
		c.learn(g, frame{op: opOther, sys: systemFunc(g.name)})
	case creator != nil && creator.known:
		c.learn(g, frame{op: opOther, sys: creator.sys})
	}
	if to := func() trace.GoState { _, to := st.Goroutine(); return to }(); to == trace.GoWaiting {
		g.waiting, g.since = true, t
	}
	if !c.user(g) || !c.user(creator) || ev.Goroutine() == trace.NoGoroutine || !c.inWindow(t) {
		return nil
	}
	e := c.reset(tracer.KindGo, ev.Goroutine(), t)
	e.Child, e.Name, e.At = tracer.GoID(id), shortName(g.name), c.frameOf(ev.Stack()).at
	return c.emit(e)
}

// shortName drops the import path of a function name: main.worker, not
// example.com/x/main.worker.
func shortName(fn string) string {
	if i := strings.LastIndexByte(fn, '/'); i >= 0 {
		return fn[i+1:]
	}
	return fn
}

// waitOp maps the runtime's wait reasons to what the goroutine waits for.
func waitOp(reason string) op {
	switch reason {
	case "chan send":
		return opSend
	case "chan receive":
		return opRecv
	case "select":
		return opSelect
	}
	if strings.HasPrefix(reason, "sync") {
		return opSync
	}
	return opOther
}

func (c *converter) blocked(ev *trace.Event, st *trace.StateTransition, id trace.GoID, t tracer.Time) error {
	g := c.goroutine(id)
	s := st.Stack
	if s == trace.NoStack {
		s = ev.Stack()
	}
	f := c.cachedFrame(&g.blockAt, s)
	c.learn(g, f)
	g.waiting, g.reason, g.wait, g.since, g.ch = true, st.Reason, f, t, 0
	o := waitOp(st.Reason)
	if (o == opSend || o == opRecv || o == opSelect) && f.at != "" {
		c.meet(f.id, 0, id)
	}
	if o == opSync && f.sync != "" && f.at != "" && c.user(g) && c.inWindow(t) {
		// The stack names the wait (sync.(*Mutex).Lock, ...) and the line;
		// the runtime records no lock or group, so mu and wg stay out.
		c.rep.SyncWaits++
		e := c.reset(tracer.KindBlock, id, t)
		e.On, e.At, e.Conf = f.sync, f.at, tracer.ConfExact
		return c.emit(e)
	}
	if (o != opSend && o != opRecv) || !c.user(g) || !c.inWindow(t) || f.at == "" {
		return nil
	}
	grp, err := c.group(o, f, id, t)
	if err != nil {
		return err
	}
	g.ch = grp.Ch
	e := c.reset(tracer.KindBlock, id, t)
	e.On, e.Ch, e.At = tracer.OnSend, grp.Ch, f.at
	if o == opRecv {
		e.On = tracer.OnRecv
	}
	return c.emit(e)
}

// group returns the channel group of a wait at f, writing its chan event
// (by goroutine g) the first time.
func (c *converter) group(o op, f frame, g trace.GoID, t tracer.Time) (*Group, error) {
	slot := &c.sites[f.id].groups[o]
	grp := *slot
	if grp != nil && grp.Ch != 0 {
		return grp, nil
	}
	c.nextCh++
	if grp == nil {
		name := [...]string{opSend: "send", opRecv: "recv", opSelect: "select"}[o]
		grp = &Group{Op: name, At: f.at, Name: "chan " + name + " at " + f.site}
		*slot = grp
		c.rep.Groups = append(c.rep.Groups, grp)
	}
	grp.Ch = c.nextCh
	grp.gen++
	e := c.reset(tracer.KindChan, g, t)
	e.Ch, e.Name, e.At = grp.Ch, grp.Name, f.at
	if grp.gen > 1 {
		e.Name = fmt.Sprintf("%s #%d (after a close)", grp.Name, grp.gen)
	}
	return grp, c.emit(e)
}

// meet links call sites a and b, and remembers g at a.
func (c *converter) meet(a, b int32, g trace.GoID) {
	si := &c.sites[a]
	if si.peers == nil {
		si.peers = map[int32]struct{}{}
	}
	if b != 0 && b != si.last {
		if _, ok := si.peers[b]; !ok {
			si.peers[b] = struct{}{}
		}
		si.last = b
	}
	if g != trace.NoGoroutine && (len(si.gs) == 0 || si.gs[len(si.gs)-1] != g) && !containsG(si.gs, g) {
		if len(si.gs) >= maxSiteGoroutines {
			copy(si.gs, si.gs[1:])
			si.gs = si.gs[:len(si.gs)-1]
		}
		si.gs = append(si.gs, g)
	}
}

func containsG(gs []trace.GoID, g trace.GoID) bool {
	for _, x := range gs {
		if x == g {
			return true
		}
	}
	return false
}

func (c *converter) woken(ev *trace.Event, id trace.GoID, t tracer.Time) error {
	g := c.goroutine(id)
	if !g.waiting {
		return nil
	}
	g.waiting = false
	ch := g.ch
	g.ch = 0
	blockedOp := waitOp(g.reason)
	wakerID := ev.Goroutine()
	waker := c.gs[wakerID]
	var wf frame
	if wakerID == trace.NoGoroutine || waker == nil {
		wf = frame{op: opNone}
	} else {
		wf = c.cachedFrame(&waker.wakeAt, ev.Stack())
		c.learn(waker, wf)
	}
	if blockedOp == opSync {
		c.rep.SyncWakes++
		return nil
	}
	if blockedOp != opSend && blockedOp != opRecv && blockedOp != opSelect {
		return nil
	}
	switch {
	case wf.op == opTimer && blockedOp != opSend:
		// A timer channel's delivery (time.After, a Ticker): the timer
		// sent, not the goroutine whose stack ran the timer code.
		c.rep.TimerWakes++
		c.rep.TimerStacks++
		return nil
	case wf.op == opNone && blockedOp != opSend:
		// Woken by no goroutine: every channel operation runs on one,
		// except a timer's send run by the scheduler.
		c.rep.TimerWakes++
		return nil
	case wf.op == opClose && blockedOp == opRecv:
		return c.closed(g, waker, ch, wf, ev.Stack(), t)
	case wf.op == opClose:
		// A select woken by a close (which case is not known), or a parked
		// sender woken by a close (it panics): counted, not drawn.
		c.rep.Closes++
		return nil
	}
	// Who sent, who received, how sure.
	var conf Confidence
	senderIsWaker := true
	switch blockedOp {
	case opRecv:
		switch wf.op {
		case opSend, opSelect:
			conf = ConfExact
		}
	case opSend:
		switch wf.op {
		case opRecv, opSelect:
			conf, senderIsWaker = ConfSlot, false
		}
	case opSelect:
		switch wf.op {
		case opSend:
			conf = ConfExact
		case opRecv:
			conf, senderIsWaker = ConfSlot, false
		case opSelect:
			conf = ConfAmbiguous
		}
	}
	if conf == ConfBad {
		c.rep.Unattributed++
		return nil
	}
	if g.wait.at != "" && wf.at != "" {
		c.meet(g.wait.id, wf.id, id)
		c.meet(wf.id, g.wait.id, wakerID)
	}
	c.rep.Handoffs[conf]++
	if !c.user(g) || !c.user(waker) || !c.inWindow(t) || g.wait.at == "" {
		return nil
	}
	grp, err := c.group(blockedOp, g.wait, id, t)
	if err != nil {
		return err
	}
	if _, closed := c.closes[ch]; closed {
		// g waited at a call site whose channel a close retired while it
		// was parked: it was on another channel with the same call site.
		ch = 0
		c.rep.Splits++
	}
	if ch == 0 {
		ch = grp.Ch
	}
	grp.Count[conf]++
	sender, receiver := wakerID, id
	sendAt, recvAt := wf.at, g.wait.at
	sendSite, recvSite := wf.site, g.wait.site
	if !senderIsWaker {
		sender, receiver = receiver, sender
		sendAt, recvAt = recvAt, sendAt
		sendSite, recvSite = recvSite, sendSite
	}
	c.nextV++
	v := c.nextV
	lk := labelKey(wf.id, g.wait.id)
	if !senderIsWaker {
		lk = labelKey(g.wait.id, wf.id)
	}
	label, ok := c.labels[conf][lk]
	if !ok {
		label = conf.String() + ": " + sendSite + " → " + recvSite
		c.labels[conf][lk] = label
	}
	e := c.reset(tracer.KindMake, sender, t)
	e.V, e.Label, e.Conf = v, label, conf.String()
	if err := c.emit(e); err != nil {
		return err
	}
	e = c.reset(tracer.KindSend, sender, t)
	e.V, e.Ch, e.At, e.Conf = v, ch, sendAt, conf.String()
	if err := c.emit(e); err != nil {
		return err
	}
	e = c.reset(tracer.KindRecv, receiver, t)
	e.V, e.Ch, e.At, e.Conf = v, ch, recvAt, conf.String()
	return c.emit(e)
}

// closed writes a close by the waker and an empty receive by g, then
// retires the group: a later wait at the same call site is on another
// channel (or a reopened loop), never on a closed one.
//
// One close wakes every receiver parked on its channel, one after another
// with nothing in between: a close wake by the same goroutine from the same
// stack is that close. A close by anyone else of a channel group already
// closed is another channel that waited at the same call site: g is moved
// to the group's current channel (a split), which this close closes.
func (c *converter) closed(g, waker *gstate, ch tracer.ChanID, wf frame, stack trace.Stack, t tracer.Time) error {
	c.rep.Closes++
	if !c.user(g) || !c.user(waker) || !c.inWindow(t) || g.wait.at == "" {
		return nil
	}
	if cl, done := c.closes[ch]; done && (cl.by != waker.id || cl.stack != stack || cl.gen != c.gen) {
		ch = 0
		c.rep.Splits++
	}
	if ch == 0 {
		// Not parked on a channel group yet (parked before the window or
		// the trace), or split: the group's current channel.
		grp, err := c.group(opRecv, g.wait, g.id, t)
		if err != nil {
			return err
		}
		ch = grp.Ch
	}
	grp := c.sites[g.wait.id].groups[opRecv]
	if _, done := c.closes[ch]; !done {
		c.closes[ch] = closeInfo{by: waker.id, stack: stack, gen: c.gen}
		e := c.reset(tracer.KindClose, waker.id, t)
		e.Ch, e.At, e.Conf = ch, wf.at, ConfExact.String()
		if err := c.emit(e); err != nil {
			return err
		}
	}
	e := c.reset(tracer.KindRecv, g.id, t)
	e.Ch, e.Close, e.At, e.Conf = ch, true, g.wait.at, ConfExact.String()
	if err := c.emit(e); err != nil {
		return err
	}
	if grp.Ch == ch {
		grp.Ch = 0
	}
	return nil
}

// closeInfo is who wrote a close, from which stack.
type closeInfo struct {
	by    trace.GoID
	stack trace.Stack
	gen   uint32
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
