package viz

import (
	"fmt"

	"github.com/handoff-viz/handoff/tracer"
)

// synth builds a valid trace of about n events by hand, without the
// tracer: main (g1) makes a channel of capacity 2 and spawns a producer
// and two consumers; the producer makes and sends values, blocking when
// the channel is full; the consumers receive, read and drop them; main
// joins all three. When bad is set, the producer also writes a value after
// sending it, and the trace records the use-after-send violation.
func synth(n int, bad bool) []tracer.Event {
	var evs []tracer.Event
	t := tracer.Time(0)
	add := func(e tracer.Event) {
		t += 1000
		e.Seq, e.T = uint64(len(evs)+1), t
		evs = append(evs, e)
	}
	add(tracer.Event{Kind: tracer.KindChan, G: 1, Ch: 1, Name: "jobs", Cap: 2})
	add(tracer.Event{Kind: tracer.KindGo, G: 1, Child: 2, Name: "producer"})
	add(tracer.Event{Kind: tracer.KindGo, G: 1, Child: 3, Name: "consumer-a"})
	add(tracer.Event{Kind: tracer.KindGo, G: 1, Child: 4, Name: "consumer-b"})
	add(tracer.Event{Kind: tracer.KindBlock, G: 1, On: tracer.OnJoin, Child: 2})
	items := max(1, (n-12)/6)
	var queue []tracer.ValueID
	for k := 1; k <= items; k++ {
		v := tracer.ValueID(k)
		add(tracer.Event{Kind: tracer.KindMake, G: 2, V: v, Label: fmt.Sprintf("job-%d", k)})
		if len(queue) == 2 {
			add(tracer.Event{Kind: tracer.KindBlock, G: 2, On: tracer.OnSend, Ch: 1})
		}
		// A consumer takes the head before the send completes when full.
		if len(queue) == 2 {
			c := tracer.GoID(3 + k%2)
			head := queue[0]
			queue = queue[1:]
			add(tracer.Event{Kind: tracer.KindRecv, G: c, Ch: 1, V: head})
			add(tracer.Event{Kind: tracer.KindUse, G: c, V: head, Op: "read"})
			add(tracer.Event{Kind: tracer.KindDrop, G: c, V: head})
		}
		add(tracer.Event{Kind: tracer.KindSend, G: 2, Ch: 1, V: v})
		queue = append(queue, v)
		if bad && k == 2 {
			add(tracer.Event{Kind: tracer.KindUse, G: 2, V: v, Op: "write"})
			add(tracer.Event{Kind: tracer.KindViolation, G: 2, V: v, Ch: 1, Rule: tracer.RuleUseAfterSend,
				Msg: fmt.Sprintf("g2 writes \"job-%d\" after sending it on ch1", k)})
		}
	}
	add(tracer.Event{Kind: tracer.KindClose, G: 2, Ch: 1})
	add(tracer.Event{Kind: tracer.KindEnd, G: 2})
	for i, v := range queue {
		c := tracer.GoID(3 + i%2)
		add(tracer.Event{Kind: tracer.KindRecv, G: c, Ch: 1, V: v})
		add(tracer.Event{Kind: tracer.KindDrop, G: c, V: v})
	}
	add(tracer.Event{Kind: tracer.KindRecv, G: 3, Ch: 1, Close: true})
	add(tracer.Event{Kind: tracer.KindEnd, G: 3})
	add(tracer.Event{Kind: tracer.KindRecv, G: 4, Ch: 1, Close: true})
	add(tracer.Event{Kind: tracer.KindEnd, G: 4})
	add(tracer.Event{Kind: tracer.KindJoin, G: 1, Child: 2})
	add(tracer.Event{Kind: tracer.KindJoin, G: 1, Child: 3})
	add(tracer.Event{Kind: tracer.KindJoin, G: 1, Child: 4})
	add(tracer.Event{Kind: tracer.KindEnd, G: 1})
	return evs
}
