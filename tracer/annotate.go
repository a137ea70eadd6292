package tracer

import (
	"context"
	"errors"
	"fmt"
	"runtime/trace"
	"strconv"
	"strings"
)

// AnnotationCategory is the category of the runtime/trace user log records
// the tracer writes while runtime/trace is on (trace.IsEnabled): one record
// per event, in the goroutine that acted, so that a Go execution trace of a
// traced program carries its exact ownership events. [Annotations] reads
// them back.
const AnnotationCategory = "handoff"

// annotate writes r, and its extra part, as a runtime/trace log record:
//
//	kind g a b c flags [name label rule msg panic g2 vs refs cycle caseNo cases]
//
// numbers in decimal, the extra part only when the record has one, strings
// quoted. Only called when runtime/trace is on; the formatting stays behind
// that check (trace.Log formats its arguments even when tracing is off).
func (g *G) annotate(r *rec) {
	var b []byte
	b = strconv.AppendUint(b, uint64(r.kind), 10)
	for _, n := range [...]int64{int64(g.id), r.a, r.b, r.c, int64(r.flags)} {
		b = append(b, ' ')
		b = strconv.AppendInt(b, n, 10)
	}
	if r.x != 0 {
		x := g.extras[r.x-1]
		for _, s := range [...]string{x.name, x.label, x.rule, x.msg, x.panic} {
			b = append(b, ' ')
			b = strconv.AppendQuote(b, s)
		}
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(x.g), 10)
		b = append(appendIDs(append(b, " ["...), x.vs), ']')
		b = append(appendIDs(append(b, " ["...), x.refs), ']')
		b = append(appendIDs(append(b, " ["...), x.cycle), ']')
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(x.caseNo), 10)
		flat := make([]int64, 0, 3*len(x.cases))
		for _, c := range x.cases {
			send := int64(0)
			switch {
			case c.send:
				send = 1
			case c.done:
				send = 2
			}
			flat = append(flat, send, c.ch, c.v)
		}
		b = append(appendIDs(append(b, " ["...), flat), ']')
	}
	trace.Log(context.Background(), AnnotationCategory, string(b))
}

// Annotations rebuilds a run's events from the log records the tracer wrote
// into a Go execution trace (see [AnnotationCategory]). Add the records in
// the order the trace gives them (per goroutine, that is the order they were
// written in), then call Events.
type Annotations struct {
	m     *merger
	first bool
	goids map[GoID]int64 // handoff goroutine → Go goroutine id
	n     int
}

// NewAnnotations returns an empty set of annotations.
func NewAnnotations() *Annotations {
	return &Annotations{m: newMerger(nil), goids: map[GoID]int64{}}
}

// Len returns how many records were added.
func (a *Annotations) Len() int { return a.n }

// GoID returns the Go goroutine id that wrote the records of handoff
// goroutine g, and false when none did.
func (a *Annotations) GoID(g GoID) (int64, bool) {
	id, ok := a.goids[g]
	return id, ok
}

// Add decodes one record: t is its time in the Go trace (nanoseconds),
// goid the Go goroutine that logged it, text the log message.
func (a *Annotations) Add(t int64, goid int64, text string) error {
	r, x, g, err := decodeAnnotation(text)
	if err != nil {
		return fmt.Errorf("handoff annotation %q: %w", text, err)
	}
	if !a.first {
		a.first = true
		a.m.tick0 = t
	}
	r.tick = max(t, a.m.tick0)
	var extras []*recExtra
	if x != nil {
		r.x, extras = 1, []*recExtra{x}
	}
	if _, ok := a.goids[g]; !ok {
		a.goids[g] = goid
		if g == 1 {
			a.m.root(g)
		}
	}
	a.m.ingest(g, []rec{r}, extras)
	a.n++
	return nil
}

// Events merges the records into one causally ordered stream of events,
// with handoff's goroutine ids and times since the first record.
func (a *Annotations) Events() []Event {
	// Goroutines whose go record was not captured (the trace started
	// late) count as running from the start.
	for gid, s := range a.m.streams {
		if gid != 0 && !s.spawned && !a.spawnedSomewhere(gid) {
			a.m.root(gid)
			a.m.schedule(s)
		}
	}
	return append([]Event(nil), a.m.run(true)...)
}

func (a *Annotations) spawnedSomewhere(g GoID) bool {
	for _, s := range a.m.streams {
		for _, r := range s.recs[s.pos:] {
			if r.kind == KindGo && GoID(r.a) == g {
				return true
			}
		}
	}
	return false
}

func decodeAnnotation(text string) (rec, *recExtra, GoID, error) {
	fields, err := splitAnnotation(text)
	if err != nil {
		return rec{}, nil, 0, err
	}
	if len(fields) != 6 && len(fields) != 15 && len(fields) != 17 {
		return rec{}, nil, 0, fmt.Errorf("want 6, 15 or 17 fields, got %d", len(fields))
	}
	var n [6]int64
	for i := range n {
		if n[i], err = strconv.ParseInt(fields[i], 10, 64); err != nil {
			return rec{}, nil, 0, fmt.Errorf("field %d: %w", i+1, err)
		}
	}
	if n[0] <= int64(KindBad) || n[0] >= int64(numKinds) || n[1] <= 0 || n[5] < 0 || n[5] > 255 {
		return rec{}, nil, 0, errors.New("kind, goroutine or flags out of range")
	}
	r := rec{kind: Kind(n[0]), a: n[2], b: n[3], c: n[4], flags: uint8(n[5])}
	if r.kind == KindBlock && (r.flags == 0 || int(r.flags) >= len(onNames)) {
		return rec{}, nil, 0, fmt.Errorf("a block record for an unknown reason %d", r.flags)
	}
	if len(fields) == 6 {
		if needsExtra(r.kind) || r.kind == KindBlock && r.flags == onSelect {
			return rec{}, nil, 0, fmt.Errorf("a %s record needs its extra fields", r.kind)
		}
		return r, nil, GoID(n[1]), nil
	}
	x := &recExtra{}
	for i, p := range []*string{&x.name, &x.label, &x.rule, &x.msg, &x.panic} {
		if *p, err = strconv.Unquote(fields[6+i]); err != nil {
			return rec{}, nil, 0, fmt.Errorf("field %d: %w", 7+i, err)
		}
	}
	g2, err := strconv.ParseInt(fields[11], 10, 64)
	if err != nil {
		return rec{}, nil, 0, fmt.Errorf("field 12: %w", err)
	}
	x.g = GoID(g2)
	lists := make([][]int64, 3)
	for i := range lists {
		if lists[i], err = parseInts(fields[12+i]); err != nil {
			return rec{}, nil, 0, fmt.Errorf("field %d: %w", 13+i, err)
		}
	}
	x.vs, x.refs = lists[0], lists[1]
	for _, c := range lists[2] {
		x.cycle = append(x.cycle, GoID(c))
	}
	if len(fields) == 17 { // since select: the case number and the cases
		caseNo, err := strconv.Atoi(fields[15])
		if err != nil || caseNo < 0 {
			return rec{}, nil, 0, errors.New("field 16: not a case number")
		}
		x.caseNo = caseNo
		flat, err := parseInts(fields[16])
		if err != nil || len(flat)%3 != 0 {
			return rec{}, nil, 0, errors.New("field 17: want [send,ch,v,...]")
		}
		for i := 0; i < len(flat); i += 3 {
			x.cases = append(x.cases, rawCase{send: flat[i] == 1, done: flat[i] == 2, ch: flat[i+1], v: flat[i+2]})
		}
	}
	return r, x, GoID(n[1]), nil
}

// needsExtra says which kinds the merger reads an extra part of.
func needsExtra(k Kind) bool {
	switch k {
	case KindGo, KindChan, KindMake, KindMutex, KindViolation, KindSkip:
		return true
	}
	return false
}

// splitAnnotation splits on spaces, keeping quoted strings whole.
func splitAnnotation(s string) ([]string, error) {
	var out []string
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimLeft(s, " ") {
		if s[0] == '"' {
			q, err := strconv.QuotedPrefix(s)
			if err != nil {
				return nil, errors.New("bad quoted string")
			}
			out = append(out, q)
			s = s[len(q):]
			continue
		}
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			i = len(s)
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	return out, nil
}

func parseInts(s string) ([]int64, error) {
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return nil, errors.New("want [n,n,...]")
	}
	var out []int64
	for f := range strings.SplitSeq(s[1:len(s)-1], ",") {
		if f == "" {
			continue
		}
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}
