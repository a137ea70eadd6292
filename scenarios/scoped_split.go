package scenarios

import (
	"slices"

	"github.com/handoff-viz/handoff/tracer"
)

var _ = register(&Scenario{
	Name:    "scoped-split",
	Summary: "a scope with two goroutines changing the two halves of [1 2 3 4]; ends as [2 4 30 40]",
	Description: "`thread::scope` with `split_at_mut(2)`: the scope guarantees both goroutines are joined before it ends, " +
		"so they may borrow main's data, and the two mutable borrows do not overlap. The left half is doubled, " +
		"the right half multiplied by ten; after the scope main owns `[2, 4, 30, 40]` again.",
	Run: func(g *tracer.G, env *Env) {
		values := tracer.Make(g, "values", []int{1, 2, 3, 4})
		g.Scope(func(s *tracer.Scope) {
			left, right := tracer.SplitAt(g, values, 2)
			env.Step()
			s.Go("double-left", func(g *tracer.G) {
				env.Step()
				left.Update(g, func(xs *[]int) {
					for i := range *xs {
						(*xs)[i] *= 2
					}
				})
			}, left)
			s.Go("tenfold-right", func(g *tracer.G) {
				env.Step()
				right.Update(g, func(xs *[]int) {
					for i := range *xs {
						(*xs)[i] *= 10
					}
				})
			}, right)
		})
		got := values.Get(g)
		if !slices.Equal(got, []int{2, 4, 30, 40}) {
			panic("scoped-split: got " + fmtInts(got))
		}
		env.Printf("%v\n", got)
	},
})
