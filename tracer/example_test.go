package tracer_test

import (
	"fmt"

	"github.com/handoff-viz/handoff/tracer"
)

// A bounded channel hands jobs from main to a worker: each job has one owner
// at a time, main, then the channel, then the worker.
func ExampleRun() {
	res, err := tracer.Run(func(g *tracer.G) {
		jobs := tracer.NewChan[*tracer.Value[string]](g, "jobs", 2)
		worker := g.Go("worker", func(g *tracer.G) {
			for job := range jobs.All(g) {
				fmt.Println("worker got", job.Get(g))
			}
		})
		jobs.Send(g, tracer.Make(g, "job", "resize a.png"))
		jobs.Close(g)
		if err := worker.Join(g); err != nil {
			fmt.Println(err)
		}
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	tl := tracer.BuildTimeline(res.Events)
	for _, span := range tl.Values[0].Owners {
		switch span.Owner.Kind {
		case tracer.OwnerGoroutine:
			fmt.Printf("owned by %s\n", tl.Goroutine(span.Owner.G).Name)
		case tracer.OwnerChannel:
			fmt.Printf("in channel %s\n", tl.Channel(span.Owner.Ch).Name)
		}
	}
	fmt.Println("violations:", len(tracer.Check(res.Events)))
	// Output:
	// worker got resize a.png
	// owned by main
	// in channel jobs
	// owned by worker
	// violations: 0
}

// Using a value after sending it is reported, not silently allowed.
func ExampleCheck() {
	res, _ := tracer.Run(func(g *tracer.G) {
		ch := tracer.NewChan[*tracer.Value[string]](g, "messages", 1)
		msg := tracer.Make(g, "message", "hello")
		ch.Send(g, msg)
		msg.Set(g, "changed") // the bug
		ch.Recv(g)
	}, tracer.WithCallSites(false))
	for _, f := range tracer.Check(res.Events) {
		fmt.Println(f.Rule+":", f.Msg)
	}
	// Output:
	// use-after-send: g1 writes "message" after sending it on ch1: a send hands the value off, it now belongs to channel ch1
}
