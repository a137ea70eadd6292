package viz

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"

	graphviz "github.com/goccy/go-graphviz"

	"github.com/handoff-viz/handoff/internal/graphvizcache"
)

// go-graphviz compiled Graphviz in its own initialisation, which ran before
// this package's (viz imports it), with TMPDIR pointed by graphvizcache at a
// directory private to the user; put TMPDIR back for everything else.
func init() { graphvizcache.Restore() }

// This file is the one place that calls Graphviz. go-graphviz runs Graphviz
// compiled to WebAssembly in one module shared by the whole process, and
// it is not safe for concurrent use: every call holds gv.mu. The instance
// is made on first use and reused; after a failed render it is closed and
// made again, because a failure can leave it unusable.
var gv struct {
	mu sync.Mutex
	g  *graphviz.Graphviz
}

// instance returns the shared Graphviz instance; gv.mu must be held.
func instance(ctx context.Context) (*graphviz.Graphviz, error) {
	if gv.g != nil {
		return gv.g, nil
	}
	g, err := graphviz.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("start graphviz: %w", err)
	}
	gv.g = g
	return g, nil
}

// discard closes the instance after a failure; gv.mu must be held.
func discard() {
	if gv.g != nil {
		gv.g.Close()
		gv.g = nil
	}
}

// Close releases the shared Graphviz instance. The next render makes a new
// one. It is safe to call at any time.
func Close() error {
	gv.mu.Lock()
	defer gv.mu.Unlock()
	if gv.g == nil {
		return nil
	}
	err := gv.g.Close()
	gv.g = nil
	if err != nil {
		return fmt.Errorf("viz: close graphviz: %w", err)
	}
	return nil
}

// runGraphviz runs Graphviz on DOT text with a layout engine and writes the
// result in a format Graphviz's WebAssembly build is known to write right:
// only "svg" and "xdot" are ever asked for (others, pdf among them, give
// garbage instead of an error).
func runGraphviz(w io.Writer, dot []byte, engine, format string) error {
	if format != "svg" && format != "xdot" {
		return fmt.Errorf("graphviz: format %q is not one this package trusts", format)
	}
	ctx := context.Background()
	gv.mu.Lock()
	defer gv.mu.Unlock()
	g, err := instance(ctx)
	if err != nil {
		return err
	}
	graph, err := graphviz.ParseBytes(dot)
	if err != nil {
		discard()
		return fmt.Errorf("graphviz: read dot: %w", err)
	}
	defer graph.Close()
	g.SetLayout(graphviz.Layout(engine))
	if err := g.Render(ctx, graph, graphviz.Format(format), w); err != nil {
		discard()
		return fmt.Errorf("graphviz: %s layout to %s: %w", engine, format, err)
	}
	return nil
}

// layoutSVG lays out DOT text and writes SVG.
func layoutSVG(w io.Writer, dot []byte, engine string) error {
	var b bytes.Buffer
	if err := runGraphviz(&b, dot, engine, "svg"); err != nil {
		return fmt.Errorf("viz: %w", err)
	}
	if !bytes.Contains(b.Bytes(), []byte("</svg>")) {
		return fmt.Errorf("viz: graphviz wrote no svg (%d bytes)", b.Len())
	}
	// Graphviz measured the text in Helvetica; name the fonts with the same
	// widths, so a viewer without Helvetica does not pick a wider one.
	svg := bytes.ReplaceAll(b.Bytes(), []byte(`font-family="Helvetica,sans-Serif"`),
		[]byte(`font-family="Helvetica,Arial,'Liberation Sans',sans-serif"`))
	if _, err := w.Write(svg); err != nil {
		return fmt.Errorf("viz: write svg: %w", err)
	}
	return nil
}

// layoutXDOT lays out DOT text and returns Graphviz's drawing operations.
func layoutXDOT(dot []byte, engine string) (*drawing, error) {
	var b bytes.Buffer
	if err := runGraphviz(&b, dot, engine, "xdot"); err != nil {
		return nil, fmt.Errorf("viz: %w", err)
	}
	d, err := parseXDOT(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("viz: read graphviz's xdot: %w", err)
	}
	return d, nil
}
