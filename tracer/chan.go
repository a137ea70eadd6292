package tracer

import (
	"fmt"
	"iter"
	"slices"
	"sync"
	"sync/atomic"
)

// envelope is what a traced channel carries: the element and the id of the
// send, which the receiver records so the merger can pair them.
type envelope[T any] struct {
	x   T
	msg int64
}

// Chan is a traced channel of T. A send hands the element off: the channel
// owns it until a receiver takes it. When T is a [*Value], the tracer checks
// and moves its ownership; other elements become anonymous values of the
// trace, one per send.
//
// Capacity 0 is unbuffered, more is bounded (a full channel blocks its
// senders: backpressure), less than 0 is unbounded (sends never block; the
// queue, and memory, grows instead).
type Chan[T any] struct {
	t       *Tracer
	id      int64
	name    string
	cap     int
	c       chan envelope[T]
	q       *queue[T]
	tracked bool
	closed  atomic.Bool
	// live orders a buffered channel's operations with the hand-over of
	// their records in live mode (WithLive), so that the stream shows
	// values leaving in the order they entered. Under it, the goroutines
	// waiting in live mode for room (senders) or for a value (receivers)
	// queue their wake-up channels: each successful operation wakes one
	// of the other side, a close wakes all.
	live      sync.Mutex
	senders   []liveWaiter
	receivers []liveWaiter
}

// A liveWaiter is a goroutine waiting in live mode in a channel's queue.
// A select waits in the queues of all its channels (multi): waking it
// does not use up a wake-up, since it may pick another case.
type liveWaiter struct {
	wake  chan struct{}
	multi bool
}

// wakeOneLocked wakes the first goroutine of a live-mode wait queue that
// waits for this channel alone, and every select before it; c.live is
// held.
func wakeOneLocked(q *[]liveWaiter) {
	for len(*q) > 0 {
		w := (*q)[0]
		(*q)[0] = liveWaiter{}
		*q = (*q)[1:]
		select {
		case w.wake <- struct{}{}:
		default: // woken already
		}
		if !w.multi {
			return
		}
	}
}

// wakeAllLocked wakes every goroutine of a live-mode wait queue; c.live is
// held.
func wakeAllLocked(q *[]liveWaiter) {
	for len(*q) > 0 {
		wakeOneLocked(q)
	}
}

// forgetLocked takes a select's wake-up channel out of a queue it may still
// be in; c.live is held.
func forgetLocked(q *[]liveWaiter, wake chan struct{}) {
	*q = slices.DeleteFunc(*q, func(w liveWaiter) bool { return w.wake == wake })
}

// NewChan makes a channel named name, owned by no one, with the given
// capacity.
func NewChan[T any](g *G, name string, capacity int) *Chan[T] {
	c := &Chan[T]{t: g.t, id: g.t.nextCh.Add(1), name: name, cap: capacity}
	if capacity < 0 {
		c.cap = -1
		c.q = &queue[T]{ready: make(chan struct{}, 1)}
	} else {
		c.c = make(chan envelope[T], capacity)
	}
	g.t.register(func() {
		g.t.names[c.id] = name
		g.t.pokers[c.id] = c.poke
	})
	var zero T
	if m, ok := any(zero).(Movable); ok {
		c.tracked = m != nil
	}
	g.addX(rec{tick: cputicks(), kind: KindChan, a: c.id, b: int64(c.cap), pc: g.site()}, &recExtra{name: name})
	return c
}

// Name returns the channel's name.
func (c *Chan[T]) Name() string { return c.name }

// Cap returns the capacity given to [NewChan] (-1 for unbounded).
func (c *Chan[T]) Cap() int { return c.cap }

// Len returns how many elements wait in the channel.
func (c *Chan[T]) Len() int {
	if c.q != nil {
		return c.q.len()
	}
	return len(c.c)
}

// value returns the trace's id for x and its ownership state when x is a
// traced value.
func (c *Chan[T]) value(x T, msg int64) (int64, *valueState) {
	if c.tracked {
		if v, r := any(x).(Movable).movable(); r == nil && v != nil {
			return v.id, v
		}
	}
	return -msg, nil
}

// Send sends x as g. It blocks while the channel is full (or, unbuffered,
// until a receiver takes x); the trace shows g blocked meanwhile. A send on
// a closed channel is reported as send-on-closed and does nothing: it does
// not panic as a plain Go send would.
func (c *Chan[T]) Send(g *G, x T) {
	if g.t.aborted() {
		g.abortNow() // the run was stopped: start nothing new
	}
	pc := g.site()
	msg := g.nextMsg()
	vid, vs := c.value(x, msg)
	if c.closed.Load() {
		c.sendOnClosed(g, pc, vid)
		return
	}
	if vs != nil {
		vs.handOff(g, pc, -c.id, handSend)
	}
	env := envelope[T]{x: x, msg: msg}
	tick := g.fastTick()
	if c.q != nil {
		if !c.q.push(g, env, rec{tick: tick, kind: KindSend, a: c.id, b: vid, c: msg, pc: pc}) {
			c.sendOnClosed(g, pc, vid)
		}
		return
	}
	if g.live && c.cap > 0 {
		if c.sendLive(g, pc, env, rec{kind: KindSend, a: c.id, b: vid, c: msg, pc: pc}) {
			c.sendOnClosed(g, pc, vid)
		}
		return
	}
	if sent, closed := c.trySend(env); closed {
		c.sendOnClosed(g, pc, vid)
		return
	} else if !sent {
		g.block(pc, tick, onSend, c.id)
		closed := c.sendWait(env)
		g.unblock()
		if closed {
			c.sendOnClosed(g, pc, vid)
			return
		}
		tick = cputicks()
	}
	// Recorded even when the run was stopped meanwhile: the value is in
	// the channel (the tracer may have made room for it, taking another
	// out: that one gets a discard record).
	*g.slot() = rec{tick: tick, kind: KindSend, a: c.id, b: vid, c: msg, pc: pc}
	g.filled()
	if g.t.aborted() {
		g.abortNow()
	}
}

func (c *Chan[T]) sendOnClosed(g *G, pc uintptr, vid int64) {
	if g.t.aborted() {
		g.abortNow() // the tracer closed the channel to stop the run
	}
	g.violation(pc, RuleSendOnClosed, vid, c.id, 0, fmt.Sprintf(
		"g%d sends on channel %q after it was closed: Go would panic; the value was not sent", g.id, c.name))
}

// sendLive sends on a buffered channel in live mode: each attempt and the
// hand-over of its record happen under c.live. A sender that finds the
// channel full queues itself and sleeps until a receive makes room (or a
// close, or the end of the run, wakes it): no polling, so thousands of
// blocked goroutines cost what blocked goroutines cost. It returns true
// when the channel was closed.
func (c *Chan[T]) sendLive(g *G, pc uintptr, env envelope[T], r rec) bool {
	blocked := false
	defer func() {
		if blocked {
			g.unblock()
		}
	}()
	for {
		c.live.Lock()
		r.tick = cputicks()
		sent, closed := c.trySend(env)
		if sent {
			g.add(r)
			wakeOneLocked(&c.receivers)
		} else if !closed {
			c.senders = append(c.senders, liveWaiter{wake: g.liveWakeup()})
		}
		c.live.Unlock()
		if sent || closed {
			return closed
		}
		g.liveWait(pc, r.tick, onSend, c.id, &blocked)
	}
}

// liveWakeup returns g's wake-up channel, emptied, for one more wait.
func (g *G) liveWakeup() chan struct{} {
	if g.wakeup == nil {
		g.wakeup = make(chan struct{}, 1)
	}
	select {
	case <-g.wakeup: // a wake-up that came after the wait it was for
	default:
	}
	return g.wakeup
}

// liveWait is a live-mode wait between two attempts: the first one records
// the block; it sleeps until woken; a stopped run ends here.
func (g *G) liveWait(pc uintptr, tick int64, on uint8, obj int64, blocked *bool) {
	if !*blocked {
		g.block(pc, tick, on, obj)
		*blocked = true
	}
	select {
	case <-g.wakeup:
	case <-g.t.abort:
	}
	if g.t.aborted() {
		g.abortNow()
	}
}

// recvLive receives from a buffered channel in live mode (see sendLive).
func (c *Chan[T]) recvLive(g *G, pc uintptr) (envelope[T], bool) {
	blocked := false
	defer func() {
		if blocked {
			g.unblock()
		}
	}()
	for {
		c.live.Lock()
		tick := cputicks()
		var env envelope[T]
		got, ok := false, false
		select {
		case env, ok = <-c.c:
			got = true
		default:
		}
		sentinel := got && ok && env.msg == 0 // poked by the tracer
		if got && !sentinel {
			c.recvRecord(g, pc, tick, env, ok)
		}
		if got && ok {
			wakeOneLocked(&c.senders) // room for one more
		} else if !got {
			c.receivers = append(c.receivers, liveWaiter{wake: g.liveWakeup()})
		}
		c.live.Unlock()
		if sentinel {
			g.abortNow()
		}
		if got {
			return env, ok
		}
		g.liveWait(pc, tick, onRecv, c.id, &blocked)
	}
}

// trySend sends without blocking; a send on a channel closed meanwhile is
// caught.
func (c *Chan[T]) trySend(env envelope[T]) (sent, closed bool) {
	defer func() {
		if recover() != nil {
			closed = true
		}
	}()
	select {
	case c.c <- env:
		return true, false
	default:
		return false, false
	}
}

// sendWait sends, blocking until a receiver makes room (or the tracer,
// stopping a deadlocked run, does) or the channel is closed. A plain send,
// not a select with the tracer's abort channel: a select of two cases costs
// as much as the handoff itself.
func (c *Chan[T]) sendWait(env envelope[T]) (closed bool) {
	defer func() {
		if recover() != nil {
			closed = true
		}
	}()
	c.c <- env
	return false
}

// Recv receives as g, blocking while the channel is empty. ok is false when
// the channel is closed and empty.
func (c *Chan[T]) Recv(g *G) (x T, ok bool) { return c.recv(g, g.site()) }

func (c *Chan[T]) recv(g *G, pc uintptr) (T, bool) {
	if g.t.aborted() {
		g.abortNow() // the run was stopped: start nothing new
	}
	tick := g.fastTick()
	var env envelope[T]
	var ok bool
	if c.q != nil {
		env, ok = c.q.pop(g, pc, c)
		return env.x, ok
	}
	if g.live && c.cap > 0 {
		env, ok = c.recvLive(g, pc)
		if ok && env.msg == 0 {
			g.abortNow()
		}
		return env.x, ok
	}
	{
		select {
		case env, ok = <-c.c:
		default:
			g.block(pc, tick, onRecv, c.id)
			env, ok = <-c.c
			g.unblock()
			tick = cputicks()
		}
		if ok && env.msg == 0 {
			g.abortNow() // poked by the tracer
		}
	}
	c.recvRecord(g, pc, tick, env, ok)
	return env.x, ok
}

// recvRecord records a receive and moves the value's ownership to g.
func (c *Chan[T]) recvRecord(g *G, pc uintptr, tick int64, env envelope[T], ok bool) {
	if !ok {
		g.add(rec{tick: tick, kind: KindRecv, flags: flagClosed, a: c.id, pc: pc})
		return
	}
	vid, vs := c.value(env.x, env.msg)
	if vs != nil {
		vs.owner.Store(int64(g.id))
	}
	*g.slot() = rec{tick: tick, kind: KindRecv, a: c.id, b: vid, c: env.msg, pc: pc}
	g.filled()
}

// recvCaseRecord records a receive that case number caseNo of a select
// made, and moves the value's ownership to g.
func (c *Chan[T]) recvCaseRecord(g *G, pc uintptr, tick int64, env envelope[T], ok bool, caseNo int) {
	x := &recExtra{caseNo: caseNo}
	if !ok {
		g.addX(rec{tick: tick, kind: KindRecv, flags: flagClosed, a: c.id, pc: pc}, x)
		return
	}
	vid, vs := c.value(env.x, env.msg)
	if vs != nil {
		vs.owner.Store(int64(g.id))
	}
	g.addX(rec{tick: tick, kind: KindRecv, a: c.id, b: vid, c: env.msg, pc: pc}, x)
}

// All returns an iterator over what g receives until the channel is closed
// and empty: Rust's `for job in rx`.
func (c *Chan[T]) All(g *G) iter.Seq[T] {
	pc := g.site()
	return func(yield func(T) bool) {
		for {
			x, ok := c.recv(g, pc)
			if !ok || !yield(x) {
				return
			}
		}
	}
}

// Close closes the channel as g. Receivers get what is left, then ok ==
// false. Closing twice is reported as close-of-closed, not a panic.
func (c *Chan[T]) Close(g *G) {
	pc := g.site()
	if c.closed.Swap(true) {
		g.violation(pc, RuleCloseClosed, 0, c.id, 0, fmt.Sprintf("g%d closes channel %q, which is already closed: Go would panic", g.id, c.name))
		return
	}
	if c.q != nil {
		c.q.close(g, rec{tick: cputicks(), kind: KindClose, a: c.id, pc: pc})
		return
	}
	c.live.Lock()
	g.add(rec{tick: cputicks(), kind: KindClose, a: c.id, pc: pc})
	close(c.c)
	wakeAllLocked(&c.senders)
	wakeAllLocked(&c.receivers)
	c.live.Unlock()
}

// poke wakes one goroutine blocked on the channel when the tracer stops a
// run: it takes the element at the head of the channel, which lets a
// waiting sender through (and records a discard of it), or hands a receiver
// an empty envelope (message 0), which makes it stop. Closing the channel
// instead would race with the blocked senders.
func (c *Chan[T]) poke(on uint8, woken GoID) {
	if c.q != nil {
		c.q.signal()
		return
	}
	defer func() { recover() }() // the program closed the channel meanwhile
	switch on {
	case onSend:
		select {
		case env, ok := <-c.c:
			if ok && env.msg != 0 {
				vid, _ := c.value(env.x, env.msg)
				c.t.tracerRecord(rec{tick: cputicks(), kind: KindDiscard, a: c.id, b: vid, c: env.msg}, &recExtra{g: woken})
			}
		default:
		}
	case onRecv:
		select {
		case c.c <- envelope[T]{}:
		default:
		}
	}
}

// queue is the buffer of an unbounded channel.
type queue[T any] struct {
	mu     sync.Mutex
	items  []envelope[T]
	head   int
	closed bool
	ready  chan struct{} // a receiver may find something
}

func (q *queue[T]) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) - q.head
}

// push appends env and records r under the queue's lock, so that records
// of sends and receives come in the queue's order.
func (q *queue[T]) push(g *G, env envelope[T], r rec) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	q.items = append(q.items, env)
	g.add(r)
	q.mu.Unlock()
	q.signal()
	return true
}

func (q *queue[T]) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

func (q *queue[T]) close(g *G, r rec) {
	q.mu.Lock()
	q.closed = true
	g.add(r)
	q.mu.Unlock()
	q.signal()
}

// pop takes the head, blocking while the queue is empty and open, and
// records the receive under the queue's lock.
func (q *queue[T]) pop(g *G, pc uintptr, c *Chan[T]) (env envelope[T], ok bool) {
	tick := cputicks()
	blocked := false
	for {
		q.mu.Lock()
		if blocked {
			tick = cputicks()
		}
		if q.head < len(q.items) {
			env = q.items[q.head]
			q.items[q.head] = envelope[T]{}
			q.head++
			if q.head == len(q.items) {
				q.items, q.head = q.items[:0], 0
			}
			more := q.head < len(q.items) || q.closed
			c.recvRecord(g, pc, tick, env, true)
			q.mu.Unlock()
			if more {
				q.signal() // let another waiting receiver look
			}
			ok = true
		} else {
			closed := q.closed
			if closed {
				c.recvRecord(g, pc, tick, env, false)
			}
			q.mu.Unlock()
			if closed {
				q.signal()
			}
			ok = false
			if !closed {
				if !blocked {
					g.block(pc, tick, onRecv, c.id)
					blocked = true
				}
				select {
				case <-q.ready:
				case <-g.t.abort:
					g.abortNow()
				}
				continue
			}
		}
		if blocked {
			g.unblock()
		}
		return env, ok
	}
}
