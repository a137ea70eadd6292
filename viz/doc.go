// Package viz draws ownership timelines as Graphviz diagrams.
//
// It has three views of a trace: a timeline (swimlanes of goroutines and
// channels, steps from left to right, the values moving between them), a
// graph of who talks to whom, and the life of one value. The work is split
// the way pprof splits it:
//
//   - composing DOT is pure text, deterministic and golden-tested
//     ([WriteDOT]; timeline.go, graphview.go, valueview.go);
//   - the one call into Graphviz, compiled to WebAssembly by
//     github.com/goccy/go-graphviz, sits in graphviz.go;
//   - PNG and PDF are drawn by this package from Graphviz's xdot drawing
//     operations with github.com/tdewolff/canvas (draw.go), because
//     go-graphviz's own raster output draws wrong shapes
//     (goccy/go-graphviz#106).
//
// The timeline computes every position itself and hands Graphviz pinned
// positions (layout nop2, as `neato -n2`), so the time axis is true and the
// cost grows linearly with the number of events. The graph and value views
// use dot's own layout.
//
// The Graphviz instance is created on first use, shared, and guarded by a
// mutex; [Close] releases it.
package viz
