// Package scenarios holds the examples and exercises of the chapter on
// threads and message passing (Rust's chapter 31), written as traced Go
// programs. Each scenario registers itself from its own file; [All] lists
// them and [Record] runs one under the tracer.
package scenarios

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/handoff-viz/handoff/tracer"
)

// Scenario is one runnable example.
type Scenario struct {
	Name        string // fixed: users and other parts of handoff refer to it
	Summary     string // one line
	Description string // a few sentences tying it to the chapter
	// Expect lists the rules the scenario breaks on purpose; empty when it
	// is meant to be clean.
	Expect []string
	Run    func(g *tracer.G, env *Env)
}

var registry []*Scenario

func register(s *Scenario) *Scenario {
	if _, dup := Lookup(s.Name); dup {
		panic("scenarios: two scenarios named " + s.Name)
	}
	registry = append(registry, s)
	slices.SortFunc(registry, func(a, b *Scenario) int { return strings.Compare(a.Name, b.Name) })
	return s
}

// All returns every scenario, by name.
func All() []*Scenario { return slices.Clone(registry) }

// Lookup returns the scenario with the given name.
func Lookup(name string) (*Scenario, bool) {
	for _, s := range registry {
		if s.Name == name {
			return s, true
		}
	}
	return nil, false
}

// Env is what a scenario may use besides the tracer: a pace to slow it down
// for people watching, and somewhere to print. It is safe for concurrent use.
type Env struct {
	ctx  context.Context
	mu   sync.Mutex
	out  io.Writer
	pace time.Duration
	rng  *rand.Rand
}

// Step pauses for about the pace (between half and one and a half times
// it, drawn from the seed), or not at all without a pace or once the run
// is cancelled.
func (e *Env) Step() {
	if e.pace <= 0 || e.ctx.Err() != nil {
		return
	}
	e.mu.Lock()
	d := e.pace/2 + time.Duration(e.rng.Int64N(int64(e.pace)+1))
	e.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-e.ctx.Done():
	}
}

// waitUntil waits until ready says so, or the run is cancelled: the
// handshake a scenario uses to make the interleaving it teaches happen
// whatever the scheduler does. ready is asked every 100µs, so it must be
// cheap (an atomic load).
func (e *Env) waitUntil(ready func() bool) {
	for !ready() && e.ctx.Err() == nil {
		time.Sleep(100 * time.Microsecond)
	}
}

// Printf prints the program's own output, as println! would.
func (e *Env) Printf(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	fmt.Fprintf(e.out, format, args...)
}

// Options says how to run a scenario.
type Options struct {
	// Context stops the run when done: Record then returns the events so
	// far with the context's error.
	Context context.Context
	// Pace slows the scenario down: each step sleeps about this long.
	Pace time.Duration
	// Seed draws the pauses; the same seed gives the same pauses.
	Seed uint64
	// Sink receives the events too (while running when Live is set).
	Sink tracer.Sink
	// Live streams events to Sink as they happen.
	Live bool
	// NoCallSites leaves file:line out of the events.
	NoCallSites bool
	// Out receives what the program prints; nil discards it.
	Out io.Writer
	// DeadlockTimeout is how long every goroutine of the scenario must be
	// blocked before the tracer calls it a deadlock (250ms when zero: the
	// scenarios never wait for untraced code).
	DeadlockTimeout time.Duration
}

// Header returns the trace header for a run of s.
func Header(s *Scenario) tracer.Header {
	return tracer.Header{Format: tracer.FormatName, Version: tracer.FormatVersion, Source: "scenario " + s.Name, Clock: tracer.Clock}
}

// Record runs s under a new tracer and returns its events. A deadlock the
// scenario expects is not an error.
func Record(s *Scenario, o Options) ([]tracer.Event, error) {
	ctx := o.Context
	if ctx == nil {
		ctx = context.Background()
	}
	env := &Env{ctx: ctx, out: o.Out, pace: o.Pace, rng: rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))}
	if env.out == nil {
		env.out = io.Discard
	}
	opts := []tracer.Option{tracer.WithSource("scenario " + s.Name), tracer.WithCallSites(!o.NoCallSites), tracer.WithContext(ctx)}
	if o.Sink != nil {
		opts = append(opts, tracer.WithSink(o.Sink))
	}
	if o.Live {
		opts = append(opts, tracer.WithLive(0))
	}
	if o.DeadlockTimeout <= 0 {
		o.DeadlockTimeout = 250 * time.Millisecond
	}
	opts = append(opts, tracer.WithDeadlockTimeout(o.DeadlockTimeout))
	res, err := tracer.Run(func(g *tracer.G) { s.Run(g, env) }, opts...)
	if errors.Is(err, tracer.ErrDeadlock) && slices.Contains(s.Expect, tracer.RuleDeadlock) {
		err = nil
	}
	if err != nil {
		return res.Events, fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	return res.Events, nil
}
