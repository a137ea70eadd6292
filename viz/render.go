package viz

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/handoff-viz/handoff/tracer"
)

// WriteDOT writes the view of tl that o asks for as DOT text. It needs no
// Graphviz, and the same trace and options give the same bytes.
func WriteDOT(w io.Writer, tl *tracer.Timeline, o Options) error {
	if err := o.check(); err != nil {
		return fmt.Errorf("viz: %w", err)
	}
	if tl == nil {
		return fmt.Errorf("viz: no timeline")
	}
	bw := bufio.NewWriter(w)
	d := &dotWriter{w: bw}
	var err error
	switch o.View {
	case "", ViewTimeline:
		err = writeTimeline(d, tl, &o)
	case ViewGraph:
		err = writeGraph(d, tl, &o)
	case ViewValue:
		err = writeValue(d, tl, &o)
	case ViewOverview:
		ov := NewOverview()
		for i := range tl.Events {
			ov.Add(&tl.Events[i])
		}
		err = writeOverview(d, ov, &o)
	}
	if err != nil {
		return fmt.Errorf("viz: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("viz: write dot: %w", err)
	}
	return nil
}

// layoutEngine is the Graphviz layout of a view: pinned positions for the
// timeline, dot for the others.
func layoutEngine(o *Options) string {
	if o.View == "" || o.View == ViewTimeline || o.View == ViewOverview {
		return "nop2"
	}
	return "dot"
}

// Render writes the view of tl that o asks for in format: "dot", "svg",
// "png" or "pdf" (see [Formats]).
func Render(w io.Writer, tl *tracer.Timeline, format string, o Options) error {
	var dot bytes.Buffer
	if err := WriteDOT(&dot, tl, o); err != nil {
		return err
	}
	return renderDOT(w, dot.Bytes(), format, &o)
}

// renderDOT lays out and draws a view's DOT in format.
func renderDOT(w io.Writer, dot []byte, format string, o *Options) error {
	switch format {
	case FormatDOT:
		_, err := w.Write(dot)
		if err != nil {
			return fmt.Errorf("viz: write dot: %w", err)
		}
		return nil
	case FormatSVG:
		return layoutSVG(w, dot, layoutEngine(o))
	case FormatPNG, FormatPDF:
		d, err := layoutXDOT(dot, layoutEngine(o))
		if err != nil {
			return err
		}
		if format == FormatPNG {
			return d.writePNG(w, o)
		}
		return d.writePDF(w)
	}
	return fmt.Errorf("viz: unknown format %q (want %s)", format, strings.Join(Formats, ", "))
}

// RenderSVG draws the view o asks for of a trace's events as SVG. The web
// server calls it for its pictures.
func RenderSVG(evs []tracer.Event, o Options) ([]byte, error) {
	var b bytes.Buffer
	if err := Render(&b, tracer.BuildTimeline(evs), FormatSVG, o); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// FormatOf returns the format a file name's extension asks for.
func FormatOf(path string) (string, error) {
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	for _, f := range Formats {
		if ext == f {
			return f, nil
		}
	}
	if ext == "gv" {
		return FormatDOT, nil
	}
	if ext == "" {
		return "", fmt.Errorf("%q has no extension to tell the format (want .dot, .svg, .png or .pdf)", path)
	}
	return "", fmt.Errorf("unknown extension %q of %q (want .dot, .svg, .png or .pdf)", "."+ext, path)
}

// MaxFrames caps how many frames [WriteFrames] writes.
const MaxFrames = 2000

// WriteFrames draws the timeline as it builds up: frame 1 shows the first
// `every` steps of the window, frame 2 the next ones too, and so on to the
// whole window. Every frame has the same layout and size, so a presenter
// can step through them as slides. write receives each frame's number,
// from 1, and its picture in format (svg, png, pdf or dot).
func WriteFrames(tl *tracer.Timeline, format string, o Options, every int, write func(n int, pic []byte) error) error {
	return eachFrame(tl, o, every, func(n int, o Options) error {
		var b bytes.Buffer
		if err := Render(&b, tl, format, o); err != nil {
			return err
		}
		return write(n, b.Bytes())
	})
}

// eachFrame calls draw with the options of each frame of the timeline
// building up `every` steps at a time, numbered from 1.
func eachFrame(tl *tracer.Timeline, o Options, every int, draw func(n int, o Options) error) error {
	if o.View != "" && o.View != ViewTimeline {
		return fmt.Errorf("viz: frames are drawn of the timeline view only, not %q", o.View)
	}
	if every < 1 {
		return fmt.Errorf("viz: frames every %d steps: want 1 or more", every)
	}
	if err := o.check(); err != nil {
		return fmt.Errorf("viz: %w", err)
	}
	l, err := newLayout(tl, &o)
	if err != nil {
		return fmt.Errorf("viz: %w", err)
	}
	lo, hi := l.lo, l.hi
	if hi <= lo {
		return fmt.Errorf("viz: no events to draw frames of")
	}
	if n := (hi - lo + every - 1) / every; n > MaxFrames {
		return fmt.Errorf("viz: %d frames of %d steps is too many (at most %d): draw fewer steps a frame or choose a window", n, every, MaxFrames)
	}
	// Pin the window the first layout chose, so the narrowing for a size
	// cannot differ between frames.
	o.From, o.To = tl.Events[lo].Seq, tl.Events[hi-1].Seq
	o.MaxSteps = -1
	n := 0
	for upTo := lo + every; ; upTo += every {
		upTo = min(upTo, hi)
		o.upTo = upTo
		n++
		if err := draw(n, o); err != nil {
			return err
		}
		if upTo == hi {
			return nil
		}
	}
}
