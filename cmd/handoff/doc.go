/*
Handoff shows who owns each value in a concurrent Go program, and when.

Usage:

	handoff list
	handoff run NAME [--format text|jsonl] [-o FILE] [--pace DURATION] [--seed N]
	handoff check INPUT
	handoff render INPUT -o OUT
	handoff serve [--addr 127.0.0.1:7070] [--open] [TRACE...]
	handoff import TRACE -o OUT.jsonl
	handoff export INPUT -o OUT.json

INPUT is the name of a scenario (handoff list shows them) or a trace file:
handoff's JSON Lines format (docs/trace-format.md) or a Go execution trace.

Run executes a scenario under the tracer and prints its ownership timeline:
one line per event with the owner of the value it touched afterwards, the
goroutines that blocked and why, and the rules that were broken. With
--format jsonl it writes the trace file instead.

Check prints each broken rule with its explanation. It exits 0 when the
trace is clean, 1 when it found violations, and 2 for bad usage or input.

Export writes INPUT in Chrome's Trace Event format (JSON), which
ui.perfetto.dev and chrome://tracing open: a track per goroutine, a flow
arrow per handoff, channels as counters (docs/export.md).

Errors start with "handoff:" and go to standard error.

Every command loads Graphviz, compiled to machine code at start and kept in
the user's cache directory ($XDG_CACHE_HOME/handoff, ~/.cache/handoff on
Linux), private to the user; never in the shared temporary directory. When
that cache cannot be used safely, handoff prints one "handoff: warning:"
line saying why and runs without it, about a second slower.
*/
package main
