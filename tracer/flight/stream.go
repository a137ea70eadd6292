package flight

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/handoff-viz/handoff/tracer"
	"github.com/handoff-viz/handoff/tracer/exectrace"
)

// stream turns successive flight recorder snapshots into one valid event
// stream. Snapshots overlap: each is imported with exectrace from the end
// of the previous one (Options.From), on the time line of the first
// (Options.Origin). Goroutine ids are the Go trace's and stay the same;
// channel, value and mutex ids restart in each import, so they are mapped
// onto the stream's own: a channel group (its name and call site) keeps one
// stream channel until it is closed, and a value belongs to the snapshot
// that made it. Every event is checked against the stream so far, with the
// rules of tracer.Validate; one that does not fit (it refers to what an
// earlier snapshot made, or lies across a snapshot boundary) is skipped and
// counted, never sent.
//
// State is bounded: per snapshot, the ids it uses; across snapshots, one
// entry per channel group and mutex (call sites of the program).
type stream struct {
	system bool

	started bool
	origin  int64       // Go trace time of the stream's 0
	end     tracer.Time // the last time an import covered
	lastT   tracer.Time
	seq     uint64
	nextCh  tracer.ChanID
	nextV   tracer.ValueID
	nextMu  tracer.MutexID
	chans   map[tracer.ChanID]*chstate
	open    map[string]tracer.ChanID // channel group → its open stream channel
	retired map[string]tracer.ChanID // channel group → its last closed stream channel
	mutexes map[string]tracer.MutexID
	holder  map[tracer.MutexID]tracer.GoID

	// Per snapshot.
	local   map[tracer.ChanID]tracer.Event // chan events, by the import's id
	chMap   map[tracer.ChanID]tracer.ChanID
	vMap    map[tracer.ValueID]tracer.ValueID
	owner   map[tracer.ValueID]tracer.Owner
	muLocal map[tracer.MutexID]tracer.Event
	muMap   map[tracer.MutexID]tracer.MutexID
	ended   map[tracer.GoID]bool

	out     []tracer.Event // events of the current snapshot, to send
	skipped uint64
}

type chstate struct {
	key    string
	cap    int
	closed bool
	queue  []tracer.ValueID
}

func newStream(system bool) *stream {
	return &stream{
		system:  system,
		chans:   map[tracer.ChanID]*chstate{},
		open:    map[string]tracer.ChanID{},
		retired: map[string]tracer.ChanID{},
		mutexes: map[string]tracer.MutexID{},
		holder:  map[tracer.MutexID]tracer.GoID{},
		local:   map[tracer.ChanID]tracer.Event{},
		chMap:   map[tracer.ChanID]tracer.ChanID{},
		vMap:    map[tracer.ValueID]tracer.ValueID{},
		owner:   map[tracer.ValueID]tracer.Owner{},
		muLocal: map[tracer.MutexID]tracer.Event{},
		muMap:   map[tracer.MutexID]tracer.MutexID{},
		ended:   map[tracer.GoID]bool{},
	}
}

// snapshot imports one flight recorder snapshot. The new events are in
// s.out until the next call.
func (s *stream) snapshot(r io.Reader) error {
	s.begin()
	o := exectrace.Options{System: s.system, Ongoing: true} // a snapshot of a running program: nothing has ended yet
	if s.started {
		o.Origin = s.origin
		o.From = time.Duration(s.end) + 1
	}
	rep, err := exectrace.Convert(r, o, func(e *tracer.Event) error {
		s.add(e)
		return nil
	})
	if err != nil {
		return fmt.Errorf("flight: import snapshot: %w", err)
	}
	if !s.started {
		s.started, s.origin = true, rep.Origin
	}
	if rep.End > s.end {
		s.end = rep.End
	}
	return nil
}

// begin forgets the ids of the previous snapshot.
func (s *stream) begin() {
	clear(s.local)
	clear(s.chMap)
	clear(s.vMap)
	clear(s.owner)
	clear(s.muLocal)
	clear(s.muMap)
	clear(s.ended)
	clear(s.out)
	s.out = s.out[:0]
}

// chanKey names a channel group across imports.
func chanKey(e *tracer.Event) string {
	name := e.Name
	if i := strings.Index(name, " #"); i >= 0 && strings.HasSuffix(name, "(after a close)") {
		name = name[:i]
	}
	return name + "\x00" + e.At
}

func (s *stream) skip() { s.skipped++ }

// resolveCh maps an import's channel id to the stream's, declaring the
// stream channel (by e's goroutine, at e's time) the first time.
func (s *stream) resolveCh(l tracer.ChanID, e *tracer.Event) (tracer.ChanID, *chstate) {
	if id, ok := s.chMap[l]; ok {
		return id, s.chans[id] // nil when pruned
	}
	decl, ok := s.local[l]
	if !ok {
		return 0, nil
	}
	key := chanKey(&decl)
	if id := s.open[key]; id != 0 {
		s.chMap[l] = id
		return id, s.chans[id]
	}
	if old := s.retired[key]; old != 0 {
		delete(s.chans, old) // closed, and replaced: nothing refers to it any more
		delete(s.retired, key)
	}
	s.nextCh++
	id := s.nextCh
	c := &chstate{key: key, cap: decl.Cap}
	s.chans[id] = c
	s.open[key] = id
	s.chMap[l] = id
	decl.Ch, decl.G, decl.T = id, e.G, e.T
	s.put(decl)
	return id, c
}

func (s *stream) resolveMu(l tracer.MutexID, e *tracer.Event) tracer.MutexID {
	if id, ok := s.muMap[l]; ok {
		return id
	}
	decl, ok := s.muLocal[l]
	if !ok {
		return 0
	}
	key := decl.Name + "\x00" + decl.At
	id := s.mutexes[key]
	if id == 0 {
		s.nextMu++
		id = s.nextMu
		s.mutexes[key] = id
		decl.Mu, decl.G, decl.T = id, e.G, e.T
		s.put(decl)
	}
	s.muMap[l] = id
	return id
}

// value maps an import's value id; ok is false when this snapshot did not
// make it.
func (s *stream) value(l tracer.ValueID) (tracer.ValueID, bool) {
	id, ok := s.vMap[l]
	return id, ok
}

func (s *stream) owns(v tracer.ValueID, g tracer.GoID) bool {
	o, ok := s.owner[v]
	return ok && o.Kind == tracer.OwnerGoroutine && o.G == g
}

// add maps one imported event onto the stream, or skips it.
func (s *stream) add(in *tracer.Event) {
	e := *in
	if e.T < s.lastT {
		e.T = s.lastT
	}
	switch e.Kind {
	case tracer.KindChan:
		s.local[e.Ch] = e // declared when first used
		return
	case tracer.KindMutex:
		s.muLocal[e.Mu] = e
		return
	}
	var c *chstate
	if e.Ch != 0 {
		var id tracer.ChanID
		if id, c = s.resolveCh(e.Ch, &e); c == nil {
			s.skip()
			return
		}
		e.Ch = id
	}
	if e.Mu != 0 {
		if e.Mu = s.resolveMu(e.Mu, &e); e.Mu == 0 {
			s.skip()
			return
		}
	}
	switch e.Kind {
	case tracer.KindMake:
		if _, dup := s.vMap[e.V]; dup {
			s.skip()
			return
		}
		s.nextV++
		s.vMap[e.V] = s.nextV
		e.V = s.nextV
		s.owner[e.V] = tracer.Owner{Kind: tracer.OwnerGoroutine, G: e.G}
	case tracer.KindSend:
		v, ok := s.value(e.V)
		if !ok || !s.owns(v, e.G) || c.closed || (c.cap >= 0 && len(c.queue) >= max(c.cap, 1)) {
			s.skip()
			return
		}
		e.V = v
		c.queue = append(c.queue, v)
		s.owner[v] = tracer.Owner{Kind: tracer.OwnerChannel, Ch: e.Ch}
	case tracer.KindRecv:
		if e.Close {
			if !c.closed || len(c.queue) > 0 {
				s.skip()
				return
			}
			break
		}
		v, ok := s.value(e.V)
		if !ok || len(c.queue) == 0 || c.queue[0] != v {
			s.skip()
			return
		}
		e.V = v
		c.queue = c.queue[1:]
		s.owner[v] = tracer.Owner{Kind: tracer.OwnerGoroutine, G: e.G}
	case tracer.KindClose:
		if !c.closed {
			c.closed = true
			if s.open[c.key] == e.Ch {
				delete(s.open, c.key)
				if old := s.retired[c.key]; old != 0 {
					delete(s.chans, old)
				}
				s.retired[c.key] = e.Ch
			}
		}
	case tracer.KindGo:
		vs := make([]tracer.ValueID, 0, len(e.Vs))
		for _, l := range e.Vs {
			v, ok := s.value(l)
			if !ok || !s.owns(v, e.G) {
				s.skip()
				return
			}
			vs = append(vs, v)
		}
		for _, v := range vs {
			s.owner[v] = tracer.Owner{Kind: tracer.OwnerGoroutine, G: e.Child}
		}
		if len(e.Vs) > 0 {
			e.Vs = vs
		}
	case tracer.KindEnd:
		s.ended[e.G] = true
	case tracer.KindJoin:
		if !s.ended[e.Child] {
			s.skip()
			return
		}
	case tracer.KindDrop:
		v, ok := s.value(e.V)
		if !ok || !s.owns(v, e.G) {
			s.skip()
			return
		}
		e.V = v
		s.owner[v] = tracer.Owner{}
	case tracer.KindUse, tracer.KindBorrow, tracer.KindRelease:
		v, ok := s.value(e.V)
		if !ok {
			s.skip()
			return
		}
		e.V = v
	case tracer.KindViolation:
		if e.V != 0 {
			if v, ok := s.value(e.V); ok {
				e.V = v
			} else {
				e.V = 0
			}
		}
	case tracer.KindLock:
		if s.holder[e.Mu] != 0 {
			s.skip()
			return
		}
		s.holder[e.Mu] = e.G
	case tracer.KindUnlock:
		if s.holder[e.Mu] != e.G {
			s.skip()
			return
		}
		s.holder[e.Mu] = 0
	}
	s.put(e)
}

// put numbers e and adds it to the output.
func (s *stream) put(e tracer.Event) {
	if e.T < s.lastT {
		e.T = s.lastT
	}
	s.lastT = e.T
	s.seq++
	e.Seq = s.seq
	s.out = append(s.out, e)
}
