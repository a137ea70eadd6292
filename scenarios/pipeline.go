package scenarios

import (
	"fmt"
	"strings"

	"github.com/handoff-viz/handoff/tracer"
)

var paths = []string{"src/main.go", "src/parse.go", "src/walk.go", "README.md", "docs/guide.md", "go.mod", "Makefile"}

var _ = register(&Scenario{
	Name:    "pipeline",
	Summary: "a producer of paths feeds three workers, whose results a collector gathers",
	Description: "The chapter's real-world pattern: \"a parser thread may produce paths or work items, and worker threads " +
		"consume them\". Work items are owned values crossing concurrency boundaries: path, then result, each with one " +
		"owner at a time; bounded channels between the stages keep the producer from running ahead.",
	Run: func(g *tracer.G, env *Env) {
		pathCh := tracer.NewChan[*tracer.Value[string]](g, "paths", 2)
		results := tracer.NewChan[*tracer.Value[string]](g, "results", 2)
		producer := g.Go("walker", func(g *tracer.G) {
			for _, p := range paths {
				v := tracer.Make(g, p, p)
				env.Step()
				pathCh.Send(g, v)
			}
			pathCh.Close(g)
		})
		var workers []*tracer.Handle
		for w := range 3 {
			workers = append(workers, g.Go(fmt.Sprintf("worker-%d", w+1), func(g *tracer.G) {
				for p := range pathCh.All(g) {
					env.Step()
					path := p.Get(g)
					kind := "text"
					if strings.HasSuffix(path, ".go") {
						kind = "go"
					}
					p.Drop(g)
					res := tracer.Make(g, "result "+path, path+": "+kind)
					results.Send(g, res)
				}
			}))
		}
		closer := g.Go("close-results", func(g *tracer.G) {
			for _, w := range workers {
				w.Join(g)
			}
			results.Close(g)
		})
		collector := g.Go("collector", func(g *tracer.G) {
			n := 0
			for r := range results.All(g) {
				env.Printf("%s\n", r.Get(g))
				r.Drop(g)
				n++
			}
			env.Printf("%d files\n", n)
		})
		producer.Join(g)
		closer.Join(g)
		collector.Join(g)
	},
})

func fmtInts(xs []int) string { return fmt.Sprint(xs) }
