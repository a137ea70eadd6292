package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/handoff-viz/handoff/internal/instrument"
)

// instrumentFlags are the flags trace, test and build share: how to build
// the instrumented program, and where.
type instrumentFlags struct {
	race, verbose *bool
	tags, chdir   *string
}

func addInstrumentFlags(fs *flag.FlagSet) *instrumentFlags {
	return &instrumentFlags{
		race:    fs.Bool("race", false, "build with the race detector"),
		tags:    fs.String("tags", "", "build `tags`, as for go build"),
		verbose: fs.Bool("v", false, "also list what was left uninstrumented, and why"),
		chdir:   fs.String("C", "", "change to `dir` first, as go -C does"),
	}
}

// parseInstrumentFlags parses args; ok false means return status.
func parseInstrumentFlags(fs *flag.FlagSet, args []string) (status int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	return 0, true
}

// dir is the directory the go command runs in: -C's, or the current one.
func (f *instrumentFlags) dir() (string, error) {
	if *f.chdir == "" {
		return os.Getwd()
	}
	dir, err := filepath.Abs(*f.chdir)
	if err != nil {
		return "", err
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return "", fmt.Errorf("-C %s: not a directory", *f.chdir)
	}
	return dir, nil
}

// options are the instrument.Options these flags say, for patterns in dir.
func (f *instrumentFlags) options(dir, work string, patterns ...string) instrument.Options {
	return instrument.Options{Dir: dir, Patterns: patterns, Work: work, Tags: *f.tags, Race: *f.race}
}

// skips lists what was left uninstrumented, with -v.
func (f *instrumentFlags) skips(stderr io.Writer, b *instrument.Build) {
	if !*f.verbose {
		return
	}
	for _, s := range b.Skips {
		fmt.Fprintf(stderr, "handoff: %s: %s\n", s.At, s.Why)
	}
}
