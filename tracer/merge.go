package tracer

import (
	"container/heap"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"time"
)

// The merger turns per-goroutine buffers of records into one causally
// consistent stream of events. It replays the run: each goroutine's records
// in program order, and a record only once what it depends on has been
// emitted:
//   - a goroutine's first record after the go record that spawned it;
//   - a receive after its send, and only when its value is at the head of
//     the channel (FIFO);
//   - a send on a bounded channel only while there is room, and, for the
//     receiver's sake, after the sends of everything that receiver took from
//     the channel before; on an unbuffered channel only when the receiver is
//     about to take it;
//   - a join after the child's end, a lock after the previous unlock (locks
//     carry a ticket taken under the lock);
//   - a receive of "closed" after the close, once the channel is empty;
//   - a discard (the tracer taking a value out of a channel to stop a run)
//     like a receive: after the send, when the value is at the head.
//
// Among the records that may go next it takes the one with the earliest
// timestamp, so the merged order follows real time where causality leaves a
// choice. The real run is one order that satisfies every rule, so the replay
// never gets stuck on a complete recording; only records taken in a race the
// rules cannot see (two senders and two receivers on one channel at the same
// instant) could leave it stuck, and then it places the earliest record
// anyway and counts it in forced.
type merger struct {
	t       *Tracer
	streams map[GoID]*stream
	chans   map[int64]*mChan
	mus     map[int64]*mMutex
	msgs    map[int64]*msgInfo
	last    map[[2]int64]int64 // (channel, receiver) → the last message it received
	ended   map[GoID]bool
	waiters map[waitKey][]*stream
	ready   readyHeap

	tick0     int64 // the time 0 of the trace, in ticks
	seq       uint64
	lastT     Time
	ratio     float64
	values    map[int64]ValueID
	nextValue ValueID
	sites     map[uintptr]string
	lastAt    map[GoID]string // each goroutine's last call site: where a leak or deadlock leaves it
	forced    int
	pending   int // records ingested and not yet emitted
	out       []Event
}

type stream struct {
	gid      GoID
	recs     []rec
	extras   []*recExtra
	lastTick int64 // of the last record ingested
	pos      int
	spawned  bool
	queued   bool // in the ready heap
	waiting  bool // in waiters
}

func (s *stream) head() *rec {
	if s.pos < len(s.recs) {
		return &s.recs[s.pos]
	}
	return nil
}

type mChan struct {
	cap    int
	queue  []int64 // message ids in the channel, head first
	closed bool
}

type mMutex struct {
	last   int64
	locked bool
}

type msgInfo struct {
	sent      bool
	discarded bool // the tracer took it out of the channel (a discard record)
	recvG     GoID
	prev      int64 // the message the same receiver took from the same channel before
}

type waitKind uint8

const (
	waitChan  waitKind = iota + 1 // any change to a channel
	waitMutex                     // a lock or unlock
	waitEnd                       // a goroutine's end
	waitSpawn                     // a goroutine's go record
	waitHead                      // a goroutine's next record changed
	waitMsg                       // the receive of a message was recorded
	waitRoom                      // room in a full bounded channel: one waiter woken per value taken out
	waitSent                      // the send of a message was emitted
)

type waitKey struct {
	kind waitKind
	id   int64
}

func newMerger(t *Tracer) *merger {
	m := &merger{
		t:       t,
		streams: map[GoID]*stream{},
		chans:   map[int64]*mChan{},
		mus:     map[int64]*mMutex{},
		msgs:    map[int64]*msgInfo{},
		last:    map[[2]int64]int64{},
		ended:   map[GoID]bool{},
		waiters: map[waitKey][]*stream{},
		values:  map[int64]ValueID{},
		sites:   map[uintptr]string{},
		lastAt:  map[GoID]string{},
		ratio:   1,
	}
	if t != nil {
		m.tick0 = t.tick0
	}
	return m
}

func (m *merger) stream(gid GoID) *stream {
	s := m.streams[gid]
	if s == nil {
		s = &stream{gid: gid, spawned: gid == 0}
		m.streams[gid] = s
	}
	return s
}

// root marks gid as a goroutine nobody spawned.
func (m *merger) root(gid GoID) { m.stream(gid).spawned = true }

func (m *merger) msg(id int64) *msgInfo {
	mi := m.msgs[id]
	if mi == nil {
		mi = &msgInfo{}
		m.msgs[id] = mi
	}
	return mi
}

// ingest appends records of goroutine gid (0 for the tracer's own).
func (m *merger) ingest(gid GoID, recs []rec, extras []*recExtra) {
	s := m.stream(gid)
	if s.pos > 4096 && s.pos > len(s.recs)/2 {
		s.recs = append(s.recs[:0], s.recs[s.pos:]...)
		s.pos = 0
	}
	wasIdle := s.pos == len(s.recs)
	base := uint32(len(s.extras))
	s.extras = append(s.extras, extras...)
	start := len(s.recs)
	defer m.interpolate(s, start)
	for _, r := range recs {
		if r.x != 0 {
			r.x += base
		}
		s.recs = append(s.recs, r)
		if r.kind == KindDiscard {
			m.msg(r.c).discarded = true
			m.wake(waitKey{waitMsg, r.c})
		}
		if r.kind == KindRecv && r.flags&flagClosed == 0 {
			mi := m.msg(r.c)
			mi.recvG = gid
			key := [2]int64{r.a, int64(gid)}
			mi.prev = m.last[key]
			m.last[key] = r.c
			m.wake(waitKey{waitMsg, r.c})
		}
	}
	m.pending += len(recs)
	if wasIdle && !s.waiting && !s.queued {
		m.schedule(s)
		m.wake(waitKey{waitHead, int64(gid)})
	}
}

// interpolate gives the records from start on that were taken without
// reading the clock (tick 0) a time between their neighbours'. Records
// after the last one with a time keep the time before them.
func (m *merger) interpolate(s *stream, start int) {
	prev := s.lastTick
	for i := start; i < len(s.recs); {
		if s.recs[i].tick != 0 {
			prev = s.recs[i].tick
			i++
			continue
		}
		j := i
		for j < len(s.recs) && s.recs[j].tick == 0 {
			j++
		}
		next := prev
		if j < len(s.recs) {
			next = s.recs[j].tick
		}
		step := (next - prev) / int64(j-i+1)
		for k := i; k < j; k++ {
			s.recs[k].tick = prev + step*int64(k-i+1)
		}
		i = j
	}
	s.lastTick = prev
	if n := len(s.recs); n > 0 {
		s.lastTick = s.recs[n-1].tick
	}
}

// schedule puts s in the ready heap or parks it on what its head waits for.
func (m *merger) schedule(s *stream) {
	if s.queued || s.waiting || s.head() == nil {
		return
	}
	if ok, key := m.enabled(s); !ok {
		s.waiting = true
		m.waiters[key] = append(m.waiters[key], s)
		return
	}
	s.queued = true
	heap.Push(&m.ready, s)
}

// wakeRoom wakes, while bounded channel ch has room, the sender waiting
// for room whose record is earliest, one at a time: a value taken out
// makes room for one send, and waking every waiting sender (thousands of
// goroutines blocked on one full channel) at every receive made the
// replay quadratic.
func (m *merger) wakeRoom(ch int64) {
	key := waitKey{waitRoom, ch}
	c := m.chans[ch]
	for tries := len(m.waiters[key]); tries > 0 && c != nil && (c.cap <= 0 || len(c.queue) < c.cap); tries-- {
		ws := m.waiters[key]
		if len(ws) == 0 {
			return
		}
		first := 0
		for i, s := range ws {
			if a, b := s.head().tick, ws[first].head().tick; a < b || a == b && s.gid < ws[first].gid {
				first = i
			}
		}
		s := ws[first]
		ws[first] = ws[len(ws)-1]
		ws[len(ws)-1] = nil
		if ws = ws[:len(ws)-1]; len(ws) == 0 {
			delete(m.waiters, key)
		} else {
			m.waiters[key] = ws
		}
		s.waiting = false
		m.schedule(s)
		if s.queued {
			return // it takes the room; the next value taken out wakes the next
		}
	}
}

func (m *merger) wake(key waitKey) {
	ws := m.waiters[key]
	if len(ws) == 0 {
		return
	}
	delete(m.waiters, key)
	for _, s := range ws {
		s.waiting = false
		m.schedule(s)
	}
}

// enabled says whether s's head may be emitted now, and if not, on what it
// waits.
func (m *merger) enabled(s *stream) (bool, waitKey) {
	if !s.spawned {
		return false, waitKey{waitSpawn, int64(s.gid)}
	}
	r := s.head()
	switch r.kind {
	case KindSend, KindRecv, KindClose, KindDiscard:
		if r.a == 0 && r.kind == KindRecv {
			return true, waitKey{} // a select's done case: no channel
		}
		c := m.chans[r.a]
		if c == nil {
			return false, waitKey{waitChan, r.a}
		}
		if r.kind == KindSend {
			return m.sendEnabled(c, r)
		}
		if r.kind == KindRecv || r.kind == KindDiscard {
			if r.flags&flagClosed != 0 {
				return c.closed && len(c.queue) == 0, waitKey{waitChan, r.a}
			}
			mi := m.msgs[r.c]
			return mi != nil && mi.sent && len(c.queue) > 0 && c.queue[0] == r.c, waitKey{waitChan, r.a}
		}
	case KindJoin:
		return m.ended[GoID(r.a)], waitKey{waitEnd, r.a}
	case KindLock:
		mu := m.mus[r.a]
		return mu != nil && !mu.locked && mu.last == r.c-1, waitKey{waitMutex, r.a}
	}
	return true, waitKey{}
}

func (m *merger) sendEnabled(c *mChan, r *rec) (bool, waitKey) {
	chKey := waitKey{waitChan, r.a}
	mi := m.msgs[r.c]
	if c.cap == 0 && (mi == nil || !mi.discarded) {
		if mi == nil || mi.recvG == 0 {
			return false, waitKey{waitMsg, r.c}
		}
		rs := m.streams[mi.recvG]
		if h := rs.head(); !rs.spawned || h == nil || h.kind != KindRecv || h.c != r.c {
			return false, waitKey{waitHead, int64(mi.recvG)}
		}
		return len(c.queue) == 0, chKey
	}
	if c.cap > 0 && len(c.queue) >= c.cap {
		return false, waitKey{waitRoom, r.a}
	}
	if c.cap == 0 && len(c.queue) > 0 {
		return false, chKey
	}
	if mi != nil && mi.prev != 0 {
		if p := m.msgs[mi.prev]; p != nil && !p.sent {
			// Its receiver took another value before: that one's send
			// goes first. Waiting for that send alone, not for any change
			// to the channel, keeps thousands of senders to one receiver
			// linear.
			return false, waitKey{waitSent, mi.prev}
		}
	}
	return true, chKey
}

// run emits every record that may go next and returns the events. With
// final, records still waiting are placed anyway (counted in forced).
func (m *merger) run(final bool) []Event {
	m.out = m.out[:0]
	if m.t != nil {
		if el, now := time.Since(m.t.mono0), cputicks(); now > m.t.tick0 && el > 0 {
			m.ratio = float64(el) / float64(now-m.t.tick0)
		}
	}
	for {
		for m.ready.Len() > 0 {
			s := heap.Pop(&m.ready).(*stream)
			s.queued = false
			if ok, key := m.enabled(s); !ok {
				s.waiting = true
				m.waiters[key] = append(m.waiters[key], s)
				if h := s.head(); h.kind == KindSend && key.kind != waitRoom {
					m.wakeRoom(h.a) // it was woken for room it cannot take: the next may
				}
				continue
			}
			m.emit(s)
		}
		if !final || m.pending == 0 {
			return m.out
		}
		// Stuck: place the earliest waiting record.
		var first *stream
		for _, s := range m.streams {
			if h := s.head(); h != nil && (first == nil || h.tick < first.head().tick || h.tick == first.head().tick && s.gid < first.gid) {
				first = s
			}
		}
		for key, ws := range m.waiters {
			for i, s := range ws {
				if s == first {
					m.waiters[key] = append(ws[:i:i], ws[i+1:]...)
				}
			}
		}
		if first == nil {
			m.pending = 0
			return m.out
		}
		first.waiting = false
		first.spawned = true
		m.forced++
		m.emit(first)
	}
}

func (m *merger) value(raw int64) ValueID {
	if raw == 0 {
		return 0
	}
	v, ok := m.values[raw]
	if !ok {
		m.nextValue++
		v = m.nextValue
		m.values[raw] = v
	}
	return v
}

func (m *merger) site(pc uintptr) string {
	if pc == 0 {
		return ""
	}
	if s, ok := m.sites[pc]; ok {
		return s
	}
	f, _ := runtime.CallersFrames([]uintptr{pc}).Next()
	s := ""
	if f.File != "" {
		s = fmt.Sprintf("%s/%s:%d", filepath.Base(filepath.Dir(f.File)), filepath.Base(f.File), f.Line)
	}
	m.sites[pc] = s
	return s
}

// emit turns s's head into an event, updates the replay's state and wakes
// what waited on it.
func (m *merger) emit(s *stream) {
	r := s.recs[s.pos]
	s.pos++
	m.pending--
	x := &recExtra{}
	if r.x != 0 {
		x = s.extras[r.x-1]
		s.extras[r.x-1] = nil
	}
	t := Time(float64(r.tick-m.tick0) * m.ratio)
	if t < m.lastT {
		t = m.lastT
	}
	m.lastT = t
	m.seq++
	e := Event{Seq: m.seq, T: t, Kind: r.kind, G: s.gid, At: m.site(r.pc)}
	var wakes [2]waitKey
	switch r.kind {
	case KindGo:
		e.Child, e.Scope = GoID(r.a), ScopeID(r.b)
		e.Name = x.name
		for _, v := range x.vs {
			e.Vs = append(e.Vs, m.value(v))
		}
		for _, ref := range x.refs {
			e.Refs = append(e.Refs, RefID(ref))
		}
		m.stream(e.Child).spawned = true
		wakes[0] = waitKey{waitSpawn, r.a}
		wakes[1] = waitKey{waitHead, r.a} // a sender may wait for the child to be ready to receive
	case KindEnd:
		e.Panic = x.panic
		e.Abort = r.flags&flagAbort != 0
		m.ended[s.gid] = true
		wakes[0] = waitKey{waitEnd, int64(s.gid)}
	case KindJoin:
		e.Child = GoID(r.a)
		e.Panic = x.panic
	case KindChan:
		e.Ch, e.Cap, e.Name = ChanID(r.a), int(r.b), x.name
		m.chans[r.a] = &mChan{cap: int(r.b)}
		wakes[0] = waitKey{waitChan, r.a}
	case KindMake:
		e.V, e.Label = m.value(r.a), x.label
	case KindSend:
		e.Ch, e.V, e.Case = ChanID(r.a), m.value(r.b), x.caseNo
		if c := m.chans[r.a]; c != nil {
			c.queue = append(c.queue, r.c)
		}
		m.msg(r.c).sent = true
		wakes[0] = waitKey{waitChan, r.a}
		wakes[1] = waitKey{waitSent, r.c}
	case KindRecv:
		e.Ch, e.Case = ChanID(r.a), x.caseNo
		if r.flags&flagClosed != 0 {
			e.Close = true
			break
		}
		e.V = m.value(r.b)
		m.take(r.a, r.c)
		wakes[0] = waitKey{waitChan, r.a}
	case KindDiscard:
		e.Ch, e.V, e.G = ChanID(r.a), m.value(r.b), max(x.g, 1)
		m.take(r.a, r.c)
		wakes[0] = waitKey{waitChan, r.a}
	case KindClose:
		e.Ch = ChanID(r.a)
		if c := m.chans[r.a]; c != nil {
			c.closed = true
		}
		wakes[0] = waitKey{waitChan, r.a}
	case KindBlock:
		e.On = onNames[r.flags]
		switch r.flags {
		case onSend, onRecv:
			e.Ch = ChanID(r.a)
		case onLock:
			e.Mu = MutexID(r.a)
		case onJoin:
			e.Child = GoID(r.a)
		case onSelect:
			e.Cases = m.cases(x.cases)
		}
	case KindSkip:
		e.Cases = m.cases(x.cases)
	case KindUse:
		e.V, e.Ref, e.Op = m.value(r.a), RefID(r.b), "read"
		if r.flags&flagMut != 0 {
			e.Op = "write"
		}
	case KindBorrow, KindRelease:
		e.V, e.Ref, e.Mut = m.value(r.a), RefID(r.b), r.flags&flagMut != 0
	case KindDrop:
		e.V = m.value(r.a)
	case KindMutex:
		e.Mu, e.Name = MutexID(r.a), x.name
		m.mus[r.a] = &mMutex{}
		wakes[0] = waitKey{waitMutex, r.a}
	case KindLock, KindUnlock:
		e.Mu = MutexID(r.a)
		mu := m.mus[r.a]
		if mu == nil {
			mu = &mMutex{}
			m.mus[r.a] = mu
		}
		mu.locked = r.kind == KindLock
		mu.last = max(mu.last, r.c)
		wakes[0] = waitKey{waitMutex, r.a}
	case KindScope, KindScopeEnd:
		e.Scope = ScopeID(r.a)
	case KindViolation:
		e.V, e.Ch, e.Child = m.value(r.a), ChanID(r.b), GoID(r.c)
		e.Rule, e.Msg, e.Cycle = x.rule, x.msg, x.cycle
		if s.gid == 0 {
			// The tracer's own finding (a leak, a deadlock) is about a
			// goroutine: it happened where that goroutine last was.
			e.G = max(x.g, 1)
			e.At = m.lastAt[e.G]
		}
	}
	if e.At != "" && s.gid != 0 {
		m.lastAt[s.gid] = e.At
	}
	m.out = append(m.out, e)
	m.schedule(s)
	m.wake(waitKey{waitHead, int64(s.gid)})
	for _, k := range wakes {
		if k.kind != 0 {
			m.wake(k)
		}
	}
	switch r.kind {
	case KindRecv, KindDiscard:
		m.wakeRoom(r.a)
	case KindClose:
		m.wake(waitKey{waitRoom, r.a}) // a send after close: a violation, and room does not matter
	}
	// On an unbuffered channel the send and the receive are one rendezvous:
	// place the receive right after its send.
	if r.kind == KindSend {
		if c := m.chans[r.a]; c != nil && c.cap == 0 {
			if mi := m.msgs[r.c]; mi != nil && mi.recvG != 0 {
				if rs := m.streams[mi.recvG]; rs.queued && rs.head().c == r.c {
					if ok, _ := m.enabled(rs); ok {
						m.ready.remove(rs)
						m.emit(rs)
					}
				}
			}
		}
	}
}

// cases turns a select's recorded cases into the trace's.
func (m *merger) cases(raw []rawCase) []SelectCase {
	out := make([]SelectCase, len(raw))
	for i, c := range raw {
		out[i] = SelectCase{Dir: DirRecv, Ch: ChanID(c.ch)}
		switch {
		case c.done:
			out[i].Dir = DirDone
		case c.send:
			out[i].Dir, out[i].V = DirSend, m.value(c.v)
		}
	}
	return out
}

// take removes message msg from the replay's channel ch: a receive or a
// discard emitted.
func (m *merger) take(ch, msg int64) {
	if c := m.chans[ch]; c != nil {
		if i := slices.Index(c.queue, msg); i >= 0 {
			c.queue = slices.Delete(c.queue, i, i+1)
		}
	}
	delete(m.msgs, msg)
}

// readyHeap orders streams by the timestamp of their head record.
type readyHeap []*stream

func (h readyHeap) Len() int { return len(h) }
func (h readyHeap) Less(i, j int) bool {
	a, b := h[i].head().tick, h[j].head().tick
	if a != b {
		return a < b
	}
	return h[i].gid < h[j].gid
}
func (h readyHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *readyHeap) Push(x any)   { *h = append(*h, x.(*stream)) }

// remove takes s out of the heap.
func (h *readyHeap) remove(s *stream) {
	for i, x := range *h {
		if x == s {
			heap.Remove(h, i)
			s.queued = false
			return
		}
	}
}

func (h *readyHeap) Pop() any {
	old := *h
	s := old[len(old)-1]
	*h = old[:len(old)-1]
	return s
}
