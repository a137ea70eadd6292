package tracer

import (
	"cmp"
	"fmt"
	"slices"
)

// Finding is one broken rule, as [Check] reports it.
type Finding struct {
	Rule string
	Seq  uint64 // the event that reported or revealed it
	G    GoID
	V    ValueID
	Ch   ChanID
	At   string
	Msg  string
}

func (f Finding) String() string {
	at := ""
	if f.At != "" {
		at = " at " + f.At
	}
	return fmt.Sprintf("%s (event #%d%s): %s", f.Rule, f.Seq, at, f.Msg)
}

// Check lists the broken rules of a trace: every violation event in it,
// and the goroutines that were never joined (leaked-goroutine) when the
// trace does not report them itself, as a trace written by another tool
// might not. In a trace with no join event at all (a Go program's, imported
// or traced: Go has no join) only goroutines still blocked when the trace
// ended count as leaked.
// Goroutines the tracer stopped after a deadlock are explained by the
// deadlock and not reported again. A truncated trace (one that ends with a
// truncated event) has no leaks of its own: the program went on.
//
// Check is [Checker] over a slice.
func Check(evs []Event) []Finding {
	var c Checker
	for i := range evs {
		c.Add(&evs[i])
	}
	return c.Findings()
}

// A Checker finds what [Check] finds, one event at a time, in one pass. It
// holds the violations and a few words per goroutine, never the events.
// The zero Checker is ready to use.
type Checker struct {
	gs        map[GoID]*checkG
	order     []GoID // goroutines in the order they appeared
	out       []Finding
	reported  map[GoID]bool
	deadlock  bool
	joins     bool
	truncated bool
	lastSeq   uint64
}

type checkG struct {
	name                            string
	spawned, ended, joined, aborted bool
	blockedOn                       string // the wait it is in; "" when running
	at                              string // its last call site
}

func (c *Checker) g(id GoID) *checkG {
	g := c.gs[id]
	if g == nil {
		g = &checkG{}
		c.gs[id] = g
		c.order = append(c.order, id)
	}
	return g
}

// Add takes the next event of the trace.
func (c *Checker) Add(e *Event) {
	if c.gs == nil {
		c.gs = map[GoID]*checkG{}
		c.reported = map[GoID]bool{}
	}
	c.lastSeq = e.Seq
	g := c.g(e.G)
	if e.At != "" && e.Kind != KindViolation {
		g.at = e.At
	}
	if e.Kind != KindBlock && e.Kind != KindViolation && e.Kind != KindTruncated {
		g.blockedOn = ""
	}
	switch e.Kind {
	case KindGo:
		child := c.g(e.Child)
		child.name, child.spawned = e.Name, true
	case KindEnd:
		g.ended, g.aborted = true, e.Abort
	case KindJoin:
		c.joins = true
		if child := c.gs[e.Child]; child != nil {
			child.joined = true
		}
	case KindBlock:
		g.blockedOn = e.On
	case KindTruncated:
		c.truncated = true
	case KindViolation:
		at := e.At
		if at == "" {
			at = g.at // where the goroutine it is about last was
		}
		c.out = append(c.out, Finding{Rule: e.Rule, Seq: e.Seq, G: e.G, V: e.V, Ch: e.Ch, At: at, Msg: e.Msg})
		if e.Rule == RuleLeakedGoroutine {
			c.reported[max(e.Child, e.G)] = true
		}
		c.deadlock = c.deadlock || e.Rule == RuleDeadlock
	}
}

// Findings returns what the events so far show, in event order: the
// violations, then the leaks they imply at the end of the trace.
func (c *Checker) Findings() []Finding {
	out := slices.Clone(c.out)
	if !c.truncated {
		// The program went on past the end of a truncated trace: a
		// goroutine not yet ended or joined may still have been, and is
		// no leak.
		ids := slices.Clone(c.order)
		slices.Sort(ids)
		for _, id := range ids {
			g := c.gs[id]
			if !g.spawned || g.joined || c.reported[id] || (g.aborted && c.deadlock) {
				continue
			}
			if !c.joins && (g.ended || g.blockedOn == "") {
				// A trace without joins (a Go program's: Go has no join)
				// cannot tell an ended goroutine from a finished one, and
				// one still running when the program ended was stopped
				// by its end, not stuck: only a goroutine still waiting
				// then is a leak.
				continue
			}
			how := "ended but was never joined"
			if !g.ended {
				how = "had not ended when the trace ended"
				if g.blockedOn != "" {
					how = fmt.Sprintf("was still blocked on %s when the trace ended", g.blockedOn)
				}
			}
			out = append(out, Finding{Rule: RuleLeakedGoroutine, Seq: c.lastSeq, G: id, At: g.at,
				Msg: fmt.Sprintf("goroutine g%d %q %s", id, g.name, how)})
		}
	}
	slices.SortStableFunc(out, func(a, b Finding) int { return cmp.Compare(a.Seq, b.Seq) })
	return out
}
