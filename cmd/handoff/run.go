package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/handoff-viz/handoff/internal/gz"
	"github.com/handoff-viz/handoff/internal/textview"
	"github.com/handoff-viz/handoff/scenarios"
	"github.com/handoff-viz/handoff/tracer"
)

func init() {
	register(command{name: "list", summary: "list the scenarios", run: runList})
	register(command{name: "run", summary: "run a scenario and print or write its ownership timeline", run: runRun})
	register(command{name: "check", summary: "report broken rules of ownership in a scenario or trace file", run: runCheck})
}

func runList(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("list", "", stderr)
	pos, status, ok := parseFlags(fs, args)
	if !ok {
		return status
	}
	if len(pos) > 0 {
		return fail(stderr, exitUsage, "list takes no arguments")
	}
	for _, s := range scenarios.All() {
		fmt.Fprintf(stdout, "%-20s %s\n", s.Name, s.Summary)
	}
	return exitOK
}

func runRun(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("run", "NAME [--format text|jsonl] [-o FILE] [--pace DURATION] [--seed N]", stderr)
	format := fs.String("format", "text", "output format: text (a readable timeline) or jsonl (the trace file format)")
	out := fs.String("o", "", "write to `FILE` instead of standard output")
	pace := fs.Duration("pace", 0, "slow the scenario down: each step sleeps about `DURATION` (for watching it live)")
	seed := fs.Uint64("seed", 1, "seed for the pauses drawn by --pace")
	noSites := fs.Bool("no-call-sites", false, "leave file:line out of the events")
	pos, status, ok := parseFlags(fs, args)
	if !ok {
		return status
	}
	if len(pos) != 1 {
		fs.Usage()
		return fail(stderr, exitUsage, "run needs one scenario name (see 'handoff list')")
	}
	s, found := scenarios.Lookup(pos[0])
	if !found {
		return fail(stderr, exitUsage, "no scenario named %q (see 'handoff list')", pos[0])
	}
	if *format != "text" && *format != "jsonl" {
		return fail(stderr, exitUsage, "--format: want text or jsonl, got %q", *format)
	}
	if *pace < 0 || *pace > maxPace {
		return fail(stderr, exitUsage, "--pace: must be between 0 and %v, not %v", maxPace, *pace)
	}
	w, closeOut, err := openOutput(*out, stdout)
	if err != nil {
		return fail(stderr, exitUsage, "%v", err)
	}
	opts := scenarios.Options{Pace: *pace, Seed: *seed, NoCallSites: *noSites}
	// The program's own output goes to standard output unless the trace does.
	if *out != "" {
		opts.Out = stdout
	}
	if *format == "jsonl" {
		sink, err := tracer.NewJSONLSink(struct{ io.Writer }{w}, scenarios.Header(s)) // closed below, once
		if err != nil {
			closeOut()
			return fail(stderr, exitUsage, "%v", err)
		}
		opts.Sink, opts.Live = sink, *pace > 0
		_, err = scenarios.Record(s, opts)
		if cerr := closeOut(); err == nil {
			err = cerr
		}
		if err != nil {
			return fail(stderr, exitUsage, "%v", err)
		}
		return exitOK
	}
	evs, err := scenarios.Record(s, opts)
	if err != nil {
		closeOut()
		return fail(stderr, exitUsage, "%v", err)
	}
	err = textview.Write(w, scenarios.Header(s), tracer.BuildTimeline(evs))
	if cerr := closeOut(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(stderr, exitUsage, "%v", err)
	}
	return exitOK
}

// openOutput opens path for writing, or returns stdout for "" and "-". A
// path ending in .gz is written gzip-compressed.
func openOutput(path string, stdout io.Writer) (io.Writer, func() error, error) {
	if path == "" || path == "-" {
		return stdout, func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	w, closeGzip := gz.NewWriter(f, path)
	return w, func() error {
		err := closeGzip()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}, nil
}

// maxPace is the longest pause between steps that run and serve take: a
// step a minute would look like a hang (the page takes 10 s at most too).
const maxPace = 10 * time.Second

func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("check", "INPUT (a scenario name or a trace file)", stderr)
	pos, status, ok := parseFlags(fs, args)
	if !ok {
		return status
	}
	if len(pos) != 1 {
		fs.Usage()
		return fail(stderr, exitUsage, "check needs one scenario name or trace file")
	}
	start := time.Now()
	// One pass over the events, holding none: the validator and the
	// checker keep what their rules need.
	_, events, done, err := openInput(pos[0])
	if err != nil {
		return fail(stderr, exitUsage, "%v", err)
	}
	defer done()
	var (
		valid   tracer.Validator
		checker tracer.Checker
		n       int
		last    tracer.Event
	)
	for e, err := range events {
		if err != nil {
			return fail(stderr, exitUsage, "%v", err)
		}
		valid.Add(&e)
		checker.Add(&e)
		n++
		last = e
	}
	if err := valid.Err(); err != nil {
		return fail(stderr, exitUsage, "%s: the trace does not make sense as a run:\n%v", pos[0], err)
	}
	findings := checker.Findings()
	for _, f := range findings {
		fmt.Fprintln(stdout, f)
	}
	if last.Kind == tracer.KindTruncated {
		fmt.Fprintf(stdout, "%s: the trace was cut short at event #%d (%s): goroutines still running then are not counted as leaks\n", pos[0], last.Seq, last.Msg)
	}
	if len(findings) > 0 {
		fmt.Fprintf(stdout, "%s: %s in %d events\n", pos[0], plural(len(findings), "violation"), n)
		return exitViolations
	}
	fmt.Fprintf(stdout, "%s: no rule of ownership broken in %d events (%v)\n", pos[0], n, time.Since(start).Round(time.Millisecond))
	return exitOK
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
