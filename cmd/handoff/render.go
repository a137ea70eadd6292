package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/handoff-viz/handoff/tracer"
	"github.com/handoff-viz/handoff/viz"
)

func init() {
	register(command{name: "render", summary: "draw a scenario or trace as a diagram (dot, svg, png, pdf)", run: runRender})
}

func runRender(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("render", "INPUT -o OUT.{dot,svg,png,pdf} [flags]\n\nINPUT is a scenario name or a trace file; the format follows OUT's extension,\nor --format with -o -. --gif FILE draws the timeline building up as an\nanimated GIF instead.", stderr)
	out := fs.String("o", "", "write to `OUT`; its extension (.dot, .svg, .png, .pdf) picks the format; - for standard output")
	format := fs.String("format", "", "output `FORMAT` (dot, svg, png, pdf), needed with -o -")
	view := fs.String("view", viz.ViewTimeline, "what to draw: timeline, graph (who talks to whom), value (the life of one value) or overview (all of a big trace: lanes by time; the default for a trace over 4 pictures long)")
	value := fs.String("value", "", "the value for --view value: its id (v3) or its label")
	axis := fs.String("axis", viz.AxisStep, "timeline x axis: step (logical steps) or time (real time)")
	from := fs.Uint64("from", 0, "first `STEP` to draw (the #seq of 'handoff run'); 0 for the start")
	to := fs.Uint64("to", 0, "last `STEP` to draw; 0 for the end")
	steps := fs.String("steps", "", "the steps to draw, `FROM-TO` (or FROM): --from and --to in one")
	focus := fs.String("focus", "", "keep only the lanes that interact with this goroutine (g3 or name), channel (ch2 or name) or value (v5 or label)")
	theme := fs.String("theme", "light", "colours: light, dark or print (black on white)")
	fontSize := fs.Float64("font-size", 14, "font size in `POINTS`")
	title := fs.String("title", "", "a title to draw at the top")
	size := fs.String("size", "", "fit the picture in `WxH` pixels, such as 1920x1080 for a 16:9 slide; a timeline too long to read at that size shows fewer steps and says so")
	maxSteps := fs.Int("max-steps", viz.DefaultMaxSteps, "at most `N` steps in one timeline picture (negative: no limit)")
	noLegend := fs.Bool("no-legend", false, "leave the legend out")
	callSites := fs.Bool("call-sites", false, "show call sites (file:line) in tooltips")
	frames := fs.String("frames", "", "write one numbered picture per step (or per --every steps) into `DIR` instead of -o, each with the same layout")
	every := fs.Int("every", 1, "with --frames or --gif, steps per frame")
	gifOut := fs.String("gif", "", "write the timeline building up, --every steps a frame, as a looping animated GIF to `FILE` (for a README), instead of -o")
	delay := fs.Duration("delay", 600*time.Millisecond, "with --gif, how long each frame shows (the last one shows 3s)")
	pos, status, ok := parseFlags(fs, args)
	if !ok {
		return status
	}
	if len(pos) != 1 {
		fs.Usage()
		return fail(stderr, exitUsage, "render needs one scenario name or trace file")
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *steps != "" {
		if set["from"] || set["to"] {
			return fail(stderr, exitUsage, "render: give --steps or --from/--to, not both")
		}
		var err error
		if *from, *to, err = parseSteps(*steps); err != nil {
			return fail(stderr, exitUsage, "render: --steps: %v", err)
		}
	}
	// A trace too long for one picture is drawn as an overview, unless a
	// view, a window or frames are asked for.
	autoOverview := true
	for _, name := range []string{"view", "from", "to", "steps", "max-steps", "focus", "frames", "gif", "value"} {
		autoOverview = autoOverview && !set[name]
	}
	opts := viz.Options{
		View: *view, Axis: *axis, Theme: *theme, From: *from, To: *to, Focus: *focus,
		Value: *value, Title: *title, FontSize: *fontSize, MaxSteps: *maxSteps,
		NoLegend: *noLegend, CallSites: *callSites,
	}
	if *maxSteps == 0 {
		opts.MaxSteps = -1
	}
	if *size != "" {
		w, h, err := viz.ParseSize(*size)
		if err != nil {
			return fail(stderr, exitUsage, "--size: %v", err)
		}
		opts.Width, opts.Height = w, h
	}
	if *fontSize <= 0 {
		return fail(stderr, exitUsage, "--font-size: want a size above 0, got %v", *fontSize)
	}
	// Check the options before running a scenario: a typo should not cost
	// a run.
	if err := viz.WriteDOT(io.Discard, tracer.BuildTimeline(nil), withoutValue(opts)); err != nil {
		return fail(stderr, exitUsage, "render: %v", strings.TrimPrefix(err.Error(), "viz: "))
	}
	if opts.View == viz.ViewOverview && (*frames != "" || *gifOut != "") {
		return fail(stderr, exitUsage, "render: the overview is one picture: --frames and --gif draw the timeline")
	}
	f := ""
	if *gifOut != "" {
		if *out != "" || *frames != "" || *format != "" {
			return fail(stderr, exitUsage, "render: give --gif alone, without -o, --frames or --format")
		}
		if opts.View != viz.ViewTimeline {
			return fail(stderr, exitUsage, "render: --gif animates the timeline view, not %q", opts.View)
		}
		if *delay < 10*time.Millisecond || *delay > time.Minute {
			return fail(stderr, exitUsage, "render: --delay %v out of range (10ms to 1m)", *delay)
		}
	} else {
		var err error
		if f, err = outputFormat(*out, *format, *frames); err != nil {
			return fail(stderr, exitUsage, "render: %v", err)
		}
	}
	// Read the trace as a stream, validating all of it, and keep only the
	// events the picture needs: the first steps of a big trace are drawn
	// without holding the rest.
	var (
		win *viz.Window
		ov  *viz.Overview
	)
	if opts.View != viz.ViewOverview {
		win = viz.NewWindow(opts)
	}
	if opts.View == viz.ViewOverview || autoOverview {
		ov = viz.NewOverview()
	}
	err := eachValidEvent(pos[0], func(e *tracer.Event) {
		if win != nil {
			win.Add(e)
		}
		if ov != nil {
			ov.Add(e)
		}
	})
	if err != nil {
		return fail(stderr, exitUsage, "%v", err)
	}
	defer viz.Close()
	if autoOverview && ov.Events() > overviewAbove*maxStepsOf(opts) {
		fmt.Fprintf(stderr, "handoff: %s has %d events, more than %d pictures of %d steps: drawing its overview (--steps FROM-TO draws a window of it, --view timeline its first steps)\n",
			pos[0], ov.Events(), overviewAbove, maxStepsOf(opts))
		opts.View = viz.ViewOverview
	}
	if opts.View == viz.ViewOverview {
		return writeRendered(*out, stdout, stderr, func(w io.Writer) error { return viz.RenderOverview(w, ov, f, opts) })
	}
	opts = win.Options()
	tl := tracer.BuildTimeline(win.Events())
	if *gifOut != "" {
		var b bytes.Buffer
		if err := viz.WriteGIF(&b, tl, opts, viz.GIF{Every: *every, Delay: *delay}); err != nil {
			return fail(stderr, exitUsage, "render: %v", strings.TrimPrefix(err.Error(), "viz: "))
		}
		if err := os.WriteFile(*gifOut, b.Bytes(), 0o644); err != nil {
			return fail(stderr, exitUsage, "render: %v", err)
		}
		return exitOK
	}
	if *frames != "" {
		if err := os.MkdirAll(*frames, 0o755); err != nil {
			return fail(stderr, exitUsage, "render: %v", err)
		}
		n := 0
		err := viz.WriteFrames(tl, f, opts, *every, func(k int, pic []byte) error {
			n = k
			return os.WriteFile(filepath.Join(*frames, fmt.Sprintf("frame-%04d.%s", k, f)), pic, 0o644)
		})
		if err != nil {
			return fail(stderr, exitUsage, "render: %v", strings.TrimPrefix(err.Error(), "viz: "))
		}
		fmt.Fprintf(stderr, "handoff: wrote %d frames to %s\n", n, *frames)
		return exitOK
	}
	return writeRendered(*out, stdout, stderr, func(w io.Writer) error { return viz.Render(w, tl, f, opts) })
}

// overviewAbove is how many pictures long a trace is when render draws
// its overview by default.
const overviewAbove = 4

func maxStepsOf(o viz.Options) int {
	if o.MaxSteps == 0 {
		return viz.DefaultMaxSteps
	}
	return o.MaxSteps
}

// writeRendered draws into memory first, so a failure leaves no
// half-written file, then writes out (- for stdout).
func writeRendered(out string, stdout, stderr io.Writer, draw func(io.Writer) error) int {
	var b bytes.Buffer
	if err := draw(&b); err != nil {
		return fail(stderr, exitUsage, "render: %v", strings.TrimPrefix(err.Error(), "viz: "))
	}
	if out == "-" {
		if _, err := stdout.Write(b.Bytes()); err != nil {
			return fail(stderr, exitUsage, "render: %v", err)
		}
		return exitOK
	}
	if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
		return fail(stderr, exitUsage, "render: %v", err)
	}
	return exitOK
}

// parseSteps reads --steps: FROM-TO, or FROM alone.
func parseSteps(s string) (from, to uint64, err error) {
	a, b, ranged := strings.Cut(s, "-")
	if from, err = strconv.ParseUint(strings.TrimSpace(a), 10, 64); err != nil || from == 0 {
		return 0, 0, fmt.Errorf("want FROM-TO or FROM, steps numbered from 1, got %q", s)
	}
	if ranged {
		if to, err = strconv.ParseUint(strings.TrimSpace(b), 10, 64); err != nil || to < from {
			return 0, 0, fmt.Errorf("want FROM-TO with TO at least FROM, got %q", s)
		}
	}
	return from, to, nil
}

// withoutValue drops the value of the value view, which only the trace can
// check, so the other options can be checked before the trace is loaded.
func withoutValue(o viz.Options) viz.Options {
	switch o.View {
	case viz.ViewValue:
		o.View = viz.ViewGraph
	case viz.ViewOverview:
		o.View = viz.ViewTimeline
	}
	o.Focus = ""
	return o
}

// outputFormat decides the format from -o, --format and --frames.
func outputFormat(out, format, frames string) (string, error) {
	if format != "" {
		for _, f := range viz.Formats {
			if f == format {
				if out != "" && out != "-" && frames == "" {
					if ext, err := viz.FormatOf(out); err == nil && ext != format {
						return "", fmt.Errorf("--format %s does not match the extension of %q", format, out)
					}
				}
				return format, nil
			}
		}
		return "", fmt.Errorf("unknown format %q (want %s)", format, strings.Join(viz.Formats, ", "))
	}
	switch {
	case frames != "" && out != "":
		return "", fmt.Errorf("give -o or --frames, not both")
	case frames != "":
		return viz.FormatSVG, nil
	case out == "":
		return "", fmt.Errorf("no output: give -o OUT.svg (or .dot, .png, .pdf), or -o - with --format")
	case out == "-":
		return "", fmt.Errorf("-o - needs --format (dot, svg, png or pdf)")
	}
	if strings.EqualFold(filepath.Ext(out), ".gif") {
		return "", fmt.Errorf("a GIF is drawn animated: use --gif %s instead of -o", out)
	}
	return viz.FormatOf(out)
}
