// Package textview prints an ownership timeline as text for a terminal:
// one line per event with who owns what after it, blocked goroutines, and
// violations. It is what `handoff run` prints by default.
package textview

import (
	"fmt"
	"io"
	"strings"

	"github.com/handoff-viz/handoff/tracer"
)

// Write prints tl to w.
func Write(w io.Writer, h tracer.Header, tl *tracer.Timeline) error {
	p := &printer{tl: tl}
	var b strings.Builder
	if h.Source != "" {
		fmt.Fprintf(&b, "%s\n", h.Source)
	}
	fmt.Fprintf(&b, "%d events, %d goroutines, %d channels, %d values, %d mutexes\n\n",
		len(tl.Events), len(tl.Goroutines), len(tl.Channels), len(tl.Values), len(tl.Mutexes))
	fmt.Fprintf(&b, "%5s %9s  %-18s %-52s %s\n", "step", "time", "goroutine", "event", "owner after")
	for i := range tl.Events {
		e := &tl.Events[i]
		what, owner := p.describe(e, i)
		fmt.Fprintf(&b, "%5d %9s  %-18s %-52s %s\n", e.Seq, fmtTime(e.T), p.gname(e.G), what, owner)
	}
	b.WriteString("\nat the end:\n")
	for _, v := range tl.Values {
		fmt.Fprintf(&b, "  %-24s owned by %s\n", p.vname(v.ID), p.owner(tl.OwnerAt(v.ID, len(tl.Events)-1)))
	}
	for _, g := range tl.Goroutines {
		state := "running"
		switch {
		case g.Ended >= 0 && g.Aborted:
			state = "stopped by the tracer"
		case g.Ended >= 0 && g.Panic != "":
			state = "panicked: " + g.Panic
		case g.Ended >= 0:
			state = "ended"
		}
		if g.Ended >= 0 && g.Joined >= 0 {
			state += fmt.Sprintf(", joined by g%d", g.JoinedBy)
		}
		fmt.Fprintf(&b, "  %-24s %s\n", p.gname(g.ID), state)
	}
	fs := tracer.Check(tl.Events)
	if len(fs) == 0 {
		b.WriteString("\nno rule of ownership was broken\n")
	} else {
		noun := "violations"
		if len(fs) == 1 {
			noun = "violation"
		}
		fmt.Fprintf(&b, "\n%d %s:\n", len(fs), noun)
		for _, f := range fs {
			fmt.Fprintf(&b, "  %s\n", f)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

type printer struct {
	tl *tracer.Timeline
}

func fmtTime(t tracer.Time) string {
	return fmt.Sprintf("%.3fms", float64(t)/1e6)
}

func (p *printer) gname(id tracer.GoID) string {
	if g := p.tl.Goroutine(id); g != nil && g.Name != "" {
		return fmt.Sprintf("g%d %s", id, g.Name)
	}
	if id == 1 {
		return "g1 main"
	}
	return fmt.Sprintf("g%d", id)
}

func (p *printer) cname(id tracer.ChanID) string {
	if c := p.tl.Channel(id); c != nil && c.Name != "" {
		return fmt.Sprintf("%q", c.Name)
	}
	return fmt.Sprintf("ch%d", id)
}

func (p *printer) vname(id tracer.ValueID) string {
	if v := p.tl.Value(id); v != nil && v.Label != "" {
		return fmt.Sprintf("%q", v.Label)
	}
	return fmt.Sprintf("v%d", id)
}

func (p *printer) mname(id tracer.MutexID) string {
	if m := p.tl.Mutex(id); m != nil && m.Name != "" {
		return fmt.Sprintf("%q", m.Name)
	}
	return fmt.Sprintf("mu%d", id)
}

func (p *printer) owner(o tracer.Owner) string {
	switch o.Kind {
	case tracer.OwnerGoroutine:
		return p.gname(o.G)
	case tracer.OwnerChannel:
		return "channel " + p.cname(o.Ch)
	}
	return "nobody (dropped)"
}

// describe returns what e did and, when it changed an owner, who owns
// what afterwards.
func (p *printer) describe(e *tracer.Event, i int) (string, string) {
	v := func(id tracer.ValueID) string { return p.vname(id) + " → " + p.owner(p.tl.OwnerAt(id, i)) }
	switch e.Kind {
	case tracer.KindGo:
		s := fmt.Sprintf("spawns %s", p.gname(e.Child))
		if e.Scope != 0 {
			s += " in a scope"
		}
		var owners []string
		for _, id := range e.Vs {
			owners = append(owners, v(id))
		}
		if len(e.Refs) > 0 {
			s += fmt.Sprintf(", lending %d borrow(s)", len(e.Refs))
		}
		return s, strings.Join(owners, ", ")
	case tracer.KindEnd:
		switch {
		case e.Abort:
			return "is stopped by the tracer", ""
		case e.Panic != "":
			return "panics: " + e.Panic, ""
		}
		return "ends", ""
	case tracer.KindJoin:
		if e.Panic != "" {
			return fmt.Sprintf("joins %s: its panic comes back as an error", p.gname(e.Child)), ""
		}
		return "joins " + p.gname(e.Child), ""
	case tracer.KindChan:
		capacity := fmt.Sprintf("capacity %d", e.Cap)
		switch {
		case e.Cap == 0:
			capacity = "unbuffered"
		case e.Cap < 0:
			capacity = "unbounded"
		}
		return fmt.Sprintf("makes channel %s (%s)", p.cname(e.Ch), capacity), ""
	case tracer.KindMake:
		return "makes " + p.vname(e.V), v(e.V)
	case tracer.KindSend:
		return fmt.Sprintf("sends %s on %s", p.vname(e.V), p.cname(e.Ch)), v(e.V)
	case tracer.KindRecv:
		if e.Close && e.Ch == 0 {
			return fmt.Sprintf("stops waiting: its context is done (case %d)", e.Case), ""
		}
		if e.Close {
			return fmt.Sprintf("finds %s closed and empty", p.cname(e.Ch)), ""
		}
		return fmt.Sprintf("receives %s from %s", p.vname(e.V), p.cname(e.Ch)), v(e.V)
	case tracer.KindClose:
		return "closes " + p.cname(e.Ch), ""
	case tracer.KindDiscard:
		return fmt.Sprintf("is stopped: the tracer takes %s out of %s", p.vname(e.V), p.cname(e.Ch)), v(e.V)
	case tracer.KindBlock:
		switch e.On {
		case tracer.OnSend:
			c := p.tl.Channel(e.Ch)
			why := "no receiver is ready"
			if c != nil && c.Cap > 0 {
				why = "the buffer is full: backpressure"
			}
			return fmt.Sprintf("BLOCKS sending on %s (%s)", p.cname(e.Ch), why), ""
		case tracer.OnRecv:
			return fmt.Sprintf("BLOCKS receiving on %s (empty)", p.cname(e.Ch)), ""
		case tracer.OnLock:
			return "BLOCKS waiting for lock " + p.mname(e.Mu), ""
		case tracer.OnJoin:
			return "BLOCKS waiting to join " + p.gname(e.Child), ""
		case tracer.OnSelect:
			return "BLOCKS in a select: " + p.cases(e.Cases), ""
		case tracer.OnRLock:
			return "BLOCKS waiting to read-lock " + p.mname(e.Mu), ""
		case tracer.OnWait:
			return fmt.Sprintf("BLOCKS in WaitGroup wg%d.Wait", e.WG), ""
		case tracer.OnCond:
			return "BLOCKS in Cond.Wait", ""
		}
	case tracer.KindSkip:
		return "takes the select's default, nothing ready: " + p.cases(e.Cases), ""
	case tracer.KindTruncated:
		return "THE TRACE ENDS HERE, the program went on", e.Msg
	case tracer.KindUse:
		return fmt.Sprintf("%ss %s", e.Op, p.vname(e.V)), ""
	case tracer.KindBorrow:
		kind := "borrows"
		if e.Mut {
			kind = "borrows (mutably)"
		}
		return fmt.Sprintf("%s %s", kind, p.vname(e.V)), ""
	case tracer.KindRelease:
		return "releases its borrow of " + p.vname(e.V), ""
	case tracer.KindDrop:
		return "drops " + p.vname(e.V), v(e.V)
	case tracer.KindMutex:
		return "makes mutex " + p.mname(e.Mu), ""
	case tracer.KindLock:
		return "locks " + p.mname(e.Mu), ""
	case tracer.KindUnlock:
		return "unlocks " + p.mname(e.Mu), ""
	case tracer.KindScope:
		return fmt.Sprintf("opens scope %d", e.Scope), ""
	case tracer.KindScopeEnd:
		return fmt.Sprintf("closes scope %d (all its goroutines joined)", e.Scope), ""
	case tracer.KindViolation:
		return "VIOLATION " + e.Rule, e.Msg
	}
	return e.Kind.String(), ""
}

// cases names a select's cases for people.
func (p *printer) cases(cs []tracer.SelectCase) string {
	return tracer.DescribeCases(cs, p.cname, p.vname)
}
