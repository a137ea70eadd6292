package tracer

import (
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
// might not. In a trace with no join event at all (an imported Go execution
// trace: Go has no join) only goroutines that never ended count as leaked. Goroutines the tracer stopped after a deadlock are explained by
// the deadlock and not reported again.
func Check(evs []Event) []Finding {
	tl := BuildTimeline(evs)
	var out []Finding
	reported := map[GoID]bool{}
	deadlock := false
	for _, i := range tl.Violations {
		e := &evs[i]
		out = append(out, Finding{Rule: e.Rule, Seq: e.Seq, G: e.G, V: e.V, Ch: e.Ch, At: e.At, Msg: e.Msg})
		if e.Rule == RuleLeakedGoroutine {
			reported[max(e.Child, e.G)] = true
		}
		deadlock = deadlock || e.Rule == RuleDeadlock
	}
	var last uint64
	if len(evs) > 0 {
		last = evs[len(evs)-1].Seq
	}
	joins := false
	for i := range evs {
		joins = joins || evs[i].Kind == KindJoin
	}
	for _, g := range tl.Goroutines {
		if g.Spawned < 0 || g.Joined >= 0 || reported[g.ID] || (g.Aborted && deadlock) {
			continue
		}
		if g.Ended >= 0 && !joins {
			continue // a trace without joins (an imported Go trace) cannot tell
		}
		how := "ended but was never joined"
		if g.Ended < 0 {
			how = "had not ended when the trace ended"
			if s := g.States[len(g.States)-1]; s.State == StateBlocked {
				how = fmt.Sprintf("was still blocked on %s when the trace ended", s.On)
			}
		}
		out = append(out, Finding{Rule: RuleLeakedGoroutine, Seq: last, G: g.ID,
			Msg: fmt.Sprintf("goroutine g%d %q %s", g.ID, g.Name, how)})
	}
	slices.SortStableFunc(out, func(a, b Finding) int { return int(a.Seq) - int(b.Seq) })
	return out
}
