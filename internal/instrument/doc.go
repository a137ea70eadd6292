// Package instrument builds an unmodified Go program so that it records its
// own channel operations, go statements and closes, runs it, and turns what
// it recorded into a handoff trace: what `handoff trace` does.
//
// [Instrument] loads the packages of the main module that a pattern needs
// (golang.org/x/tools/go/packages, with types), rewrites each file that
// makes, sends on, receives from, ranges over, selects on or closes a
// channel, or starts a goroutine, into calls of the hooks package
// (internal/instrument/hooks, written into the build as the module
// handoff.invalid/hooks), and builds with go build -overlay: the files on
// disk, go.mod and go.sum are never changed. The rewriting inserts and
// replaces text within lines only, so every position stays the user's own
// file:line.
//
// [Build.Run] runs the program with its records going to a file mapped by
// the hooks, and reads how it ended (exit status, Go's panic or deadlock
// message). [Convert] turns the records into events, tying each receive to
// the send that delivered it (exactly when the values settle it, else with
// a confidence), and ends the trace as the program ended.
//
// See docs/trace-programs.md.
package instrument
