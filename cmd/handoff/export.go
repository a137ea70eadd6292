package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/handoff-viz/handoff/tracer"
	"github.com/handoff-viz/handoff/tracer/traceevent"
)

func init() {
	register(command{
		name:    "export",
		summary: "write a trace in Chrome's Trace Event format (JSON), for ui.perfetto.dev and chrome://tracing",
		run:     runExport,
	})
}

func runExport(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("export", "INPUT -o FILE.json\n\nWrites INPUT (a scenario, a handoff trace or a Go execution trace) in Chrome's\nTrace Event format: a track per goroutine with its running and blocked slices,\na flow arrow per handoff, channels as counters, mutexes as tracks of their\nholders, violations as instants (docs/export.md). It streams: a trace file\nis never held in memory whole.", stderr)
	out := fs.String("o", "", "write the JSON to `file` (- for stdout); required")
	quiet := fs.Bool("q", false, "print no summary")
	pos, status, ok := parseFlags(fs, args)
	if !ok {
		if status == exitUsage {
			return fail(stderr, status, "export: bad flags (usage above)")
		}
		return status
	}
	if len(pos) != 1 {
		fs.Usage()
		return fail(stderr, exitUsage, "export: want one INPUT argument, got %d", len(pos))
	}
	if *out == "" {
		fs.Usage()
		return fail(stderr, exitUsage, "export: -o FILE is required (- for stdout)")
	}
	var w io.Writer = stdout
	var f *os.File
	if *out != "-" {
		// A temporary file renamed at the end: a failed export leaves no
		// half-written file, and does not destroy the one already there.
		var err error
		if f, err = os.CreateTemp(filepath.Dir(*out), ".handoff-export-*.json"); err != nil {
			return fail(stderr, exitUsage, "export: %v", err)
		}
		w = f
	}
	stats, err := exportTrace(pos[0], w)
	if f != nil {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("write %s: %w", *out, cerr)
		}
		if err == nil {
			if err = os.Chmod(f.Name(), 0o644); err == nil {
				err = os.Rename(f.Name(), *out)
			}
		}
		if err != nil {
			os.Remove(f.Name())
		}
	}
	if err != nil {
		return fail(stderr, exitUsage, "export: %v", err)
	}
	if !*quiet {
		fmt.Fprintf(stderr, "%s: %d handoff events → %d trace events; flow arrows (handoffs): %d",
			pos[0], stats.Events, stats.Written, stats.Flows)
		if stats.Unreceived > 0 {
			fmt.Fprintf(stderr, "; sent and never received (no arrow): %d", stats.Unreceived)
		}
		fmt.Fprintln(stderr)
	}
	return exitOK
}

// exportTrace streams INPUT into a Trace Event file on w, one event at a
// time, checking as it goes that the trace makes sense as a run.
func exportTrace(input string, w io.Writer) (traceevent.Stats, error) {
	h, events, done, err := openInput(input)
	if err != nil {
		return traceevent.Stats{}, err
	}
	defer done()
	tw := traceevent.NewWriter(w, h)
	var valid tracer.Validator
	for e, err := range events {
		if err != nil {
			return traceevent.Stats{}, err
		}
		valid.Add(&e)
		if err := tw.Write(&e); err != nil {
			return traceevent.Stats{}, err
		}
	}
	if err := valid.Err(); err != nil {
		return traceevent.Stats{}, fmt.Errorf("%s: the trace does not make sense as a run:\n%w", input, err)
	}
	return tw.Close()
}
