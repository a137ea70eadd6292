package scenarios

import "github.com/handoff-viz/handoff/tracer"

var _ = register(&Scenario{
	Name:    "spawn-move",
	Summary: "a slice moved into a spawned goroutine, printed there, joined",
	Description: "The chapter's minimal example: `thread::spawn(move || println!(\"{values:?}\"))`. " +
		"The spawned goroutine takes ownership of `values`; main keeps only the handle and joins it. " +
		"Join returns a result because the child might have panicked.",
	Run: func(g *tracer.G, env *Env) {
		values := tracer.Make(g, "values", []int{1, 2, 3})
		env.Step()
		h := g.Go("printer", func(g *tracer.G) {
			env.Step()
			env.Printf("%v\n", values.Get(g))
		}, values)
		if err := h.Join(g); err != nil {
			env.Printf("join: %v\n", err)
		}
	},
})
