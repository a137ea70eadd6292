package scenarios

import "github.com/handoff-viz/handoff/tracer"

var _ = register(&Scenario{
	Name:    "join-panic",
	Summary: "a child panics; the join returns the panic as an error and main goes on",
	Description: "`handle.join()` returns a Result because the thread may panic. The child goroutine panics; the panic " +
		"does not crash the program: the join hands it to main as an error, and main carries on.",
	Run: func(g *tracer.G, env *Env) {
		input := tracer.Make(g, "input", "not a number")
		h := g.Go("parser", func(g *tracer.G) {
			env.Step()
			panic("cannot parse " + input.Get(g))
		}, input)
		err := h.Join(g)
		env.Step()
		env.Printf("join returned: %v\n", err)
		env.Printf("main goes on\n")
	},
})
