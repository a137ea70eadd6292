package web

import (
	"context"
	"fmt"
	"time"

	"github.com/handoff-viz/handoff/tracer"
)

// builder makes consistent event streams by hand.
type builder struct {
	evs []tracer.Event
	t   tracer.Time
}

func (b *builder) add(e tracer.Event) {
	b.t += 1000
	e.Seq = uint64(len(b.evs) + 1)
	e.T = b.t
	if e.At == "" {
		e.At = fmt.Sprintf("fake.go:%d", len(b.evs)+10)
	}
	b.evs = append(b.evs, e)
}

// boundedProducers is what the scenario of that name records: two
// producers send five values each into a channel of capacity 2, one
// consumer receives all ten; producers block on the full channel.
func boundedProducers() []tracer.Event {
	b := &builder{}
	const ch = 1
	b.add(tracer.Event{Kind: tracer.KindChan, G: 1, Ch: ch, Name: "queue", Cap: 2})
	b.add(tracer.Event{Kind: tracer.KindGo, G: 1, Child: 2, Name: "producer-1"})
	b.add(tracer.Event{Kind: tracer.KindGo, G: 1, Child: 3, Name: "producer-2"})
	b.add(tracer.Event{Kind: tracer.KindGo, G: 1, Child: 4, Name: "consumer"})
	v := tracer.ValueID(0)
	queue := []tracer.ValueID{}
	next := map[tracer.GoID]int{2: 0, 3: 0}
	for round := 0; len(next) > 0 || len(queue) > 0; round++ {
		for _, p := range []tracer.GoID{2, 3} {
			k, ok := next[p]
			if !ok {
				continue
			}
			if len(queue) == 2 {
				b.add(tracer.Event{Kind: tracer.KindBlock, G: p, On: tracer.OnSend, Ch: ch})
				continue
			}
			v++
			b.add(tracer.Event{Kind: tracer.KindMake, G: p, V: v, Label: fmt.Sprintf("job-%d.%d", p-1, k+1)})
			b.add(tracer.Event{Kind: tracer.KindSend, G: p, V: v, Ch: ch})
			queue = append(queue, v)
			if next[p] = k + 1; k+1 == 5 {
				delete(next, p)
				b.add(tracer.Event{Kind: tracer.KindEnd, G: p})
			}
		}
		if len(queue) > 0 {
			b.add(tracer.Event{Kind: tracer.KindRecv, G: 4, V: queue[0], Ch: ch})
			b.add(tracer.Event{Kind: tracer.KindDrop, G: 4, V: queue[0]})
			queue = queue[1:]
		}
	}
	b.add(tracer.Event{Kind: tracer.KindClose, G: 1, Ch: ch})
	b.add(tracer.Event{Kind: tracer.KindRecv, G: 4, Ch: ch, Close: true})
	b.add(tracer.Event{Kind: tracer.KindEnd, G: 4})
	for _, g := range []tracer.GoID{2, 3, 4} {
		b.add(tracer.Event{Kind: tracer.KindJoin, G: 1, Child: g})
	}
	b.add(tracer.Event{Kind: tracer.KindEnd, G: 1})
	return b.evs
}

// backpressure is what the scenario of that name records: a fast
// producer sends eight items into a channel of capacity 2 and waits on the
// full channel before each send but the first two; a slow consumer takes
// them one by one.
func backpressure() []tracer.Event {
	b := &builder{}
	const ch, prod = 1, 2
	b.add(tracer.Event{Kind: tracer.KindChan, G: 1, Ch: ch, Name: "queue", Cap: 2})
	b.add(tracer.Event{Kind: tracer.KindGo, G: 1, Child: prod, Name: "fast-producer"})
	b.add(tracer.Event{Kind: tracer.KindBlock, G: 1, On: tracer.OnRecv, Ch: ch})
	recv := tracer.ValueID(1)
	for v := tracer.ValueID(1); v <= 8; v++ {
		b.add(tracer.Event{Kind: tracer.KindMake, G: prod, V: v, Label: fmt.Sprintf("item-%d", v-1)})
		if v > 2 {
			b.add(tracer.Event{Kind: tracer.KindBlock, G: prod, On: tracer.OnSend, Ch: ch})
			b.add(tracer.Event{Kind: tracer.KindRecv, G: 1, V: recv, Ch: ch})
			b.add(tracer.Event{Kind: tracer.KindDrop, G: 1, V: recv})
			recv++
		}
		b.add(tracer.Event{Kind: tracer.KindSend, G: prod, V: v, Ch: ch})
	}
	b.add(tracer.Event{Kind: tracer.KindClose, G: prod, Ch: ch})
	b.add(tracer.Event{Kind: tracer.KindEnd, G: prod})
	for ; recv <= 8; recv++ {
		b.add(tracer.Event{Kind: tracer.KindRecv, G: 1, V: recv, Ch: ch})
		b.add(tracer.Event{Kind: tracer.KindDrop, G: 1, V: recv})
	}
	b.add(tracer.Event{Kind: tracer.KindRecv, G: 1, Ch: ch, Close: true})
	b.add(tracer.Event{Kind: tracer.KindJoin, G: 1, Child: prod})
	b.add(tracer.Event{Kind: tracer.KindEnd, G: 1})
	return b.evs
}

// useAfterSend has a violation with its call site.
func useAfterSend() []tracer.Event {
	b := &builder{}
	b.add(tracer.Event{Kind: tracer.KindChan, G: 1, Ch: 1, Name: "ch", Cap: 1})
	b.add(tracer.Event{Kind: tracer.KindMake, G: 1, V: 1, Label: "msg"})
	b.add(tracer.Event{Kind: tracer.KindSend, G: 1, V: 1, Ch: 1})
	b.add(tracer.Event{Kind: tracer.KindUse, G: 1, V: 1, Op: "read"})
	b.add(tracer.Event{Kind: tracer.KindViolation, G: 1, V: 1, Rule: tracer.RuleUseAfterSend, Msg: "main used msg after sending it on ch", At: "main.go:17"})
	b.add(tracer.Event{Kind: tracer.KindEnd, G: 1})
	return b.evs
}

// synth makes a trace with n goroutines and about events events: main
// spawns workers that pass values around a ring of channels.
func synth(n, events int) []tracer.Event {
	b := &builder{}
	chans := max(1, n/4)
	for c := 1; c <= chans; c++ {
		b.add(tracer.Event{Kind: tracer.KindChan, G: 1, Ch: tracer.ChanID(c), Name: fmt.Sprintf("ring-%d", c), Cap: 3})
	}
	owned := make([][]tracer.ValueID, n+2)
	queues := make([][]tracer.ValueID, chans+1)
	v := tracer.ValueID(0)
	for g := 2; g <= n+1; g++ {
		v++
		b.add(tracer.Event{Kind: tracer.KindMake, G: 1, V: v, Label: fmt.Sprintf("item-%d", v)})
		b.add(tracer.Event{Kind: tracer.KindGo, G: 1, Child: tracer.GoID(g), Name: fmt.Sprintf("worker-%d", g-1), Vs: []tracer.ValueID{v}})
		owned[g] = append(owned[g], v)
	}
	for i := 0; len(b.evs) < events-n-2; i++ {
		g := 2 + i%n
		c := 1 + (i/3)%chans
		switch {
		case len(owned[g]) > 0 && len(queues[c]) < 3:
			x := owned[g][0]
			owned[g] = owned[g][1:]
			b.add(tracer.Event{Kind: tracer.KindSend, G: tracer.GoID(g), V: x, Ch: tracer.ChanID(c)})
			queues[c] = append(queues[c], x)
		case len(queues[c]) > 0:
			x := queues[c][0]
			queues[c] = queues[c][1:]
			b.add(tracer.Event{Kind: tracer.KindRecv, G: tracer.GoID(g), V: x, Ch: tracer.ChanID(c)})
			owned[g] = append(owned[g], x)
		default:
			v++
			b.add(tracer.Event{Kind: tracer.KindMake, G: tracer.GoID(g), V: v, Label: fmt.Sprintf("item-%d", v)})
			owned[g] = append(owned[g], v)
		}
	}
	for g := 2; g <= n+1; g++ {
		b.add(tracer.Event{Kind: tracer.KindEnd, G: tracer.GoID(g)})
	}
	for g := 2; g <= n+1; g++ {
		b.add(tracer.Event{Kind: tracer.KindJoin, G: 1, Child: tracer.GoID(g)})
	}
	b.add(tracer.Event{Kind: tracer.KindEnd, G: 1})
	return b.evs
}

// fakeRun stands in for scenarios.Record: it emits a hand-built trace one
// event at a time, pausing o.Pace between events, until ctx is cancelled.
func fakeRun(traces map[string][]tracer.Event) func(ctx context.Context, name string, o RunOptions, sink tracer.Sink) error {
	return func(ctx context.Context, name string, o RunOptions, sink tracer.Sink) error {
		evs, ok := traces[name]
		if !ok {
			return fmt.Errorf("no scenario %q", name)
		}
		defer sink.Close()
		for i := range evs {
			if o.Pace > 0 {
				t := time.NewTimer(o.Pace)
				select {
				case <-ctx.Done():
					t.Stop()
					return ctx.Err()
				case <-t.C:
				}
			} else if ctx.Err() != nil {
				return ctx.Err()
			}
			if err := sink.Emit(evs[i : i+1]); err != nil {
				return err
			}
		}
		return nil
	}
}

// fakeSVG draws a trace as a small but real SVG: one row per event, and
// the theme asked for as the picture's class.
func fakeSVG(evs []tracer.Event, o SVGOptions) ([]byte, error) {
	b := fmt.Appendf(nil, `<svg xmlns="http://www.w3.org/2000/svg" class="theme-%s" width="400" height="%d">`, o.Theme, 20*len(evs)+10)
	for i, e := range evs {
		b = fmt.Appendf(b, `<text x="5" y="%d">%s</text>`, 20*(i+1), e.Kind)
	}
	return append(b, "</svg>"...), nil
}
