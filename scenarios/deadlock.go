package scenarios

import (
	"sync"

	"github.com/handoff-viz/handoff/tracer"
)

var _ = register(&Scenario{
	Name:    "deadlock",
	Summary: "two goroutines each wait for the other's lock; reported as deadlock with the cycle, and stopped",
	Description: "Two goroutines take two locks in opposite orders. Each holds one and waits for the other: nobody can move. " +
		"Go's runtime would hang (or crash if every goroutine sleeps); handoff notices that every traced goroutine is " +
		"blocked, reports the wait-for cycle, and ends the run.",
	Expect: []string{tracer.RuleDeadlock},
	Run: func(g *tracer.G, env *Env) {
		a := tracer.NewMutex(g, "a")
		b := tracer.NewMutex(g, "b")
		var bothHoldOne sync.WaitGroup // untraced: makes the bad interleaving certain
		bothHoldOne.Add(2)
		take := func(first, second *tracer.Mutex) func(*tracer.G) {
			return func(g *tracer.G) {
				first.Lock(g)
				env.Step()
				bothHoldOne.Done()
				bothHoldOne.Wait()
				second.Lock(g)
				second.Unlock(g)
				first.Unlock(g)
			}
		}
		left := g.Go("left", take(a, b))
		right := g.Go("right", take(b, a))
		left.Join(g)
		right.Join(g)
	},
})
