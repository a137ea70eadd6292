package main

import (
	"fmt"
	"path/filepath"
	"sort"

	"github.com/handoff-viz/handoff/tracer"
)

// hashTreeTraced is hashTree written with handoff's tracer: the same walker,
// workers and collector, with traced channels and values. Run under
// runtime/trace (go test -trace, or trace.Start), the tracer also writes
// its events into the Go execution trace, and `handoff import` reads them
// back exactly: which path went to which worker, which result to the
// collector.
func hashTreeTraced(root string, n int, opts ...tracer.Option) ([]result, *tracer.Result, error) {
	var all []result
	var walkErr error
	res, err := tracer.Run(func(g *tracer.G) {
		paths := tracer.NewChan[*tracer.Value[string]](g, "paths", 0)
		results := tracer.NewChan[*tracer.Value[result]](g, "results", 0)
		walker := g.Go("walk", func(g *tracer.G) {
			defer paths.Close(g)
			walkErr = walkFunc(root, func(p string) {
				paths.Send(g, tracer.Make(g, filepath.Base(p), p))
			})
		})
		workers := make([]*tracer.Handle, n)
		for i := range workers {
			workers[i] = g.Go(fmt.Sprintf("worker %d", i+1), func(g *tracer.G) {
				for p := range paths.All(g) {
					path := p.Get(g)
					sum, err := hashFile(path)
					p.Drop(g)
					results.Send(g, tracer.Make(g, "sum of "+filepath.Base(path), result{path, sum, err}))
				}
			})
		}
		collector := g.Go("collect", func(g *tracer.G) {
			for r := range results.All(g) {
				all = append(all, r.Get(g))
				r.Drop(g)
			}
		})
		for _, w := range workers {
			if err := w.Join(g); err != nil {
				walkErr = err
			}
		}
		results.Close(g)
		if err := collector.Join(g); err != nil {
			walkErr = err
		}
		if err := walker.Join(g); err != nil {
			walkErr = err
		}
	}, opts...)
	if err != nil {
		return all, res, fmt.Errorf("trace: %w", err)
	}
	if walkErr != nil {
		return all, res, fmt.Errorf("walk %s: %w", root, walkErr)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].path < all[j].path })
	return all, res, nil
}
