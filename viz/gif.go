package viz

import (
	"bytes"
	"cmp"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"io"
	"slices"
	"time"

	"github.com/tdewolff/canvas"
	"github.com/tdewolff/canvas/renderers/rasterizer"

	"github.com/handoff-viz/handoff/tracer"
)

// GIF is how [WriteGIF] animates a timeline.
type GIF struct {
	Every int           // steps a frame; 0 is 1
	Delay time.Duration // how long each frame shows; 0 is 600ms
	Hold  time.Duration // how long the last frame shows before the loop starts again; 0 is 3s
}

// WriteGIF draws the timeline building up, as [WriteFrames] does, into one
// animated GIF that loops, for a README. Frames are drawn through the same
// path as PNG (Graphviz's xdot, painted with canvas) at 1 pixel a point, or
// fitted to Options.Width and Height. The palette holds the colours of the
// whole picture, most used first (the theme's colours and their
// antialiased edges); after the first frame each frame stores only the
// rectangle that changed, with the pixels that did not change transparent,
// so a GIF grows with what each step adds, not with the picture's size.
func WriteGIF(w io.Writer, tl *tracer.Timeline, o Options, a GIF) error {
	every := a.Every
	if every == 0 {
		every = 1
	}
	delay, hold := a.Delay, a.Hold
	if delay == 0 {
		delay = 600 * time.Millisecond
	}
	if hold == 0 {
		hold = 3 * time.Second
	}
	if delay < 10*time.Millisecond || hold < 10*time.Millisecond || delay > time.Minute || hold > time.Minute {
		return fmt.Errorf("viz: gif frame delays %v and %v out of range (10ms to 1m)", delay, hold)
	}
	// The palette comes from the finished picture: the last frame.
	var last Options
	nframes := 0
	if err := eachFrame(tl, o, every, func(n int, fo Options) error { last, nframes = fo, n; return nil }); err != nil {
		return err
	}
	full, err := gifFrame(tl, last)
	if err != nil {
		return err
	}
	pal := gifPalette(full)
	bounds := full.Bounds()
	g := &gif.GIF{Config: image.Config{ColorModel: pal.colors, Width: bounds.Dx(), Height: bounds.Dy()}}
	prev := image.NewPaletted(bounds, pal.colors)
	err = eachFrame(tl, o, every, func(n int, fo Options) error {
		img := full
		if n < nframes {
			var err error
			if img, err = gifFrame(tl, fo); err != nil {
				return err
			}
		}
		if img.Bounds() != bounds {
			return fmt.Errorf("viz: gif frame %d is %v, the picture %v", n, img.Bounds().Size(), bounds.Size())
		}
		cur := image.NewPaletted(bounds, pal.colors)
		pal.mapImage(cur, img)
		frame := cur
		if n > 1 {
			frame = delta(prev, cur)
		}
		prev = cur
		d := delay
		if n == nframes {
			d = hold
		}
		g.Image = append(g.Image, frame)
		g.Delay = append(g.Delay, int(d/(10*time.Millisecond)))
		g.Disposal = append(g.Disposal, gif.DisposalNone)
		return nil
	})
	if err != nil {
		return err
	}
	if err := gif.EncodeAll(w, g); err != nil {
		return fmt.Errorf("viz: write gif: %w", err)
	}
	return nil
}

// gifFrame draws one frame as the PNG path does, at 1 pixel a point unless
// Options ask for a size.
func gifFrame(tl *tracer.Timeline, o Options) (*image.RGBA, error) {
	var dot bytes.Buffer
	if err := WriteDOT(&dot, tl, o); err != nil {
		return nil, err
	}
	d, err := layoutXDOT(dot.Bytes(), layoutEngine(&o))
	if err != nil {
		return nil, err
	}
	zoom := 1.0
	if o.Width > 0 && o.Height > 0 {
		zoom = d.pngZoom(&o)
	}
	c := d.paint(zoom)
	img := rasterizer.Draw(c, canvas.DPMM(1/mmPerPt), canvas.DefaultColorSpace)
	return img, nil
}

// palette maps colours to a GIF palette: index 0 is transparent, the
// others the colours of the picture.
type palette struct {
	colors color.Palette
	cache  map[color.RGBA]uint8
}

// gifPalette takes the 255 colours img uses most.
func gifPalette(img *image.RGBA) *palette {
	count := map[color.RGBA]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			count[img.RGBAAt(x, y)]++
		}
	}
	cs := make([]color.RGBA, 0, len(count))
	for c := range count {
		cs = append(cs, c)
	}
	slices.SortFunc(cs, func(p, q color.RGBA) int {
		return cmp.Or(cmp.Compare(count[q], count[p]), cmp.Compare(rgbKey(p), rgbKey(q)))
	})
	p := &palette{colors: color.Palette{color.RGBA{}}, cache: map[color.RGBA]uint8{}}
	for _, c := range cs[:min(len(cs), 255)] {
		c.A = 255 // the picture is opaque: it has a background
		p.colors = append(p.colors, c)
	}
	return p
}

func rgbKey(c color.RGBA) uint32 {
	return uint32(c.R)<<24 | uint32(c.G)<<16 | uint32(c.B)<<8 | uint32(c.A)
}

// index returns the palette entry nearest c (never the transparent one).
func (p *palette) index(c color.RGBA) uint8 {
	if k, ok := p.cache[c]; ok {
		return k
	}
	best, bestD := 1, int(^uint(0)>>1)
	for k := 1; k < len(p.colors); k++ {
		q := p.colors[k].(color.RGBA)
		dr, dg, db := int(c.R)-int(q.R), int(c.G)-int(q.G), int(c.B)-int(q.B)
		if d := 3*dr*dr + 4*dg*dg + 2*db*db; d < bestD {
			best, bestD = k, d
		}
	}
	p.cache[c] = uint8(best)
	return uint8(best)
}

// mapImage writes img into dst as palette indices, without dithering (the
// pictures are flat colours; dithering would only add noise and bytes).
func (p *palette) mapImage(dst *image.Paletted, img *image.RGBA) {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		src := img.Pix[img.PixOffset(b.Min.X, y):]
		out := dst.Pix[dst.PixOffset(b.Min.X, y):]
		var last [4]uint8
		k := p.index(color.RGBA{src[0], src[1], src[2], src[3]})
		copy(last[:], src[:4])
		for x := range b.Dx() {
			// Most pixels repeat the one before them: skip the lookup.
			if px := src[4*x : 4*x+4]; [4]uint8(px) != last {
				copy(last[:], px)
				k = p.index(color.RGBA{px[0], px[1], px[2], px[3]})
			}
			out[x] = k
		}
	}
}

// delta returns the part of cur that differs from prev: the smallest
// rectangle holding every changed pixel, with the unchanged pixels in it
// transparent (index 0). When nothing changed it is one transparent pixel.
func delta(prev, cur *image.Paletted) *image.Paletted {
	b := cur.Bounds()
	r := image.Rectangle{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		po, co := prev.PixOffset(b.Min.X, y), cur.PixOffset(b.Min.X, y)
		pr, cr := prev.Pix[po:po+b.Dx()], cur.Pix[co:co+b.Dx()]
		for x := range cr {
			if pr[x] != cr[x] {
				r = r.Union(image.Rect(b.Min.X+x, y, b.Min.X+x+1, y+1))
			}
		}
	}
	if r.Empty() {
		r = image.Rect(b.Min.X, b.Min.Y, b.Min.X+1, b.Min.Y+1)
	}
	out := image.NewPaletted(r, cur.Palette)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if c := cur.ColorIndexAt(x, y); c != prev.ColorIndexAt(x, y) {
				out.SetColorIndex(x, y, c)
			}
		}
	}
	return out
}
