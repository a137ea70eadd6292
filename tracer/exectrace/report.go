package exectrace

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/handoff-viz/handoff/tracer"
	"golang.org/x/exp/trace"
)

// finish fills in the report: the goroutines still parked (leak
// candidates), and wait-for cycles among them, written as deadlock
// violations.
func (c *converter) finish() {
	c.rep.Start, c.rep.End = c.from, c.lastT
	if c.to > 0 && c.stopped {
		c.rep.End = c.to
	}
	parked := map[trace.GoID]*Blocked{}
	for _, g := range c.gs {
		if !g.waiting || !c.user(g) || !g.known {
			continue
		}
		o := waitOp(g.reason)
		if g.reason == "" {
			o = g.wait.op // parked before the trace started: the stack says in what
			if g.wait.sync != "" {
				o = opSync // its top frame is the park; a sync frame is below
			}
		}
		if o != opSend && o != opRecv && o != opSelect && o != opSync && g.reason != "forever" {
			continue
		}
		b := &Blocked{G: tracer.GoID(g.id), Name: shortName(g.name), Reason: g.reason, At: g.wait.at, Func: g.wait.fn, Since: g.since}
		if o == opSync {
			b.Wait = g.wait.sync
		}
		if b.Reason == "" {
			b.Reason = [...]string{opSend: "chan send", opRecv: "chan receive", opSelect: "select", opSync: "sync", opOther: "unknown", opNone: "unknown"}[o]
		}
		if g.wait.id != 0 {
			si := &c.sites[g.wait.id]
			for p := range si.peers {
				for _, h := range c.sites[p].gs {
					if h != g.id && !slices.Contains(b.Peers, tracer.GoID(h)) {
						b.Peers = append(b.Peers, tracer.GoID(h))
					}
				}
			}
			slices.Sort(b.Peers)
			b.PeersGone = len(b.Peers) > 0
			for _, h := range b.Peers {
				if c.gs[trace.GoID(h)] != nil {
					b.PeersGone = false
				}
			}
		}
		parked[g.id] = b
	}
	for _, b := range parked {
		c.rep.Blocked = append(c.rep.Blocked, *b)
	}
	slices.SortFunc(c.rep.Blocked, func(a, b Blocked) int { return cmp.Compare(a.G, b.G) })
	c.rep.Cycles = cycles(c.rep.Blocked, func(g tracer.GoID) bool {
		return parked[trace.GoID(g)] != nil
	}, func(g tracer.GoID) bool { return c.gs[trace.GoID(g)] != nil })
	for _, cy := range c.rep.Cycles {
		e := c.reset(tracer.KindViolation, trace.GoID(cy[0]), c.rep.End)
		e.Rule, e.Cycle, e.Conf = tracer.RuleDeadlock, cy, tracer.ConfInferred
		e.At = parked[trace.GoID(cy[0])].At // where the first of them waits
		var parts []string
		for _, g := range cy {
			b := parked[trace.GoID(g)]
			parts = append(parts, fmt.Sprintf("g%d in %s at %s", g, b.Reason, b.At))
		}
		e.Msg = "inferred from call sites: each waits on the next, and all are parked: " + strings.Join(parts, " → ")
		if err := c.emit(e); err != nil {
			return
		}
	}
	if c.to > 0 && c.stopped || c.opts.Ongoing || c.opts.Origin != 0 {
		return // the program went on past the window or snapshot: nothing is stuck yet
	}
	c.syncLeaks(parked)
}

// waitWords says what a sync wait waits for, in a sentence.
var waitWords = map[string]string{
	tracer.OnLock:  "a lock",
	tracer.OnRLock: "a read lock",
	tracer.OnWait:  "a WaitGroup",
	tracer.OnCond:  "a sync.Cond",
}

// syncLeaks writes, for each goroutine parked in a sync wait when the
// trace ended, a leaked-goroutine violation naming the wait and its line;
// and, when goroutines wait for locks and nothing else runs that could
// release them, one deadlock violation marked inferred. A runtime trace
// records no lock holder (an uncontended Lock leaves no event), so no
// cycle is claimed: only that the lock waiters are stuck with everyone
// else parked, bar at most one running goroutine, the one that stopped
// the trace (trace.Stop runs on a goroutine).
func (c *converter) syncLeaks(parked map[trace.GoID]*Blocked) {
	var stuck []Blocked
	for _, b := range c.rep.Blocked {
		if b.Wait == "" || b.At == "" {
			continue
		}
		g := c.gs[trace.GoID(b.G)]
		site := g.wait.site
		e := c.reset(tracer.KindViolation, trace.GoID(b.G), c.rep.End)
		e.Rule, e.At, e.Conf = tracer.RuleLeakedGoroutine, b.At, tracer.ConfInferred
		e.Msg = fmt.Sprintf("goroutine g%d %q waits for %s at %s", b.G, b.Name, waitWords[b.Wait], site)
		if g.wait.from != "" {
			e.Msg += ", called from " + g.wait.from
		}
		e.Msg += ", and was still waiting when the trace ended"
		if err := c.emit(e); err != nil {
			return
		}
		if b.Wait == tracer.OnLock || b.Wait == tracer.OnRLock {
			stuck = append(stuck, b)
		}
	}
	if len(stuck) == 0 {
		return
	}
	running := 0
	for _, g := range c.gs {
		if !c.user(g) || !g.known {
			continue
		}
		if !g.waiting {
			running++
			continue
		}
		if g.reason == "" && parked[g.id] == nil {
			continue // parked since before the trace, and never woken in it
		}
		if parked[g.id] == nil || parked[g.id].Reason == "select" {
			return // asleep, in a select (a timer may fire), in I/O, ...: it may go on
		}
	}
	if running > 1 {
		return
	}
	parts := make([]string, len(stuck))
	for i, b := range stuck {
		parts[i] = fmt.Sprintf("g%d at %s", b.G, c.gs[trace.GoID(b.G)].wait.site)
		c.rep.Stuck = append(c.rep.Stuck, b.G)
	}
	e := c.reset(tracer.KindViolation, trace.GoID(stuck[0].G), c.rep.End)
	e.Rule, e.At, e.Conf = tracer.RuleDeadlock, stuck[0].At, tracer.ConfInferred
	e.Msg = "these goroutines wait for locks and nothing runs that could release them: " + strings.Join(parts, ", ") +
		" (inferred: a runtime trace records no lock holder, so no cycle is named)"
	if err := c.emit(e); err != nil {
		return
	}
}

// cycles finds the strongly connected sets of parked goroutines in the
// wait-for graph (g waits for its peers) in which nobody has a peer that
// is alive and not parked: nobody outside can wake them.
func cycles(bs []Blocked, isParked, alive func(tracer.GoID) bool) [][]tracer.GoID {
	peers := map[tracer.GoID][]tracer.GoID{}
	for _, b := range bs {
		peers[b.G] = b.Peers
	}
	// Tarjan's algorithm over the parked goroutines.
	index := map[tracer.GoID]int{}
	low := map[tracer.GoID]int{}
	on := map[tracer.GoID]bool{}
	var stack []tracer.GoID
	var out [][]tracer.GoID
	n := 0
	var visit func(g tracer.GoID)
	visit = func(g tracer.GoID) {
		index[g], low[g] = n, n
		n++
		stack = append(stack, g)
		on[g] = true
		for _, h := range peers[g] {
			if !isParked(h) {
				continue
			}
			if _, seen := index[h]; !seen {
				visit(h)
				low[g] = min(low[g], low[h])
			} else if on[h] {
				low[g] = min(low[g], index[h])
			}
		}
		if low[g] != index[g] {
			return
		}
		var scc []tracer.GoID
		for {
			h := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			on[h] = false
			scc = append(scc, h)
			if h == g {
				break
			}
		}
		if len(scc) < 2 {
			return
		}
		for _, h := range scc {
			for _, p := range peers[h] {
				if alive(p) && !isParked(p) {
					return // someone running could still wake it
				}
			}
		}
		slices.Sort(scc)
		out = append(out, scc)
	}
	for _, b := range bs {
		if _, seen := index[b.G]; !seen {
			visit(b.G)
		}
	}
	return out
}
