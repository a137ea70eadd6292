package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path"
	"path/filepath"
	"regexp"
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
cached result would record nothing), one run per test, and writes a
trace per test, PKG.TestName.handoff.jsonl.gz (--per-package: one run and
trace per package, PKG.test.handoff.jsonl.gz), with check's findings on
stderr. Flags after
-- go to the test binaries (-run, -v, -count, ... as go test takes them).
The exit status is 1 when a package's tests failed, as go test's.`

// testBinaryFlags are go test's flags that the test binary takes as
// -test.NAME.
var testBinaryFlags = map[string]bool{
	"bench": true, "benchmem": true, "benchtime": true, "count": true, "cpu": true, "failfast": true,
	"fullpath": true, "list": true, "parallel": true, "run": true, "short": true, "shuffle": true,
	"skip": true, "timeout": true, "v": true, "coverprofile": true, "cpuprofile": true, "memprofile": true,
}

// listTests lists the tests of t that its -run (in args) selects, as
// -test.list prints them.
func listTests(ctx context.Context, t instrument.TestBinary, args []string) ([]string, error) {
	pattern := "."
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "-test.run="); ok {
			pattern = v
		}
	}
	for i, a := range args {
		if a == "-test.run" && i+1 < len(args) {
			pattern = args[i+1]
		}
	}
	cmd := exec.CommandContext(ctx, t.Binary, "-test.list", pattern)
	cmd.Dir = t.Dir
	out, err := cmd.Output()
	if err != nil {
		return nil, err
	}
	var tests []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "Test") {
			tests = append(tests, strings.TrimSpace(line))
		}
	}
	return tests, nil
}

// withoutRun returns args without their -test.run flag.
func withoutRun(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		switch {
		case strings.HasPrefix(args[i], "-test.run="):
		case args[i] == "-test.run":
			i++
		default:
			out = append(out, args[i])
		}
	}
	return out
}

func runTest(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("test", testSynopsis, stderr)
	outDir := fs.String("o", "", "write the traces into `dir` (default: the current directory)")
	timeout := fs.Duration("timeout", 0, "end a test binary after `duration` and keep what it did until then (0: no limit)")
	limit := fs.Int64("limit", 1<<30, "the most `bytes` of records a test binary keeps (96 bytes each)")
	quiet := fs.Bool("q", false, "print only the findings, not the summary")
	inst := addInstrumentFlags(fs)
	perPackage := fs.Bool("per-package", false, "one trace per package, not one per test")
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
	runs := 0
	for _, t := range b.Tests {
		pkgName := path.Base(t.ImportPath)
		if names[pkgName]++; names[pkgName] > 1 {
			pkgName = fmt.Sprintf("%s-%d", pkgName, names[pkgName])
		}
		// A trace per test, by its name, unless the tests cannot be
		// listed or one per package was asked for.
		type testRun struct{ name, file string }
		var todo []testRun
		if !*perPackage {
			tests, err := listTests(ctx, t, binArgs)
			if err != nil {
				fmt.Fprintf(stderr, "handoff: %s: listing its tests: %v; one trace for the package\n", t.ImportPath, err)
			}
			for _, name := range tests {
				todo = append(todo, testRun{name, pkgName + "." + name + ".handoff.jsonl.gz"})
			}
		}
		if len(todo) == 0 {
			todo = []testRun{{"", pkgName + ".test.handoff.jsonl.gz"}}
		}
		for _, tr := range todo {
			args := binArgs
			source := "handoff test " + t.ImportPath
			if tr.name != "" {
				args = append(withoutRun(binArgs), "-test.run=^"+regexp.QuoteMeta(tr.name)+"$")
				source += " " + tr.name
			}
			out := filepath.Join(*outDir, tr.file)
			runs++
			records := filepath.Join(work, fmt.Sprintf("records-%d", runs))
			end, err := t.Run(ctx, instrument.RunOptions{Args: args, Stdout: stdout, Stderr: stderr, Records: records, Limit: *limit, Timeout: *timeout})
			if err != nil {
				return fail(stderr, exitUsage, "test: %v", err)
			}
			if end.ExitCode != 0 || end.Timeout != "" {
				status = 1
			}
			n, findings, st, err := writeProgramTrace(out, source, b, records, end)
			if err != nil {
				return fail(stderr, exitUsage, "test: %s: %v", t.ImportPath, err)
			}
			if !*quiet {
				fmt.Fprintf(stderr, "handoff: %s: %d events (%d records) written to %s\n", strings.TrimPrefix(source, "handoff test "), n, st.Records, out)
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
	}
	return status
}
