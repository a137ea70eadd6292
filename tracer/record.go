package tracer

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"runtime"
	"runtime/trace"
	"sync"
	"sync/atomic"
	"time"
)

// rec is one recorded event as a goroutine buffers it: fixed size and free
// of pointers, so that appending one is a plain copy (no write barrier) and
// the buffers cost the garbage collector nothing to scan. The variable parts
// of rare events sit beside, in extras (x). By kind:
//
//	go         a child, b scope; x name, vs, refs
//	end        flags abort; x panic
//	join       a child; x panic
//	chan       a channel, b capacity; x name
//	make       a value; x label
//	send       a channel, b value, c message (the send's id, carried to the receiver); x caseNo in a select
//	recv       a channel, b value, c message; flags closed; x caseNo in a select
//	discard    a channel, b value, c message; x g (a tracer record)
//	close      a channel
//	block      flags reason (onSend...), a channel, mutex or child; x cases (onSelect)
//	skip       x cases (a select took its default)
//	use        a value, b borrow; flags write
//	borrow     a value, b borrow; flags mutable (release: the same)
//	drop       a value
//	mutex      a mutex; x name
//	lock       a mutex, c ticket (unlock: the same)
//	scope      a scope (scope-end: the same)
//	violation  a value, b channel, c child; x rule, msg, cycle, g
//
// Values are the tracer's raw ids (made values count up from 1, anonymous
// ones are -message); the merger numbers them afresh.
type rec struct {
	tick  int64
	kind  Kind
	flags uint8
	x     uint32 // 1 + the index of its recExtra in the goroutine's extras, or 0
	a     int64
	b     int64
	c     int64
	pc    uintptr
}

// Flags of a rec.
const (
	flagMut    = 1 << iota // borrow: mutable; use: write
	flagClosed             // recv: channel closed and empty
	flagAbort              // end: stopped by the tracer
)

// Block reasons, kept in a rec's flags for KindBlock.
const (
	onSend uint8 = iota + 1
	onRecv
	onLock
	onJoin
	onSelect // a select's wait: the cases are in the record's extra
)

var onNames = [...]string{onSend: OnSend, onRecv: OnRecv, onLock: OnLock, onJoin: OnJoin, onSelect: OnSelect}

// recExtra holds the variable-length parts of rare events.
type recExtra struct {
	name, label, rule, msg, panic string
	vs, refs                      []int64
	cycle                         []GoID
	g                             GoID      // tracer-level records: the goroutine the event is about
	cases                         []rawCase // block on select, skip: the select's cases
	caseNo                        int       // send, recv: the select case that made it, from 1
}

// rawCase is a select's case in a record: a direction, a channel and, for
// a send, the raw value id.
type rawCase struct {
	send bool
	done bool // a context's Done: not traced, no channel
	ch   int64
	v    int64
}

// chunkSize is how many records a goroutine buffers before it hands them to
// the tracer. It must be a power of two (slot masks with it).
const chunkSize = 1024

var _ = [1]int{}[chunkSize&(chunkSize-1)] // does not compile unless chunkSize is a power of two

// Option configures a [Tracer].
type Option func(*options)

type options struct {
	ctx             context.Context
	sink            Sink
	live            bool
	liveEvery       time.Duration
	callSites       bool
	discard         bool
	deadlockTimeout time.Duration
	source          string
}

// WithSink sends the run's events to s.
func WithSink(s Sink) Option { return func(o *options) { o.sink = s } }

// WithLive makes the tracer emit events to its sink while the program runs,
// every interval (10ms when interval is 0), instead of all at the end. Every
// event is handed over as soon as it is recorded, which costs a lock per
// event: meant for paced programs that people watch.
func WithLive(interval time.Duration) Option {
	return func(o *options) {
		o.live = true
		if interval <= 0 {
			interval = 10 * time.Millisecond
		}
		o.liveEvery = interval
	}
}

// WithCallSites records the file:line of the code that did each operation
// (on by default; about 150 ns an event).
func WithCallSites(on bool) Option { return func(o *options) { o.callSites = on } }

// WithDeadlockTimeout sets how long every traced goroutine must stay blocked,
// with no progress, before the tracer reports a deadlock and stops them
// (1s by default; 0 or less turns detection off). The tracer only sees
// traced goroutines: if they wait for something that untraced code will
// provide (a channel fed from a timer or the network), raise the timeout
// or turn detection off.
func WithDeadlockTimeout(d time.Duration) Option {
	return func(o *options) { o.deadlockTimeout = d }
}

// WithContext stops the run when ctx is done: goroutines blocked in traced
// operations, and those that block later, stop as after a deadlock (their
// end events say aborted), and Run returns ctx's error.
func WithContext(ctx context.Context) Option { return func(o *options) { o.ctx = ctx } }

// WithSource names the trace's source in its header.
func WithSource(name string) Option { return func(o *options) { o.source = name } }

// withDiscard drops records as soon as they are flushed: for benchmarks of
// the record path.
func withDiscard() Option { return func(o *options) { o.discard = true } }

// Tracer records one run of a traced program. Create one with [New] or use
// [Run]. All its methods are safe for concurrent use.
type Tracer struct {
	opts  options
	tick0 int64
	mono0 time.Time

	nextG, nextCh, nextV, nextMu, nextScope, nextRef atomic.Int64

	live atomic.Int64 // goroutines started and not ended

	deadlocked atomic.Bool

	abort     chan struct{} // closed when the run is stopped
	stopped   atomic.Bool   // the same, cheaper to test
	abortOnce sync.Once
	stop      chan struct{}
	monitor   sync.WaitGroup

	mu       sync.Mutex                           // guards what follows
	gs       map[GoID]*G                          // every goroutine of the run
	running  map[GoID]*G                          // those that have not ended
	names    map[int64]string                     // channels by id, for deadlock reports
	pokers   map[int64]func(on uint8, woken GoID) // channels by id: wake a blocked goroutine
	mutexes  map[int64]*Mutex
	merger   *merger
	closed   bool
	sinkErr  error
	lastTick int64 // of the tracer's own records
	memory   *MemorySink
}

// New starts a tracer. Close it to flush its events.
func New(opts ...Option) *Tracer {
	o := options{callSites: true, deadlockTimeout: time.Second}
	for _, f := range opts {
		f(&o)
	}
	t := &Tracer{
		opts:    o,
		tick0:   cputicks(),
		mono0:   time.Now(),
		abort:   make(chan struct{}),
		stop:    make(chan struct{}),
		gs:      map[GoID]*G{},
		running: map[GoID]*G{},
		names:   map[int64]string{},
		pokers:  map[int64]func(uint8, GoID){},
		mutexes: map[int64]*Mutex{},
	}
	t.merger = newMerger(t)
	t.monitor.Add(1)
	go t.watch()
	return t
}

// Clock names the clock this build of the tracer reads, as the trace
// header's "clock" field says it.
const Clock = clockName

// Header returns the header for this tracer's trace file.
func (t *Tracer) Header() Header {
	return Header{Format: FormatName, Version: FormatVersion, Source: t.opts.source, Clock: clockName}
}

// Main returns the G for the calling goroutine, which becomes a traced
// goroutine named name. Call it once per goroutine that is not started by
// [G.Go]; the first one has GoID 1.
func (t *Tracer) Main(name string) *G {
	g := t.newG(name)
	t.mu.Lock()
	t.merger.root(g.id)
	t.mu.Unlock()
	t.live.Add(1)
	return g
}

func (t *Tracer) newG(name string) *G {
	g := &G{t: t, id: GoID(t.nextG.Add(1)), name: name, done: make(chan struct{}), live: t.opts.live, callSites: t.opts.callSites}
	g.buf, g.limit = new([chunkSize]rec), t.chunkCap()
	t.mu.Lock()
	t.gs[g.id] = g
	t.running[g.id] = g
	t.mu.Unlock()
	return g
}

// chunkCap is the capacity of a goroutine's buffer.
func (t *Tracer) chunkCap() int {
	if t.opts.live {
		return 1 // every record is handed over at once
	}
	return chunkSize
}

// ErrDeadlock is returned by [Run] when the tracer found a deadlock and
// stopped the run.
var ErrDeadlock = errors.New("deadlock: every traced goroutine was blocked")

// abortSignal is the panic value that unwinds a goroutine the tracer stops.
type abortSignal struct{}

func (t *Tracer) aborted() bool { return t.stopped.Load() }

// watch runs in the background: it emits live events and looks for
// deadlocks.
func (t *Tracer) watch() {
	defer t.monitor.Done()
	every := 10 * time.Millisecond
	if t.opts.live {
		every = t.opts.liveEvery
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	var since time.Time
	var last map[GoID]uint64
	var done <-chan struct{}
	if t.opts.ctx != nil {
		done = t.opts.ctx.Done()
	}
	for {
		select {
		case <-t.stop:
			return
		case <-done:
			done = nil
			t.stopAll()
		case <-tick.C:
		}
		if t.opts.live {
			t.mu.Lock()
			t.emitLocked(false)
			t.mu.Unlock()
		}
		if t.aborted() {
			t.poke()
			continue
		}
		if t.opts.deadlockTimeout <= 0 {
			continue
		}
		waits := t.allBlocked()
		if waits == nil || !maps.Equal(waits, last) {
			since, last = time.Time{}, waits
			continue
		}
		if since.IsZero() {
			since = time.Now()
			continue
		}
		if time.Since(since) >= t.opts.deadlockTimeout {
			t.reportDeadlock()
		}
	}
}

// register runs fn under t.mu, which it releases even if fn panics.
func (t *Tracer) register(fn func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fn()
}

// allBlocked returns the wait words of the traced goroutines that have not
// ended when every one of them is blocked in a traced operation, and nil
// otherwise. Two equal results mean nobody moved in between: a wait word
// counts the goroutine's blocks.
func (t *Tracer) allBlocked() map[GoID]uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	waits := map[GoID]uint64{}
	for id, g := range t.running {
		if g.ended.Load() {
			continue
		}
		w := g.wait.Load()
		if w&waitKindMask == 0 {
			return nil
		}
		waits[id] = w
	}
	if len(waits) == 0 {
		return nil
	}
	return waits
}

// tracerRecord adds a record of the tracer's own (a deadlock, a leak).
func (t *Tracer) tracerRecord(r rec, x *recExtra) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	if r.tick <= t.lastTick {
		r.tick = t.lastTick + 1
	}
	t.lastTick = r.tick
	r.x = 1
	t.merger.ingest(0, []rec{r}, []*recExtra{x})
}

// reportDeadlock records the wait-for cycle and stops every blocked
// goroutine.
func (t *Tracer) reportDeadlock() {
	t.mu.Lock()
	var waiting []*G
	for _, g := range t.running {
		if !g.ended.Load() && g.wait.Load()&waitKindMask != 0 {
			waiting = append(waiting, g)
		}
	}
	t.deadlocked.Store(true)
	cycle, msg := t.waitForCycle(waiting)
	t.mu.Unlock()
	var first GoID
	if len(cycle) > 0 {
		first = cycle[0]
	}
	t.tracerRecord(rec{tick: cputicks(), kind: KindViolation}, &recExtra{rule: RuleDeadlock, msg: msg, cycle: cycle, g: first})
	t.stopAll()
}

func (t *Tracer) stopAll() {
	t.abortOnce.Do(func() {
		t.stopped.Store(true)
		close(t.abort)
	})
	t.poke()
}

// poke wakes the goroutines blocked on channels and mutexes after the run
// was stopped; each stops when it wakes. It is called on every tick until
// they all have: a poke may wake another goroutine waiting on the same
// channel, or come twice for one that has not run yet (each value taken out
// is recorded, so the trace stays whole). Joins and unbounded queues watch
// t.abort themselves.
func (t *Tracer) poke() {
	t.mu.Lock()
	var pokes []func()
	for _, g := range t.running {
		w := g.wait.Load()
		if g.ended.Load() || w&waitKindMask == 0 {
			continue
		}
		on, obj := uint8(w&waitKindMask>>32), int64(w&waitObjMask)
		switch on {
		case onSend, onRecv:
			if p := t.pokers[obj]; p != nil {
				gid := g.id
				pokes = append(pokes, func() { p(on, gid) })
			}
		case onLock:
			if m := t.mutexes[obj]; m != nil {
				pokes = append(pokes, m.poke)
			}
		}
	}
	t.mu.Unlock()
	for _, p := range pokes {
		p()
	}
}

// flush hands g's buffered records to the merger.
func (t *Tracer) flush(g *G) {
	if t.opts.discard {
		g.n = 0
		clear(g.extras)
		g.extras = g.extras[:0]
		return
	}
	t.mu.Lock()
	if !t.closed {
		t.merger.ingest(g.id, g.buf[:g.n], g.extras)
	}
	t.mu.Unlock()
	g.n = 0 // the merger copies what it ingests
	clear(g.extras)
	g.extras = g.extras[:0]
}

// emitLocked merges what it can and hands it to the sinks. With final, it
// also forces out whatever is left. t.mu is held.
func (t *Tracer) emitLocked(final bool) {
	evs := t.merger.run(final)
	if len(evs) == 0 {
		return
	}
	if t.memory != nil {
		t.memory.Emit(evs)
	}
	if t.opts.sink != nil && t.sinkErr == nil {
		t.sinkErr = t.opts.sink.Emit(evs)
	}
}

// Close ends the trace: it waits a moment for traced goroutines still
// running, stops those still blocked (each gets an end event with aborted
// set), reports goroutines never joined, merges every record and closes the
// sink. It returns the sink's first error.
func (t *Tracer) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return errors.New("tracer: close: already closed")
	}
	t.mu.Unlock()
	t.settle()
	t.mu.Lock()
	var gs []*G
	for _, g := range t.gs {
		gs = append(gs, g)
	}
	t.mu.Unlock()
	sortGs(gs)
	for _, g := range gs {
		select {
		case <-g.done:
		default:
			// Still running untraced code: its buffer cannot be read safely.
			t.tracerRecord(rec{tick: cputicks(), kind: KindViolation, c: int64(g.id)}, &recExtra{g: g.id, rule: RuleLeakedGoroutine,
				msg: fmt.Sprintf("goroutine g%d %q was still running when the trace ended; its last events are lost", g.id, g.name)})
			continue
		}
		if g.abortedEnd && (t.deadlocked.Load() || t.opts.ctx != nil && t.opts.ctx.Err() != nil) {
			continue // stopped by the tracer: the deadlock report explains it
		}
		if !g.joined.Load() && g.parent != nil {
			how := "ended but was never joined"
			if g.abortedEnd {
				how = "was still blocked when the trace ended, and was never joined"
			}
			t.tracerRecord(rec{tick: cputicks(), kind: KindViolation, c: int64(g.id)}, &recExtra{g: g.id, rule: RuleLeakedGoroutine,
				msg: fmt.Sprintf("goroutine g%d %q %s", g.id, g.name, how)})
		}
	}
	close(t.stop)
	t.monitor.Wait()
	t.mu.Lock()
	t.emitLocked(true)
	t.closed = true
	err := t.sinkErr
	t.mu.Unlock()
	if t.opts.sink != nil {
		if cerr := t.opts.sink.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// settle waits for traced goroutines other than those started by Main to
// end, stopping them when they all are blocked, for at most a second.
func (t *Tracer) settle() {
	deadline := time.Now().Add(time.Second)
	for t.live.Load() > 0 && time.Now().Before(deadline) {
		if t.allBlocked() != nil {
			t.stopAll()
		}
		time.Sleep(time.Millisecond)
	}
}

// Forced reports how many events the merger had to place against the rules
// of causality (0 unless the recording raced in ways it cannot order).
func (t *Tracer) Forced() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.merger.forced
}

// Result is what [Run] returns.
type Result struct {
	Header Header
	Events []Event
}

// Run traces fn as goroutine 1, "main", then closes the tracer and returns
// every event. When fn returns, other traced goroutines get a moment to
// finish; after a deadlock Run returns the events with [ErrDeadlock].
func Run(fn func(g *G), opts ...Option) (*Result, error) {
	t := New(opts...)
	t.memory = &MemorySink{}
	g := t.Main("main")
	g.runBody(fn)
	err := t.Close()
	res := &Result{Header: t.Header(), Events: t.memory.Events()}
	if n := t.Forced(); n > 0 {
		res.Header.Note = fmt.Sprintf("%d records were placed against the merger's rules of causality (a race it could not order)", n)
	}
	if err != nil {
		return res, err
	}
	if g.panicked {
		return res, fmt.Errorf("main goroutine panicked: %v", g.panicValue)
	}
	for i := range res.Events {
		if res.Events[i].Kind == KindViolation && res.Events[i].Rule == RuleDeadlock {
			return res, ErrDeadlock
		}
	}
	if ctx := t.opts.ctx; ctx != nil && ctx.Err() != nil {
		return res, ctx.Err()
	}
	return res, nil
}

// G is a traced goroutine. Use a G only from the goroutine it stands for:
// it buffers that goroutine's records without locks.
type G struct {
	_ [64]byte // keep the hot fields off the cache lines of other Gs

	// Written on every record, by this goroutine only.
	skip      int // channel operations left before fastTick reads the clock
	callSites bool
	buf       *[chunkSize]rec
	n         int         // records in buf
	limit     int         // flush when n reaches it: chunkSize, or 1 in live mode
	extras    []*recExtra // of the records in buf
	msgs      int64
	t         *Tracer
	live      bool // hand every record over at once (WithLive)
	// wakeup wakes g from a live-mode wait on a buffered channel (see
	// Chan.sendLive); made at g's first such wait.
	wakeup chan struct{}

	_ [64]byte

	id     GoID
	name   string
	parent *G
	done   chan struct{}

	panicked   bool
	panicValue any
	abortedEnd bool
	// stopping is set when the tracer stopped the run and g unwinds: its
	// records from then on are dropped (abortNow, finish).
	stopping bool
	joined   atomic.Bool

	// wait says what the goroutine waits on, for deadlock detection: the
	// number of times it blocked, the reason and the object (see waitWord).
	// Only the goroutine writes it.
	wait   atomic.Uint64
	blocks uint64
	ended  atomic.Bool
	_      [64]byte
}

const (
	waitKindMask = 0xf << 32
	waitObjMask  = 1<<32 - 1
)

// waitWord packs a goroutine's block count, reason and object.
func waitWord(blocks uint64, on uint8, obj int64) uint64 {
	return blocks<<36 | uint64(on)<<32 | uint64(obj)&waitObjMask
}

// ID returns the goroutine's id in the trace.
func (g *G) ID() GoID { return g.id }

// Name returns the goroutine's name.
func (g *G) Name() string { return g.name }

// site returns the program counter of the caller of the public method that
// called it, when call sites are on.
func (g *G) site() uintptr {
	if !g.callSites {
		return 0
	}
	return callerPC()
}

// callerPC is site's slow half, kept apart so that site inlines.
//
//go:noinline
func callerPC() uintptr {
	var pcs [1]uintptr
	runtime.Callers(4, pcs[:])
	return pcs[0]
}

// add appends a record to g's buffer.
func (g *G) add(r rec) {
	*g.slot() = r
	g.filled()
}

// slot returns room for one more record at the end of g's buffer; fill it,
// then call filled. Both inline, so the hot paths write their record in
// place.
func (g *G) slot() *rec {
	r := &g.buf[g.n&(chunkSize-1)]
	g.n++
	return r
}

// filled finishes the record slot returned: a full buffer goes to the
// tracer (in live mode, with room for one, every record does), and with
// runtime/trace on the record is logged there too.
func (g *G) filled() {
	if g.n >= g.limit || trace.IsEnabled() {
		g.publish()
	}
}

// publish is filled's slow half, kept out of line so that filled inlines.
//
//go:noinline
func (g *G) publish() {
	if g.stopping {
		return // unwinding after a stop: nothing to tell (see abortNow)
	}
	if trace.IsEnabled() {
		g.annotate(&g.buf[g.n-1])
	}
	if g.n >= g.limit {
		g.t.flush(g)
	}
}

// clockEvery says how often a channel operation that does not block reads
// the clock. Reading the cycle counter costs about 20 ns here, as much as a
// buffered channel operation itself; the other operations get times
// interpolated between their goroutine's neighbouring records when the
// merger ingests them. Blocking operations, and every other record, always
// read it.
const clockEvery = 4

// fastTick returns the clock, or 0 for "interpolate" (see clockEvery).
func (g *G) fastTick() int64 {
	if g.skip > 0 && !g.live {
		g.skip--
		return 0
	}
	g.skip = clockEvery - 1
	return cputicks()
}

// addX appends a record with its extra part (x may be nil).
func (g *G) addX(r rec, x *recExtra) {
	if x != nil {
		g.extras = append(g.extras, x)
		r.x = uint32(len(g.extras))
	}
	g.add(r)
}

func (g *G) nextMsg() int64 {
	g.msgs++
	return int64(g.id)<<32 | g.msgs
}

// violation records a broken rule at once.
func (g *G) violation(pc uintptr, rule string, v, ch int64, child GoID, msg string) {
	g.addX(rec{tick: cputicks(), kind: KindViolation, a: v, b: ch, c: int64(child), pc: pc}, &recExtra{rule: rule, msg: msg})
}

// block records that g, having tried at tick, waits on something, and
// tells the deadlock detector.
func (g *G) block(pc uintptr, tick int64, on uint8, obj int64) {
	if tick == 0 {
		tick = cputicks() // the attempt skipped the clock (fastTick): when a wait began matters
	}
	*g.slot() = rec{tick: tick, kind: KindBlock, flags: on, a: obj, pc: pc}
	g.filled()
	g.blocks++
	g.wait.Store(waitWord(g.blocks, on, obj))
	if g.t.aborted() {
		g.abortNow() // the run was stopped: do not wait
	}
}

// unblock undoes block once the operation went through.
func (g *G) unblock() {
	g.wait.Store(waitWord(g.blocks, 0, 0))
}

// abortNow unwinds g after the tracer stopped the run. What g does from
// here on is not the program's run but its unwinding (its deferred calls
// run, which a deadlocked program never would): g keeps recording into
// its buffer without handing anything over, and finish throws it away.
func (g *G) abortNow() {
	g.unblock()
	if !g.stopping {
		g.stopping = true
		if g.n > 0 {
			g.t.flush(g) // what it did before the stop is the run's
		}
		g.limit = math.MaxInt
	}
	panic(abortSignal{})
}

// finishMain ends a goroutine from Tracer.Main that is still running, so
// Close does not wait for it.
func (g *G) finishMain() {
	defer g.finish()
}

// runBody runs fn as g's body and records its end.
func (g *G) runBody(fn func(*G)) {
	defer g.finish()
	fn(g)
}

func (g *G) finish() {
	r := recover()
	end := rec{tick: cputicks(), kind: KindEnd}
	var x *recExtra
	if g.stopping {
		// The records of the unwinding (a deferred close, say) are not
		// the program's: a stopped program does nothing more.
		g.n = 0
		clear(g.extras)
		g.extras = g.extras[:0]
		g.limit = g.t.chunkCap()
		g.stopping = false // the end is the run's
		r = abortSignal{}
	}
	switch r.(type) {
	case nil:
	case abortSignal:
		g.abortedEnd = true
		end.flags = flagAbort
	default:
		g.panicked, g.panicValue = true, r
		x = &recExtra{panic: fmt.Sprint(r)}
	}
	g.addX(end, x)
	if !g.t.opts.live {
		g.t.flush(g)
	}
	g.ended.Store(true)
	g.t.register(func() { delete(g.t.running, g.id) })
	g.t.live.Add(-1)
	close(g.done)
}

// Movable is what [G.Go] and [Scope.Go] accept: a [*Value] moved into the
// new goroutine, or a [*Ref] lent to it.
type Movable interface {
	movable() (v *valueState, ref *refState)
}

// Handle is a spawned goroutine, to join.
type Handle struct {
	child *G
}

// G returns the spawned goroutine.
func (h *Handle) G() *G { return h.child }

// PanicError is the error [Handle.Join] returns when the joined goroutine
// panicked: the chapter's "join surfaces a panic as a Result".
type PanicError struct {
	Goroutine string
	Value     any
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("goroutine %q panicked: %v", e.Goroutine, e.Value)
}

// Go starts fn in a new traced goroutine named name, moving the given
// values into it: from now on the child owns them and g must not use them
// (doing so is reported as use-after-move). Lending a [*Ref] to an unscoped
// goroutine is reported as borrow-escapes: use [G.Scope] to lend.
func (g *G) Go(name string, fn func(*G), moved ...Movable) *Handle {
	return g.spawn(g.site(), name, 0, fn, moved)
}

func (g *G) spawn(pc uintptr, name string, scope ScopeID, fn func(*G), moved []Movable) *Handle {
	child := g.t.newG(name)
	child.parent = g
	x := &recExtra{name: name}
	var lentAfterEnd []*refState
	for _, m := range moved {
		v, ref := m.movable()
		if ref == nil {
			x.vs = append(x.vs, v.id)
			continue
		}
		x.refs = append(x.refs, ref.id)
		if scope == 0 {
			g.violation(pc, RuleBorrowEscapes, ref.value.id, 0, child.id, fmt.Sprintf(
				"g%d lends a borrow of %s to unscoped goroutine %q, which may outlive it: spawn needs owned data (move it, or use a scope)",
				g.id, ref.value.describe(), name))
			lentAfterEnd = append(lentAfterEnd, ref)
		}
	}
	g.addX(rec{tick: cputicks(), kind: KindGo, a: int64(child.id), b: int64(scope), pc: pc}, x)
	for _, m := range moved {
		if v, ref := m.movable(); ref == nil {
			v.handOff(g, pc, int64(child.id), handMove)
		}
	}
	for _, r := range lentAfterEnd {
		r.escaped.Store(true)
	}
	g.t.live.Add(1)
	go child.runBody(fn)
	return &Handle{child: child}
}

// Join waits for the goroutine to end. It returns a [*PanicError] when the
// goroutine panicked; the panic never reaches g.
func (h *Handle) Join(g *G) error {
	pc := g.site()
	c := h.child
	select {
	case <-c.done:
	default:
		g.block(pc, cputicks(), onJoin, int64(c.id))
		select {
		case <-c.done:
		case <-g.t.abort:
			g.abortNow()
		}
		g.unblock()
	}
	c.joined.Store(true)
	r := rec{tick: cputicks(), kind: KindJoin, a: int64(c.id), pc: pc}
	var err error
	var x *recExtra
	if c.panicked {
		err = &PanicError{Goroutine: c.name, Value: c.panicValue}
		x = &recExtra{panic: fmt.Sprint(c.panicValue)}
	}
	g.addX(r, x)
	return err
}

func sortGs(gs []*G) {
	for i := 1; i < len(gs); i++ {
		for j := i; j > 0 && gs[j].id < gs[j-1].id; j-- {
			gs[j], gs[j-1] = gs[j-1], gs[j]
		}
	}
}
