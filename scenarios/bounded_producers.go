package scenarios

import (
	"fmt"

	"github.com/handoff-viz/handoff/tracer"
)

var _ = register(&Scenario{
	Name:    "bounded-producers",
	Summary: "the practice exercise: two producers send five strings each on a bounded channel, one consumer prints them",
	Description: "A bounded channel (`sync_channel(2)`), two producers that each send five strings, one consumer that prints " +
		"in receive order and exits cleanly when both producers are done. Ten values change hands; when the buffer is full " +
		"a producer waits: that is backpressure.",
	Run: func(g *tracer.G, env *Env) {
		messages := tracer.NewChan[*tracer.Value[string]](g, "messages", 2)
		producer := func(name string) func(*tracer.G) {
			return func(g *tracer.G) {
				for i := range 5 {
					s := fmt.Sprintf("%s-%d", name, i)
					msg := tracer.Make(g, s, s)
					env.Step()
					messages.Send(g, msg)
				}
			}
		}
		p1 := g.Go("producer-1", producer("p1"))
		p2 := g.Go("producer-2", producer("p2"))
		done := g.Go("closer", func(g *tracer.G) {
			p1.Join(g)
			p2.Join(g)
			messages.Close(g)
		})
		for msg := range messages.All(g) {
			env.Step()
			env.Printf("%s\n", msg.Get(g))
			msg.Drop(g)
		}
		done.Join(g)
	},
})
