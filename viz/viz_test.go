package viz

import (
	"bytes"
	"encoding/xml"
	"image/color"
	"image/png"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/handoff-viz/handoff/scenarios"
	"github.com/handoff-viz/handoff/tracer"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestSynthValid(t *testing.T) {
	for _, n := range []int{30, 1000} {
		for _, bad := range []bool{false, true} {
			if err := tracer.Validate(synth(n, bad)); err != nil {
				t.Errorf("synth(%d, %v): %v", n, bad, err)
			}
		}
	}
}

// svgDoc is what the tests read of an SVG: its texts, and the fill and
// stroke of its shapes.
type svgDoc struct {
	texts  []string
	fills  map[string]int
	titles []string
}

func parseSVG(t *testing.T, b []byte) svgDoc {
	t.Helper()
	doc := svgDoc{fills: map[string]int{}}
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = false
	var inText, inTitle bool
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("svg does not parse: %v", err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			inText = tk.Name.Local == "text"
			inTitle = tk.Name.Local == "title"
			for _, a := range tk.Attr {
				if a.Name.Local == "fill" {
					doc.fills[strings.ToLower(a.Value)]++
				}
			}
		case xml.CharData:
			if inText {
				doc.texts = append(doc.texts, string(tk))
			}
			if inTitle {
				doc.titles = append(doc.titles, string(tk))
			}
		case xml.EndElement:
			inText, inTitle = false, false
		}
	}
	return doc
}

func (d svgDoc) hasText(s string) bool {
	for _, x := range d.texts {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}

func renderBytes(t *testing.T, tl *tracer.Timeline, format string, o Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, tl, format, o); err != nil {
		t.Fatalf("Render %s %+v: %v", format, o, err)
	}
	return b.Bytes()
}

func TestTimelineSVG(t *testing.T) {
	tl := tracer.BuildTimeline(synth(60, true))
	th := themes["light"]
	doc := parseSVG(t, renderBytes(t, tl, FormatSVG, Options{Title: "a test"}))
	for _, want := range []string{"a test", "producer (g2)", "consumer-a (g3)", "jobs", "cap 2", "job-1", "send", "receive", "blocked",
		"use-after-send: g2 writes \"job-2\" after sending it on ch1"} {
		if !doc.hasText(want) {
			t.Errorf("svg has no text %q; texts: %q", want, doc.texts)
		}
	}
	for name, fill := range map[string]string{"blocked shading": th.blocked, "violation mark": th.bad, "token": th.tokenFill, "channel lane": th.chanFill} {
		if doc.fills[fill] == 0 {
			t.Errorf("svg has no %s (fill %s); fills: %v", name, fill, doc.fills)
		}
	}
	// Without a violation there is no red, and the legend can be left out.
	doc = parseSVG(t, renderBytes(t, tracer.BuildTimeline(synth(60, false)), FormatSVG, Options{NoLegend: true}))
	if doc.fills[th.bad] != 0 {
		t.Errorf("a trace without violations has %d red marks", doc.fills[th.bad])
	}
	if doc.hasText("blocked") {
		t.Errorf("legend drawn with NoLegend")
	}
}

func TestScenariosSVG(t *testing.T) {
	for _, s := range scenarios.All() {
		t.Run(s.Name, func(t *testing.T) {
			tl := tracer.BuildTimeline(record(t, s))
			doc := parseSVG(t, renderBytes(t, tl, FormatSVG, Options{}))
			for _, g := range tl.Goroutines {
				if g.Name != "" && !doc.hasText(g.Name) {
					t.Errorf("no lane for goroutine %q", g.Name)
				}
			}
			for _, c := range tl.Channels {
				if c.Name != "" && !doc.hasText(c.Name) {
					t.Errorf("no lane for channel %q", c.Name)
				}
			}
			if len(tl.Violations) > 0 {
				rule := tl.Events[tl.Violations[0]].Rule
				if !doc.hasText(rule + ":") {
					t.Errorf("violation %s not noted", rule)
				}
			}
			gdoc := parseSVG(t, renderBytes(t, tl, FormatSVG, Options{View: ViewGraph}))
			for _, c := range tl.Channels {
				if c.Sent > 0 && c.Name != "" && !gdoc.hasText(c.Name) {
					t.Errorf("graph view has no node for channel %q", c.Name)
				}
			}
		})
	}
}

func TestValueView(t *testing.T) {
	tl := tracer.BuildTimeline(synth(60, true))
	doc := parseSVG(t, renderBytes(t, tl, FormatSVG, Options{View: ViewValue, Value: "job-2"}))
	for _, want := range []string{"job-2", "producer (g2)", "in jobs (ch1)", "use-after-send, step", "dropped"} {
		if !doc.hasText(want) {
			t.Errorf("value view has no %q; texts: %q", want, doc.texts)
		}
	}
}

func TestBadOptions(t *testing.T) {
	tl := tracer.BuildTimeline(synth(60, false))
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{View: "pie"}, `unknown view "pie"`},
		{Options{Axis: "space"}, `unknown axis "space"`},
		{Options{Theme: "neon"}, `unknown theme "neon"`},
		{Options{View: ViewValue}, "needs a value"},
		{Options{View: ViewValue, Value: "v999"}, `no value "v999"`},
		{Options{From: 50, To: 10}, "empty window"},
		{Options{From: 5000}, "no events in steps 5000"},
		{Options{Focus: "nobody"}, `focus "nobody"`},
		{Options{FontSize: -3}, "font size"},
	} {
		err := WriteDOT(io.Discard, tl, c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want an error with %q", c.o, err, c.want)
		}
	}
	if err := Render(io.Discard, tl, "gif", Options{}); err == nil || !strings.Contains(err.Error(), `unknown format "gif"`) {
		t.Errorf("format gif: got %v", err)
	}
	// A label naming two values is ambiguous.
	evs := []tracer.Event{
		{Seq: 1, Kind: tracer.KindMake, G: 1, V: 1, Label: "x"},
		{Seq: 2, Kind: tracer.KindMake, G: 1, V: 2, Label: "x"},
	}
	err := WriteDOT(io.Discard, tracer.BuildTimeline(evs), Options{View: ViewValue, Value: "x"})
	if err == nil || !strings.Contains(err.Error(), "names 2 values (v1, v2)") {
		t.Errorf("ambiguous label: got %v", err)
	}
}

func TestFormatOf(t *testing.T) {
	for in, want := range map[string]string{"a.svg": "svg", "b.PNG": "png", "c.pdf": "pdf", "d.dot": "dot", "e.gv": "dot"} {
		if got, err := FormatOf(in); err != nil || got != want {
			t.Errorf("FormatOf(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"a.gif", "noext"} {
		if _, err := FormatOf(in); err == nil {
			t.Errorf("FormatOf(%q): no error", in)
		}
	}
}

var posRE = regexp.MustCompile(`pos="(-?[0-9.]+),(-?[0-9.]+)!"`)

// TestWindow checks that a long trace is cut to MaxSteps with a note, that
// From and To pick the steps, and that the layout is linear: ten times the
// events give about ten times the width, not more.
func TestWindow(t *testing.T) {
	tl := tracer.BuildTimeline(synth(2000, false))
	dot := string(dotOf(t, tl, Options{}))
	if !strings.Contains(dot, "steps 1 to 400 of") {
		t.Errorf("a 2000-event trace drawn whole, or without a note")
	}
	dot = string(dotOf(t, tl, Options{From: 100, To: 150}))
	if !strings.Contains(dot, "steps 100 to 150 of") {
		t.Errorf("window 100-150 not noted")
	}
	width := func(n int) float64 {
		d := dotOf(t, tracer.BuildTimeline(synth(n, false)), Options{MaxSteps: -1, NoLegend: true})
		m := 0.0
		for _, p := range posRE.FindAllSubmatch(d, -1) {
			x, err := strconv.ParseFloat(string(p[1]), 64)
			if err != nil {
				t.Fatal(err)
			}
			m = max(m, x)
		}
		return m
	}
	w1, w10 := width(500), width(5000)
	if r := w10 / w1; r < 7 || r > 13 {
		t.Errorf("width of 5000 events / width of 500 = %.1f, want about 10", r)
	}
}

func TestFocus(t *testing.T) {
	tl := tracer.BuildTimeline(synth(60, false))
	dot := string(dotOf(t, tl, Options{Focus: "consumer-a"}))
	for _, want := range []string{"consumer-a (g3)", "producer (g2)", "jobs"} {
		if !strings.Contains(dot, want) {
			t.Errorf("focus on consumer-a lost %q", want)
		}
	}
	// g1 spawned consumer-a, so it stays; nothing is folded here. Focus
	// on the value job-1: its owners are the producer, the channel and
	// one consumer; the other consumer folds.
	dot = string(dotOf(t, tl, Options{Focus: "job-1"}))
	if !strings.Contains(dot, "other lanes (folded)") {
		t.Errorf("focus on job-1 folded nothing")
	}
}

// TestFrames checks that every frame has the same size and that the
// frames build up.
func TestFrames(t *testing.T) {
	tl := tracer.BuildTimeline(synth(40, true))
	var sizes []string
	var lens []int
	sizeRE := regexp.MustCompile(`<svg width="[^"]*" height="[^"]*"`)
	err := WriteFrames(tl, FormatSVG, Options{}, 10, func(n int, pic []byte) error {
		sizes = append(sizes, sizeRE.FindString(string(pic)))
		lens = append(lens, bytes.Count(pic, []byte("<g id=\"node")))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(sizes) < 3 {
		t.Fatalf("%d frames of a %d-event trace, 10 steps each", len(sizes), len(tl.Events))
	}
	for k := range sizes {
		if sizes[k] != sizes[0] || sizes[k] == "" {
			t.Errorf("frame %d is %s, frame 1 is %s", k+1, sizes[k], sizes[0])
		}
		if k > 0 && lens[k] <= lens[k-1] {
			t.Errorf("frame %d has %d nodes, frame %d has %d: not building up", k+1, lens[k], k, lens[k-1])
		}
	}
	if err := WriteFrames(tl, FormatSVG, Options{View: ViewGraph}, 1, nil); err == nil {
		t.Errorf("frames of the graph view: no error")
	}
}

// TestPixels draws a box, an unfilled ellipse and an edge through the PNG
// path and looks at the pixels: outlines are drawn, the insides of unfilled
// shapes stay empty, and an edge is a thin line, not a filled area
// (go-graphviz's own PNG gets all three wrong: goccy/go-graphviz#106).
func TestPixels(t *testing.T) {
	dot := []byte(`digraph { graph [bgcolor="#ffffff"];
	node [fixedsize=true, width=1, height=1, color="#000000", penwidth=2];
	a [shape=box, pos="0,0!", label=" "];
	b [shape=ellipse, pos="300,0!", label=" "];
	c [shape=box, style=filled, fillcolor="#ff0000", pos="0,-200!", label=" "];
	a -> b [color="#0000ff", penwidth=2, splines=line];
}`)
	d, err := layoutXDOT(dot, "nop2")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := d.writePNG(&b, &Options{}); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	// Graphviz translates the layout so its bounding box starts at 0,0;
	// find the shapes from the drawing.
	zoom := d.pngZoom(&Options{})
	px := func(x, y float64) (int, int) {
		return int((x - d.bb[0]) * zoom), int((d.bb[3] - y) * zoom)
	}
	center := func(k int) (float64, float64) { // of node k's first polygon or ellipse
		for _, o := range d.nodes[k] {
			switch o.op {
			case 'E', 'e':
				return o.pts[0], o.pts[1]
			case 'P', 'p':
				var sx, sy float64
				for j := 0; j < len(o.pts); j += 2 {
					sx += o.pts[j]
					sy += o.pts[j+1]
				}
				n := float64(len(o.pts) / 2)
				return sx / n, sy / n
			}
		}
		t.Fatalf("node %d has no shape", k)
		return 0, 0
	}
	is := func(c color.Color, r, g, bl uint8) bool {
		cr, cg, cb, _ := c.RGBA()
		near := func(a uint32, b uint8) bool { d := int(a>>8) - int(b); return d > -60 && d < 60 }
		return near(cr, r) && near(cg, g) && near(cb, bl)
	}
	at := func(x, y float64) color.Color { i, j := px(x, y); return img.At(i, j) }
	ax, ay := center(0)
	bx, by := center(1)
	cx, cy := center(2)
	if !is(at(ax, ay), 255, 255, 255) {
		t.Errorf("inside of the unfilled box is %v, want white", at(ax, ay))
	}
	if !is(at(bx, by), 255, 255, 255) {
		t.Errorf("inside of the unfilled ellipse is %v, want white", at(bx, by))
	}
	if !is(at(cx, cy), 255, 0, 0) {
		t.Errorf("inside of the filled box is %v, want red", at(cx, cy))
	}
	// The box outline: walk left from the centre of a to its edge at 36pt.
	found := false
	for dx := 30.0; dx <= 40; dx += 0.5 {
		if is(at(ax-dx, ay), 0, 0, 0) {
			found = true
		}
	}
	if !found {
		t.Errorf("no outline on the left side of the box")
	}
	// The edge: blue at the midpoint, white 6pt above and below it.
	mx := (ax + bx) / 2
	if !is(at(mx, ay), 0, 0, 255) {
		t.Errorf("edge midpoint is %v, want blue", at(mx, ay))
	}
	for _, dy := range []float64{-6, 6} {
		if !is(at(mx, ay+dy), 255, 255, 255) {
			t.Errorf("%vpt off the edge is %v, want white: the edge is not a thin line", dy, at(mx, ay+dy))
		}
	}
	if img.Bounds().Dx() < 100 {
		t.Errorf("png is %v", img.Bounds())
	}
}

func TestPNGAndPDF(t *testing.T) {
	tl := tracer.BuildTimeline(synth(60, true))
	p := renderBytes(t, tl, FormatPNG, Options{Width: 1920, Height: 1080})
	img, err := png.Decode(bytes.NewReader(p))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() > 1920 || b.Dy() > 1080 || (b.Dx() < 1900 && b.Dy() < 1060) {
		t.Errorf("png for a 1920x1080 slide is %dx%d", b.Dx(), b.Dy())
	}
	pdf := renderBytes(t, tl, FormatPDF, Options{})
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.Contains(pdf, []byte("%%EOF")) {
		t.Errorf("not a pdf: %q", pdf[:min(20, len(pdf))])
	}
	if !bytes.Contains(pdf, []byte("/FontFile")) {
		t.Errorf("pdf embeds no font")
	}
}

// TestFramesSameSize: every frame of every scenario's timeline has the
// same bounding box (the invisible corners), even when the legend of the
// first frames would list fewer marks.
func TestFramesSameSize(t *testing.T) {
	cornerRE := regexp.MustCompile(`(?m)^\tcorner[12] .*$`)
	for _, s := range scenarios.All() {
		t.Run(s.Name, func(t *testing.T) {
			tl := tracer.BuildTimeline(goldenTrace(t, s))
			for _, o := range []Options{{}, {Theme: "print", FontSize: 24}} {
				var first string
				err := WriteFrames(tl, FormatDOT, o, 1, func(n int, pic []byte) error {
					c := strings.Join(cornerRE.FindAllString(string(pic), -1), "\n")
					if n == 1 {
						first = c
					} else if c != first {
						t.Errorf("%+v: frame %d has corners\n%s\nframe 1\n%s", o, n, c, first)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
