package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/handoff-viz/handoff/internal/gz"
	"github.com/handoff-viz/handoff/internal/instrument"
	"github.com/handoff-viz/handoff/tracer"
	"github.com/handoff-viz/handoff/tracer/remote"
)

func init() {
	register(command{
		name:    "trace",
		summary: "build and run an unmodified Go program, tracing its channels and goroutines",
		run:     runTrace,
	})
}

const traceSynopsis = `[flags] [PACKAGE] [ARGS...]

Builds PACKAGE (default ".") of the module in the current directory with
its channel operations, go statements and closes instrumented at compile
time, runs it with ARGS (stdin, stdout, stderr and the exit status pass
through; 124 when --timeout ended it), writes the ownership trace, and
prints check's findings (leaks and deadlocks, with file:line) on stderr.
Flags come before PACKAGE; everything after it is the program's. The
files on disk, go.mod and go.sum are left as they are. See
docs/trace-programs.md.`

// exitTimeout is trace's exit status when --timeout ended the program, as
// timeout(1)'s.
const exitTimeout = 124

func runTrace(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("trace", traceSynopsis, stderr)
	out := fs.String("o", "", "write the trace to `file` (default NAME.handoff.jsonl.gz in the current directory; .gz is compressed)")
	timeout := fs.Duration("timeout", 0, "end the program after `duration` and keep everything it did until then (0: no limit)")
	limit := fs.Int64("limit", 1<<30, "the most `bytes` of records a run keeps (96 bytes each); past it the trace is cut short")
	quiet := fs.Bool("q", false, "print only the findings, not the summary")
	inst := addInstrumentFlags(fs)
	serveAddr := fs.String("serve", "", "send the trace to the handoff serve at `addr` (host:port) when the program ends, to watch it there")
	open := fs.Bool("open", false, "when the program ends, serve the trace and open the page (Ctrl-C stops)")
	if status, ok := parseInstrumentFlags(fs, args); !ok {
		return status
	}
	rest := fs.Args()
	pkg := "."
	if len(rest) > 0 {
		pkg, rest = rest[0], rest[1:]
	}
	if *timeout < 0 {
		return fail(stderr, exitUsage, "trace: --timeout must not be negative")
	}
	if *limit < 1<<20 {
		return fail(stderr, exitUsage, "trace: --limit %d is too small (at least 1 MiB)", *limit)
	}
	dir, err := inst.dir()
	if err != nil {
		return fail(stderr, exitUsage, "trace: %v", err)
	}
	name := filepath.Base(filepath.Join(dir, pkg))
	if *out == "" {
		*out = filepath.Join(dir, name+".handoff.jsonl.gz")
	}

	work, err := os.MkdirTemp("", "handoff-trace-")
	if err != nil {
		return fail(stderr, exitUsage, "trace: %v", err)
	}
	defer os.RemoveAll(work)

	// An interrupt ends the program, as it would without handoff; the
	// trace of what it did until then is still written.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	b, err := instrument.Instrument(ctx, inst.options(dir, work, pkg))
	if err != nil {
		return fail(stderr, exitUsage, "trace: %v", err)
	}
	inst.skips(stderr, b)
	records := filepath.Join(work, "records")
	end, err := b.Run(ctx, instrument.RunOptions{Args: rest, Stdin: os.Stdin, Stdout: stdout, Stderr: stderr, Records: records, Limit: *limit, Timeout: *timeout})
	if err != nil {
		return fail(stderr, exitUsage, "trace: %v", err)
	}
	status := end.ExitCode
	switch {
	case end.Timeout != "":
		status = exitTimeout
	case end.Signal != "" && status < 0:
		status = 1
	}

	n, findings, st, err := writeProgramTrace(*out, "handoff trace "+pkg, b, records, end)
	if err != nil {
		return fail(stderr, exitUsage, "trace: %v", err)
	}
	if !*quiet {
		fmt.Fprintf(stderr, "handoff: %s: %d events (%d files instrumented, %d records) written to %s\n", pkg, n, b.Files, st.Records, *out)
		if end.Timeout != "" {
			fmt.Fprintf(stderr, "handoff: --timeout %s ended the program\n", end.Timeout)
		}
		if st.Truncated {
			fmt.Fprintf(stderr, "handoff: the records filled --limit %d: the trace stops there, the program went on\n", *limit)
		}
		if st.Unmatched+st.External+st.Slot > 0 {
			fmt.Fprintf(stderr, "handoff: inferred: %d channels made outside the instrumented code, %d values received from senders outside it, %d receives tied to one of several equal values (conf slot)\n", st.External, st.Unmatched, st.Slot)
		}
		if len(b.Skips) > 0 && !*inst.verbose {
			fmt.Fprintf(stderr, "handoff: %s left uninstrumented (-v lists them)\n", plural(len(b.Skips), "construct"))
		}
	}
	for _, f := range findings {
		fmt.Fprintf(stderr, "handoff: %s\n", f)
	}
	if *serveAddr != "" {
		if err := sendTrace(*serveAddr, *out, "handoff trace "+pkg); err != nil {
			fmt.Fprintf(stderr, "handoff: trace: --serve %s: %v (the trace is in %s)\n", *serveAddr, err, *out)
		} else if !*quiet {
			fmt.Fprintf(stderr, "handoff: sent to the handoff serve at %s\n", *serveAddr)
		}
	}
	if *open {
		stop() // the page's server takes Ctrl-C from here
		run([]string{"serve", "--open", *out}, stdout, stderr)
	}
	return status
}

// sendTrace sends the trace file to the handoff serve at addr, as a traced
// program streams to it (tracer/remote): the page plays it as a live run.
func sendTrace(addr, file, source string) error {
	_, events, done, err := openInput(file)
	if err != nil {
		return err
	}
	defer done()
	sink, err := remote.Dial(addr, remote.Options{Source: source})
	if err != nil {
		return err
	}
	batch := make([]tracer.Event, 0, 1024)
	for e, err := range events {
		if err != nil {
			sink.Close()
			return err
		}
		batch = append(batch, e)
		if len(batch) == cap(batch) {
			if err := sink.Emit(batch); err != nil {
				sink.Close()
				return err
			}
			batch = batch[:0]
		}
	}
	if err := sink.Emit(batch); err != nil {
		sink.Close()
		return err
	}
	return sink.Close()
}

// writeProgramTrace converts a run's records into the trace file out
// (written beside it and renamed into place), validating and checking it
// as it goes.
func writeProgramTrace(out, source string, b *instrument.Build, records string, end instrument.Ending) (int, []tracer.Finding, instrument.Stats, error) {
	f, err := os.CreateTemp(filepath.Dir(out), ".handoff-trace-*")
	if err != nil {
		return 0, nil, instrument.Stats{}, err
	}
	defer os.Remove(f.Name()) // gone once renamed
	w, closeGzip := gz.NewWriter(f, out)
	note := "recorded by handoff trace: channel operations, go statements and closes of the module's own packages, instrumented at compile time"
	tw, err := tracer.NewWriter(w, tracer.Header{Source: source, Clock: "monotonic", Note: note})
	if err != nil {
		f.Close()
		return 0, nil, instrument.Stats{}, err
	}
	var valid tracer.Validator
	var check tracer.Checker
	n := 0
	st, err := instrument.Convert(records, b.Sites, end, func(e *tracer.Event) error {
		n++
		valid.Add(e)
		check.Add(e)
		return tw.Write(e)
	})
	if ferr := tw.Flush(); err == nil {
		err = ferr
	}
	if zerr := closeGzip(); err == nil {
		err = zerr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		if verr := valid.Err(); verr != nil {
			err = fmt.Errorf("the trace does not make sense as a run (a bug of handoff trace, please report it):\n%w", verr)
		}
	}
	if err != nil {
		return n, nil, st, err
	}
	os.Chmod(f.Name(), 0o644)
	if err := os.Rename(f.Name(), out); err != nil {
		return n, nil, st, err
	}
	return n, check.Findings(), st, nil
}
