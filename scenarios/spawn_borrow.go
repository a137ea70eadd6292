package scenarios

import "github.com/handoff-viz/handoff/tracer"

var _ = register(&Scenario{
	Name:    "spawn-borrow",
	Summary: "spot the bug: an unscoped goroutine reads a borrowed local after its frame ended",
	Description: "The chapter's \"spot the bug\" and its C `pthread_create(&tid, NULL, worker, buf)`: main lends a borrow of " +
		"`name` to an unscoped goroutine, then its frame ends (the local is dropped) while the worker may still run. " +
		"Rust refuses this at compile time (E0373: the closure may outlive the current function); handoff reports " +
		"borrow-escapes twice: when the borrow crosses the unscoped spawn, and when the worker reads it after the frame ended.",
	Expect: []string{tracer.RuleBorrowEscapes},
	Run: func(g *tracer.G, env *Env) {
		name := tracer.Make(g, "name", "worker")
		nameRef := name.Borrow(g)
		frameEnded := make(chan struct{}) // untraced: only makes the bad timing certain
		env.Step()
		h := g.Go("worker", func(g *tracer.G) {
			<-frameEnded
			env.Step()
			env.Printf("%s\n", nameRef.Get(g))
		}, nameRef)
		env.Step()
		name.Drop(g) // main's frame ends: `return 0` in the C version
		close(frameEnded)
		h.Join(g)
	},
})
