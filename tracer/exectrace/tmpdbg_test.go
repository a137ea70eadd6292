package exectrace

import (
	"bytes"
	rtrace "runtime/trace"
	"testing"

	"github.com/handoff-viz/handoff/tracer"
	"golang.org/x/exp/trace"
)

func TestTmpAnnotations(t *testing.T) {
	for iter := 0; iter < 20; iter++ {
		var buf bytes.Buffer
		rtrace.Start(&buf)
		tracer.Run(func(g *tracer.G) {
			ch := tracer.NewChan[*tracer.Value[int]](g, "c", 0)
			h := g.Go("p", func(g *tracer.G) {
				for i := range 30 {
					ch.Send(g, tracer.Make(g, "v", i))
				}
				ch.Close(g)
			})
			var hs []*tracer.Handle
			for range 3 {
				hs = append(hs, g.Go("w", func(g *tracer.G) {
					for v := range ch.All(g) {
						v.Drop(g)
					}
				}))
			}
			h.Join(g)
			for _, h := range hs {
				h.Join(g)
			}
		})
		rtrace.Stop()
		r, _ := trace.NewReader(&buf)
		a := tracer.NewAnnotations()
		var start trace.Time
		var lines []string
		for {
			ev, err := r.ReadEvent()
			if err != nil {
				break
			}
			if start == 0 {
				start = ev.Time()
			}
			if ev.Kind() == trace.EventLog && ev.Log().Category == "handoff" {
				a.Add(int64(ev.Time()-start), int64(ev.Goroutine()), ev.Log().Message)
				lines = append(lines, ev.Log().Message)
			}
		}
		if err := tracer.Validate(a.Events()); err != nil {
			t.Fatalf("iter %d: %v\n%q", iter, err, lines)
		}
	}
}
