package viz

import (
	"fmt"
	"strconv"
	"strings"
)

// The views of a trace.
const (
	ViewTimeline = "timeline" // swimlanes of goroutines and channels (the default)
	ViewGraph    = "graph"    // who talks to whom
	ViewValue    = "value"    // the life of one value
)

// Views lists the view names, the default first.
var Views = []string{ViewTimeline, ViewGraph, ViewValue, ViewOverview}

// The axes of the timeline view.
const (
	AxisStep = "step" // one column per logical step (the default)
	AxisTime = "time" // x is real time
)

// Themes lists the theme names, the default first.
var Themes = []string{"light", "dark", "print"}

// The output formats.
const (
	FormatDOT = "dot"
	FormatSVG = "svg"
	FormatPNG = "png"
	FormatPDF = "pdf"
)

// Formats lists the output formats.
var Formats = []string{FormatDOT, FormatSVG, FormatPNG, FormatPDF}

// DefaultMaxSteps is how many steps the timeline shows when Options.MaxSteps
// is 0. A longer trace is windowed, with a note saying what was left out.
const DefaultMaxSteps = 400

// Options say what to draw and how. The zero value draws the default view
// with the default theme.
type Options struct {
	View  string // ViewTimeline (default), ViewGraph or ViewValue
	Axis  string // AxisStep (default) or AxisTime
	Theme string // light (default), dark or print

	// From and To choose a window of steps by sequence number (the Seq of
	// the events, as `handoff run` prints them), inclusive; 0 leaves that
	// end open.
	From, To uint64

	// Focus keeps only the lanes that interact with one goroutine ("g3" or
	// its name), channel ("ch2" or its name) or value ("v5" or its label);
	// the other lanes are folded into one.
	Focus string

	// Value is the value the value view follows: "v5", "5" or its label.
	Value string

	Title    string  // drawn at the top; empty for none
	FontSize float64 // points; 0 is 14

	// Width and Height, in pixels (1/96 inch), fit the picture in a box,
	// such as a 1920x1080 slide, keeping its proportions. When the
	// timeline would have to shrink its text below a readable size, it
	// shows fewer steps instead and says so. 0 leaves the natural size.
	Width, Height int

	// MaxSteps caps the steps in one timeline picture: 0 is
	// DefaultMaxSteps, negative is no cap.
	MaxSteps int

	// NoLegend leaves the legend out.
	NoLegend bool

	// CallSites shows the call site (file:line) of events where a view
	// has room for it. The value view always shows them.
	CallSites bool

	// TraceLength is the number of events in the whole trace when the
	// timeline holds only some of them (built from a [Window]); 0 when it
	// holds them all. The note on a cut picture counts with it.
	TraceLength int

	// upTo, when > 0, draws the timeline as it stood after event index
	// upTo-1, with the layout of the whole picture: the frames of
	// [WriteFrames].
	upTo int
}

func (o *Options) fontSize() float64 {
	if o.FontSize <= 0 {
		return 14
	}
	return o.FontSize
}

// check reports the first bad option.
func (o *Options) check() error {
	switch o.View {
	case "", ViewTimeline, ViewGraph, ViewValue, ViewOverview:
	default:
		return fmt.Errorf("unknown view %q (want %s)", o.View, strings.Join(Views, ", "))
	}
	switch o.Axis {
	case "", AxisStep, AxisTime:
	default:
		return fmt.Errorf("unknown axis %q (want step or time)", o.Axis)
	}
	if _, ok := themes[o.Theme]; !ok && o.Theme != "" {
		return fmt.Errorf("unknown theme %q (want %s)", o.Theme, strings.Join(Themes, ", "))
	}
	if o.From != 0 && o.To != 0 && o.From > o.To {
		return fmt.Errorf("empty window: from step %d is after to step %d", o.From, o.To)
	}
	if o.FontSize < 0 || o.FontSize > 200 {
		return fmt.Errorf("font size %v out of range (1 to 200 points)", o.FontSize)
	}
	if o.Width < 0 || o.Height < 0 || o.Width > 20000 || o.Height > 20000 {
		return fmt.Errorf("size %dx%d out of range (1 to 20000 pixels a side)", o.Width, o.Height)
	}
	if o.View == ViewValue && o.Value == "" {
		return fmt.Errorf("the value view needs a value (its id, such as v3, or its label)")
	}
	return nil
}

// ParseSize parses a size such as "1920x1080" into pixels.
func ParseSize(s string) (w, h int, err error) {
	a, b, ok := strings.Cut(strings.ToLower(s), "x")
	if ok {
		w, err = strconv.Atoi(a)
		if err == nil {
			h, err = strconv.Atoi(b)
		}
	}
	if !ok || err != nil || w <= 0 || h <= 0 || w > 20000 || h > 20000 {
		return 0, 0, fmt.Errorf("bad size %q (want WIDTHxHEIGHT in pixels, such as 1920x1080)", s)
	}
	return w, h, nil
}

// theme is a palette. The colours of light and dark come from Okabe and
// Ito's colour-blind-safe palette; print is black on white and tells marks
// apart by line style and shape alone.
type theme struct {
	bg, fg, muted, grid string
	lane, laneFill      string // goroutine lanes
	chanLane, chanFill  string // channel lanes
	blocked             string // fill of blocked intervals
	send, recv          string // arrows into and out of channels
	spawn, join         string
	token, tokenFill    string // a value
	lock                string // mutex holds
	borrow              string
	bad                 string // violations, panics
	print               bool
}

var themes = map[string]theme{
	"light": {
		bg: "#ffffff", fg: "#1a1a1a", muted: "#666666", grid: "#e6e6e6",
		lane: "#1a1a1a", laneFill: "#f2f2f2",
		chanLane: "#0072b2", chanFill: "#e8f1f8",
		blocked: "#f0c05a",
		send:    "#0072b2", recv: "#009e73",
		spawn: "#1a1a1a", join: "#666666",
		token: "#1a1a1a", tokenFill: "#56b4e9",
		lock: "#cc79a7", borrow: "#e69f00",
		bad: "#d55e00",
	},
	"dark": {
		bg: "#1e1e1e", fg: "#eeeeee", muted: "#aaaaaa", grid: "#333333",
		lane: "#eeeeee", laneFill: "#2a2a2a",
		chanLane: "#56b4e9", chanFill: "#1f3340",
		blocked: "#8a6a20",
		send:    "#56b4e9", recv: "#35c49a",
		spawn: "#eeeeee", join: "#aaaaaa",
		token: "#eeeeee", tokenFill: "#0072b2",
		lock: "#cc79a7", borrow: "#e69f00",
		bad: "#ff7a33",
	},
	"print": {
		bg: "#ffffff", fg: "#000000", muted: "#000000", grid: "#dddddd",
		lane: "#000000", laneFill: "#ffffff",
		chanLane: "#000000", chanFill: "#ffffff",
		blocked: "#c8c8c8",
		send:    "#000000", recv: "#000000",
		spawn: "#000000", join: "#000000",
		token: "#000000", tokenFill: "#ffffff",
		lock: "#000000", borrow: "#000000",
		bad:   "#000000",
		print: true,
	},
}

func (o *Options) theme() theme {
	if t, ok := themes[o.Theme]; ok {
		return t
	}
	return themes["light"]
}
