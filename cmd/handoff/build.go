package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/handoff-viz/handoff/internal/instrument"
)

func init() {
	register(command{
		name:    "build",
		summary: "build an unmodified Go program that records its channels and goroutines when HANDOFF_TRACE is set",
		run:     runBuild,
	})
}

const buildSynopsis = `[flags] [PACKAGE]

Builds PACKAGE (default ".") of the module in the current directory as
handoff trace does, into a binary to run anywhere: run with
HANDOFF_TRACE=FILE it records into FILE (any other time it runs as
built, recording nothing). Every command that reads a trace reads FILE:
handoff check FILE, handoff serve FILE. Nobody sees how such a run ends,
so goroutines still blocked when it ended are reported as leaks.`

func runBuild(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("build", buildSynopsis, stderr)
	out := fs.String("o", "", "write the binary to `file` (default: the package's name, in the current directory)")
	inst := addInstrumentFlags(fs)
	if status, ok := parseInstrumentFlags(fs, args); !ok {
		return status
	}
	if fs.NArg() > 1 {
		return fail(stderr, exitUsage, "build: want at most one PACKAGE, got %d", fs.NArg())
	}
	pkg := "."
	if fs.NArg() == 1 {
		pkg = fs.Arg(0)
	}
	dir, err := inst.dir()
	if err != nil {
		return fail(stderr, exitUsage, "build: %v", err)
	}
	if *out == "" {
		*out = filepath.Join(dir, filepath.Base(filepath.Join(dir, pkg)))
	}
	bin, err := filepath.Abs(*out)
	if err != nil {
		return fail(stderr, exitUsage, "build: %v", err)
	}
	work, err := os.MkdirTemp("", "handoff-build-")
	if err != nil {
		return fail(stderr, exitUsage, "build: %v", err)
	}
	defer os.RemoveAll(work)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	opts := inst.options(dir, work, pkg)
	opts.Output, opts.EmbedSites = bin, true
	b, err := instrument.Instrument(ctx, opts)
	if err != nil {
		return fail(stderr, exitUsage, "build: %v", err)
	}
	inst.skips(stderr, b)
	fmt.Fprintf(stderr, "handoff: built %s (%d files instrumented): run it with HANDOFF_TRACE=FILE to record, then handoff check FILE or handoff serve FILE\n", bin, b.Files)
	return exitOK
}
