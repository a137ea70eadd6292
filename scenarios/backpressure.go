package scenarios

import (
	"fmt"
	"time"

	"github.com/handoff-viz/handoff/tracer"
)

// slowWork is how long the slow consumers take per item, pace or not, so
// that the fast side always outruns them.
const slowWork = 2 * time.Millisecond

func fastProducerSlowConsumer(g *tracer.G, env *Env, capacity int) {
	queue := tracer.NewChan[*tracer.Value[string]](g, "queue", capacity)
	producer := g.Go("fast-producer", func(g *tracer.G) {
		for i := range 8 {
			item := tracer.Make(g, fmt.Sprintf("item-%d", i), fmt.Sprintf("item-%d", i))
			queue.Send(g, item)
		}
		queue.Close(g)
	})
	most := 0
	for item := range queue.All(g) {
		most = max(most, queue.Len()+1)
		time.Sleep(slowWork)
		env.Step()
		env.Printf("%s\n", item.Get(g))
		item.Drop(g)
	}
	producer.Join(g)
	env.Printf("most items waiting at once: %d\n", most)
}

var _ = register(&Scenario{
	Name:    "backpressure",
	Summary: "fast producer, slow consumer, bounded channel: the producer blocks",
	Description: "Bounded channels encode backpressure: with room for two items, a producer that is faster than its consumer " +
		"fills the buffer and then waits on every send until the consumer takes one. Memory stays bounded; the producer's " +
		"lane shows it blocked on send.",
	Run: func(g *tracer.G, env *Env) { fastProducerSlowConsumer(g, env, 2) },
})

var _ = register(&Scenario{
	Name:    "unbounded-queue",
	Summary: "the same with an unbounded queue: the producer never waits, the queue grows",
	Description: "\"If a producer can always enqueue without limit, memory becomes the pressure valve. That is usually the " +
		"wrong valve.\" The same producer and consumer as backpressure, over an unbounded channel: nothing ever blocks the " +
		"producer, and the channel's occupancy climbs to everything produced.",
	Run: func(g *tracer.G, env *Env) { fastProducerSlowConsumer(g, env, -1) },
})
