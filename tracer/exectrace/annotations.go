package exectrace

import (
	"fmt"
	"time"

	"github.com/handoff-viz/handoff/tracer"
	"golang.org/x/exp/trace"
)

// How the exact and the inferred views combine.
//
// A program traced by handoff's tracer under runtime/trace writes each of
// its events as a user log record of category [tracer.AnnotationCategory],
// in the goroutine that acted. The Go goroutines that wrote such records are
// "annotated": their goroutines, values, channels, owners, blocking and
// violations come from the records, exactly. Everything else is inferred
// from the scheduler as before. In the merged output:
//
//   - an annotated goroutine keeps its Go trace id (a handoff goroutine that
//     never wrote a record of its own gets unloggedBase + its handoff id);
//     its channel and value ids are moved past the inferred ones;
//   - inferred handoffs between two annotated goroutines are dropped (the
//     records say exactly what moved), so are the inferred go, block and end
//     events of annotated goroutines, inferred closes by them, and whatever
//     an annotated goroutine did after its recorded end (the goroutine that
//     called tracer.Run lives on after Run returns);
//   - inferred handoffs between an annotated goroutine and one that is not
//     (a plain Go channel inside traced code) are kept, with their confidence;
//   - the two streams are merged by time.
//
// Until the first record is read, events stream out as they are converted;
// from then on the inferred events are held until the end of the trace, so
// that they can be filtered: memory then grows with the handoffs found and
// the records read, not with the Go trace's size.

// unloggedBase is added to the id of a handoff goroutine that wrote no
// record of its own, so that it does not take a Go goroutine's id.
const unloggedBase = 1 << 40

// annotation adds one log record of the tracer's category.
func (c *converter) annotation(ev *trace.Event, msg string, t tracer.Time) error {
	if c.ann == nil {
		c.ann = tracer.NewAnnotations()
		c.annT0 = t
		c.annGo = map[tracer.GoID]struct{}{}
	}
	goid := ev.Goroutine()
	c.annGo[tracer.GoID(goid)] = struct{}{}
	c.rep.Annotations++
	if err := c.ann.Add(int64(t), int64(goid), msg); err != nil {
		return fmt.Errorf("read go execution trace: log record at %v (goroutine %d): %w", time.Duration(t), goid, err)
	}
	return nil
}

// mergeAnnotations writes the held inferred events and the exact events of
// the records, merged by time.
func (c *converter) mergeAnnotations() error {
	aevs := c.ann.Events()
	c.rep.AnnotatedGoroutines = len(c.annGo)
	goid := func(g tracer.GoID) tracer.GoID {
		if g == tracer.NoGoroutine {
			return g
		}
		if id, ok := c.ann.GoID(g); ok {
			return tracer.GoID(id)
		}
		return unloggedBase + g
	}
	chOff, vOff := tracer.ChanID(c.nextCh), tracer.ValueID(c.nextV)
	endAt := map[tracer.GoID]tracer.Time{}
	exact := aevs[:0]
	for i := range aevs {
		e := aevs[i]
		e.T += c.annT0
		e.G, e.Child = goid(e.G), goid(e.Child)
		if e.Cycle != nil {
			cy := make([]tracer.GoID, len(e.Cycle))
			for j, g := range e.Cycle {
				cy[j] = goid(g)
			}
			e.Cycle = cy
		}
		if e.Ch != 0 {
			e.Ch += chOff
		}
		if e.V != 0 {
			e.V += vOff
		}
		if e.Vs != nil {
			vs := make([]tracer.ValueID, len(e.Vs))
			for j, v := range e.Vs {
				vs[j] = v + vOff
			}
			e.Vs = vs
		}
		if e.Kind == tracer.KindEnd {
			endAt[e.G] = e.T
		}
		if e.T < c.from {
			continue // before the window
		}
		if c.to > 0 && e.T > c.to {
			continue
		}
		exact = append(exact, e)
	}
	c.rep.Exact = len(exact)

	annotated := func(g tracer.GoID) bool { _, ok := c.annGo[g]; return ok }
	gone := func(g tracer.GoID, t tracer.Time) bool {
		end, ok := endAt[g]
		return ok && t > end
	}
	// Inferred handoffs: a make and a send by the sender, a recv by the
	// receiver, of one synthetic value.
	type ends struct{ sender, receiver tracer.GoID }
	hand := map[tracer.ValueID]*ends{}
	dropCh := map[tracer.ChanID]bool{} // closes by annotated goroutines
	for i := range c.pending {
		e := &c.pending[i]
		switch e.Kind {
		case tracer.KindMake:
			hand[e.V] = &ends{sender: e.G}
		case tracer.KindRecv:
			if h := hand[e.V]; h != nil && !e.Close {
				h.receiver = e.G
			}
		case tracer.KindClose:
			if annotated(e.G) {
				dropCh[e.Ch] = true
			}
		}
	}
	keep := func(e *tracer.Event) bool {
		if gone(e.G, e.T) {
			return false
		}
		switch e.Kind {
		case tracer.KindGo:
			return !annotated(e.Child)
		case tracer.KindEnd, tracer.KindBlock:
			return !annotated(e.G)
		case tracer.KindClose:
			return !dropCh[e.Ch]
		case tracer.KindMake, tracer.KindSend, tracer.KindRecv:
			if e.Close {
				return !dropCh[e.Ch]
			}
			h := hand[e.V]
			if h == nil {
				return true
			}
			if gone(h.sender, e.T) || gone(h.receiver, e.T) {
				return false
			}
			return !annotated(h.sender) || !annotated(h.receiver)
		}
		return true
	}
	inferred := c.pending[:0]
	used := map[tracer.ChanID]bool{}
	for i := range c.pending {
		e := &c.pending[i]
		if !keep(e) {
			continue
		}
		if e.Kind != tracer.KindChan && e.Ch != 0 {
			used[e.Ch] = true
		}
		inferred = append(inferred, *e)
	}
	// A channel group is written when a goroutine first waits there; drop
	// the groups nothing kept uses (the tracer's own channels, seen from
	// the scheduler).
	kept := inferred[:0]
	for _, e := range inferred {
		if e.Kind == tracer.KindChan && !used[e.Ch] {
			continue
		}
		kept = append(kept, e)
	}
	c.pending = nil

	// Merge by time; on a tie, the exact event first.
	last := c.lastOut
	i, j := 0, 0
	for i < len(exact) || j < len(kept) {
		var e *tracer.Event
		if j >= len(kept) || (i < len(exact) && exact[i].T <= kept[j].T) {
			e = &exact[i]
			i++
		} else {
			e = &kept[j]
			j++
		}
		e.T = max(e.T, last)
		last = e.T
		if err := c.out(e); err != nil {
			return err
		}
	}
	return nil
}
