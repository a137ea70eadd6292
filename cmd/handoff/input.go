package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/handoff-viz/handoff/scenarios"
	"github.com/handoff-viz/handoff/tracer"
)

// A traceDecoder reads a kind of trace file other than handoff's own, told
// apart by its first bytes.
type traceDecoder struct {
	name   string
	detect func(head []byte) bool
	decode func(r io.Reader, name string) (tracer.Header, []tracer.Event, error)
	// stream reads the trace one event at a time: the header, and a
	// function that calls emit with each event in order.
	stream func(r io.Reader, name string) (tracer.Header, func(emit func(*tracer.Event) error) error)
}

var traceDecoders []traceDecoder

func registerTraceDecoder(d traceDecoder) { traceDecoders = append(traceDecoders, d) }

// loadInput returns the events of INPUT: the name of a scenario (run now,
// with call sites) or a trace file (handoff's JSON Lines, or any format a
// registered decoder detects).
func loadInput(arg string) (tracer.Header, []tracer.Event, error) {
	if s, ok := scenarios.Lookup(arg); ok {
		evs, err := scenarios.Record(s, scenarios.Options{})
		return scenarios.Header(s), evs, err
	}
	f, err := os.Open(arg)
	if err != nil {
		if os.IsNotExist(err) {
			return tracer.Header{}, nil, fmt.Errorf("%s: no such scenario or file (run 'handoff list' for the scenarios)", arg)
		}
		return tracer.Header{}, nil, err
	}
	defer f.Close()
	return readTrace(bufio.NewReader(f), arg)
}

// readTrace reads a trace of any known format from r; name is for errors.
func readTrace(r *bufio.Reader, name string) (tracer.Header, []tracer.Event, error) {
	head, _ := r.Peek(64)
	for _, d := range traceDecoders {
		if d.detect(head) {
			h, evs, err := d.decode(r, name)
			if err != nil {
				return h, evs, fmt.Errorf("%s: %w", name, err)
			}
			return h, evs, nil
		}
	}
	if t := bytes.TrimLeft(head, " \t\r\n"); len(t) > 0 && t[0] != '{' {
		return tracer.Header{}, nil, fmt.Errorf("%s: not a handoff trace (JSON Lines) or any trace format handoff knows", name)
	}
	h, evs, err := tracer.ReadTrace(r)
	if err != nil {
		return h, evs, fmt.Errorf("%s: %w", name, err)
	}
	return h, evs, nil
}

// streamInput is loadInput for commands that need one event at a time
// (export): start is called with the header, then emit with each event in
// order. Trace files are never held whole; a scenario's run is (the
// recorder keeps its events until the run ends, and scenarios are small).
func streamInput(arg string, start func(tracer.Header) error, emit func(*tracer.Event) error) error {
	if s, ok := scenarios.Lookup(arg); ok {
		evs, err := scenarios.Record(s, scenarios.Options{})
		if err != nil {
			return err
		}
		if err := start(scenarios.Header(s)); err != nil {
			return err
		}
		for i := range evs {
			if err := emit(&evs[i]); err != nil {
				return err
			}
		}
		return nil
	}
	f, err := os.Open(arg)
	if err != nil {
		if os.IsNotExist(err) {
			return fmt.Errorf("%s: no such scenario or file (run 'handoff list' for the scenarios)", arg)
		}
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 256<<10)
	if err := streamTrace(r, arg, start, emit); err != nil {
		return fmt.Errorf("%s: %w", arg, err)
	}
	return nil
}

// streamTrace reads a trace of any known format from r one event at a time.
func streamTrace(r *bufio.Reader, name string, start func(tracer.Header) error, emit func(*tracer.Event) error) error {
	head, _ := r.Peek(64)
	for _, d := range traceDecoders {
		if !d.detect(head) {
			continue
		}
		if d.stream != nil {
			h, each := d.stream(r, name)
			if err := start(h); err != nil {
				return err
			}
			return each(emit)
		}
		// A format that can only be read whole.
		h, evs, err := d.decode(r, name)
		if err != nil {
			return err
		}
		if err := start(h); err != nil {
			return err
		}
		for i := range evs {
			if err := emit(&evs[i]); err != nil {
				return err
			}
		}
		return nil
	}
	if t := bytes.TrimLeft(head, " \t\r\n"); len(t) > 0 && t[0] != '{' {
		return errors.New("not a handoff trace (JSON Lines) or any trace format handoff knows")
	}
	rd, err := tracer.NewReader(r)
	if err != nil {
		return err
	}
	if err := start(rd.Header()); err != nil {
		return err
	}
	for {
		e, err := rd.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := emit(&e); err != nil {
			return err
		}
	}
}
