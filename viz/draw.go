package viz

import (
	"fmt"
	"image/color"
	"image/png"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/go-fonts/liberation/liberationmonobold"
	"github.com/go-fonts/liberation/liberationmonoregular"
	"github.com/go-fonts/liberation/liberationsansbold"
	"github.com/go-fonts/liberation/liberationsansregular"
	"github.com/go-fonts/liberation/liberationserifbold"
	"github.com/go-fonts/liberation/liberationserifregular"
	"github.com/tdewolff/canvas"
	"github.com/tdewolff/canvas/renderers/pdf"
	"github.com/tdewolff/canvas/renderers/rasterizer"
)

// This file paints Graphviz's xdot drawing operations with
// github.com/tdewolff/canvas, for PNG and PDF. Graphviz measured the text
// with its built-in Times, Helvetica (Arial) and Courier widths, so the text
// is drawn in the metric-compatible Liberation fonts and stretched, by a
// percent or two, to the exact width Graphviz reserved. Graphviz works in
// points and canvas in millimetres; both have y up.

const mmPerPt = 25.4 / 72

var fonts = sync.OnceValue(func() map[string]*canvas.FontFamily {
	load := func(name string, regular, bold []byte) *canvas.FontFamily {
		f := canvas.NewFontFamily(name)
		f.MustLoadFont(regular, 0, canvas.FontRegular)
		f.MustLoadFont(bold, 0, canvas.FontBold)
		return f
	}
	return map[string]*canvas.FontFamily{
		"sans":  load("Liberation Sans", liberationsansregular.TTF, liberationsansbold.TTF),
		"serif": load("Liberation Serif", liberationserifregular.TTF, liberationserifbold.TTF),
		"mono":  load("Liberation Mono", liberationmonoregular.TTF, liberationmonobold.TTF),
	}
})

// family picks the Liberation font metric-compatible with a Graphviz font
// name, and whether it is bold.
func family(name string) (*canvas.FontFamily, bool) {
	n := strings.ToLower(name)
	bold := strings.Contains(n, "bold")
	switch {
	case strings.Contains(n, "helvetica"), strings.Contains(n, "arial"), strings.Contains(n, "sans"):
		return fonts()["sans"], bold
	case strings.Contains(n, "courier"), strings.Contains(n, "mono"):
		return fonts()["mono"], bold
	}
	return fonts()["serif"], bold
}

// parseColor reads the colours Graphviz writes in xdot: #rrggbb, #rrggbbaa
// and a few names. ok is false for transparent.
func parseColor(s string) (color.RGBA, bool) {
	switch strings.ToLower(s) {
	case "", "none", "transparent", "invis":
		return color.RGBA{}, false
	case "black":
		return color.RGBA{A: 255}, true
	case "white":
		return color.RGBA{255, 255, 255, 255}, true
	case "red":
		return color.RGBA{255, 0, 0, 255}, true
	case "gray", "grey":
		return color.RGBA{192, 192, 192, 255}, true
	}
	if len(s) == 7 || len(s) == 9 {
		if s[0] == '#' {
			v, err := strconv.ParseUint(s[1:], 16, 32)
			if err == nil {
				if len(s) == 7 {
					return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}, true
				}
				c := color.RGBA{uint8(v >> 24), uint8(v >> 16), uint8(v >> 8), uint8(v)}
				if c.A == 0 {
					return c, false
				}
				// canvas wants premultiplied alpha.
				a := uint32(c.A)
				return color.RGBA{uint8(uint32(c.R) * a / 255), uint8(uint32(c.G) * a / 255), uint8(uint32(c.B) * a / 255), c.A}, true
			}
		}
	}
	return color.RGBA{A: 255}, true // an unknown name: black, like Graphviz
}

// paint draws d on a canvas scaled by zoom (1 is 1pt to 1pt).
func (d *drawing) paint(zoom float64) *canvas.Canvas {
	w, h := (d.bb[2]-d.bb[0])*zoom, (d.bb[3]-d.bb[1])*zoom
	c := canvas.New(w*mmPerPt, h*mmPerPt)
	ctx := canvas.NewContext(c)
	k := zoom * mmPerPt
	X := func(x float64) float64 { return (x - d.bb[0]) * k }
	Y := func(y float64) float64 { return (y - d.bb[1]) * k }
	draw := func(ops []xop) {
		pen, penOK := color.RGBA{A: 255}, true
		fill, fillOK := color.RGBA{A: 255}, true
		width, style := 1.0, "solid"
		font, size := "Times-Roman", 14.0
		stroke := func(p *canvas.Path, filled bool) {
			ctx.ResetStyle()
			if filled && fillOK {
				ctx.SetFillColor(fill)
			} else {
				ctx.SetFill(canvas.Transparent)
			}
			if penOK && width > 0 && style != "invis" {
				ctx.SetStrokeColor(pen)
				ctx.SetStrokeWidth(width * k)
				ctx.SetStrokeJoiner(canvas.MiterJoin)
				// Graphviz's own patterns (its SVG writes 5,2 and 1,5),
				// in points; canvas counts dashes in stroke widths.
				switch style {
				case "dashed":
					ctx.SetDashes(0, 5/width, 2/width)
				case "dotted":
					ctx.SetDashes(0, 1/width, 5/width)
				}
			} else {
				ctx.SetStroke(canvas.Transparent)
			}
			if style == "invis" {
				return
			}
			ctx.DrawPath(0, 0, p)
		}
		poly := func(pts []float64, closed bool) *canvas.Path {
			p := &canvas.Path{}
			for j := 0; j+1 < len(pts); j += 2 {
				if j == 0 {
					p.MoveTo(X(pts[0]), Y(pts[1]))
				} else {
					p.LineTo(X(pts[j]), Y(pts[j+1]))
				}
			}
			if closed {
				p.Close()
			}
			return p
		}
		bezier := func(pts []float64, closed bool) *canvas.Path {
			p := &canvas.Path{}
			if len(pts) < 2 {
				return p
			}
			p.MoveTo(X(pts[0]), Y(pts[1]))
			for j := 2; j+5 < len(pts); j += 6 {
				p.CubeTo(X(pts[j]), Y(pts[j+1]), X(pts[j+2]), Y(pts[j+3]), X(pts[j+4]), Y(pts[j+5]))
			}
			if closed {
				p.Close()
			}
			return p
		}
		for _, o := range ops {
			switch o.op {
			case 0:
				pen, penOK, fill, fillOK = color.RGBA{A: 255}, true, color.RGBA{A: 255}, true
				width, style = 1, "solid"
			case 'c':
				pen, penOK = parseColor(o.text)
			case 'C':
				fill, fillOK = parseColor(o.text)
			case 'S':
				switch s := o.text; {
				case strings.HasPrefix(s, "setlinewidth("):
					if v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimPrefix(s, "setlinewidth("), ")"), 64); err == nil {
						width = v
					}
				case s == "bold":
					width = 2
				case s == "solid", s == "dashed", s == "dotted", s == "invis":
					style = s
				}
			case 'F':
				font, size = o.text, o.size
			case 'E', 'e':
				if len(o.pts) == 4 {
					p := canvas.Ellipse(o.pts[2]*k, o.pts[3]*k).Translate(X(o.pts[0]), Y(o.pts[1]))
					stroke(p, o.op == 'E')
				}
			case 'P', 'p':
				stroke(poly(o.pts, true), o.op == 'P')
			case 'L':
				stroke(poly(o.pts, false), false)
			case 'B', 'b':
				stroke(bezier(o.pts, o.op == 'b'), o.op == 'b')
			case 'T':
				if !penOK || style == "invis" || strings.TrimSpace(o.text) == "" {
					continue
				}
				fam, bold := family(font)
				st := canvas.FontRegular
				if bold || o.flags&1 != 0 {
					st = canvas.FontBold
				}
				face := fam.Face(size*zoom, pen, st)
				txt := canvas.NewTextLine(face, o.text, canvas.Left)
				tw := face.TextWidth(o.text)
				want := o.width * k
				sx := 1.0
				if tw > 0 && want > 0 {
					sx = want / tw
				}
				x := X(o.pts[0])
				switch o.just {
				case 0:
					x -= want / 2
				case 1:
					x -= want
				}
				ctx.ResetStyle()
				ctx.Push()
				ctx.Translate(x, Y(o.pts[1]))
				ctx.Scale(sx, 1)
				ctx.DrawText(0, 0, txt)
				ctx.Pop()
			}
		}
	}
	for _, ops := range d.graph {
		draw(ops)
	}
	for _, ops := range d.nodes {
		draw(ops)
	}
	for _, ops := range d.edges {
		draw(ops)
	}
	return c
}

// pngZoom picks the scale of a PNG: the requested size in pixels when
// Options give one, else 2 pixels a point (crisp on slides and screens),
// and never more than 16384 pixels a side.
func (d *drawing) pngZoom(o *Options) float64 {
	w, h := d.bb[2]-d.bb[0], d.bb[3]-d.bb[1]
	if w <= 0 || h <= 0 {
		return 1
	}
	zoom := 2.0
	if o.Width > 0 && o.Height > 0 {
		zoom = min(float64(o.Width)/w, float64(o.Height)/h)
	}
	return min(zoom, 16384/w, 16384/h)
}

func (d *drawing) writePNG(w io.Writer, o *Options) error {
	c := d.paint(d.pngZoom(o))
	img := rasterizer.Draw(c, canvas.DPMM(1/mmPerPt), canvas.DefaultColorSpace)
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("viz: write png: %w", err)
	}
	return nil
}

func (d *drawing) writePDF(w io.Writer) error {
	c := d.paint(1)
	wd, ht := c.Size()
	p := pdf.New(w, wd, ht, nil)
	c.RenderTo(p)
	if err := p.Close(); err != nil {
		return fmt.Errorf("viz: write pdf: %w", err)
	}
	return nil
}
