package tracer

import (
	"errors"
	"fmt"
	"slices"
)

// maxProblems is how many problems Validate lists before it stops.
const maxProblems = 20

// Validate checks that a stream of events makes sense as a run, and returns
// the problems it finds (at most 20) joined in one error, or nil:
//   - seq counts 1, 2, 3, ... and t never goes back;
//   - a goroutine acts only after the go event that spawned it, if one
//     does (goroutines no go event spawns were running when the trace
//     began), and not after its end; a join comes after the child's end;
//   - a value is made once and has one owner at a time: whoever sends it,
//     moves it into a goroutine or drops it owns it, unless a violation
//     about that value by that goroutine was reported first;
//   - a receive takes the value at the head of the channel (FIFO), so after
//     its send; a channel never holds more than its capacity (one for an
//     unbuffered channel); a receive of "closed" finds the channel closed
//     and empty; nothing is sent after close without a violation;
//   - a mutex is locked only when free and unlocked by its holder.
//
// Every test of a scenario, and of every producer of traces, runs it.
func Validate(evs []Event) error {
	var problems []error
	bad := func(e *Event, format string, args ...any) {
		if len(problems) < maxProblems {
			problems = append(problems, fmt.Errorf("event #%d (%s by g%d): %s", e.Seq, e.Kind, e.G, fmt.Sprintf(format, args...)))
		}
	}
	type gstate struct {
		spawned, ended bool
	}
	gs := map[GoID]*gstate{}
	// Goroutines no go event spawns were running when the trace began (the
	// first goroutine of a run, or any goroutine of an imported trace).
	spawned := map[GoID]bool{}
	for i := range evs {
		if evs[i].Kind == KindGo {
			spawned[evs[i].Child] = true
		}
	}
	type chstate struct {
		cap    int
		queue  []ValueID
		closed bool
	}
	chans := map[ChanID]*chstate{}
	owner := map[ValueID]Owner{}
	excused := map[[2]int64]bool{} // (g, v) with a reported violation
	holder := map[MutexID]GoID{}
	var lastSeq uint64
	var lastT Time
	for i := range evs {
		e := &evs[i]
		if e.Seq != lastSeq+1 {
			bad(e, "seq %d follows %d", e.Seq, lastSeq)
		}
		if e.T < lastT {
			bad(e, "t %d goes back from %d", e.T, lastT)
		}
		lastSeq, lastT = e.Seq, e.T
		g := gs[e.G]
		if g == nil {
			g = &gstate{spawned: !spawned[e.G]}
			gs[e.G] = g
			if !g.spawned && !tracerEvent(e.Kind) {
				bad(e, "g%d acts before any go event spawned it", e.G)
			}
		}
		if g.ended && !tracerEvent(e.Kind) {
			bad(e, "g%d acts after its end", e.G)
		}
		owns := func(v ValueID, what string) {
			o, ok := owner[v]
			switch {
			case !ok:
				bad(e, "%s v%d, which was never made", what, v)
			case (o.Kind != OwnerGoroutine || o.G != e.G) && !excused[[2]int64{int64(e.G), int64(v)}]:
				bad(e, "%s v%d, owned by %s, without a violation", what, v, describeOwner(o))
			}
		}
		switch e.Kind {
		case KindGo:
			if c := gs[e.Child]; c != nil {
				bad(e, "spawns g%d, which already acted", e.Child)
			} else {
				gs[e.Child] = &gstate{spawned: true}
			}
			for _, v := range e.Vs {
				owns(v, "moves")
				owner[v] = Owner{Kind: OwnerGoroutine, G: e.Child}
			}
		case KindEnd:
			g.ended = true
		case KindJoin:
			if c := gs[e.Child]; c == nil || !c.ended {
				bad(e, "joins g%d before it ended", e.Child)
			}
		case KindChan:
			if chans[e.Ch] != nil {
				bad(e, "makes channel ch%d twice", e.Ch)
			}
			chans[e.Ch] = &chstate{cap: e.Cap}
		case KindMake:
			if _, ok := owner[e.V]; ok {
				bad(e, "makes v%d twice", e.V)
			}
			owner[e.V] = Owner{Kind: OwnerGoroutine, G: e.G}
		case KindSend:
			c := chans[e.Ch]
			if c == nil {
				bad(e, "sends on ch%d, which was never made", e.Ch)
				break
			}
			if _, made := owner[e.V]; made {
				owns(e.V, "sends")
			}
			if c.closed && !excused[[2]int64{int64(e.G), int64(e.V)}] {
				bad(e, "sends on closed ch%d", e.Ch)
			}
			owner[e.V] = Owner{Kind: OwnerChannel, Ch: e.Ch}
			c.queue = append(c.queue, e.V)
			if limit := max(c.cap, 1); c.cap >= 0 && len(c.queue) > limit {
				bad(e, "ch%d holds %d values, more than its capacity %d", e.Ch, len(c.queue), c.cap)
			}
		case KindRecv:
			c := chans[e.Ch]
			if c == nil {
				bad(e, "receives from ch%d, which was never made", e.Ch)
				break
			}
			if e.Close {
				if !c.closed || len(c.queue) > 0 {
					bad(e, "receives closed from ch%d, which is not closed and empty", e.Ch)
				}
				break
			}
			switch k := slices.Index(c.queue, e.V); {
			case k < 0:
				bad(e, "receives v%d from ch%d, which does not hold it (receive before send)", e.V, e.Ch)
			case k > 0:
				bad(e, "receives v%d from ch%d, but v%d entered first (FIFO)", e.V, e.Ch, c.queue[0])
				c.queue = slices.Delete(c.queue, k, k+1)
			default:
				c.queue = c.queue[1:]
			}
			owner[e.V] = Owner{Kind: OwnerGoroutine, G: e.G}
		case KindDiscard:
			c := chans[e.Ch]
			switch {
			case c == nil:
				bad(e, "discards from ch%d, which was never made", e.Ch)
			case len(c.queue) == 0 || c.queue[0] != e.V:
				bad(e, "discards v%d, which is not at the head of ch%d", e.V, e.Ch)
			default:
				c.queue = c.queue[1:]
				owner[e.V] = Owner{}
			}
		case KindClose:
			if c := chans[e.Ch]; c == nil {
				bad(e, "closes ch%d, which was never made", e.Ch)
			} else {
				c.closed = true
			}
		case KindDrop:
			owns(e.V, "drops")
			owner[e.V] = Owner{}
		case KindLock:
			if h := holder[e.Mu]; h != 0 {
				bad(e, "locks mu%d, held by g%d", e.Mu, h)
			}
			holder[e.Mu] = e.G
		case KindUnlock:
			if h := holder[e.Mu]; h != e.G {
				bad(e, "unlocks mu%d, held by g%d", e.Mu, h)
			}
			holder[e.Mu] = 0
		case KindViolation:
			excused[[2]int64{int64(e.G), int64(e.V)}] = true
		}
	}
	return errors.Join(problems...)
}

// tracerEvent says whether events of kind k may be written by the tracer
// about a goroutine (its g), rather than by the goroutine itself: they may
// come after its end.
func tracerEvent(k Kind) bool { return k == KindViolation || k == KindDiscard }

func describeOwner(o Owner) string {
	switch o.Kind {
	case OwnerGoroutine:
		return fmt.Sprintf("g%d", o.G)
	case OwnerChannel:
		return fmt.Sprintf("ch%d", o.Ch)
	}
	return "nobody (dropped)"
}
