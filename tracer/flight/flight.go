// Package flight streams a running Go program, unmodified, to `handoff
// serve`: it keeps the last seconds of the program's execution trace in
// memory with runtime/trace.FlightRecorder, takes a snapshot on a tick,
// imports it with package exectrace (who handed work to whom, inferred from
// the scheduler's wakeups) and sends what is new to the server, which shows
// it live.
//
// One call in main is all the program needs:
//
//	rec, err := flight.Start(ctx, flight.Options{}) // address from HANDOFF_SERVE
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer rec.Stop()
//
// and then
//
//	handoff serve &
//	HANDOFF_SERVE=127.0.0.1:7070 go run ./examples/flight
//
// # What is shown
//
// The page shows what `handoff import` would make of the same execution
// trace (docs/import.md): goroutines with the Go trace's ids, the handoffs
// found when a goroutine parked in a channel operation was woken, each with
// its confidence (exact, slot, ambiguous), channels as groups of call
// sites. The stream is a valid trace (tracer.Validate): snapshots overlap,
// and each is imported from the time the previous one ended, on the time
// line of the first. What lies across a snapshot boundary may be lost: a
// goroutine parked since before the oldest part of the window kept by the
// flight recorder (Options.Window) is woken without a known reason, so that
// handoff is not found. Keep Window a few times Every.
//
// Programs written with handoff's own tracer should stream with package
// tracer/remote instead: exact events that span two snapshots (a value made
// in one, sent in the next) cannot be joined up, and are skipped.
//
// # The program comes first
//
// Start returns at once. One goroutine takes the snapshots; it never holds
// up the program beyond the cost of the flight recorder itself and of the
// import (docs/performance.md has figures: about a millisecond or two of
// one core per snapshot for a small program). Events go to the server
// through a tracer/remote Sink, with its policy: a bounded buffer, and when
// the server is absent, slow or gone, streaming stops (and with it the
// snapshots); Stop reports what was not delivered. A snapshot that takes
// longer than Every delays the next one; ticks are never queued. Memory is
// the flight recorder's window (Options.MaxBytes caps it), one snapshot's
// bytes and events, and a few entries per call site.
package flight

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	rtrace "runtime/trace"
	"sync"
	"time"

	"github.com/handoff-viz/handoff/tracer"
	"github.com/handoff-viz/handoff/tracer/remote"
)

// EnvVar names the environment variable that gives the server's address
// when Options.Addr is empty (the same as package remote's).
const EnvVar = remote.EnvVar

// ErrNoServer is returned by Start when neither Options.Addr nor
// HANDOFF_SERVE names a server and no Sink is given.
var ErrNoServer = errors.New("no handoff serve address: set " + EnvVar + " or Options.Addr")

// Options tune a Recorder. The zero value streams to HANDOFF_SERVE every
// second with a five-second window.
type Options struct {
	// Addr is the address of `handoff serve` ("127.0.0.1:7070"); empty
	// reads HANDOFF_SERVE.
	Addr string
	// Every is the time between snapshots; 0 is 1s.
	Every time.Duration
	// Window is how much of the trace the flight recorder keeps
	// (FlightRecorderConfig.MinAge); 0 is 5s. It must be at least Every.
	Window time.Duration
	// MaxBytes caps the flight recorder's memory (FlightRecorderConfig.
	// MaxBytes, a hint that wins over Window); 0 leaves it to the runtime.
	MaxBytes uint64
	// Source names the program in the page; empty is the executable's
	// name followed by "(flight recorder)".
	Source string
	// Buffer is remote.Options.Buffer: the events held while the server is
	// slower than the program; 0 is remote.DefaultBuffer.
	Buffer int
	// System keeps the runtime's goroutines (exectrace.Options.System).
	System bool
	// Sink, when set, receives the events instead of a server (Addr is not
	// used); Stop closes it. A tracer.JSONLSink writes them to a file.
	Sink tracer.Sink
}

// Stats count what a Recorder did.
type Stats struct {
	Snapshots int           // snapshots imported
	Bytes     int64         // size of the last snapshot
	Cost      time.Duration // time the last snapshot took: WriteTo and import
	Events    uint64        // events handed to the sink
	Skipped   uint64        // imported events that did not fit the stream (see the package doc)
	Err       string        // why snapshots stopped early, or ""
	Remote    remote.Stats  // the server's side, when streaming to one
}

// Recorder is a running flight recorder streaming to `handoff serve`.
type Recorder struct {
	o      Options
	fr     *rtrace.FlightRecorder
	sink   tracer.Sink
	remote *remote.Sink
	stop   chan struct{}
	done   chan struct{}
	ctx    context.Context

	stopOnce sync.Once
	mu       sync.Mutex
	st       Stats
	err      error // the loop's, returned by Stop
}

// Start starts the flight recorder and the goroutine that snapshots it.
// It fails when another flight recorder is running, when no server address
// is known, or on a bad option; it does not wait for the server. The
// Recorder stops when ctx is done or Stop is called; Stop must be called
// in both cases.
func Start(ctx context.Context, o Options) (*Recorder, error) {
	if o.Every < 0 || o.Window < 0 || o.Buffer < 0 {
		return nil, errors.New("flight: start: negative option")
	}
	if o.Every == 0 {
		o.Every = time.Second
	}
	if o.Window == 0 {
		o.Window = max(5*time.Second, o.Every)
	}
	if o.Window < o.Every {
		return nil, fmt.Errorf("flight: start: window %v is shorter than the time between snapshots %v: events would be lost between them", o.Window, o.Every)
	}
	if o.Source == "" {
		o.Source = filepath.Base(os.Args[0]) + " (flight recorder)"
	}
	r := &Recorder{o: o, stop: make(chan struct{}), done: make(chan struct{}), ctx: ctx, sink: o.Sink}
	if r.sink == nil {
		addr := o.Addr
		if addr == "" {
			addr = os.Getenv(EnvVar)
		}
		if addr == "" {
			return nil, fmt.Errorf("flight: start: %w", ErrNoServer)
		}
		// Check the address before starting anything.
		rs, err := remote.Dial(addr, remote.Options{Source: o.Source, Buffer: o.Buffer})
		if err != nil {
			return nil, fmt.Errorf("flight: start: %w", err)
		}
		r.sink, r.remote = rs, rs
	}
	r.fr = rtrace.NewFlightRecorder(rtrace.FlightRecorderConfig{MinAge: o.Window, MaxBytes: o.MaxBytes})
	if err := r.fr.Start(); err != nil {
		r.sink.Close()
		return nil, fmt.Errorf("flight: start: %w", err)
	}
	go r.loop()
	return r, nil
}

// Stop takes a last snapshot, stops the flight recorder and the Recorder's
// goroutine, and closes the sink (waiting a few seconds at most for the
// server to take the last events). It returns why snapshots stopped early,
// if they did, and what the server did not get (an error wrapping
// remote.ErrUndelivered).
func (r *Recorder) Stop() error {
	first := false
	r.stopOnce.Do(func() { first = true; close(r.stop) })
	if !first {
		return errors.New("flight: stop: already stopped")
	}
	<-r.done
	r.fr.Stop()
	cerr := r.sink.Close()
	if cerr != nil {
		cerr = fmt.Errorf("flight: stop: %w", cerr)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return errors.Join(r.err, cerr)
}

// Stats returns the counts so far.
func (r *Recorder) Stats() Stats {
	r.mu.Lock()
	st := r.st
	r.mu.Unlock()
	if r.remote != nil {
		st.Remote = r.remote.Stats()
	}
	return st
}

// loop is the Recorder's goroutine.
func (r *Recorder) loop() {
	defer close(r.done)
	s := newStream(r.o.System)
	var buf bytes.Buffer
	t := time.NewTicker(r.o.Every)
	defer t.Stop()
	for {
		var last bool
		select {
		case <-t.C:
		case <-r.stop:
			last = true
		case <-r.ctx.Done():
			last = true
		}
		if err := r.snap(s, &buf); err != nil {
			r.mu.Lock()
			r.err = err
			r.st.Err = err.Error()
			r.mu.Unlock()
			r.fr.Stop() // no more snapshots: stop paying for the recorder
			last = true
		}
		if last {
			return
		}
	}
}

// snap takes, imports and sends one snapshot. Bytes past the window are
// not kept: a snapshot much larger than the last few releases its buffer.
func (r *Recorder) snap(s *stream, buf *bytes.Buffer) (err error) {
	defer func() {
		if p := recover(); p != nil { // never crash the program
			err = fmt.Errorf("flight: snapshot: %v", p)
		}
	}()
	if r.remote != nil {
		if st := r.remote.Stats(); st.Reason != "" {
			return fmt.Errorf("flight: streaming stopped: %s", st.Reason)
		}
	}
	start := time.Now()
	buf.Reset()
	if _, err := r.fr.WriteTo(buf); err != nil {
		return fmt.Errorf("flight: snapshot: %w", err)
	}
	n := int64(buf.Len())
	if err := s.snapshot(bytes.NewReader(buf.Bytes())); err != nil {
		return err
	}
	cost := time.Since(start)
	if buf.Cap() > 1<<20 && buf.Cap() > 4*buf.Len() {
		*buf = bytes.Buffer{} // the program got quieter: give the memory back
	}
	if len(s.out) > 0 {
		if err := r.sink.Emit(s.out); err != nil {
			return fmt.Errorf("flight: send: %w", err)
		}
	}
	r.mu.Lock()
	r.st.Snapshots++
	r.st.Bytes = n
	r.st.Cost = cost
	r.st.Events += uint64(len(s.out))
	r.st.Skipped = s.skipped
	r.mu.Unlock()
	return nil
}
