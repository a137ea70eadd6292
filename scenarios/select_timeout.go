package scenarios

import (
	"context"
	"fmt"
	"time"

	"github.com/handoff-viz/handoff/tracer"
)

// The job the worker is too slow for, and how long main waits for each.
const (
	slowJob       = 2
	resultBudget  = 250 * time.Millisecond
	slowJobLength = 10 * time.Second // it never finishes: the cancel ends it
)

var _ = register(&Scenario{
	Name:    "select-timeout",
	Summary: "waiting with a deadline: select on a result or a timeout, and a worker that gives up when cancelled",
	Description: "Rust's recv_timeout in Go's words: main waits for each result in a select with two cases, the results " +
		"channel or its context's deadline. The third job is too slow, the deadline wins, and main cancels the worker. " +
		"The worker offers each result in a select too, on the channel or on the cancellation: without that second case " +
		"it would wait forever to hand over a result nobody takes, a leaked goroutine. The lanes show one goroutine " +
		"waiting on two things at once.",
	Run: func(g *tracer.G, env *Env) {
		ctx, cancel := context.WithCancel(env.ctx)
		defer cancel()
		results := tracer.NewChan[*tracer.Value[string]](g, "results", 0)
		worker := g.Go("worker", func(g *tracer.G) {
			for i := range 4 {
				work := time.Millisecond
				if i == slowJob {
					work = slowJobLength
				}
				select { // the work itself, which a cancel interrupts
				case <-time.After(work):
				case <-ctx.Done():
					return
				}
				env.Step()
				r := tracer.Make(g, fmt.Sprintf("result-%d", i), fmt.Sprintf("job %d done", i))
				if tracer.Select(g, results.SendCase(r), tracer.Done(ctx)) == 1 {
					r.Drop(g) // cancelled: nobody will take it
					return
				}
			}
		})
		for i := range 4 {
			deadline, stop := context.WithTimeout(ctx, resultBudget+env.pace*2)
			var r *tracer.Value[string]
			which := tracer.Select(g, results.RecvCase(&r, nil), tracer.Done(deadline))
			stop()
			env.Step()
			if which == 1 {
				env.Printf("job %d: no result in time, cancelling the worker\n", i)
				break
			}
			env.Printf("job %d: %s\n", i, r.Get(g))
			r.Drop(g)
		}
		cancel()
		worker.Join(g)
	},
})
