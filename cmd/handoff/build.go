package main

import (
	"context"
	"errors"
	"flag"
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
	race := fs.Bool("race", false, "build with the race detector")
	tags := fs.String("tags", "", "build `tags`, as for go build")
	verbose := fs.Bool("v", false, "list what was left uninstrumented, and why")
	chdir := fs.String("C", "", "change to `dir` first, as go -C does")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 1 {
		return fail(stderr, exitUsage, "build: want at most one PACKAGE, got %d", fs.NArg())
	}
	pkg := "."
	if fs.NArg() == 1 {
		pkg = fs.Arg(0)
	}
	dir, err := os.Getwd()
	if err != nil {
		return fail(stderr, exitUsage, "build: %v", err)
	}
	if *chdir != "" {
		if dir, err = filepath.Abs(*chdir); err != nil {
			return fail(stderr, exitUsage, "build: %v", err)
		}
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return fail(stderr, exitUsage, "build: -C %s: not a directory", *chdir)
		}
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
	b, err := instrument.Instrument(ctx, instrument.Options{Dir: dir, Patterns: []string{pkg}, Work: work, Tags: *tags, Race: *race, Output: bin, EmbedSites: true})
	if err != nil {
		return fail(stderr, exitUsage, "build: %v", err)
	}
	if *verbose {
		for _, s := range b.Skips {
			fmt.Fprintf(stderr, "handoff: %s: %s\n", s.At, s.Why)
		}
	}
	fmt.Fprintf(stderr, "handoff: built %s (%d files instrumented): run it with HANDOFF_TRACE=FILE to record, then handoff check FILE or handoff serve FILE\n", bin, b.Files)
	return exitOK
}
