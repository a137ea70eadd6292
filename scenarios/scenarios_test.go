package scenarios

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/handoff-viz/handoff/tracer"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var allNames = []string{
	"spawn-move", "spawn-borrow", "scoped-split", "channel-handoff", "cloned-senders", "bounded-producers",
	"backpressure", "unbounded-queue", "worker-pool-mutex", "worker-pool-channel", "join-panic",
	"use-after-send", "deadlock", "pipeline", "select-timeout",
}

func TestNamesAreThePromisedOnes(t *testing.T) {
	for _, n := range allNames {
		if _, ok := Lookup(n); !ok {
			t.Errorf("scenario %q is missing", n)
		}
	}
	if len(All()) != len(allNames) {
		t.Errorf("%d scenarios, want %d", len(All()), len(allNames))
	}
	for _, s := range All() {
		if s.Summary == "" || s.Description == "" || strings.Contains(s.Summary, "\n") {
			t.Errorf("%s: needs a one-line summary and a description", s.Name)
		}
	}
}

// record runs a scenario and checks what every scenario must satisfy: the
// model's invariants, exactly the violations it expects, and every
// goroutine ended and joined.
func record(t *testing.T, name string, o Options) ([]tracer.Event, *tracer.Timeline, string) {
	t.Helper()
	s, _ := Lookup(name)
	var out bytes.Buffer
	o.Out = &out
	evs, err := Record(s, o)
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	if err := tracer.Validate(evs); err != nil {
		t.Fatalf("invariants: %v", err)
	}
	tl := tracer.BuildTimeline(evs)
	var rules []string
	for _, i := range tl.Violations {
		if r := evs[i].Rule; !slices.Contains(rules, r) {
			rules = append(rules, r)
		}
	}
	slices.Sort(rules)
	want := slices.Clone(s.Expect)
	slices.Sort(want)
	if !slices.Equal(rules, want) {
		for _, i := range tl.Violations {
			t.Logf("violation: %s", evs[i].Msg)
		}
		t.Errorf("violations %v, want %v", rules, want)
	}
	for _, g := range tl.Goroutines {
		if g.Ended < 0 {
			t.Errorf("g%d %q never ended", g.ID, g.Name)
		}
		if g.ID != 1 && g.Joined < 0 && !g.Aborted {
			t.Errorf("g%d %q never joined", g.ID, g.Name)
		}
	}
	return evs, tl, out.String()
}

func TestEveryScenario(t *testing.T) {
	for _, s := range All() {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			record(t, s.Name, Options{NoCallSites: true})
		})
	}
}

func TestEveryScenarioLiveAndPaced(t *testing.T) {
	if testing.Short() {
		t.Skip("paced runs take a while")
	}
	for _, s := range All() {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			sink := &tracer.MemorySink{}
			evs, _, _ := record(t, s.Name, Options{Pace: time.Millisecond, Seed: 7, Sink: sink, Live: true})
			if got := sink.Events(); len(got) != len(evs) {
				t.Errorf("sink got %d events, Record returned %d", len(got), len(evs))
			}
		})
	}
}

func count(evs []tracer.Event, keep func(e *tracer.Event) bool) int {
	n := 0
	for i := range evs {
		if keep(&evs[i]) {
			n++
		}
	}
	return n
}

func TestBoundedProducersHandsTenValuesToTheConsumer(t *testing.T) {
	evs, _, out := record(t, "bounded-producers", Options{NoCallSites: true})
	got := count(evs, func(e *tracer.Event) bool { return e.Kind == tracer.KindRecv && !e.Close && e.G == 1 })
	if got != 10 {
		t.Errorf("main received %d values, want 10", got)
	}
	if lines := strings.Count(out, "\n"); lines != 10 {
		t.Errorf("printed %d lines, want 10:\n%s", lines, out)
	}
}

func TestBackpressureBlocksTheProducer(t *testing.T) {
	evs, tl, _ := record(t, "backpressure", Options{NoCallSites: true})
	blocked := count(evs, func(e *tracer.Event) bool { return e.Kind == tracer.KindBlock && e.On == tracer.OnSend })
	if blocked == 0 {
		t.Error("the producer never blocked on send")
	}
	if c := tl.Channels[0]; c.MaxLen > 2 {
		t.Errorf("bounded channel held %d", c.MaxLen)
	}
}

func TestUnboundedQueueGrowsAndNeverBlocksTheProducer(t *testing.T) {
	evs, tl, _ := record(t, "unbounded-queue", Options{NoCallSites: true})
	if n := count(evs, func(e *tracer.Event) bool { return e.Kind == tracer.KindBlock && e.On == tracer.OnSend }); n != 0 {
		t.Errorf("producer blocked %d times on an unbounded queue", n)
	}
	if c := tl.Channels[0]; c.MaxLen < 4 || c.Cap >= 0 {
		t.Errorf("queue cap %d max length %d, want unbounded and growing", c.Cap, c.MaxLen)
	}
}

func TestScopedSplitEndsWithTheChaptersResult(t *testing.T) {
	_, _, out := record(t, "scoped-split", Options{NoCallSites: true})
	if out != "[2 4 30 40]\n" {
		t.Errorf("printed %q", out)
	}
}

func TestJoinPanicSurfacesAsAnError(t *testing.T) {
	evs, _, out := record(t, "join-panic", Options{NoCallSites: true})
	if !strings.Contains(out, "join returned: goroutine \"parser\" panicked: cannot parse") || !strings.Contains(out, "main goes on") {
		t.Errorf("output %q", out)
	}
	if count(evs, func(e *tracer.Event) bool { return e.Kind == tracer.KindJoin && e.Panic != "" }) != 1 {
		t.Error("no join event carries the panic")
	}
}

func TestDeadlockReportsTheCycle(t *testing.T) {
	evs, tl, _ := record(t, "deadlock", Options{NoCallSites: true})
	v := evs[tl.Violations[0]]
	if len(v.Cycle) != 2 || !strings.Contains(v.Msg, `waits for lock "b" held by`) || !strings.Contains(v.Msg, `waits for lock "a" held by`) {
		t.Errorf("deadlock cycle %v: %s", v.Cycle, v.Msg)
	}
}

func TestSpawnBorrowReportsBothEscapes(t *testing.T) {
	evs, tl, _ := record(t, "spawn-borrow", Options{NoCallSites: true})
	if len(tl.Violations) != 2 {
		for _, i := range tl.Violations {
			t.Log(evs[i].Msg)
		}
		t.Errorf("%d violations, want 2 (the lend, and the read after the frame ended)", len(tl.Violations))
	}
}

func TestCallSitesPointAtTheScenario(t *testing.T) {
	evs, _, _ := record(t, "channel-handoff", Options{})
	for _, e := range evs {
		if e.Kind == tracer.KindSend && !strings.HasPrefix(e.At, "scenarios/channel_handoff.go:") {
			t.Errorf("send at %q", e.At)
		}
	}
}

func TestCancelStopsAPacedRun(t *testing.T) {
	s, _ := Lookup("pipeline")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel)
	start := time.Now()
	evs, err := Record(s, Options{Context: ctx, Pace: 50 * time.Millisecond})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v to stop", d)
	}
	if err := tracer.Validate(evs); err != nil {
		t.Errorf("events of the stopped run: %v", err)
	}
}

// TestWorkerPoolMutexContendsEveryRun checks that worker-pool-mutex shows
// what it promises in every run, whatever the scheduler and the seed do:
// workers queued on the jobs lock (both other workers, at the first job),
// and the job list emptied by all three.
func TestWorkerPoolMutexContendsEveryRun(t *testing.T) {
	const runs = 20
	for i := range runs {
		o := Options{NoCallSites: true, Seed: uint64(i)}
		if i%2 == 1 {
			o.Pace = time.Millisecond // a seed draws pauses, and must not change what is taught
		}
		evs, _, out := record(t, "worker-pool-mutex", o)
		var mu int64
		for _, e := range evs {
			if e.Kind == tracer.KindMutex && e.Name == "jobs lock" {
				mu = int64(e.Mu)
			}
		}
		waiters := map[tracer.GoID]bool{}
		for _, e := range evs {
			if e.Kind == tracer.KindBlock && e.On == tracer.OnLock && int64(e.Mu) == mu {
				waiters[e.G] = true
			}
		}
		if len(waiters) < 2 {
			t.Errorf("run %d (seed %d, pace %v): %d workers waited for the jobs lock, want at least 2", i, o.Seed, o.Pace, len(waiters))
		}
		if lines := strings.Count(out, "\n"); lines != len(jobNames) {
			t.Errorf("run %d: %d jobs done, want %d:\n%s", i, lines, len(jobNames), out)
		}
	}
}
