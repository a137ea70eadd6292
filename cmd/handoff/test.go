package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"strings"

	"github.com/handoff-viz/handoff/internal/instrument"
)

func init() {
	register(command{
		name:    "test",
		summary: "run a module's tests with their channels and goroutines traced, a trace per package",
		run:     runTest,
	})
}

const testSynopsis = `[flags] [PACKAGES] [-- go test flags]

Builds the test binaries of PACKAGES (default ".") of the module in the
current directory, with the packages' and their tests' channel
operations, selects, go statements and sync waits instrumented at compile
time; runs each in its package's directory, as go test does (always: a
cached result would record nothing), and writes a trace per package,
NAME.test.handoff.jsonl.gz, with check's findings on stderr. Flags after
-- go to the test binaries (-run, -v, -count, ... as go test takes them).
The exit status is 1 when a package's tests failed, as go test's.`

// testBinaryFlags are go test's flags that the test binary takes as
// -test.NAME.
var testBinaryFlags = map[string]bool{
	"bench": true, "benchmem": true, "benchtime": true, "count": true, "cpu": true, "failfast": true,
	"fullpath": true, "list": true, "parallel": true, "run": true, "short": true, "shuffle": true,
	"skip": true, "timeout": true, "v": true, "coverprofile": true, "cpuprofile": true, "memprofile": true,
}

func runTest(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("test", testSynopsis, stderr)
	outDir := fs.String("o", "", "write the traces into `dir` (default: the current directory)")
	timeout := fs.Duration("timeout", 0, "end a test binary after `duration` and keep what it did until then (0: no limit)")
	limit := fs.Int64("limit", 1<<30, "the most `bytes` of records a test binary keeps (96 bytes each)")
	quiet := fs.Bool("q", false, "print only the findings, not the summary")
	inst := addInstrumentFlags(fs)
	var testArgs []string
	for i, a := range args {
		if a == "--" {
			args, testArgs = args[:i], args[i+1:]
			break
		}
	}
	if status, ok := parseInstrumentFlags(fs, args); !ok {
		return status
	}
	pkgs := fs.Args()
	if len(pkgs) == 0 {
		pkgs = []string{"."}
	}
	for _, p := range pkgs {
		if strings.HasPrefix(p, "-") {
			return fail(stderr, exitUsage, "test: flag %s after the packages: handoff's flags come first, go test's after --", p)
		}
	}
	if *timeout < 0 {
		return fail(stderr, exitUsage, "test: --timeout must not be negative")
	}
	if *limit < 1<<20 {
		return fail(stderr, exitUsage, "test: --limit %d is too small (at least 1 MiB)", *limit)
	}
	dir, err := inst.dir()
	if err != nil {
		return fail(stderr, exitUsage, "test: %v", err)
	}
	if *outDir == "" {
		*outDir = dir
	}
	if st, err := os.Stat(*outDir); err != nil || !st.IsDir() {
		return fail(stderr, exitUsage, "test: -o %s: not a directory", *outDir)
	}
	binArgs := []string{"-test.count=1"}
	for _, a := range testArgs {
		name := strings.TrimLeft(a, "-")
		name, _, _ = strings.Cut(name, "=")
		if strings.HasPrefix(a, "-") && testBinaryFlags[name] {
			a = "-test." + strings.TrimLeft(a, "-")
		}
		binArgs = append(binArgs, a)
	}

	work, err := os.MkdirTemp("", "handoff-test-")
	if err != nil {
		return fail(stderr, exitUsage, "test: %v", err)
	}
	defer os.RemoveAll(work)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	opts := inst.options(dir, work, pkgs...)
	opts.Test = true
	b, err := instrument.Instrument(ctx, opts)
	if err != nil {
		return fail(stderr, exitUsage, "test: %v", err)
	}
	inst.skips(stderr, b)
	if len(b.Tests) == 0 {
		fmt.Fprintf(stderr, "handoff: %s: no test files\n", strings.Join(pkgs, " "))
		return exitOK
	}
	status := exitOK
	names := map[string]int{}
	for i, t := range b.Tests {
		name := path.Base(t.ImportPath)
		if names[name]++; names[name] > 1 {
			name = fmt.Sprintf("%s-%d", name, names[name])
		}
		out := filepath.Join(*outDir, name+".test.handoff.jsonl.gz")
		records := filepath.Join(work, fmt.Sprintf("records-%d", i))
		end, err := t.Run(ctx, instrument.RunOptions{Args: binArgs, Stdout: stdout, Stderr: stderr, Records: records, Limit: *limit, Timeout: *timeout})
		if err != nil {
			return fail(stderr, exitUsage, "test: %v", err)
		}
		if end.ExitCode != 0 || end.Timeout != "" {
			status = 1
		}
		n, findings, st, err := writeProgramTrace(out, "handoff test "+t.ImportPath, b, records, end)
		if err != nil {
			return fail(stderr, exitUsage, "test: %s: %v", t.ImportPath, err)
		}
		if !*quiet {
			fmt.Fprintf(stderr, "handoff: %s: %d events (%d records) written to %s\n", t.ImportPath, n, st.Records, out)
			if end.Timeout != "" {
				fmt.Fprintf(stderr, "handoff: --timeout %s ended the test binary\n", end.Timeout)
			}
			if st.Truncated {
				fmt.Fprintf(stderr, "handoff: the records filled --limit %d: the trace stops there\n", *limit)
			}
		}
		for _, f := range findings {
			fmt.Fprintf(stderr, "handoff: %s\n", f)
		}
	}
	return status
}
