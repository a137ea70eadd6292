package scenarios

import "github.com/handoff-viz/handoff/tracer"

var _ = register(&Scenario{
	Name:    "cloned-senders",
	Summary: "the code-reading drill: two senders on one channel, the receiver loops until both are done",
	Description: "`let tx2 = tx.clone()`, one goroutine sends \"a\", another \"b\", and `for job in rx` ends when every sender " +
		"is gone. Each job is owned by its sender, then by the channel, then by main's loop. Go has no sender count, so a " +
		"closer joins both senders and closes the channel: that is the moment Rust drops the last `tx`.",
	Run: func(g *tracer.G, env *Env) {
		jobs := tracer.NewChan[*tracer.Value[string]](g, "jobs", -1) // mpsc::channel() is unbounded
		send := func(label string) func(*tracer.G) {
			return func(g *tracer.G) {
				job := tracer.Make(g, "job "+label, label)
				env.Step()
				jobs.Send(g, job)
			}
		}
		tx := g.Go("tx", send("a"))
		tx2 := g.Go("tx2", send("b"))
		closer := g.Go("drop-senders", func(g *tracer.G) {
			tx.Join(g)
			tx2.Join(g)
			jobs.Close(g)
		})
		for job := range jobs.All(g) {
			env.Step()
			env.Printf("%s\n", job.Get(g))
		}
		closer.Join(g)
	},
})
