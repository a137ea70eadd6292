package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/handoff-viz/handoff/internal/gz"
	"github.com/handoff-viz/handoff/tracer"
	"github.com/handoff-viz/handoff/tracer/exectrace"
	"golang.org/x/term"
)

func init() {
	registerTraceDecoder(traceDecoder{
		name:   "go execution trace",
		detect: exectrace.Detect,
		header: func(name string) tracer.Header {
			return tracer.Header{Format: tracer.FormatName, Version: tracer.FormatVersion, Source: filepath.Base(name), Clock: "imported", Note: exectrace.Note}
		},
		stream: func(r io.Reader, emit func(*tracer.Event) error) error {
			_, err := exectrace.Convert(r, exectrace.Options{}, emit)
			return err
		},
	})
	register(command{
		name:    "import",
		summary: "convert a Go execution trace (runtime/trace, go test -trace) to a handoff trace",
		run:     runImport,
	})
}

func runImport(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("import", "[flags] TRACE\n\nConverts a Go execution trace into handoff's JSON Lines: goroutines, their\nblocking, and the handoffs inferred from who woke whom (exact, slot or\nambiguous). Prints a summary, leak candidates and wait-for cycles to stderr.", stderr)
	out := fs.String("o", "-", "write the handoff trace to `file` (- for stdout)")
	from := fs.Duration("from", 0, "keep events from this `time` after the start of the trace (e.g. 1.5s)")
	to := fs.Duration("to", 0, "keep events up to this `time` after the start of the trace (0: the end)")
	system := fs.Bool("system", false, "keep the runtime's own goroutines")
	quiet := fs.Bool("q", false, "print no summary")
	pos, status, ok := parseFlags(fs, args)
	if !ok {
		return status
	}
	if len(pos) != 1 {
		fs.Usage()
		return fail(stderr, exitUsage, "import: want one TRACE argument, got %d", len(pos))
	}
	if *from < 0 || *to < 0 {
		return fail(stderr, exitUsage, "import: --from and --to must not be negative")
	}
	if *to != 0 && *to < *from {
		return fail(stderr, exitUsage, "import: --to %v is before --from %v", *to, *from)
	}
	name := pos[0]
	if st, err := os.Stat(name); err == nil && st.IsDir() {
		return fail(stderr, exitUsage, "import: %s: a directory, not a Go execution trace", name)
	}
	f, err := os.Open(name)
	if err != nil {
		return fail(stderr, exitUsage, "import: %v", err)
	}
	defer f.Close()
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	in := &countReader{r: f}
	br, err := gz.NewReader(bufio.NewReaderSize(in, 256<<10))
	if err != nil {
		return fail(stderr, exitUsage, "import: %s: %v", name, err)
	}
	if head, _ := br.Peek(16); len(head) == 0 {
		return fail(stderr, exitUsage, "import: %s: empty file, not a Go execution trace", name)
	} else if !exectrace.Detect(head) {
		return fail(stderr, exitUsage, "import: %s: not a Go execution trace (it should start with \"go 1.NN trace\"; write one with runtime/trace or go test -trace)", name)
	}

	// A file is written beside its name and renamed into place once the
	// whole import went well: a failed import leaves no half trace, and
	// keeps a file of that name as it was.
	var w io.Writer = stdout
	var outFile *os.File
	closeGzip := func() error { return nil }
	if *out != "-" {
		outFile, err = os.CreateTemp(filepath.Dir(*out), ".handoff-import-*")
		if err != nil {
			return fail(stderr, exitUsage, "import: %v", err)
		}
		defer os.Remove(outFile.Name()) // gone once renamed
		w, closeGzip = gz.NewWriter(outFile, *out)
	}
	tw, err := tracer.NewWriter(w, tracer.Header{Source: filepath.Base(name), Clock: "imported", Note: exectrace.Note})
	if err != nil {
		return fail(stderr, exitUsage, "import: %v", err)
	}
	var valid tracer.Validator // what import writes makes sense as a run, or is an error
	bar := newProgress(stderr, size, in)
	rep, err := exectrace.Convert(br, exectrace.Options{From: *from, To: *to, System: *system, Progress: bar.update}, func(e *tracer.Event) error {
		valid.Add(e)
		return tw.Write(e)
	})
	bar.done()
	if ferr := tw.Flush(); err == nil {
		err = ferr
	}
	if zerr := closeGzip(); err == nil && zerr != nil {
		err = fmt.Errorf("write %s: %w", *out, zerr)
	}
	if err == nil {
		if verr := valid.Err(); verr != nil {
			err = fmt.Errorf("the import does not make sense as a run (a bug of handoff's importer, please report it):\n%w", verr)
		}
	}
	if outFile != nil {
		if cerr := outFile.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("write %s: %w", *out, cerr)
		}
		if err == nil {
			os.Chmod(outFile.Name(), 0o644) // a temporary file is 0600; a trace is as os.Create makes it under the usual umask
			if rerr := os.Rename(outFile.Name(), *out); rerr != nil {
				err = fmt.Errorf("write %s: %w", *out, rerr)
			}
		}
	}
	if err != nil {
		return fail(stderr, exitUsage, "import: %s: %v", name, err)
	}
	if !*quiet {
		printImportSummary(stderr, name, rep)
	}
	return exitOK
}

func printImportSummary(w io.Writer, name string, rep *exectrace.Report) {
	fmt.Fprintf(w, "%s: %d Go trace events → %d handoff events, %d goroutines, window %v–%v\n",
		name, rep.GoEvents, rep.Events, rep.Goroutines, time.Duration(rep.Start), time.Duration(rep.End))
	fmt.Fprintf(w, "handoffs: %d exact, %d slot, %d ambiguous; %d receivers woken by close; %d sync wakeups (Unlock, Done, ...), %d by timers or the network\n",
		rep.Handoffs[exectrace.ConfExact], rep.Handoffs[exectrace.ConfSlot], rep.Handoffs[exectrace.ConfAmbiguous], rep.Closes, rep.SyncWakes, rep.TimerWakes)
	if rep.Annotations > 0 {
		fmt.Fprintf(w, "exact: %d records of handoff's tracer from %d goroutines → %d exact events; the other goroutines' handoffs are inferred\n",
			rep.Annotations, rep.AnnotatedGoroutines, rep.Exact)
	}
	fmt.Fprintln(w, "not in a runtime trace: which channel (grouped by the call site that waited), and operations that never block")
	for _, g := range rep.Groups {
		fmt.Fprintf(w, "  ch%-4d %-40s exact %d, slot %d, ambiguous %d\n", g.Ch, g.Name, g.Count[exectrace.ConfExact], g.Count[exectrace.ConfSlot], g.Count[exectrace.ConfAmbiguous])
	}
	if len(rep.Blocked) > 0 {
		fmt.Fprintf(w, "still blocked at the end (leak candidates): %d\n", len(rep.Blocked))
		for _, b := range rep.Blocked {
			note := ""
			if b.PeersGone {
				note = " — every goroutine seen on the other side has ended"
			}
			reason := b.Reason
			if b.Wait != "" {
				reason += " (" + b.Wait + ")" // what the stack says it waits for
			}
			fmt.Fprintf(w, "  g%d %s: %s at %s since %v%s\n", b.G, b.Name, reason, b.At, time.Duration(b.Since), note)
		}
	}
	for _, c := range rep.Cycles {
		fmt.Fprintf(w, "wait-for cycle (inferred from call sites): %v\n", c)
	}
	if len(rep.Stuck) > 0 {
		fmt.Fprintf(w, "waiting for locks with nothing running that could release them (inferred: no lock holder is in a runtime trace): %v\n", rep.Stuck)
	}
}

// countReader counts the bytes read, for the progress bar.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// progress draws a bar on stderr for imports that take more than a second,
// only when stderr is a terminal.
type progress struct {
	w     io.Writer
	size  int64
	in    *countReader
	start time.Time
	on    bool
	drawn bool
}

func newProgress(w io.Writer, size int64, in *countReader) *progress {
	p := &progress{w: w, size: size, in: in, start: time.Now()}
	if f, ok := w.(*os.File); ok && size > 0 && term.IsTerminal(int(f.Fd())) {
		p.on = true
	}
	return p
}

func (p *progress) update(events int64) {
	if !p.on || time.Since(p.start) < time.Second {
		return
	}
	frac := min(float64(p.in.n)/float64(p.size), 1)
	const width = 30
	n := int(frac * width)
	bar := make([]byte, width)
	for i := range bar {
		bar[i] = ' '
		if i < n {
			bar[i] = '='
		}
	}
	fmt.Fprintf(p.w, "\rimport [%s] %3.0f%% %d events", bar, 100*frac, events)
	p.drawn = true
}

func (p *progress) done() {
	if p.drawn {
		fmt.Fprintf(p.w, "\r%*s\r", 60, "")
	}
}
