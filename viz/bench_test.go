package viz

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/handoff-viz/handoff/tracer"
)

// BenchmarkTimelineSVG draws the whole timeline of synthetic traces to SVG
// (no window), with positions pinned (layout nop2, what Render does) and,
// as the baseline in the same run, the same DOT laid out by plain dot.
// ns/event should stay flat from 1k to 100k events for pinned.
func BenchmarkTimelineSVG(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		tl := tracer.BuildTimeline(synth(n, true))
		o := Options{MaxSteps: -1}
		var dot bytes.Buffer
		if err := WriteDOT(&dot, tl, o); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("events=%d/pinned", len(tl.Events)), func(b *testing.B) {
			for b.Loop() {
				if err := Render(io.Discard, tl, FormatSVG, o); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(tl.Events)), "ns/event")
		})
		if n > 10000 {
			// What a user gets by default: a window of DefaultMaxSteps.
			b.Run(fmt.Sprintf("events=%d/windowed", len(tl.Events)), func(b *testing.B) {
				for b.Loop() {
					if err := Render(io.Discard, tl, FormatSVG, Options{}); err != nil {
						b.Fatal(err)
					}
				}
			})
			continue // plain dot takes far too long at this size
		}
		b.Run(fmt.Sprintf("events=%d/dot", len(tl.Events)), func(b *testing.B) {
			for b.Loop() {
				if err := layoutSVG(io.Discard, dot.Bytes(), "dot"); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(tl.Events)), "ns/event")
		})
	}
}

// BenchmarkCompose measures composing the DOT text alone.
func BenchmarkCompose(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		tl := tracer.BuildTimeline(synth(n, true))
		b.Run(fmt.Sprintf("events=%d", len(tl.Events)), func(b *testing.B) {
			for b.Loop() {
				if err := WriteDOT(io.Discard, tl, Options{MaxSteps: -1}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(tl.Events)), "ns/event")
		})
	}
}

// BenchmarkGIF draws a 100-step timeline building up, one step a frame,
// as an animated GIF and, as the baseline in the same run, as the same
// frames written as separate PNGs (WriteFrames): what the palette and the
// changed-rectangle frames cost or save over drawing the frames alone.
func BenchmarkGIF(b *testing.B) {
	tl := tracer.BuildTimeline(synth(100, false))
	var size int
	b.Run("gif", func(b *testing.B) {
		for b.Loop() {
			var w bytes.Buffer
			if err := WriteGIF(&w, tl, Options{}, GIF{}); err != nil {
				b.Fatal(err)
			}
			size = w.Len()
		}
		b.ReportMetric(float64(size), "bytes")
	})
	b.Run("png-frames", func(b *testing.B) {
		for b.Loop() {
			size = 0
			err := WriteFrames(tl, FormatPNG, Options{}, 1, func(n int, pic []byte) error { size += len(pic); return nil })
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(size), "bytes")
	})
}
