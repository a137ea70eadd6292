package tracer

import (
	"errors"
	"fmt"
	"iter"
	"slices"
)

// maxProblems is how many problems Validate lists before it stops.
const maxProblems = 20

// Validate checks that a stream of events makes sense as a run, and returns
// the problems it finds (at most 20) joined in one error, or nil. It is
// [Validator] over a slice; see there for what it checks. Every test of a
// scenario, and of every producer of traces, runs it.
func Validate(evs []Event) error {
	var v Validator
	for i := range evs {
		v.Add(&evs[i])
	}
	return v.Err()
}

// ValidateEvents is [Validate] over an iterator, such as [Reader.Events]:
// it holds the state the rules need, not the events. A reader's error
// ends the check and is returned first.
func ValidateEvents(events iter.Seq2[Event, error]) error {
	var v Validator
	for e, err := range events {
		if err != nil {
			return errors.Join(err, v.Err())
		}
		v.Add(&e)
	}
	return v.Err()
}

// A Validator checks a trace one event at a time, in one pass, holding
// per goroutine, channel, value and mutex only what the rules below need:
//   - seq counts 1, 2, 3, ... and t never goes back;
//   - a goroutine acts only after the go event that spawned it, if one
//     does (goroutines no go event spawns were running when the trace
//     began: a go event for a goroutine that already acted is wrong), and
//     not after its end; a join comes after the child's end;
//   - a value is made once and has one owner at a time: whoever sends it,
//     moves it into a goroutine, drops it or offers it in a select's send
//     case owns it, unless a violation about that value by that goroutine
//     was reported first;
//   - a receive takes the value at the head of the channel (FIFO), so after
//     its send; a channel never holds more than its capacity (one for an
//     unbuffered channel); a receive of "closed" finds the channel closed
//     and empty; nothing is sent after close without a violation;
//   - a select waits on channels that were made; the send or receive that
//     ends a select's wait is one of its cases, the one its case number
//     names;
//   - a mutex is locked only when free and unlocked by its holder;
//   - nothing follows a truncated event.
//
// The zero Validator is ready to use.
type Validator struct {
	problems []error
	gs       map[GoID]*validG
	chans    map[ChanID]*validChan
	owner    map[ValueID]heldBy // every value made: about 24 bytes of table each
	excused  map[[2]int64]bool  // (g, v) with a reported violation
	holder   map[MutexID]GoID
	lastSeq  uint64
	lastT    Time
	cut      uint64 // seq of the truncated event, 0 before one
}

// heldBy is who owns a value, as the validator keeps it for every value
// made: the owner's kind and id, half the size of an [Owner] in its table.
type heldBy struct {
	kind OwnerKind
	id   int64 // a GoID or a ChanID, by kind
}

type validG struct {
	ended     bool
	selecting []SelectCase // the cases of the select it waits in
}

type validChan struct {
	cap    int
	queue  []ValueID
	closed bool
}

// Err returns the problems found so far, at most 20, joined; nil if none.
func (v *Validator) Err() error { return errors.Join(v.problems...) }

func (v *Validator) bad(e *Event, format string, args ...any) {
	if len(v.problems) < maxProblems {
		v.problems = append(v.problems, fmt.Errorf("event #%d (%s by g%d): %s", e.Seq, e.Kind, e.G, fmt.Sprintf(format, args...)))
	}
}

// owns checks that e's goroutine owns value id, which it is about to give
// away (what says how).
func (v *Validator) owns(e *Event, id ValueID, what string) {
	o, ok := v.owner[id]
	switch {
	case !ok:
		v.bad(e, "%s v%d, which was never made", what, id)
	case (o.kind != OwnerGoroutine || o.id != int64(e.G)) && !v.excused[[2]int64{int64(e.G), int64(id)}]:
		v.bad(e, "%s v%d, owned by %s, without a violation", what, id, describeOwner(o))
	}
}

// Add checks one event, the next of the trace.
func (v *Validator) Add(e *Event) {
	if v.gs == nil {
		v.gs = map[GoID]*validG{}
		v.chans = map[ChanID]*validChan{}
		v.owner = map[ValueID]heldBy{}
		v.excused = map[[2]int64]bool{}
		v.holder = map[MutexID]GoID{}
	}
	if e.Seq != v.lastSeq+1 {
		v.bad(e, "seq %d follows %d", e.Seq, v.lastSeq)
	}
	if e.T < v.lastT {
		v.bad(e, "t %d goes back from %d", e.T, v.lastT)
	}
	v.lastSeq, v.lastT = e.Seq, e.T
	if v.cut != 0 {
		v.bad(e, "follows the truncated event #%d, the end of what was seen", v.cut)
	}
	if e.Kind == KindTruncated {
		v.cut = e.Seq
		return
	}
	g := v.gs[e.G]
	if g == nil {
		// Not spawned by any go event so far: it was running when the
		// trace began, and a go event for it later is the error. The
		// tracer's own events about it (tracerEvent) do not count as
		// acting.
		g = &validG{}
		if !tracerEvent(e.Kind) {
			v.gs[e.G] = g
		}
	}
	if g.ended && !tracerEvent(e.Kind) {
		v.bad(e, "g%d acts after its end", e.G)
	}
	selecting := g.selecting
	if !tracerEvent(e.Kind) {
		g.selecting = nil
	}
	switch e.Kind {
	case KindGo:
		if c := v.gs[e.Child]; c != nil {
			v.bad(e, "spawns g%d, which already acted", e.Child)
		} else {
			v.gs[e.Child] = &validG{}
		}
		for _, id := range e.Vs {
			v.owns(e, id, "moves")
			v.owner[id] = heldBy{OwnerGoroutine, int64(e.Child)}
		}
	case KindEnd:
		g.ended = true
	case KindJoin:
		if c := v.gs[e.Child]; c == nil || !c.ended {
			v.bad(e, "joins g%d before it ended", e.Child)
		}
	case KindChan:
		if v.chans[e.Ch] != nil {
			v.bad(e, "makes channel ch%d twice", e.Ch)
		}
		v.chans[e.Ch] = &validChan{cap: e.Cap}
	case KindMake:
		if _, ok := v.owner[e.V]; ok {
			v.bad(e, "makes v%d twice", e.V)
		}
		v.owner[e.V] = heldBy{OwnerGoroutine, int64(e.G)}
	case KindBlock:
		if e.On == OnSelect {
			v.cases(e)
			g.selecting = e.Cases
		}
	case KindSkip:
		v.cases(e)
		for _, c := range e.Cases {
			if c.Dir == DirSend && c.V != 0 {
				if _, made := v.owner[c.V]; made {
					v.owns(e, c.V, "offers")
				}
			}
		}
	case KindSend:
		v.won(e, selecting)
		c := v.chans[e.Ch]
		if c == nil {
			v.bad(e, "sends on ch%d, which was never made", e.Ch)
			break
		}
		if _, made := v.owner[e.V]; made {
			v.owns(e, e.V, "sends")
		}
		if c.closed && !v.excused[[2]int64{int64(e.G), int64(e.V)}] {
			v.bad(e, "sends on closed ch%d", e.Ch)
		}
		v.owner[e.V] = heldBy{OwnerChannel, int64(e.Ch)}
		c.queue = append(c.queue, e.V)
		if limit := max(c.cap, 1); c.cap >= 0 && len(c.queue) > limit {
			v.bad(e, "ch%d holds %d values, more than its capacity %d", e.Ch, len(c.queue), c.cap)
		}
	case KindRecv:
		v.won(e, selecting)
		if e.Ch == 0 {
			break // a select's done case (won checked it)
		}
		c := v.chans[e.Ch]
		if c == nil {
			v.bad(e, "receives from ch%d, which was never made", e.Ch)
			break
		}
		if e.Close {
			if !c.closed || len(c.queue) > 0 {
				v.bad(e, "receives closed from ch%d, which is not closed and empty", e.Ch)
			}
			break
		}
		switch k := slices.Index(c.queue, e.V); {
		case k < 0:
			v.bad(e, "receives v%d from ch%d, which does not hold it (receive before send)", e.V, e.Ch)
		case k > 0:
			v.bad(e, "receives v%d from ch%d, but v%d entered first (FIFO)", e.V, e.Ch, c.queue[0])
			c.queue = slices.Delete(c.queue, k, k+1)
		default:
			c.queue = c.queue[1:]
		}
		v.owner[e.V] = heldBy{OwnerGoroutine, int64(e.G)}
	case KindDiscard:
		c := v.chans[e.Ch]
		switch {
		case c == nil:
			v.bad(e, "discards from ch%d, which was never made", e.Ch)
		case len(c.queue) == 0 || c.queue[0] != e.V:
			v.bad(e, "discards v%d, which is not at the head of ch%d", e.V, e.Ch)
		default:
			c.queue = c.queue[1:]
			v.owner[e.V] = heldBy{}
		}
	case KindClose:
		if c := v.chans[e.Ch]; c == nil {
			v.bad(e, "closes ch%d, which was never made", e.Ch)
		} else {
			c.closed = true
		}
	case KindDrop:
		v.owns(e, e.V, "drops")
		v.owner[e.V] = heldBy{}
	case KindLock:
		if h := v.holder[e.Mu]; h != 0 {
			v.bad(e, "locks mu%d, held by g%d", e.Mu, h)
		}
		v.holder[e.Mu] = e.G
	case KindUnlock:
		if h := v.holder[e.Mu]; h != e.G {
			v.bad(e, "unlocks mu%d, held by g%d", e.Mu, h)
		}
		v.holder[e.Mu] = 0
	case KindViolation:
		v.excused[[2]int64{int64(e.G), int64(e.V)}] = true
	}
}

// cases checks that a select's channels were made.
func (v *Validator) cases(e *Event) {
	for i, c := range e.Cases {
		if c.Dir != DirDone && c.Ch != 0 && v.chans[c.Ch] == nil {
			v.bad(e, "case %d %ss on ch%d, which was never made", i+1, c.Dir, c.Ch)
		}
	}
}

// won checks the send or receive e against the select its goroutine was
// waiting in, if any: a select's wait ends with one of its cases, the one
// e names. A select that found a case ready did not wait, and its
// operation names its case with nothing to hold it to.
func (v *Validator) won(e *Event, selecting []SelectCase) {
	if selecting == nil {
		if e.Ch == 0 && e.Case == 0 {
			v.bad(e, "a done case ran, but g%d waited in no select and names no case", e.G)
		}
		return
	}
	dir := DirSend
	switch {
	case e.Kind == KindRecv && e.Ch == 0:
		dir = DirDone
	case e.Kind == KindRecv:
		dir = DirRecv
	}
	if e.Case < 1 || e.Case > len(selecting) {
		v.bad(e, "ends a wait in a select of %d cases, but names case %d", len(selecting), e.Case)
		return
	}
	c := selecting[e.Case-1]
	if c.Dir != dir || c.Ch != e.Ch || (dir == DirSend && c.V != 0 && c.V != e.V) {
		v.bad(e, "is not case %d of the select it waited in (%s on ch%d)", e.Case, c.Dir, c.Ch)
	}
}

// tracerEvent says whether events of kind k may be written by the tracer
// about a goroutine (its g), rather than by the goroutine itself: they may
// come after its end.
func tracerEvent(k Kind) bool { return k == KindViolation || k == KindDiscard }

func describeOwner(o heldBy) string {
	switch o.kind {
	case OwnerGoroutine:
		return fmt.Sprintf("g%d", o.id)
	case OwnerChannel:
		return fmt.Sprintf("ch%d", o.id)
	}
	return "nobody (dropped)"
}
