package tracer

import (
	"cmp"
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
)

// A Case is one case of a [Select]: a send ([Chan.SendCase]), a receive
// ([Chan.RecvCase]), the default ([Default]) or the end of a context
// ([Done]). Make them with those functions; the zero Case is invalid.
type Case struct {
	kind caseKind
	ch   *selectChan // nil for a nil channel, default and done
	ctx  context.Context
	// send: the element's envelope for message msg, its raw value id and
	// state (a traced *Value), or nil
	prepare func(msg int64) (env reflect.Value, vid int64, vs *valueState)
	// recv: record what the case received, as the given case number; true
	// when the tracer poked the receiver to stop the run
	deliver func(g *G, pc uintptr, tick int64, env reflect.Value, ok bool, caseNo int) (poked bool)
}

type caseKind uint8

const (
	caseBad caseKind = iota
	caseSend
	caseRecv
	caseDefault
	caseDone
)

// selectChan is what Select needs of a Chan[T], whatever T.
type selectChan struct {
	id        int64
	name      string
	buffered  bool // capacity > 0: in live mode its operations go under live
	goChan    reflect.Value
	closed    *atomic.Bool
	live      *sync.Mutex
	senders   *[]liveWaiter
	receivers *[]liveWaiter
}

func (c *Chan[T]) selectChan() *selectChan {
	if c.q != nil {
		panic(fmt.Sprintf("tracer: Select: channel %q is unbounded; Select takes unbuffered and bounded channels", c.name))
	}
	return &selectChan{id: c.id, name: c.name, buffered: c.cap > 0, goChan: reflect.ValueOf(c.c),
		closed: &c.closed, live: &c.live, senders: &c.senders, receivers: &c.receivers}
}

// SendCase is a case of [Select] that sends x on c. On a nil channel it is
// never ready, as in Go.
func (c *Chan[T]) SendCase(x T) Case {
	if c == nil {
		return Case{kind: caseSend}
	}
	return Case{kind: caseSend, ch: c.selectChan(), prepare: func(msg int64) (reflect.Value, int64, *valueState) {
		vid, vs := c.value(x, msg)
		return reflect.ValueOf(envelope[T]{x: x, msg: msg}), vid, vs
	}}
}

// RecvCase is a case of [Select] that receives from c: when it runs, the
// element goes to *x and whether it was sent to *ok (false when c was
// closed and empty); either may be nil. On a nil channel it is never
// ready, as in Go.
func (c *Chan[T]) RecvCase(x *T, ok *bool) Case {
	if c == nil {
		return Case{kind: caseRecv}
	}
	return Case{kind: caseRecv, ch: c.selectChan(), deliver: func(g *G, pc uintptr, tick int64, v reflect.Value, got bool, caseNo int) bool {
		var env envelope[T]
		if got {
			env = v.Interface().(envelope[T])
			if env.msg == 0 {
				return true // poked by the tracer
			}
		}
		c.recvCaseRecord(g, pc, tick, env, got, caseNo)
		if x != nil {
			*x = env.x
		}
		if ok != nil {
			*ok = got
		}
		return false
	}}
}

// Default is the default case of a [Select]: it runs when no other case is
// ready, and the trace shows a skip of the cases that were not.
func Default() Case { return Case{kind: caseDefault} }

// Done is a case of [Select] that runs when ctx is done: a wait the program
// ends with a timeout or a cancellation. ctx's channel is not traced: the
// trace names the case (dir done, no channel), and when it runs, a receive
// with no channel, closed, for that case. The deadlock watchdog does not
// count a goroutine that waits on it: the context may end the wait.
func Done(ctx context.Context) Case { return Case{kind: caseDone, ctx: ctx} }

// Select runs one of cases as Go's select statement does, as g, and returns
// its index: it waits until one of them can run, picking at random among
// those ready at once, or runs the Default case when none is ready. The
// trace shows a wait in a select (a block naming every case), the send or
// receive that ended it with the number of its case, and a skip when the
// default ran. A send case offers its value: g must own it, and ownership
// moves only when that case runs. As with [Chan.Send], a send case on a
// closed channel is reported as send-on-closed, runs, and sends nothing.
//
// Select takes unbuffered and bounded channels, not unbounded ones, and at
// most one Default; it panics otherwise, and on a zero Case.
func Select(g *G, cases ...Case) int {
	if g.t.aborted() {
		g.abortNow() // the run was stopped: start nothing new
	}
	s := selection{g: g, pc: g.site(), cases: cases, def: -1, preps: make([]prepared, len(cases))}
	return s.run()
}

type prepared struct {
	env reflect.Value
	vid int64
	vs  *valueState
	msg int64
}

// selection is one call of Select.
type selection struct {
	g        *G
	pc       uintptr
	cases    []Case
	preps    []prepared
	def      int   // the default case, or -1
	caseNo   []int // the trace's number of each send and receive case, from 1
	untraced bool  // a Done case: the wait may end from outside the trace
	blocked  bool
	locks    []*sync.Mutex // live mode: the buffered channels' locks, by id
}

func (s *selection) run() int {
	g := s.g
	var lockIDs []*selectChan
	s.caseNo = make([]int, len(s.cases))
	n := 0
	for i, c := range s.cases {
		if c.kind == caseSend || c.kind == caseRecv || c.kind == caseDone {
			n++
			s.caseNo[i] = n
		}
		switch c.kind {
		case caseBad:
			panic(fmt.Sprintf("tracer: Select: case %d is the zero Case; make cases with SendCase, RecvCase, Default or Done", i))
		case caseDefault:
			if s.def >= 0 {
				panic("tracer: Select: two Default cases")
			}
			s.def = i
		case caseDone:
			s.untraced = true
		case caseSend:
			if c.ch != nil {
				msg := g.nextMsg()
				env, vid, vs := c.prepare(msg)
				s.preps[i] = prepared{env: env, vid: vid, vs: vs, msg: msg}
				if vs != nil {
					vs.check(g, s.pc, "offers in a select")
				}
			}
		}
		if c.ch != nil && c.ch.buffered && g.live {
			lockIDs = append(lockIDs, c.ch)
		}
	}
	slices.SortFunc(lockIDs, func(a, b *selectChan) int { return cmp.Compare(a.id, b.id) })
	lockIDs = slices.CompactFunc(lockIDs, func(a, b *selectChan) bool { return a.id == b.id })
	for _, c := range lockIDs {
		s.locks = append(s.locks, c.live)
	}
	defer func() {
		if s.blocked {
			g.unblock()
		}
	}()
	for {
		if i, done := s.attempt(); done {
			return i
		}
		if i, done := s.wait(); done {
			return i
		}
	}
}

// attempt runs a case that is ready now, or the default, or records the
// wait and (in live mode) queues g on its buffered channels.
func (s *selection) attempt() (int, bool) {
	g := s.g
	for _, mu := range s.locks {
		mu.Lock()
	}
	unlock := func() {
		for _, mu := range slices.Backward(s.locks) {
			mu.Unlock()
		}
	}
	if g.live {
		for _, c := range s.cases {
			if c.ch != nil && c.ch.buffered {
				forgetLocked(c.ch.senders, g.wakeup)
				forgetLocked(c.ch.receivers, g.wakeup)
			}
		}
	}
	tick := cputicks()
	if i := s.closedSend(); i >= 0 {
		unlock()
		s.sendOnClosed(i)
		return i, true
	}
	rcs, idx := s.reflectCases(true, false)
	chosen, v, ok, panicked := reflectSelect(rcs)
	if panicked {
		unlock() // a send case's channel was closed meanwhile
		i := s.closedSend()
		s.sendOnClosed(i)
		return i, true
	}
	if i := idx[chosen]; i >= 0 {
		poked := s.record(i, tick, v, ok)
		unlock()
		if poked {
			g.abortNow()
		}
		return i, true
	}
	if s.def >= 0 {
		g.addX(rec{tick: tick, kind: KindSkip, pc: s.pc}, &recExtra{cases: s.rawCases()})
		unlock()
		return s.def, true
	}
	if !s.blocked {
		s.blocked = true
		g.addX(rec{tick: tick, kind: KindBlock, flags: onSelect, pc: s.pc}, &recExtra{cases: s.rawCases()})
		if !s.untraced {
			// A select with a Done case may be ended from outside the
			// trace: the watchdog must not call it a deadlock.
			g.blocks++
			g.wait.Store(waitWord(g.blocks, onSelect, 0))
		}
	}
	if g.live {
		w := liveWaiter{wake: g.liveWakeup(), multi: true}
		for _, c := range s.cases {
			if c.ch == nil || !c.ch.buffered {
				continue
			}
			if c.kind == caseSend {
				*c.ch.senders = append(*c.ch.senders, w)
			} else {
				*c.ch.receivers = append(*c.ch.receivers, w)
			}
		}
	}
	unlock()
	if g.t.aborted() {
		g.abortNow()
	}
	return 0, false
}

// wait blocks until a case runs (and records it), a context is done, or in
// live mode a buffered channel's operation wakes g to try again.
func (s *selection) wait() (int, bool) {
	g := s.g
	rcs, idx := s.reflectCases(false, true)
	chosen, v, ok, panicked := reflectSelect(rcs)
	if panicked {
		i := s.closedSend()
		s.sendOnClosed(i)
		return i, true
	}
	i := idx[chosen]
	switch {
	case i == abortCase:
		g.abortNow()
	case i == wakeCase:
		return 0, false
	case s.cases[i].kind == caseDone:
		g.addX(rec{tick: cputicks(), kind: KindRecv, flags: flagClosed, pc: s.pc}, &recExtra{caseNo: s.caseNo[i]})
		return i, true
	}
	if s.record(i, cputicks(), v, ok) {
		g.abortNow()
	}
	return i, true
}

// Indices reflectCases gives the extra cases it adds.
const (
	defaultCase = -1
	abortCase   = -2
	wakeCase    = -3
)

// reflectCases builds reflect.Select's cases, and for each the index of
// the Select case it stands for (or one of the extra cases). An attempt
// (nonBlocking) takes every traced channel and a default; a wait takes
// the channels no live-mode queue covers, the Done contexts, the end of
// the run and, in live mode, g's wake-up.
func (s *selection) reflectCases(nonBlocking, waiting bool) ([]reflect.SelectCase, []int) {
	var rcs []reflect.SelectCase
	var idx []int
	for i, c := range s.cases {
		switch {
		case c.kind == caseDone && waiting:
			rcs = append(rcs, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(c.ctx.Done())})
		case c.ch == nil:
			continue
		case waiting && s.g.live && c.ch.buffered:
			continue // the wake-up stands for it
		case c.kind == caseSend:
			rcs = append(rcs, reflect.SelectCase{Dir: reflect.SelectSend, Chan: c.ch.goChan, Send: s.preps[i].env})
		case c.kind == caseRecv:
			rcs = append(rcs, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: c.ch.goChan})
		default:
			continue
		}
		idx = append(idx, i)
	}
	if nonBlocking {
		rcs = append(rcs, reflect.SelectCase{Dir: reflect.SelectDefault})
		idx = append(idx, defaultCase)
	}
	if waiting {
		rcs = append(rcs, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(s.g.t.abort)})
		idx = append(idx, abortCase)
		if s.g.live {
			rcs = append(rcs, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(s.g.wakeup)})
			idx = append(idx, wakeCase)
		}
	}
	return rcs, idx
}

// reflectSelect is reflect.Select, with a send on a closed channel caught.
func reflectSelect(rcs []reflect.SelectCase) (chosen int, v reflect.Value, ok, panicked bool) {
	defer func() {
		if recover() != nil {
			panicked = true
		}
	}()
	chosen, v, ok = reflect.Select(rcs)
	return chosen, v, ok, false
}

// record writes what case i did (it ran at tick) and moves ownership; it
// returns true when the case was a receive of the tracer's poke. In live
// mode the channel's lock is held, and one waiter of the other side woken.
func (s *selection) record(i int, tick int64, v reflect.Value, ok bool) (poked bool) {
	g, c := s.g, s.cases[i]
	if c.kind == caseRecv {
		poked = c.deliver(g, s.pc, tick, v, ok, s.caseNo[i])
		if g.live && c.ch.buffered && ok {
			wakeOneLocked(c.ch.senders)
		}
		return poked
	}
	p := s.preps[i]
	if p.vs != nil {
		p.vs.gave.Store(int64(g.id))
		p.vs.how.Store(handSend)
		p.vs.where.Store(c.ch.id)
		// The receiver may hold it already: it stays the receiver's.
		p.vs.owner.CompareAndSwap(int64(g.id), -c.ch.id)
	}
	g.addX(rec{tick: tick, kind: KindSend, a: c.ch.id, b: p.vid, c: p.msg, pc: s.pc}, &recExtra{caseNo: s.caseNo[i]})
	if g.live && c.ch.buffered {
		wakeOneLocked(c.ch.receivers)
	}
	return false
}

// closedSend returns a send case whose channel is closed, or -1.
func (s *selection) closedSend() int {
	for i, c := range s.cases {
		if c.kind == caseSend && c.ch != nil && c.ch.closed.Load() {
			return i
		}
	}
	return -1
}

func (s *selection) sendOnClosed(i int) {
	g, c := s.g, s.cases[i]
	if g.t.aborted() {
		g.abortNow() // the tracer closed the channel to stop the run
	}
	g.violation(s.pc, RuleSendOnClosed, s.preps[i].vid, c.ch.id, 0, fmt.Sprintf(
		"g%d sends on channel %q after it was closed, in case %d of a select: Go would panic; the value was not sent", g.id, c.ch.name, s.caseNo[i]))
}

// rawCases lists the cases for the trace: the channels and, for sends of
// traced values, the value offered (an untraced element is no value of the
// trace until it is sent).
func (s *selection) rawCases() []rawCase {
	var out []rawCase
	for i, c := range s.cases {
		switch c.kind {
		case caseDone:
			out = append(out, rawCase{done: true})
		case caseSend, caseRecv:
			rc := rawCase{send: c.kind == caseSend}
			if c.ch != nil {
				rc.ch = c.ch.id
			}
			if p := s.preps[i]; rc.send && p.vs != nil {
				rc.v = p.vid
			}
			out = append(out, rc)
		}
	}
	return out
}
