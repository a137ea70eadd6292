package viz

import (
	"bytes"
	"image"
	"image/draw"
	"image/gif"
	"strings"
	"testing"
	"time"

	"github.com/handoff-viz/handoff/scenarios"
	"github.com/handoff-viz/handoff/tracer"
)

func TestGIF(t *testing.T) {
	s, ok := scenarios.Lookup("bounded-producers")
	if !ok {
		t.Fatal("no scenario bounded-producers")
	}
	tl := tracer.BuildTimeline(goldenTrace(t, s))
	const every = 10
	var b bytes.Buffer
	if err := WriteGIF(&b, tl, Options{}, GIF{Every: every, Delay: 200 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	g, err := gif.DecodeAll(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("the GIF does not decode: %v", err)
	}
	want := (len(tl.Events) + every - 1) / every
	if len(g.Image) != want {
		t.Fatalf("%d frames, want %d (%d steps, %d a frame)", len(g.Image), want, len(tl.Events), every)
	}
	if g.LoopCount != 0 || g.Delay[0] != 20 || g.Delay[len(g.Delay)-1] != 300 {
		t.Errorf("loop count %d, delays %v: want a loop forever, 20 (200ms) a frame, 300 (3s) the last", g.LoopCount, g.Delay)
	}
	if n := b.Len(); n > 150<<10 {
		t.Errorf("the GIF of %d frames is %d KB, want under 150 KB", want, n>>10)
	}
	// Compose the frames as a viewer does: each must change the picture,
	// and the last must be the whole timeline (its last label drawn).
	full := image.Rect(0, 0, g.Config.Width, g.Config.Height)
	cur := image.NewRGBA(full)
	prev := image.NewRGBA(full)
	for k, im := range g.Image {
		if !im.Bounds().In(full) {
			t.Fatalf("frame %d at %v is outside the picture %v", k+1, im.Bounds(), full)
		}
		copy(prev.Pix, cur.Pix)
		draw.Draw(cur, im.Bounds(), im, im.Bounds().Min, draw.Over)
		if k > 0 && bytes.Equal(prev.Pix, cur.Pix) {
			t.Errorf("frame %d is the same as frame %d", k+1, k)
		}
		if k == 0 && im.Bounds() != full {
			t.Errorf("frame 1 covers %v, not the whole picture %v", im.Bounds(), full)
		}
	}
	// The last frame is the picture gifFrame draws of the whole timeline,
	// in the palette's colours: compare the two at a few pixels of every
	// row (colours mapped to the palette, so close but not exact).
	want1, err := gifFrame(tl, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want1.Bounds() != full {
		t.Fatalf("the whole picture is %v, the GIF %v", want1.Bounds(), full)
	}
	bad := 0
	for y := 0; y < full.Dy(); y++ {
		for x := 0; x < full.Dx(); x += 7 {
			a, c := want1.RGBAAt(x, y), cur.RGBAAt(x, y)
			if d := absDiff(a.R, c.R) + absDiff(a.G, c.G) + absDiff(a.B, c.B); d > 60 {
				bad++
			}
		}
	}
	if total := full.Dy() * (full.Dx() + 6) / 7; bad > total/200 {
		t.Errorf("the last frame differs from the whole picture at %d of %d pixels looked at", bad, total)
	}

	for _, a := range []GIF{{Delay: time.Millisecond}, {Hold: 2 * time.Minute}} {
		if err := WriteGIF(&b, tl, Options{}, a); err == nil || !strings.Contains(err.Error(), "out of range") {
			t.Errorf("WriteGIF %+v: error %v, want out of range", a, err)
		}
	}
	if err := WriteGIF(&b, tl, Options{View: ViewGraph}, GIF{}); err == nil {
		t.Errorf("a GIF of the graph view: no error")
	}
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}
