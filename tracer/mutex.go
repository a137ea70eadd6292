package tracer

import (
	"fmt"
	"sync/atomic"
)

// Mutex is a traced mutual exclusion lock: the trace shows who holds it and
// who waits for it. Its zero value is not usable; make one with [NewMutex].
type Mutex struct {
	t      *Tracer
	id     int64
	name   string
	sem    chan struct{}
	ticket int64 // how many times it was locked; guarded by the lock itself
	holder atomic.Int64
	queued atomic.Int32 // goroutines blocked in Lock, their block recorded
}

// NewMutex makes a mutex named name.
func NewMutex(g *G, name string) *Mutex {
	m := &Mutex{t: g.t, id: g.t.nextMu.Add(1), name: name, sem: make(chan struct{}, 1)}
	g.t.register(func() { g.t.mutexes[m.id] = m })
	g.addX(rec{tick: cputicks(), kind: KindMutex, a: m.id, pc: g.site()}, &recExtra{name: name})
	return m
}

// Name returns the mutex's name.
func (m *Mutex) Name() string { return m.name }

// Lock locks m as g, blocking while another goroutine holds it.
func (m *Mutex) Lock(g *G) {
	if g.t.aborted() {
		g.abortNow() // the run was stopped: start nothing new
	}
	pc := g.site()
	tick := cputicks()
	select {
	case m.sem <- struct{}{}:
	default:
		g.block(pc, tick, onLock, m.id)
		m.queued.Add(1)
		m.sem <- struct{}{}
		m.queued.Add(-1)
		g.unblock()
		if g.t.aborted() {
			g.abortNow() // poked by the tracer
		}
		tick = cputicks()
	}
	m.ticket++
	m.holder.Store(int64(g.id))
	g.add(rec{tick: tick, kind: KindLock, a: m.id, c: m.ticket, pc: pc})
}

// Queued returns how many goroutines wait to lock m now, each with its
// block already recorded. A program that must show contention (a
// scenario teaching it) holds the lock until Queued says the others
// wait, instead of hoping the scheduler makes them collide.
func (m *Mutex) Queued() int { return int(m.queued.Load()) }

// poke lets a goroutine waiting for m through when the tracer stops a
// deadlocked run; it stops as soon as it has the lock.
func (m *Mutex) poke() {
	select {
	case <-m.sem:
	default:
	}
}

// Unlock unlocks m as g. Unlocking a mutex g does not hold is reported as
// unlock-of-unlocked and does nothing.
func (m *Mutex) Unlock(g *G) {
	pc := g.site()
	if m.holder.Load() != int64(g.id) {
		g.violation(pc, RuleUnlockUnlocked, 0, 0, 0, fmt.Sprintf("g%d unlocks mutex %q, which it does not hold: Go would crash", g.id, m.name))
		return
	}
	m.holder.Store(0)
	g.add(rec{tick: cputicks(), kind: KindUnlock, a: m.id, c: m.ticket, pc: pc})
	select { // never blocks: after a poke the semaphore may be empty
	case <-m.sem:
	default:
	}
}
