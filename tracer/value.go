package tracer

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// More rule names, for what Go allows and Rust's compiler would refuse.
const (
	RuleUseAfterMove = "use-after-move"        // using a value moved into a spawned goroutine
	RuleNotOwner     = "use-without-ownership" // using a value another goroutine owns
)

// How a value was last handed off.
const (
	handSend = iota + 1
	handMove
)

// valueState is the part of a [Value] the tracer reads, whatever its type.
type valueState struct {
	t     *Tracer
	id    int64
	label string
	owner atomic.Int64 // > 0 a goroutine, < 0 a channel (-id), 0 nobody
	gave  atomic.Int64 // the goroutine that last handed it off
	how   atomic.Int32 // handSend or handMove
	where atomic.Int64 // the channel or goroutine it went to

	mu      sync.Mutex // borrows
	shared  int
	mutable int
}

func (v *valueState) describe() string { return fmt.Sprintf("%q", v.label) }

func ownerName(o int64) string {
	switch {
	case o > 0:
		return fmt.Sprintf("goroutine g%d", o)
	case o < 0:
		return fmt.Sprintf("channel ch%d", -o)
	}
	return "nobody"
}

// check reports a violation when g does not own v; op says what g does
// ("reads", "writes", "sends", "moves", "drops", "borrows").
func (v *valueState) check(g *G, pc uintptr, op string) {
	o := v.owner.Load()
	if o == int64(g.id) {
		return
	}
	rule, msg := RuleNotOwner, fmt.Sprintf("g%d %s %s, which belongs to %s", g.id, op, v.describe(), ownerName(o))
	switch {
	case v.gave.Load() == int64(g.id) && v.how.Load() == handSend:
		rule = RuleUseAfterSend
		msg = fmt.Sprintf("g%d %s %s after sending it on ch%d: a send hands the value off, it now belongs to %s",
			g.id, op, v.describe(), v.where.Load(), ownerName(o))
	case v.gave.Load() == int64(g.id) && v.how.Load() == handMove:
		rule = RuleUseAfterMove
		msg = fmt.Sprintf("g%d %s %s after moving it into goroutine g%d, which owns it now",
			g.id, op, v.describe(), v.where.Load())
	case o == 0:
		rule = RuleUseAfterDrop
		msg = fmt.Sprintf("g%d %s %s after it was dropped", g.id, op, v.describe())
	}
	g.violation(pc, rule, v.id, 0, 0, msg)
}

// handOff checks that g owns v and gives it to a goroutine (to > 0) or a
// channel (to < 0).
func (v *valueState) handOff(g *G, pc uintptr, to int64, how int32) {
	if v.owner.Load() != int64(g.id) {
		op := "sends"
		if how == handMove {
			op = "moves"
		}
		v.check(g, pc, op)
	}
	v.gave.Store(int64(g.id))
	v.how.Store(how)
	if to < 0 {
		v.where.Store(-to)
	} else {
		v.where.Store(to)
	}
	v.owner.Store(to)
}

// Value is a traced value: it has a label and exactly one owner at a time.
// Read and change it through its owner; hand it off with [Chan.Send] or
// [G.Go]; borrow it with [Value.Borrow] or [Value.BorrowMut].
type Value[T any] struct {
	valueState
	x T
}

// Make creates a value owned by g.
func Make[T any](g *G, label string, x T) *Value[T] {
	v := &Value[T]{x: x}
	v.t, v.label = g.t, label
	v.id = g.t.nextV.Add(1)
	v.owner.Store(int64(g.id))
	g.addX(rec{tick: cputicks(), kind: KindMake, a: v.id, pc: g.site()}, &recExtra{label: label})
	return v
}

// Label returns the value's label.
func (v *Value[T]) Label() string { return v.label }

func (v *Value[T]) movable() (*valueState, *refState) {
	if v == nil {
		return nil, nil
	}
	return &v.valueState, nil
}

func (v *Value[T]) use(g *G, pc uintptr, write bool) {
	tick := cputicks()
	if v.owner.Load() != int64(g.id) {
		op := "reads"
		if write {
			op = "writes"
		}
		v.check(g, pc, op)
	}
	var flags uint8
	if write {
		flags = flagMut
	}
	*g.slot() = rec{tick: tick, kind: KindUse, flags: flags, a: v.id, pc: pc}
	g.filled()
}

// Get reads the value as g.
func (v *Value[T]) Get(g *G) T {
	v.use(g, g.site(), false)
	return v.x
}

// Set replaces the value as g.
func (v *Value[T]) Set(g *G, x T) {
	v.use(g, g.site(), true)
	v.x = x
}

// Update changes the value in place as g.
func (v *Value[T]) Update(g *G, fn func(*T)) {
	v.use(g, g.site(), true)
	fn(&v.x)
}

// Drop ends the value's life: nobody owns it afterwards, and borrows of it
// dangle (using one is reported as borrow-escapes).
func (v *Value[T]) Drop(g *G) {
	pc := g.site()
	v.check(g, pc, "drops")
	v.owner.Store(0)
	v.gave.Store(0)
	g.add(rec{tick: cputicks(), kind: KindDrop, a: v.id, pc: pc})
}

// Borrow lends v to g's code for reading: the owner keeps it.
func (v *Value[T]) Borrow(g *G) *Ref[T] { return v.borrow(g, g.site(), false, &v.x) }

// BorrowMut lends v for changing: no other borrow may be live meanwhile.
func (v *Value[T]) BorrowMut(g *G) *Ref[T] { return v.borrow(g, g.site(), true, &v.x) }

func (v *Value[T]) borrow(g *G, pc uintptr, mut bool, p *T) *Ref[T] {
	v.check(g, pc, "borrows")
	v.mu.Lock()
	conflict := v.mutable > 0 || (mut && v.shared > 0)
	if mut {
		v.mutable++
	} else {
		v.shared++
	}
	v.mu.Unlock()
	r := &Ref[T]{p: p}
	r.id, r.value, r.mut, r.lender = g.t.nextRef.Add(1), &v.valueState, mut, g.id
	if conflict {
		g.violation(pc, RuleBorrowConflict, v.id, 0, 0, fmt.Sprintf(
			"g%d borrows %s while a mutable borrow of it is live (or borrows it mutably while it is borrowed)", g.id, v.describe()))
	}
	var flags uint8
	if mut {
		flags = flagMut
	}
	g.add(rec{tick: cputicks(), kind: KindBorrow, flags: flags, a: v.id, b: r.id, pc: pc})
	return r
}

// SplitAt lends the two halves of a slice value, [0, mid) and [mid, len),
// as two mutable borrows that do not overlap, like Rust's split_at_mut.
func SplitAt[E any](g *G, v *Value[[]E], mid int) (left, right *Ref[[]E]) {
	pc := g.site()
	mid = min(max(mid, 0), len(v.x))
	lo, hi := v.x[:mid:mid], v.x[mid:]
	left = v.borrow(g, pc, true, &lo)
	v.mu.Lock()
	v.mutable-- // the two halves are disjoint: they do not conflict
	v.mu.Unlock()
	right = v.borrow(g, pc, true, &hi)
	v.mu.Lock()
	v.mutable++
	v.mu.Unlock()
	return left, right
}

// refState is the part of a [Ref] the tracer reads.
type refState struct {
	id       int64
	value    *valueState
	mut      bool
	lender   GoID
	released atomic.Bool
	escaped  atomic.Bool // lent to an unscoped goroutine
	reported atomic.Bool
}

// Ref is a borrow of a [Value]: shared (read only) or mutable.
type Ref[T any] struct {
	refState
	p *T
}

func (r *Ref[T]) movable() (*valueState, *refState) {
	if r == nil {
		return nil, nil
	}
	return r.value, &r.refState
}

func (r *Ref[T]) use(g *G, pc uintptr, write bool) {
	v := r.value
	switch {
	case v.owner.Load() == 0 || r.released.Load():
		if r.reported.CompareAndSwap(false, true) {
			what := "after its owner dropped it (the frame it was borrowed from has ended)"
			if v.owner.Load() != 0 {
				what = "after the borrow was released"
			}
			g.violation(pc, RuleBorrowEscapes, v.id, 0, 0, fmt.Sprintf("g%d uses a borrow of %s %s", g.id, v.describe(), what))
		}
	case write && !r.mut:
		g.violation(pc, RuleBorrowConflict, v.id, 0, 0, fmt.Sprintf("g%d writes %s through a shared borrow", g.id, v.describe()))
	}
	var flags uint8
	if write {
		flags = flagMut
	}
	g.add(rec{tick: cputicks(), kind: KindUse, flags: flags, a: v.id, b: r.id, pc: pc})
}

// Get reads through the borrow.
func (r *Ref[T]) Get(g *G) T {
	r.use(g, g.site(), false)
	return *r.p
}

// Update changes the borrowed value in place; the borrow must be mutable.
func (r *Ref[T]) Update(g *G, fn func(*T)) {
	r.use(g, g.site(), true)
	fn(r.p)
}

// UpdateLocked changes the borrowed value in place while g holds mu: the
// interior mutability of a Mutex shared by reference (Rust's
// Arc<Mutex<T>>). Without holding mu it is reported as borrow-conflict.
func (r *Ref[T]) UpdateLocked(g *G, mu *Mutex, fn func(*T)) {
	pc := g.site()
	if mu.holder.Load() != int64(g.id) {
		g.violation(pc, RuleBorrowConflict, r.value.id, 0, 0, fmt.Sprintf(
			"g%d writes %s through a shared borrow without holding lock %q", g.id, r.value.describe(), mu.name))
	}
	g.add(rec{tick: cputicks(), kind: KindUse, flags: flagMut, a: r.value.id, b: r.id, pc: pc})
	fn(r.p)
}

// Release ends the borrow.
func (r *Ref[T]) Release(g *G) { r.refState.release(g, g.site()) }

func (r *refState) release(g *G, pc uintptr) {
	if r.released.Swap(true) {
		return
	}
	v := r.value
	v.mu.Lock()
	if r.mut {
		v.mutable--
	} else {
		v.shared--
	}
	v.mu.Unlock()
	g.add(rec{tick: cputicks(), kind: KindRelease, a: v.id, b: r.id, pc: pc})
}

// Scope is a group of goroutines that may borrow from the goroutine that
// opened it: [G.Scope] joins them all before it returns, like Rust's
// thread::scope.
type Scope struct {
	g       *G
	id      int64
	handles []*Handle
	lent    []*refState
}

// Scope runs fn, then joins every goroutine fn started with [Scope.Go] and
// releases the borrows lent to them. It returns the first panic among them
// as a [*PanicError].
func (g *G) Scope(fn func(s *Scope)) error {
	pc := g.site()
	s := &Scope{g: g, id: g.t.nextScope.Add(1)}
	g.add(rec{tick: cputicks(), kind: KindScope, a: s.id, pc: pc})
	fn(s)
	var first error
	for _, h := range s.handles {
		if h.child.joined.Load() {
			continue
		}
		if err := h.Join(g); err != nil && first == nil {
			first = err
		}
	}
	for _, r := range s.lent {
		r.release(g, pc)
	}
	g.add(rec{tick: cputicks(), kind: KindScopeEnd, a: s.id, pc: pc})
	return first
}

// Go starts a goroutine in the scope. It may be given borrows ([*Ref]) as
// well as moved values.
func (s *Scope) Go(name string, fn func(*G), args ...Movable) *Handle {
	h := s.g.spawn(s.g.site(), name, ScopeID(s.id), fn, args)
	s.handles = append(s.handles, h)
	for _, a := range args {
		if _, r := a.movable(); r != nil {
			s.lent = append(s.lent, r)
		}
	}
	return h
}
