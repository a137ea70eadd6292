package viz

import (
	"bytes"
	"image/png"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestDashes: dotted and dashed lines drawn through the PNG (and PDF) path
// repeat with the pattern Graphviz gives them in its SVG, on and off
// lengths within a pixel or so. (They were drawn 1 on 2 off for dotted,
// where Graphviz draws 1 on 5 off: a dense dotted line that read as a
// solid grey one in a PDF.)
func TestDashes(t *testing.T) {
	dot := []byte(`digraph { graph [bgcolor="#ffffff"];
	node [shape=point, width=0.01, style=invis];
	a [pos="0,0!"]; b [pos="400,0!"]; c [pos="0,-40!"]; d [pos="400,-40!"];
	a -> b [dir=none, style=dotted, penwidth=1.5, color="#000000"];
	c -> d [dir=none, style=dashed, penwidth=1.6, color="#000000"];
}`)
	var svg bytes.Buffer
	if err := layoutSVG(&svg, dot, "nop2"); err != nil {
		t.Fatal(err)
	}
	// Graphviz's own patterns, in points: dotted first, then dashed.
	dashRE := regexp.MustCompile(`stroke-dasharray="([0-9.]+),([0-9.]+)"`)
	ms := dashRE.FindAllStringSubmatch(svg.String(), -1)
	if len(ms) != 2 {
		t.Fatalf("graphviz's svg has %d dashed paths, want 2:\n%s", len(ms), svg.String())
	}
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
	zoom := d.pngZoom(&Options{})
	if len(d.edges) != 2 {
		t.Fatalf("%d edges in the xdot, want 2", len(d.edges))
	}
	for k, ops := range d.edges {
		y, xa, xb := 0.0, 0.0, 0.0
		for _, o := range ops {
			if o.op == 'B' && len(o.pts) >= 4 {
				y, xa, xb = o.pts[1], o.pts[0], o.pts[len(o.pts)-2]
			}
		}
		on, _ := strconv.ParseFloat(ms[k][1], 64)
		off, _ := strconv.ParseFloat(ms[k][2], 64)
		name := []string{"dotted", "dashed"}[k]
		row := int((d.bb[3] - y) * zoom)
		// Runs of dark and light pixels along the line, away from its ends.
		x0, x1 := int((min(xa, xb)+20-d.bb[0])*zoom), int((max(xa, xb)-20-d.bb[0])*zoom)
		var runs []int
		var dark []bool
		for x := x0; x < x1; x++ {
			r, g, bl, _ := img.At(x, row).RGBA()
			isDark := (r+g+bl)/3 < 0x8000
			if len(dark) == 0 || dark[len(dark)-1] != isDark {
				runs = append(runs, 0)
				dark = append(dark, isDark)
			}
			runs[len(runs)-1]++
		}
		// The first and last runs are cut by the window: leave them out.
		if len(runs) < 6 {
			t.Errorf("%s: %d runs of pixels along the line, want a dashed line: %v", name, len(runs), runs)
			continue
		}
		var sumOn, sumOff, nOn, nOff int
		for i := 1; i < len(runs)-1; i++ {
			if dark[i] {
				sumOn += runs[i]
				nOn++
			} else {
				sumOff += runs[i]
				nOff++
			}
		}
		gotOn, gotOff := float64(sumOn)/float64(nOn)/zoom, float64(sumOff)/float64(nOff)/zoom
		// Antialiasing moves a run's ends by up to a pixel each side.
		if tol := 0.6; gotOn+gotOff < on+off-tol || gotOn+gotOff > on+off+tol || gotOff < off-tol-0.5 {
			t.Errorf("%s: drawn %.1fpt on, %.1fpt off; graphviz's svg has %vpt on, %vpt off (pixel runs %s)",
				name, gotOn, gotOff, on, off, itoaList(runs))
		}
	}
}

func itoaList(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, " ")
}
