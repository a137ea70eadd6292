package tracer

import (
	"cmp"
	"slices"
)

// OwnerKind says what kind of thing owns a value.
type OwnerKind uint8

const (
	OwnerNone      OwnerKind = iota // not made yet, or dropped
	OwnerGoroutine                  // a goroutine owns it
	OwnerChannel                    // it sits in a channel, between sender and receiver
)

// Owner is who owns a value during an [OwnerSpan].
type Owner struct {
	Kind OwnerKind
	G    GoID   // OwnerGoroutine
	Ch   ChanID // OwnerChannel
	// Slot is the value's position in the channel's buffer when it entered
	// (0 is the head). Use [Timeline.ChannelContents] for the position at a
	// given step.
	Slot int
}

// OwnerSpan is an interval of event indices [From, To) during which a value
// had one owner. To is len(Timeline.Events) while the span is still open at
// the end of the trace.
type OwnerSpan struct {
	Owner       Owner
	From, To    int
	Start, Stop Time
	At          string // call site of the event that began the span
}

// BorrowSpan is an interval during which a goroutine borrowed a value.
type BorrowSpan struct {
	Ref      RefID
	G        GoID
	Mut      bool
	From, To int
}

// ValueLife is the ownership history of one value.
type ValueLife struct {
	ID      ValueID
	Label   string
	Owners  []OwnerSpan
	Borrows []BorrowSpan
}

// GoState is what a goroutine is doing during a [StateSpan].
type GoState uint8

const (
	StateRunning GoState = iota
	StateBlocked
	StateEnded
)

func (s GoState) String() string {
	switch s {
	case StateRunning:
		return "running"
	case StateBlocked:
		return "blocked"
	case StateEnded:
		return "ended"
	}
	return "bad"
}

// StateSpan is an interval of event indices [From, To) in one state. When
// blocked, On and Ch, Mu or Child say on what.
type StateSpan struct {
	State       GoState
	On          string
	Ch          ChanID
	Mu          MutexID
	Child       GoID
	Cases       []SelectCase // On select: what it waits for
	From, To    int
	Start, Stop Time
}

// Goroutine is one goroutine's life. Index fields are indices into
// Timeline.Events, or -1 when the thing did not happen.
type Goroutine struct {
	ID       GoID
	Name     string
	Parent   GoID
	Scope    ScopeID
	Spawned  int // the parent's go event (-1 for the first goroutine)
	Ended    int
	Joined   int // the join event that waited for it
	JoinedBy GoID
	Panic    string
	Aborted  bool
	States   []StateSpan
}

// OccupancyPoint says that from event Index on, a channel held Len values.
type OccupancyPoint struct {
	Index int
	T     Time
	Len   int
}

// Channel is one channel's life.
type Channel struct {
	ID        ChanID
	Name      string
	Cap       int // 0 unbuffered, < 0 unbounded
	Made      int
	Closed    int
	Sent      int
	Received  int
	MaxLen    int
	Occupancy []OccupancyPoint
	// Queue holds, in order, the values still in the channel at the end.
	queue []ValueID
}

// HoldSpan is an interval during which a goroutine held a mutex.
type HoldSpan struct {
	G        GoID
	From, To int
}

// MutexLife is one traced mutex's life.
type MutexLife struct {
	ID    MutexID
	Name  string
	Holds []HoldSpan
}

// Timeline is the ownership model of a trace: who owned each value at each
// step, what each goroutine was doing, how full each channel was. Steps are
// indices into Events. Build one with [BuildTimeline].
type Timeline struct {
	Events     []Event
	Goroutines []*Goroutine // by ID
	Channels   []*Channel   // by ID
	Values     []*ValueLife // by ID
	Mutexes    []*MutexLife // by ID
	Violations []int        // indices of violation events
	// Truncated is the index of the truncated event, the end of what the
	// source saw of a program that went on; -1 when the trace is whole.
	Truncated int

	gIndex map[GoID]*Goroutine
	cIndex map[ChanID]*Channel
	vIndex map[ValueID]*ValueLife
	mIndex map[MutexID]*MutexLife
}

// Goroutine returns the goroutine with the given id, or nil.
func (tl *Timeline) Goroutine(id GoID) *Goroutine { return tl.gIndex[id] }

// Channel returns the channel with the given id, or nil.
func (tl *Timeline) Channel(id ChanID) *Channel { return tl.cIndex[id] }

// Value returns the value with the given id, or nil.
func (tl *Timeline) Value(id ValueID) *ValueLife { return tl.vIndex[id] }

// Mutex returns the mutex with the given id, or nil.
func (tl *Timeline) Mutex(id MutexID) *MutexLife { return tl.mIndex[id] }

// OwnerAt returns who owned value v just after event step.
func (tl *Timeline) OwnerAt(v ValueID, step int) Owner {
	vl := tl.vIndex[v]
	if vl == nil {
		return Owner{}
	}
	for i := len(vl.Owners) - 1; i >= 0; i-- {
		s := vl.Owners[i]
		if s.From <= step {
			if step < s.To {
				return s.Owner
			}
			return Owner{}
		}
	}
	return Owner{}
}

// ChannelContents returns the values in channel ch just after event step,
// head first.
func (tl *Timeline) ChannelContents(ch ChanID, step int) []ValueID {
	var in []ValueID
	type entry struct {
		v    ValueID
		from int
	}
	var es []entry
	for _, vl := range tl.Values {
		for _, s := range vl.Owners {
			if s.Owner.Kind == OwnerChannel && s.Owner.Ch == ch && s.From <= step && step < s.To {
				es = append(es, entry{vl.ID, s.From})
			}
		}
	}
	slices.SortFunc(es, func(a, b entry) int { return a.from - b.from })
	for _, e := range es {
		in = append(in, e.v)
	}
	return in
}

// StateAt returns goroutine g's state span covering event step, and false if
// g did not exist then.
func (tl *Timeline) StateAt(g GoID, step int) (StateSpan, bool) {
	gr := tl.gIndex[g]
	if gr == nil {
		return StateSpan{}, false
	}
	for _, s := range gr.States {
		if s.From <= step && step < s.To {
			return s, true
		}
	}
	return StateSpan{}, false
}

// BuildTimeline builds the ownership model of a stream of events in file
// order. It accepts any stream, also one that breaks the model's invariants
// (see [Validate] for those): what does not fit is left out, never a panic.
func BuildTimeline(evs []Event) *Timeline {
	tl := &Timeline{
		Events:    evs,
		Truncated: -1,
		gIndex:    map[GoID]*Goroutine{},
		cIndex:    map[ChanID]*Channel{},
		vIndex:    map[ValueID]*ValueLife{},
		mIndex:    map[MutexID]*MutexLife{},
	}
	n := len(evs)
	var end Time
	if n > 0 {
		end = evs[n-1].T
	}
	goroutine := func(id GoID, i int) *Goroutine {
		g := tl.gIndex[id]
		if g == nil {
			g = &Goroutine{ID: id, Spawned: -1, Ended: -1, Joined: -1}
			g.States = []StateSpan{{State: StateRunning, From: i, To: n, Start: evs[i].T, Stop: end}}
			tl.gIndex[id] = g
		}
		return g
	}
	setState := func(g *Goroutine, s StateSpan, i int) {
		last := &g.States[len(g.States)-1]
		if last.State == StateEnded {
			return
		}
		last.To, last.Stop = i, evs[i].T
		s.From, s.Start, s.To, s.Stop = i, evs[i].T, n, end
		g.States = append(g.States, s)
	}
	channel := func(id ChanID) *Channel {
		c := tl.cIndex[id]
		if c == nil {
			c = &Channel{ID: id, Made: -1, Closed: -1}
			tl.cIndex[id] = c
		}
		return c
	}
	value := func(id ValueID) *ValueLife {
		v := tl.vIndex[id]
		if v == nil {
			v = &ValueLife{ID: id}
			tl.vIndex[id] = v
		}
		return v
	}
	setOwner := func(v *ValueLife, o Owner, i int) {
		if k := len(v.Owners); k > 0 {
			last := &v.Owners[k-1]
			if last.To == n {
				last.To, last.Stop = i, evs[i].T
			}
		}
		if o.Kind != OwnerNone {
			v.Owners = append(v.Owners, OwnerSpan{Owner: o, From: i, To: n, Start: evs[i].T, Stop: end, At: evs[i].At})
		}
	}
	occupancy := func(c *Channel, i int) {
		l := len(c.queue)
		c.MaxLen = max(c.MaxLen, l)
		c.Occupancy = append(c.Occupancy, OccupancyPoint{Index: i, T: evs[i].T, Len: l})
	}
	mutex := func(id MutexID) *MutexLife {
		m := tl.mIndex[id]
		if m == nil {
			m = &MutexLife{ID: id}
			tl.mIndex[id] = m
		}
		return m
	}
	for i := range evs {
		e := &evs[i]
		g := goroutine(e.G, i)
		if blocked := g.States[len(g.States)-1].State == StateBlocked; blocked && e.Kind != KindBlock && e.Kind != KindViolation && e.Kind != KindTruncated {
			setState(g, StateSpan{State: StateRunning}, i)
		}
		switch e.Kind {
		case KindGo:
			c := goroutine(e.Child, i)
			c.Name, c.Parent, c.Scope, c.Spawned = e.Name, e.G, e.Scope, i
			for _, id := range e.Vs {
				setOwner(value(id), Owner{Kind: OwnerGoroutine, G: e.Child}, i)
			}
		case KindEnd:
			g.Ended, g.Panic, g.Aborted = i, e.Panic, e.Abort
			setState(g, StateSpan{State: StateEnded}, i)
			g.States[len(g.States)-1].To = i + 1
		case KindJoin:
			if c := tl.gIndex[e.Child]; c != nil {
				c.Joined, c.JoinedBy = i, e.G
			}
		case KindBlock:
			setState(g, StateSpan{State: StateBlocked, On: e.On, Ch: e.Ch, Mu: e.Mu, Child: e.Child, Cases: e.Cases}, i)
		case KindChan:
			c := channel(e.Ch)
			c.Name, c.Cap, c.Made = e.Name, e.Cap, i
			occupancy(c, i)
		case KindMake:
			v := value(e.V)
			v.Label = e.Label
			setOwner(v, Owner{Kind: OwnerGoroutine, G: e.G}, i)
		case KindSend:
			c := channel(e.Ch)
			c.Sent++
			setOwner(value(e.V), Owner{Kind: OwnerChannel, Ch: e.Ch, Slot: len(c.queue)}, i)
			c.queue = append(c.queue, e.V)
			occupancy(c, i)
		case KindRecv:
			if e.Close {
				break
			}
			c := channel(e.Ch)
			c.Received++
			if k := slices.Index(c.queue, e.V); k >= 0 {
				c.queue = slices.Delete(c.queue, k, k+1)
			}
			setOwner(value(e.V), Owner{Kind: OwnerGoroutine, G: e.G}, i)
			occupancy(c, i)
		case KindDiscard:
			c := channel(e.Ch)
			if k := slices.Index(c.queue, e.V); k >= 0 {
				c.queue = slices.Delete(c.queue, k, k+1)
			}
			setOwner(value(e.V), Owner{}, i)
			occupancy(c, i)
		case KindClose:
			channel(e.Ch).Closed = i
		case KindDrop:
			setOwner(value(e.V), Owner{}, i)
		case KindBorrow:
			v := value(e.V)
			v.Borrows = append(v.Borrows, BorrowSpan{Ref: e.Ref, G: e.G, Mut: e.Mut, From: i, To: n})
		case KindRelease:
			v := value(e.V)
			for k := range v.Borrows {
				if v.Borrows[k].Ref == e.Ref && v.Borrows[k].To == n {
					v.Borrows[k].To = i
				}
			}
		case KindMutex:
			mutex(e.Mu).Name = e.Name
		case KindLock:
			m := mutex(e.Mu)
			m.Holds = append(m.Holds, HoldSpan{G: e.G, From: i, To: n})
		case KindUnlock:
			m := mutex(e.Mu)
			for k := len(m.Holds) - 1; k >= 0; k-- {
				if m.Holds[k].G == e.G && m.Holds[k].To == n {
					m.Holds[k].To = i
					break
				}
			}
		case KindViolation:
			tl.Violations = append(tl.Violations, i)
		case KindTruncated:
			tl.Truncated = i
		}
	}
	for _, g := range tl.gIndex {
		if g.Name == "" && g.ID == 1 && g.Spawned < 0 {
			g.Name = "main" // the first goroutine of a run, and of a Go program
		}
		tl.Goroutines = append(tl.Goroutines, g)
	}
	slices.SortFunc(tl.Goroutines, func(a, b *Goroutine) int { return cmp.Compare(a.ID, b.ID) })
	for _, c := range tl.cIndex {
		tl.Channels = append(tl.Channels, c)
	}
	slices.SortFunc(tl.Channels, func(a, b *Channel) int { return cmp.Compare(a.ID, b.ID) })
	for _, v := range tl.vIndex {
		tl.Values = append(tl.Values, v)
	}
	slices.SortFunc(tl.Values, func(a, b *ValueLife) int { return cmp.Compare(a.ID, b.ID) })
	for _, m := range tl.mIndex {
		tl.Mutexes = append(tl.Mutexes, m)
	}
	slices.SortFunc(tl.Mutexes, func(a, b *MutexLife) int { return cmp.Compare(a.ID, b.ID) })
	return tl
}
