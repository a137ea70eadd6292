package instrument

import (
	"encoding/json"
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/handoff-viz/handoff/internal/instrument/hooks"
	"github.com/handoff-viz/handoff/tracer"
)

// Ending is how the traced program ended, as the parent saw it.
type Ending struct {
	ExitCode int
	// Fatal is "deadlock" when Go reported that all goroutines are
	// asleep, "panic" when the program died of a panic, "" otherwise.
	Fatal     string
	PanicGoid uint64 // the goroutine that panicked, from Go's message
	PanicMsg  string // the panic's value, from Go's message
	// Timeout is set when handoff ended the program after --timeout.
	Timeout string
	// Signal is set when the program was killed by a signal.
	Signal string
	// Unknown is set when nobody saw the program end: the records of a
	// binary of handoff build, read later.
	Unknown bool
}

// lookahead is how many records the converter reads ahead to find the
// receive that completed an unbuffered send: its memory bound, about
// 100 bytes a record.
const lookahead = 1 << 14

// A converter turns the hooks' records, in the order they were written,
// into trace events. It ties each receive to the send that delivered it:
// exactly when the value received matches one value in flight on that
// channel, else (equal values) the earliest, with conf "slot".
type converter struct {
	sites []Site
	emit  func(*tracer.Event) error
	err   error

	seq   uint64
	lastT tracer.Time

	gs     map[uint64]*convG // by the runtime's goroutine id
	order  []*convG
	tokens map[uint64]tracer.GoID // spawn token → the child's GoID
	nextG  tracer.GoID
	chans  map[uint64]*convChan // by address
	nextCh tracer.ChanID
	mus    map[uint64]*convMutex // by address
	nextMu tracer.MutexID
	wgs    map[uint64]tracer.WaitGroupID
	names  map[string]int // how many channels and mutexes have had each name

	nextV tracer.ValueID

	// pieces gathers the site table a binary of handoff build writes
	// into its records, when the converter was given none.
	pieces map[uint64]string

	window []hooks.Record // records read ahead, not yet converted
	taken  map[int]bool   // positions in window already converted early (by index from base)
	base   int            // the index of window[0] in the record stream
	next   func() (hooks.Record, error, bool)

	// Counts for the report.
	Records, Slot, Unmatched, External int
}

type convG struct {
	id      tracer.GoID
	goid    uint64
	ended   bool
	blocked string // the wait it is in; "" when running
	blockCh tracer.ChanID
	blockMu *convMutex
	at      string
	sending *inFlight // the send it has begun and not seen done
	name    string
	// owned are the values it received or offered last, newest last, so
	// that a value it passes on keeps its identity (a pipeline's stage
	// forwarding what it got): at most ownedMax.
	owned []owned
	sel   *convSelect // the select it is in
	// spawned is set for a goroutine a go event started.
	spawned bool
	// heldOn are the channels where it may have sends held (see hold).
	heldOn []*convChan
	// endPending is set when it ended with sends held: its end is
	// written once they are placed.
	endPending bool
}

// owned is a value a goroutine holds: its identity is its ident and its
// label together, since values of different types can have equal idents
// (struct{}{} and 0).
type owned struct {
	ident uint64
	label string
	v     tracer.ValueID
}

// ownedMax bounds the values remembered per goroutine; an older one still
// belongs to it, but a send of an equal value makes a new one.
const ownedMax = 64

// convSelect is a select between its cases' records and its outcome.
type convSelect struct {
	site  int32
	cases []convCase
}

type convCase struct {
	dir string // tracer.DirSend, DirRecv or DirDone
	ch  *convChan
	f   *inFlight // a send case's value
}

func (g *convG) own(ident uint64, label string, v tracer.ValueID) {
	if len(g.owned) == ownedMax {
		g.owned = append(g.owned[:0], g.owned[1:]...)
	}
	g.owned = append(g.owned, owned{ident, label, v})
}

// takeOwned returns the newest value g owns that is equal to ident and
// shown as label, or 0.
func (g *convG) takeOwned(ident uint64, label string) tracer.ValueID {
	for i := len(g.owned) - 1; i >= 0; i-- {
		if g.owned[i].ident == ident && g.owned[i].label == label {
			v := g.owned[i].v
			g.owned = append(g.owned[:i], g.owned[i+1:]...)
			return v
		}
	}
	return 0
}

type convChan struct {
	addr     uint64
	id       tracer.ChanID
	cap      int
	name     string
	closed   bool
	external bool
	queue    []*inFlight // sent values in the channel, oldest first
	held     []*inFlight // sends done whose place in the queue is not yet known
	begun    []*inFlight // sends begun and not done
}

// convMutex is a sync.Mutex or RWMutex the program used.
type convMutex struct {
	id     tracer.MutexID
	name   string
	holder *convG // the write lock's holder
}

type inFlight struct {
	v     tracer.ValueID
	caseK int // a select's send case: its number
	g     *convG
	ident uint64
	label string
	site  int32
	sent  bool // its send event is written
	// unsure is set when, as its send was done, a send of another
	// goroutine on the channel was begun or done and not yet placed:
	// which of them went in first is settled by what receivers get.
	unsure bool
	done   bool // its sender saw it done
	recvd  bool
}

func (c *converter) g(goid uint64) *convG {
	g := c.gs[goid]
	if g == nil {
		c.nextG++
		g = &convG{id: c.nextG, goid: goid}
		c.gs[goid] = g
		c.order = append(c.order, g)
	}
	return g
}

func (c *converter) site(s int32) Site {
	if s > 0 && int(s) < len(c.sites) {
		return c.sites[s]
	}
	return Site{}
}

func (c *converter) at(s int32) string {
	if st := c.site(s); st.File != "" {
		return st.At()
	}
	return ""
}

func (c *converter) out(e tracer.Event, t int64) {
	if c.err != nil {
		return
	}
	c.seq++
	e.Seq = c.seq
	e.T = max(tracer.Time(t), c.lastT)
	c.lastT = e.T
	c.err = c.emit(&e)
}

// ch returns the channel at addr, made outside the instrumented code when
// the trace has not seen it made: it is announced then, by the goroutine
// that first uses it, with conf inferred.
func (c *converter) ch(r *hooks.Record, g *convG) *convChan {
	ch := c.chans[r.Obj]
	if ch == nil {
		c.nextCh++
		name := c.unique(c.site(r.Site).Name)
		ch = &convChan{addr: r.Obj, id: c.nextCh, cap: int(r.Aux), name: name, external: true}
		c.chans[r.Obj] = ch
		c.External++
		c.out(tracer.Event{Kind: tracer.KindChan, G: g.id, Ch: ch.id, Cap: ch.cap, Name: name + " (made outside the instrumented code)", Conf: tracer.ConfInferred, At: c.at(r.Site)}, r.Time)
	}
	return ch
}

// run converts every record, then ends the trace as the program ended.
func (c *converter) run(records iter.Seq2[hooks.Record, error], end Ending, mainGoid uint64, truncated bool) error {
	c.gs, c.tokens, c.chans, c.taken = map[uint64]*convG{}, map[uint64]tracer.GoID{}, map[uint64]*convChan{}, map[int]bool{}
	c.mus, c.wgs, c.names = map[uint64]*convMutex{}, map[uint64]tracer.WaitGroupID{}, map[string]int{}
	if mainGoid != 0 {
		c.g(mainGoid).name = "main"
	}
	next, stop := iter.Pull2(records)
	defer stop()
	c.next = func() (hooks.Record, error, bool) { return next() }
	for {
		r, ok, err := c.pop()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		c.Records++
		c.record(&r)
		if c.err != nil {
			return c.err
		}
	}
	if truncated {
		// The record file filled up: the program went on unseen.
		c.out(tracer.Event{Kind: tracer.KindTruncated, G: c.g(mainGoid).id, Msg: "the record file filled up (HANDOFF_RECORD_LIMIT): the program went on, unrecorded"}, c.int64T())
		return c.err
	}
	c.finish(end, mainGoid)
	return c.err
}

// fill reads records into the window until it holds n or the records end.
func (c *converter) fill(n int) error {
	for len(c.window) < n {
		r, err, ok := c.next()
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		c.window = append(c.window, r)
	}
	return nil
}

// pop returns the next record not yet converted.
func (c *converter) pop() (hooks.Record, bool, error) {
	for {
		if err := c.fill(1); err != nil {
			return hooks.Record{}, false, err
		}
		if len(c.window) == 0 {
			return hooks.Record{}, false, nil
		}
		r := c.window[0]
		c.window = c.window[1:]
		i := c.base
		c.base++
		if c.taken[i] {
			delete(c.taken, i)
			continue
		}
		return r, true, nil
	}
}

func (c *converter) record(r *hooks.Record) {
	if r.Kind == hooks.KindStart {
		c.start(r)
		return
	}
	g := c.g(r.Goid)
	t := r.Time
	switch r.Kind {
	case hooks.KindChanMade:
		c.nextCh++
		name := c.unique(c.site(r.Site).Name)
		c.chans[r.Obj] = &convChan{addr: r.Obj, id: c.nextCh, cap: int(r.Aux), name: name}
		g.at = c.at(r.Site)
		c.out(tracer.Event{Kind: tracer.KindChan, G: g.id, Ch: c.nextCh, Cap: int(r.Aux), Name: name, At: g.at}, t)

	case hooks.KindSpawn:
		c.nextG++
		child := c.nextG
		c.tokens[r.Obj] = child
		c.out(tracer.Event{Kind: tracer.KindGo, G: g.id, Child: child, Name: c.site(r.Site).Name, At: c.at(r.Site)}, t)

	case hooks.KindEnd:
		if c.holds(g) {
			// Sends it did are not placed yet: its end is written after
			// the last of them (see send), since nothing of a goroutine
			// comes after its end.
			g.endPending = true
		} else if !g.ended {
			g.ended = true
			c.out(tracer.Event{Kind: tracer.KindEnd, G: g.id}, t)
		}
		delete(c.gs, r.Goid)

	case hooks.KindSendBegin:
		ch := c.ch(r, g)
		g.at = c.at(r.Site)
		f := c.offer(g, r)
		ch.begun = append(ch.begun, f)
		g.sending = f

	case hooks.KindSendBlock:
		ch := c.ch(r, g)
		g.blocked, g.blockCh = tracer.OnSend, ch.id
		g.at = c.at(r.Site)
		c.out(tracer.Event{Kind: tracer.KindBlock, G: g.id, On: tracer.OnSend, Ch: ch.id, At: g.at}, t)

	case hooks.KindSendDone:
		ch := c.ch(r, g)
		f := g.sending
		g.sending, g.blocked = nil, ""
		if f == nil {
			return
		}
		f.done = true
		ch.begun = slices.DeleteFunc(ch.begun, func(x *inFlight) bool { return x == f })
		if f.sent {
			return
		}
		if ch.cap == 0 {
			// An unbuffered send is done once a receiver has the value:
			// find its receive ahead, and write the two together.
			c.rendezvous(ch, f, t)
			return
		}
		c.hold(ch, f)
		c.settle(ch, t)

	case hooks.KindRecvBlock:
		ch := c.ch(r, g)
		g.blocked, g.blockCh = tracer.OnRecv, ch.id
		g.at = c.at(r.Site)
		c.out(tracer.Event{Kind: tracer.KindBlock, G: g.id, On: tracer.OnRecv, Ch: ch.id, At: g.at}, t)

	case hooks.KindRecvDone:
		ch := c.ch(r, g)
		c.recv(ch, g, r, 0)

	case hooks.KindSelectCase:
		c.selectCase(g, r)
	case hooks.KindSelectBlock:
		c.selectBlock(g, r)
	case hooks.KindSelectDone:
		c.selectDone(g, r)
	case hooks.KindSelectSkip:
		c.selectSkip(g, r)

	case hooks.KindSite:
		c.sitePiece(r)

	case hooks.KindLockBlock:
		mu := c.mutex(g, r)
		g.blocked, g.blockMu, g.at = tracer.OnLock, mu, c.at(r.Site)
		if r.Aux == hooks.LockRead {
			g.blocked = tracer.OnRLock
		}
		c.out(tracer.Event{Kind: tracer.KindBlock, G: g.id, On: g.blocked, Mu: mu.id, At: g.at}, t)
	case hooks.KindLocked:
		mu := c.mutex(g, r)
		g.blocked, g.blockMu, g.at = "", nil, c.at(r.Site)
		if r.Aux == hooks.LockWrite {
			mu.holder = g
			c.out(tracer.Event{Kind: tracer.KindLock, G: g.id, Mu: mu.id, At: g.at}, t)
		}
	case hooks.KindUnlock:
		mu := c.mutex(g, r)
		g.at = c.at(r.Site)
		if r.Aux == hooks.LockWrite && mu.holder != nil {
			// Go lets any goroutine unlock a mutex; the trace has the
			// holder do it, and says so when it was another.
			e := tracer.Event{Kind: tracer.KindUnlock, G: mu.holder.id, Mu: mu.id, At: g.at}
			if mu.holder != g {
				e.Conf = tracer.ConfInferred
			}
			mu.holder = nil
			c.out(e, t)
		}
	case hooks.KindWaitBegin:
		wg := c.wgs[r.Obj]
		if wg == 0 {
			wg = tracer.WaitGroupID(len(c.wgs) + 1)
			c.wgs[r.Obj] = wg
		}
		g.blocked, g.at = tracer.OnWait, c.at(r.Site)
		c.out(tracer.Event{Kind: tracer.KindBlock, G: g.id, On: tracer.OnWait, WG: wg, At: g.at}, t)
	case hooks.KindWaitDone:
		g.blocked = ""

	case hooks.KindClose:
		ch := c.ch(r, g)
		g.at = c.at(r.Site)
		if ch.closed {
			return // Go panics: the program's end says so
		}
		ch.closed = true
		// Values whose sends are done but not yet placed are in the
		// channel before the close; when it is full, the values ahead of
		// them left it first, to receivers whose records come later.
		c.placeHeld(ch, t)
		c.out(tracer.Event{Kind: tracer.KindClose, G: g.id, Ch: ch.id, At: g.at}, t)
	}
}

// offer returns the value g sends in r: one it owns that is equal, or one
// it makes now.
func (c *converter) offer(g *convG, r *hooks.Record) *inFlight {
	f := &inFlight{v: g.takeOwned(r.Ident, r.Label), g: g, ident: r.Ident, label: r.Label, site: r.Site}
	if f.v == 0 {
		c.nextV++
		f.v = c.nextV
		c.out(tracer.Event{Kind: tracer.KindMake, G: g.id, V: f.v, Label: r.Label, At: c.at(r.Site)}, r.Time)
	}
	return f
}

// sitePiece takes a piece of the site table; the table is used once whole.
func (c *converter) sitePiece(r *hooks.Record) {
	if len(c.sites) > 1 {
		return // the converter was given the table
	}
	if c.pieces == nil {
		c.pieces = map[uint64]string{}
	}
	c.pieces[r.Aux] = r.Label
	if uint64(len(c.pieces)) != r.Ident {
		return
	}
	var b strings.Builder
	for i := uint64(0); i < r.Ident; i++ {
		b.WriteString(c.pieces[i])
	}
	var sites []Site
	if err := json.Unmarshal([]byte(b.String()), &sites); err == nil {
		c.sites = sites
	}
	c.pieces = nil
}

// unique returns name, numbered from its second use on (ch1, ch1 #2, ...):
// channels made at one line in a loop, mutexes locked through one
// expression, are told apart on the page.
func (c *converter) unique(name string) string {
	c.names[name]++
	if n := c.names[name]; n > 1 {
		return fmt.Sprintf("%s #%d", name, n)
	}
	return name
}

// mutex returns the mutex at r.Obj, announced by g when it is the first to
// use it: a mutex is a zero value, made by no call the trace could see.
func (c *converter) mutex(g *convG, r *hooks.Record) *convMutex {
	mu := c.mus[r.Obj]
	if mu == nil {
		c.nextMu++
		mu = &convMutex{id: c.nextMu, name: c.unique(c.site(r.Site).Name)}
		c.mus[r.Obj] = mu
		c.out(tracer.Event{Kind: tracer.KindMutex, G: g.id, Mu: mu.id, Name: mu.name, Conf: tracer.ConfInferred, At: c.at(r.Site)}, r.Time)
	}
	return mu
}

// start takes a spawned goroutine's first record: from now on its
// goroutine id is the GoID its spawn was given.
func (c *converter) start(r *hooks.Record) {
	child, ok := c.tokens[r.Obj]
	if !ok {
		return // a start with no spawn: its records make a goroutine of their own
	}
	delete(c.tokens, r.Obj)
	if old := c.gs[r.Goid]; old != nil {
		return // records of it came before its start: it keeps the GoID they gave it
	}
	ng := &convG{id: child, goid: r.Goid, spawned: true}
	c.gs[r.Goid] = ng
	c.order = append(c.order, ng)
}

// send writes f's send on ch.
func (c *converter) send(ch *convChan, f *inFlight, t int64, conf string) {
	f.sent = true
	ch.queue = append(ch.queue, f)
	if conf == tracer.ConfSlot {
		c.Slot++
	}
	c.out(tracer.Event{Kind: tracer.KindSend, G: f.g.id, Ch: ch.id, V: f.v, Conf: conf, Case: f.caseK, At: c.at(f.site)}, t)
	if g := f.g; g.endPending && !c.holds(g) {
		g.endPending, g.ended = false, true
		c.out(tracer.Event{Kind: tracer.KindEnd, G: g.id}, t)
	}
}

// placeHeld writes the held sends of ch, in the order they were
// done, with conf "slot" (their order was not settled): when the channel
// is full, the values ahead of them left it first, to receivers whose
// records come later.
func (c *converter) placeHeld(ch *convChan, t int64) {
	// Each stays held until it is written: the end of a goroutine that
	// ended with sends held waits for the last (see send).
	for _, f := range slices.Clone(ch.held) {
		for !f.sent && len(ch.queue) > 0 && len(ch.queue) >= max(ch.cap, 1) {
			head := ch.queue[0]
			pr, ok := c.pullRecv(ch, head.ident)
			if !ok {
				break
			}
			c.pulled(ch, head, &pr)
		}
		if f.sent {
			continue // settled while making room
		}
		if len(ch.queue) >= max(ch.cap, 1) {
			continue // no room, and no receive ahead made some: it stays held
		}
		ch.held = slices.DeleteFunc(ch.held, func(x *inFlight) bool { return x == f })
		c.send(ch, f, t, tracer.ConfSlot)
	}
}

// holds reports whether g has sends done and not yet placed.
func (c *converter) holds(g *convG) bool {
	for _, ch := range g.heldOn {
		if slices.ContainsFunc(ch.held, func(f *inFlight) bool { return f.g == g && !f.sent }) {
			return true
		}
	}
	return false
}

// hold keeps f, a send done on a buffered channel, until its place in the
// channel's queue is known.
func (c *converter) hold(ch *convChan, f *inFlight) {
	if !slices.Contains(f.g.heldOn, ch) {
		// Forget the channels where f.g has nothing held any more.
		f.g.heldOn = slices.DeleteFunc(f.g.heldOn, func(x *convChan) bool {
			return !slices.ContainsFunc(x.held, func(h *inFlight) bool { return h.g == f.g })
		})
		f.g.heldOn = append(f.g.heldOn, ch)
	}
	for _, set := range [][]*inFlight{ch.begun, ch.held} {
		for _, x := range set {
			if x.g != f.g {
				f.unsure = true
			}
		}
	}
	ch.held = append(ch.held, f)
}

// settle writes the held sends of a buffered channel whose place in the
// queue is certain, oldest first, while the channel has room for them.
func (c *converter) settle(ch *convChan, t int64) {
	for len(ch.held) > 0 && !ch.held[0].unsure && len(ch.queue) < ch.cap {
		f := ch.held[0]
		ch.held = ch.held[1:]
		c.send(ch, f, t, "")
	}
	if len(ch.held) == 1 && len(ch.begun) == 0 && len(ch.queue) < ch.cap {
		// The one send left unsure has nothing left to be unsure of.
		f := ch.held[0]
		ch.held = ch.held[:0]
		c.send(ch, f, t, "")
	}
}

// pullRecv finds ahead in the records the receive on ch of a value equal
// to ident that a goroutine made next: a receive that is already done
// (the value left the channel) but whose record comes later. It takes
// that record out of the window and returns it, or ok false when it is
// not within the lookahead or an earlier record of its goroutine is still
// to come (the goroutine's own order is kept).
func (c *converter) pullRecv(ch *convChan, ident uint64) (r hooks.Record, ok bool) {
	if err := c.fill(lookahead); err != nil {
		c.err = err
		return r, false
	}
	seen := map[uint64]bool{} // goroutines with a record before i
	for i, w := range c.window {
		if c.taken[c.base+i] {
			continue
		}
		isRecv := w.Kind == hooks.KindRecvDone || (w.Kind == hooks.KindSelectDone && w.Flags&hooks.FlagRecv != 0)
		if isRecv && w.Obj == ch.addr && w.Flags&hooks.FlagOK != 0 && w.Ident == ident {
			if seen[w.Goid] {
				return r, false
			}
			c.taken[c.base+i] = true
			return w, true
		}
		seen[w.Goid] = true
	}
	return r, false
}

// pulled writes the receive r, taken from ahead in the records, of f from ch.
func (c *converter) pulled(ch *convChan, f *inFlight, r *hooks.Record) {
	rg := c.g(r.Goid)
	k := 0
	if r.Kind == hooks.KindSelectDone {
		k = int(r.Aux)
		if rg.sel != nil {
			c.withdraw(rg, k)
			rg.sel = nil
		}
	}
	c.recvOf(ch, rg, r, k, f, "")
}

// rendezvous finds, ahead in the records, the receive on the unbuffered
// channel ch that took f, and writes the send and the receive.
func (c *converter) rendezvous(ch *convChan, f *inFlight, t int64) {
	if r, ok := c.pullRecv(ch, f.ident); ok {
		c.pulled(ch, f, &r)
		return
	}
	// No receive of it within reach (a receiver outside the instrumented
	// code, or too far ahead): the value stays in the channel.
	c.hold(ch, f)
}

// recv writes g's receive r from ch, tied to the send that delivered it;
// k is the select case it completes, or 0.
func (c *converter) recv(ch *convChan, g *convG, r *hooks.Record, k int) {
	t := r.Time
	g.at = c.at(r.Site)
	g.blocked = ""
	if r.Flags&hooks.FlagOK == 0 {
		// A closed channel is empty when a receive finds it closed: the
		// values still in it went to receivers whose records come later.
		for len(ch.queue) > 0 {
			head := ch.queue[0]
			pr, ok := c.pullRecv(ch, head.ident)
			if !ok {
				break
			}
			c.pulled(ch, head, &pr)
		}
		if !ch.closed {
			// A channel closed outside the instrumented code (a context's
			// Done, a timer's): who closed it is not in the trace.
			ch.closed = true
			c.out(tracer.Event{Kind: tracer.KindClose, G: g.id, Ch: ch.id, Conf: tracer.ConfInferred, At: g.at}, t)
		}
		c.out(tracer.Event{Kind: tracer.KindRecv, G: g.id, Ch: ch.id, Close: true, Case: k, At: g.at}, t)
		return
	}
	f, conf := c.match(ch, r.Ident)
	c.recvOf(ch, g, r, k, f, conf)
}

// recvOf writes g's receive r of f from ch (f nil: a value from outside).
func (c *converter) recvOf(ch *convChan, g *convG, r *hooks.Record, k int, f *inFlight, conf string) {
	t := r.Time
	g.at = c.at(r.Site)
	g.blocked = ""
	if f == nil {
		// Sent by code that is not instrumented: the value appears in the
		// receiver's hands.
		c.Unmatched++
		c.nextV++
		g.own(r.Ident, r.Label, c.nextV)
		c.out(tracer.Event{Kind: tracer.KindMake, G: g.id, V: c.nextV, Label: r.Label, Conf: tracer.ConfInferred, At: g.at}, t)
		if k != 0 {
			c.out(tracer.Event{Kind: tracer.KindRecv, G: g.id, Case: k, Close: true, Conf: tracer.ConfInferred, At: g.at}, t)
		}
		return
	}
	if !f.sent {
		c.send(ch, f, t, conf)
	}
	ch.queue = slices.DeleteFunc(ch.queue, func(x *inFlight) bool { return x == f })
	f.recvd = true
	if f.g.sending == f && f.done {
		f.g.sending = nil
	}
	g.own(f.ident, f.label, f.v)
	c.out(tracer.Event{Kind: tracer.KindRecv, G: g.id, Ch: ch.id, V: f.v, Conf: conf, Case: k, At: g.at}, t)
	c.settle(ch, t)
}

// match finds the value a receive of ident from ch got: the head of the
// queue, else a held or begun send of an equal value. conf is "" when one
// value matches, "slot" when several equal ones could have been it.
func (c *converter) match(ch *convChan, ident uint64) (*inFlight, string) {
	// The values ahead of it in the queue (all of them, when it is not
	// in the queue yet: it went in after every value placed there) left
	// the channel first (FIFO), to receivers whose records come later:
	// write their receives first.
	ahead := slices.IndexFunc(ch.queue, func(f *inFlight) bool { return f.ident == ident })
	if ahead < 0 {
		ahead = len(ch.queue)
	}
	c.drain(ch, ahead)
	if len(ch.queue) > 0 {
		head := ch.queue[0]
		if head.ident == ident {
			return head, ""
		}
		// The model's queue disagrees with what was received: a value was
		// taken by code outside the instrumented packages, or two values'
		// identities collide. Take the head: the channel's order is FIFO.
		return head, tracer.ConfAmbiguous
	}
	for _, set := range []*[]*inFlight{&ch.held, &ch.begun} {
		var first *inFlight
		n := 0
		for _, f := range *set {
			if !f.sent && f.ident == ident {
				if first == nil {
					first = f
				}
				n++
			}
		}
		if first == nil {
			continue
		}
		if set == &ch.held {
			ch.held = slices.DeleteFunc(ch.held, func(x *inFlight) bool { return x == first })
		}
		if n > 1 {
			return first, tracer.ConfSlot
		}
		return first, ""
	}
	return nil, ""
}

// drain writes the receives, found ahead in the records, of the first n
// values in ch's queue; it stops at one it cannot find.
func (c *converter) drain(ch *convChan, n int) {
	for ; n > 0 && len(ch.queue) > 0; n-- {
		head := ch.queue[0]
		r, ok := c.pullRecv(ch, head.ident)
		if !ok {
			return
		}
		c.pulled(ch, head, &r)
	}
}

// finish writes the end of the program: the main goroutine's end when it
// returned or called os.Exit, the panic, or Go's deadlock.
func (c *converter) finish(end Ending, mainGoid uint64) {
	// Values whose place was never settled go into their channels now, in
	// the order their sends were done.
	addrs := make([]uint64, 0, len(c.chans))
	for a := range c.chans {
		addrs = append(addrs, a)
	}
	slices.SortFunc(addrs, func(a, b uint64) int { return int(c.chans[a].id - c.chans[b].id) })
	for _, a := range addrs {
		ch := c.chans[a]
		for _, f := range ch.held {
			if !f.sent && len(ch.queue) < max(ch.cap, 1) && !ch.closed {
				c.send(ch, f, c.int64T(), tracer.ConfSlot)
			}
		}
		ch.held = nil
	}
	t := c.int64T()
	for _, g := range c.order {
		if g.endPending && !g.ended {
			g.endPending, g.ended = false, true
			c.out(tracer.Event{Kind: tracer.KindEnd, G: g.id}, t)
		}
	}
	var live []*convG
	for _, g := range c.order {
		if !g.ended && c.gs[g.goid] == g {
			live = append(live, g)
		}
	}
	switch {
	case end.Fatal == "deadlock":
		cycle, msg := c.waitFor(live)
		var who tracer.GoID = 1
		if len(live) > 0 {
			who = live[0].id
		}
		c.out(tracer.Event{Kind: tracer.KindViolation, G: who, Rule: tracer.RuleDeadlock, Cycle: cycle, Msg: msg}, t)
		for _, g := range live {
			if g.blocked != "" {
				g.ended = true
				c.out(tracer.Event{Kind: tracer.KindEnd, G: g.id, Abort: true}, t)
			}
		}
	case end.Fatal == "panic":
		var dead tracer.GoID
		for _, g := range live {
			if g.goid == end.PanicGoid {
				g.ended, dead = true, g.id
				c.out(tracer.Event{Kind: tracer.KindEnd, G: g.id, Panic: end.PanicMsg}, t)
			}
		}
		how := "the program died of a panic"
		if dead != 0 {
			how += fmt.Sprintf(" in g%d", dead)
		}
		c.stuck(live, how, t)
	case end.Timeout != "":
		c.stuck(live, "--timeout "+end.Timeout+" ended the program", t)
	case end.Signal != "":
		c.stuck(live, "the program was killed ("+end.Signal+")", t)
	case end.Unknown:
		c.stuck(live, "the recording ended", t)
	case end.Timeout == "" && end.Signal == "" && !end.Unknown:
		// main returned or the program called os.Exit: the main goroutine
		// ended; the others were still running, or blocked.
		if g := c.gs[mainGoid]; g != nil && !g.ended && mainGoid != 0 {
			g.ended = true
			c.out(tracer.Event{Kind: tracer.KindEnd, G: g.id}, t)
		}
	}
}

// waitFor explains Go's deadlock: the first cycle of goroutines each
// waiting for a lock the next holds, then every blocked goroutine, what
// it waits on and where. Without a cycle (channels name no peer) the
// cycle lists every blocked goroutine.
func (c *converter) waitFor(live []*convG) ([]tracer.GoID, string) {
	var blocked []*convG
	for _, g := range live {
		if g.blocked != "" {
			blocked = append(blocked, g)
		}
	}
	step := func(g *convG) string {
		switch {
		case g.blockMu != nil && g.blockMu.holder != nil:
			return fmt.Sprintf("g%d waits to %s %q (mu%d), held by g%d, at %s", g.id, g.blocked, g.blockMu.name, g.blockMu.id, g.blockMu.holder.id, g.at)
		case g.blockMu != nil:
			return fmt.Sprintf("g%d waits to %s %q (mu%d) at %s", g.id, g.blocked, g.blockMu.name, g.blockMu.id, g.at)
		case g.blocked == tracer.OnWait:
			return fmt.Sprintf("g%d waits for a WaitGroup at %s", g.id, g.at)
		case g.blocked == tracer.OnSelect:
			return fmt.Sprintf("g%d waits in a select at %s", g.id, g.at)
		}
		return fmt.Sprintf("g%d waits to %s on %s at %s", g.id, g.blocked, c.chanName(g.blockCh), g.at)
	}
	var steps []string
	for _, g := range blocked {
		steps = append(steps, step(g))
	}
	msg := "Go reported that all goroutines are asleep"
	if len(steps) > 0 {
		msg += ": " + strings.Join(steps, "; ")
	}
	for _, start := range blocked {
		seen := map[*convG]int{}
		var path []*convG
		for g := start; g != nil && g.blocked != ""; {
			if i, ok := seen[g]; ok {
				var ids []tracer.GoID
				for _, x := range path[i:] {
					ids = append(ids, x.id)
				}
				return ids, msg + fmt.Sprintf(" (a cycle of locks: %s)", cycleText(ids))
			}
			seen[g] = len(path)
			path = append(path, g)
			if g.blockMu == nil {
				break
			}
			g = g.blockMu.holder
		}
	}
	var ids []tracer.GoID
	for _, g := range blocked {
		ids = append(ids, g.id)
	}
	return ids, msg
}

func cycleText(ids []tracer.GoID) string {
	var b strings.Builder
	for _, id := range ids {
		fmt.Fprintf(&b, "g%d → ", id)
	}
	fmt.Fprintf(&b, "g%d", ids[0])
	return b.String()
}

// stuck reports the goroutines no go event started (main) that were still
// blocked when the program ended as how says: check reports the others,
// and a main goroutine stuck in a wait when the program died is a leak the
// trace cannot show otherwise.
func (c *converter) stuck(live []*convG, how string, t int64) {
	for _, g := range live {
		if g.blocked == "" || g.spawned {
			continue
		}
		name := ""
		if g.name != "" {
			name = fmt.Sprintf(" %q", g.name)
		}
		c.out(tracer.Event{Kind: tracer.KindViolation, G: g.id, Rule: tracer.RuleLeakedGoroutine, At: g.at,
			Msg: fmt.Sprintf("goroutine g%d%s was still blocked on %s when %s", g.id, name, g.blocked, how)}, t)
	}
}

func (c *converter) int64T() int64 { return int64(c.lastT) }

func (c *converter) chanName(id tracer.ChanID) string {
	for _, ch := range c.chans {
		if ch.id == id {
			return fmt.Sprintf("channel %q", ch.name)
		}
	}
	return "a channel"
}

// selectCase takes one case of the select g is entering, in the
// program's order: a send case's value is offered (a receiver may take
// it before the select's own record of the outcome).
func (c *converter) selectCase(g *convG, r *hooks.Record) {
	if g.sel == nil {
		g.sel = &convSelect{site: r.Site}
		g.at = c.at(r.Site)
	}
	cs := convCase{dir: selectDir(r.Aux)}
	if cs.dir != tracer.DirDone && r.Obj != 0 {
		cs.ch = c.ch(r, g)
	}
	if cs.dir == tracer.DirSend {
		cs.f = c.offer(g, r)
		cs.f.caseK = len(g.sel.cases) + 1
		cs.f.site = g.sel.site
		if cs.ch != nil {
			cs.ch.begun = append(cs.ch.begun, cs.f)
		}
	}
	g.sel.cases = append(g.sel.cases, cs)
}

func selectDir(aux uint64) string {
	switch aux & 0xff {
	case hooks.DirSend:
		return tracer.DirSend
	case hooks.DirDone:
		return tracer.DirDone
	}
	return tracer.DirRecv
}

func (c *converter) cases(sel *convSelect) []tracer.SelectCase {
	out := make([]tracer.SelectCase, len(sel.cases))
	for i, cs := range sel.cases {
		out[i].Dir = cs.dir
		if cs.ch != nil {
			out[i].Ch = cs.ch.id
		}
		if cs.f != nil {
			out[i].V = cs.f.v
		}
	}
	return out
}

func (c *converter) selectBlock(g *convG, r *hooks.Record) {
	if g.sel == nil {
		g.sel = &convSelect{site: r.Site} // select {}: no case
	}
	g.blocked = tracer.OnSelect
	g.at = c.at(r.Site)
	c.out(tracer.Event{Kind: tracer.KindBlock, G: g.id, On: tracer.OnSelect, Cases: c.cases(g.sel), At: g.at}, r.Time)
}

// withdraw takes back the offers of the send cases other than the winner
// (0: all): their values stay with g.
func (c *converter) withdraw(g *convG, winner int) {
	for i, cs := range g.sel.cases {
		if cs.f == nil || i+1 == winner || cs.f.sent {
			continue
		}
		if cs.ch != nil {
			cs.ch.begun = slices.DeleteFunc(cs.ch.begun, func(x *inFlight) bool { return x == cs.f })
		}
		g.own(cs.f.ident, cs.f.label, cs.f.v)
	}
}

func (c *converter) selectDone(g *convG, r *hooks.Record) {
	sel := g.sel
	k := int(r.Aux)
	if sel == nil || k < 1 || k > len(sel.cases) {
		return
	}
	c.withdraw(g, k)
	g.sel, g.blocked = nil, ""
	cs := sel.cases[k-1]
	g.at = c.at(sel.site)
	switch cs.dir {
	case tracer.DirDone:
		c.out(tracer.Event{Kind: tracer.KindRecv, G: g.id, Case: k, Close: true, At: g.at}, r.Time)
	case tracer.DirRecv:
		c.recv(cs.ch, g, r, k)
	case tracer.DirSend:
		f := cs.f
		f.done = true
		cs.ch.begun = slices.DeleteFunc(cs.ch.begun, func(x *inFlight) bool { return x == f })
		if f.sent {
			return
		}
		if cs.ch.cap == 0 {
			c.rendezvous(cs.ch, f, r.Time)
			return
		}
		c.hold(cs.ch, f)
		c.settle(cs.ch, r.Time)
	}
}

func (c *converter) selectSkip(g *convG, r *hooks.Record) {
	if g.sel == nil {
		return
	}
	c.withdraw(g, 0)
	g.at = c.at(g.sel.site)
	c.out(tracer.Event{Kind: tracer.KindSkip, G: g.id, Cases: c.cases(g.sel), At: g.at}, r.Time)
	g.sel = nil
}
