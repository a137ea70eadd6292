package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"

	"github.com/handoff-viz/handoff/internal/gz"
	"github.com/handoff-viz/handoff/internal/instrument"
	"github.com/handoff-viz/handoff/scenarios"
	"github.com/handoff-viz/handoff/tracer"
)

// A traceDecoder reads a kind of trace file other than handoff's own, told
// apart by its first bytes. stream sends the file's events to emit one at
// a time, as it reads them.
type traceDecoder struct {
	name   string
	detect func(head []byte) bool
	header func(name string) tracer.Header
	stream func(r io.Reader, emit func(*tracer.Event) error) error
}

var traceDecoders []traceDecoder

// recordMagic starts the record file a binary of handoff build writes.
const recordMagic = "HNDFREC1"

func registerTraceDecoder(d traceDecoder) { traceDecoders = append(traceDecoders, d) }

// loadInput returns the events of INPUT: the name of a scenario (run now,
// with call sites) or a trace file (handoff's JSON Lines, or any format a
// registered decoder detects), gzip-compressed or not. It holds the whole trace: commands that can
// work one event at a time use openInput. A trace that does not make sense
// as a run (tracer.Validator) is an error, as in check: nothing draws or
// serves an impossible run.
func loadInput(arg string) (tracer.Header, []tracer.Event, error) {
	var evs []tracer.Event
	h, err := readValidEvents(arg, func(e *tracer.Event) { evs = append(evs, *e) })
	return h, evs, err
}

// eachValidEvent calls f with every event of INPUT, as loadInput takes
// it, in order, holding none of them, and then reports whether the whole
// trace makes sense as a run.
func eachValidEvent(arg string, f func(*tracer.Event)) error {
	_, err := readValidEvents(arg, f)
	return err
}

func readValidEvents(arg string, f func(*tracer.Event)) (tracer.Header, error) {
	h, events, done, err := openInput(arg)
	if err != nil {
		return h, err
	}
	defer done()
	var (
		valid tracer.Validator
		cur   tracer.Event // one event for f to see, not one allocated per event
	)
	for e, err := range events {
		if err != nil {
			return h, err
		}
		cur = e
		valid.Add(&cur)
		f(&cur)
	}
	if err := valid.Err(); err != nil {
		return h, fmt.Errorf("%s: the trace does not make sense as a run:\n%w", arg, err)
	}
	return h, nil
}

// openInput opens INPUT, as loadInput takes it, and returns its header and
// an iterator over its events that reads them as it yields them: a file is
// never held whole. An error ends the iteration and names the file and
// line. Call done when finished with the events.
func openInput(arg string) (h tracer.Header, events iter.Seq2[tracer.Event, error], done func(), err error) {
	if s, ok := scenarios.Lookup(arg); ok {
		evs, err := scenarios.Record(s, scenarios.Options{})
		if err != nil {
			return tracer.Header{}, nil, nil, err
		}
		return scenarios.Header(s), func(yield func(tracer.Event, error) bool) {
			for _, e := range evs {
				if !yield(e, nil) {
					return
				}
			}
		}, func() {}, nil
	}
	if fi, err := os.Stat(arg); err == nil && fi.IsDir() {
		return tracer.Header{}, nil, nil, fmt.Errorf("%s: a directory, not a trace file", arg)
	}
	f, err := os.Open(arg)
	if err != nil {
		if os.IsNotExist(err) {
			return tracer.Header{}, nil, nil, fmt.Errorf("%s: no such scenario or file (run 'handoff list' for the scenarios)", arg)
		}
		return tracer.Header{}, nil, nil, err
	}
	raw := bufio.NewReader(f)
	if head, _ := raw.Peek(len(recordMagic)); string(head) == recordMagic {
		// The record file of a binary of handoff build: read in place
		// (it is mapped, sparse, and carries its own site table).
		f.Close()
		h, events, err := instrument.ReadRecords(arg)
		if err != nil {
			return h, nil, nil, err
		}
		return h, events, func() {}, nil
	}
	// A gzip-compressed file (told by its first bytes, not its name) is
	// decompressed as it is read.
	br, err := gz.NewReader(raw)
	if err != nil {
		f.Close()
		return tracer.Header{}, nil, nil, fmt.Errorf("%s: %w", arg, err)
	}
	h, events, err = readTrace(br, arg)
	if err != nil {
		f.Close()
		return h, nil, nil, err
	}
	return h, events, func() { f.Close() }, nil
}

// readTrace reads a trace of any known format from r, one event at a time;
// name is for errors.
func readTrace(r *bufio.Reader, name string) (tracer.Header, iter.Seq2[tracer.Event, error], error) {
	head, _ := r.Peek(64)
	for _, d := range traceDecoders {
		if d.detect(head) {
			return d.header(name), func(yield func(tracer.Event, error) bool) {
				stopped := errors.New("stopped")
				err := d.stream(r, func(e *tracer.Event) error {
					if !yield(*e, nil) {
						return stopped
					}
					return nil
				})
				if err != nil && err != stopped {
					yield(tracer.Event{}, fmt.Errorf("%s: %w", name, err))
				}
			}, nil
		}
	}
	if t := bytes.TrimLeft(head, " \t\r\n"); len(t) > 0 && t[0] != '{' {
		return tracer.Header{}, nil, fmt.Errorf("%s: not a handoff trace (JSON Lines) or any trace format handoff knows", name)
	}
	rd, err := tracer.NewReader(r)
	if err != nil {
		return tracer.Header{}, nil, fmt.Errorf("%s: %w", name, err)
	}
	return rd.Header(), func(yield func(tracer.Event, error) bool) {
		for e, err := range rd.Events() {
			if err != nil {
				err = fmt.Errorf("%s: %w", name, err)
			}
			if !yield(e, err) {
				return
			}
		}
	}, nil
}
