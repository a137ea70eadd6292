package viz

import "github.com/handoff-viz/handoff/tracer"

// A Window keeps, from a stream of events, the ones a timeline picture
// drawn with given options needs, so that drawing the first steps of a
// trace of millions holds a few hundred events instead of all of them.
// Feed it every event in order with Add, then build the timeline from
// Events and draw it with Options, which says how long the whole trace
// was.
//
// It keeps the events up to the end of the picture's window (From, To and
// MaxSteps as the layout reads them), then, of the rest, only the first
// join of each goroutine that ended in that prefix and the first end of
// each of their scopes (the picture draws such a goroutine's wait for its
// join to the window's edge), and the event that makes known a goroutine
// or channel the prefix names before it is spawned or used (it gets a
// lane, with its name). A picture drawn from a Window is the same as
// the picture of the whole trace (TestWindowDrawsTheSame holds them
// equal). Views other than the timeline, and a --focus, need the whole
// trace: the Window then keeps every event.
//
// Memory: the kept prefix (at most From's index plus MaxSteps events
// when MaxSteps caps the window; everything up to To otherwise), plus a
// map entry per goroutine and channel it names, and at most one later
// event for each of them.
type Window struct {
	o      Options
	all    bool // keep every event
	max    int  // the window's cap in events; < 0 for none
	n      int  // events seen
	lo     int  // index of the window's first event, -1 before it is seen
	kept   []tracer.Event
	closed bool // the prefix is complete

	// What the rest of the trace may still have to add to the prefix.
	ended   map[tracer.GoID]bool // goroutines that ended in the prefix, not yet joined
	scopeOf map[tracer.GoID]tracer.ScopeID
	scopes  map[tracer.ScopeID]bool // scopes of ended goroutines, not yet ended
	// Goroutines and channels the prefix names (a violation's child, a
	// cycle) before the event that makes them known: the picture gives
	// them a lane, named by that later event.
	knownG, wantG map[tracer.GoID]bool
	knownC, wantC map[tracer.ChanID]bool
}

// NewWindow returns a Window for pictures drawn with o.
func NewWindow(o Options) *Window {
	w := &Window{
		o: o, lo: -1,
		ended: map[tracer.GoID]bool{}, scopeOf: map[tracer.GoID]tracer.ScopeID{}, scopes: map[tracer.ScopeID]bool{},
		knownG: map[tracer.GoID]bool{}, wantG: map[tracer.GoID]bool{},
		knownC: map[tracer.ChanID]bool{}, wantC: map[tracer.ChanID]bool{},
	}
	w.all = (o.View != "" && o.View != ViewTimeline) || o.Focus != ""
	w.max = o.MaxSteps
	if w.max == 0 {
		w.max = DefaultMaxSteps
	}
	return w
}

// Add offers the next event of the trace.
func (w *Window) Add(e *tracer.Event) {
	i := w.n
	w.n++
	if w.all {
		w.kept = append(w.kept, *e)
		return
	}
	if !w.closed {
		if w.lo < 0 && (w.o.From == 0 || e.Seq >= w.o.From) {
			w.lo = i
		}
		past := (w.o.To != 0 && e.Seq > w.o.To) || (w.lo >= 0 && w.max > 0 && i >= w.lo+w.max)
		if !past {
			w.keep(e)
			return
		}
		w.closed = true
		for id := range w.knownG {
			delete(w.wantG, id)
		}
		for id := range w.knownC {
			delete(w.wantC, id)
		}
		w.knownG, w.knownC = nil, nil
	}
	keep := false
	switch {
	case e.Kind == tracer.KindJoin && w.ended[e.Child]:
		delete(w.ended, e.Child)
		keep = true
	case e.Kind == tracer.KindScopeEnd && w.scopes[e.Scope]:
		delete(w.scopes, e.Scope)
		keep = true
	}
	if w.wantG[e.G] {
		delete(w.wantG, e.G)
		keep = true
	}
	if e.Kind == tracer.KindGo && w.wantG[e.Child] {
		delete(w.wantG, e.Child)
		keep = true
	}
	if introducesChannel(e.Kind) && w.wantC[e.Ch] {
		delete(w.wantC, e.Ch)
		keep = true
	}
	if keep {
		w.kept = append(w.kept, *e)
	}
}

// introducesChannel says whether an event of kind k makes its channel
// known to a timeline.
func introducesChannel(k tracer.Kind) bool {
	switch k {
	case tracer.KindChan, tracer.KindSend, tracer.KindRecv, tracer.KindDiscard, tracer.KindClose:
		return true
	}
	return false
}

// keep adds e to the prefix and notes what the rest may have to add.
func (w *Window) keep(e *tracer.Event) {
	w.kept = append(w.kept, *e)
	w.knownG[e.G] = true
	if e.Child != 0 {
		w.wantG[e.Child] = true
	}
	for _, id := range e.Cycle {
		w.wantG[id] = true
	}
	if e.Ch != 0 {
		w.wantC[e.Ch] = true
		if introducesChannel(e.Kind) {
			w.knownC[e.Ch] = true
		}
	}
	switch e.Kind {
	case tracer.KindGo:
		w.knownG[e.Child] = true
		if e.Scope != 0 {
			w.scopeOf[e.Child] = e.Scope
		}
	case tracer.KindEnd:
		w.ended[e.G] = true
		if s, ok := w.scopeOf[e.G]; ok {
			w.scopes[s] = true
		}
	case tracer.KindJoin:
		delete(w.ended, e.Child)
	case tracer.KindScopeEnd:
		delete(w.scopes, e.Scope)
	}
}

// Events returns the events kept: the timeline to draw is built from
// them.
func (w *Window) Events() []tracer.Event { return w.kept }

// Options returns the options to draw the kept events with: those given,
// told the length of the whole trace.
func (w *Window) Options() Options {
	o := w.o
	if len(w.kept) < w.n {
		o.TraceLength = w.n
	}
	return o
}
