package flight

import (
	"bytes"
	"context"
	"errors"
	"net"
	rtrace "runtime/trace"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/handoff-viz/handoff/tracer"
	"github.com/handoff-viz/handoff/tracer/exectrace"
	"github.com/handoff-viz/handoff/tracer/remote"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// pingPong hands n values from a sender to a receiver that waits for each,
// one every pace, and returns when they are all received.
func pingPong(n int, pace time.Duration) {
	c := make(chan int)
	done := make(chan struct{})
	go pongReceiver(c, done)
	for i := range n {
		time.Sleep(pace)
		c <- i
	}
	time.Sleep(pace) // the receiver waits again: the close wakes it
	close(c)
	<-done
}

func pongReceiver(c <-chan int, done chan<- struct{}) {
	for range c {
	}
	close(done)
}

// countingSink keeps what it is given.
type countingSink struct {
	mu     sync.Mutex
	evs    []tracer.Event
	closed bool
}

func (s *countingSink) Emit(evs []tracer.Event) error {
	s.mu.Lock()
	s.evs = append(s.evs, evs...)
	s.mu.Unlock()
	return nil
}

func (s *countingSink) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return nil
}

func TestStartErrors(t *testing.T) {
	t.Setenv(EnvVar, "")
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{}, "no handoff serve address"},
		{Options{Addr: "127.0.0.1:1", Every: -time.Second}, "negative option"},
		{Options{Addr: "127.0.0.1:1", Every: 2 * time.Second, Window: time.Second}, "window 1s is shorter than the time between snapshots 2s"},
		{Options{Addr: "localhost"}, "want host:port"},
		{Options{Addr: "https://example.com"}, "plain HTTP"},
	} {
		_, err := Start(context.Background(), tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "flight: start: ") {
			t.Errorf("Start(%+v) = %v, want an error containing %q", tc.o, err, tc.want)
		}
	}
	if _, err := Start(context.Background(), Options{}); !errors.Is(err, ErrNoServer) {
		t.Errorf("no address: %v, want ErrNoServer", err)
	}
}

// Only one flight recorder runs in a process: a second Start says so, and
// the first goes on.
func TestOneAtATime(t *testing.T) {
	sink := &countingSink{}
	rec, err := Start(context.Background(), Options{Sink: sink, Every: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	sink2 := &countingSink{}
	if _, err := Start(context.Background(), Options{Sink: sink2}); err == nil {
		t.Error("a second flight recorder started")
	} else if !sink2.closed {
		t.Error("the second recorder's sink was not closed")
	}
	if err := rec.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := rec.Stop(); err == nil || !strings.Contains(err.Error(), "already stopped") {
		t.Errorf("second Stop: %v", err)
	}
	if !sink.closed {
		t.Error("Stop did not close the sink")
	}
}

// The events of a run, over many overlapping snapshots, are one valid
// stream with the handoffs a whole-trace import of the same run finds.
func TestStreamValid(t *testing.T) {
	var full bytes.Buffer
	if err := rtrace.Start(&full); err != nil {
		t.Fatal(err)
	}
	sink := &countingSink{}
	rec, err := Start(context.Background(), Options{Sink: sink, Every: 60 * time.Millisecond, Window: 300 * time.Millisecond})
	if err != nil {
		rtrace.Stop()
		t.Fatal(err)
	}
	pingPong(200, 3*time.Millisecond)
	err = rec.Stop()
	rtrace.Stop()
	if err != nil {
		t.Fatal(err)
	}
	st := rec.Stats()
	evs := sink.evs
	if st.Snapshots < 5 || st.Events != uint64(len(evs)) || st.Bytes == 0 {
		t.Errorf("stats %+v for %d events", st, len(evs))
	}
	if err := tracer.Validate(evs); err != nil {
		t.Fatalf("invalid stream: %v", err)
	}
	_, whole, err := exectrace.Decode(&full, "whole")
	if err != nil {
		t.Fatal(err)
	}
	exact, closed := receives(t, evs)
	wantExact, wantClosed := receives(t, whole)
	// The receiver waits for nearly every value (3ms apart).
	if wantExact < 150 {
		t.Errorf("the whole trace has %d exact receives of 200", wantExact)
	}
	if exact > wantExact || exact < wantExact*95/100 || closed != wantClosed {
		t.Errorf("streamed %d exact receives and %d of a close, the whole trace %d and %d", exact, closed, wantExact, wantClosed)
	}
	t.Logf("%d events, %d exact receives (whole trace %d), stats %+v", len(evs), exact, wantExact, st)
}

// receives counts pongReceiver's exact receives and receives of a close.
func receives(t *testing.T, evs []tracer.Event) (exact, closed int) {
	var receiver tracer.GoID
	for _, e := range evs {
		if e.Kind == tracer.KindGo && strings.HasSuffix(e.Name, ".pongReceiver") {
			receiver = e.Child
		}
	}
	if receiver == 0 {
		t.Fatal("no go event for pongReceiver")
	}
	for _, e := range evs {
		if e.Kind == tracer.KindRecv && e.G == receiver {
			switch {
			case e.Close:
				closed++
			case e.Conf == "exact":
				exact++
			}
		}
	}
	return exact, closed
}

// A cancelled context stops the snapshots; Stop still returns cleanly.
func TestContextStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	sink := &countingSink{}
	rec, err := Start(ctx, Options{Sink: sink, Every: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-rec.done:
	case <-time.After(time.Minute): // generous: a loaded machine
		t.Fatal("the recorder went on after its context was cancelled")
	}
	if err := rec.Stop(); err != nil {
		t.Fatal(err)
	}
}

// With no server listening, the program goes on; snapshots stop, and Stop
// says the events were not delivered and why.
func TestNoServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nobody listens there now
	t.Setenv(EnvVar, addr)
	rec, err := Start(context.Background(), Options{Every: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	pingPong(20, 5*time.Millisecond)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the program took %v", d)
	}
	deadline := time.Now().Add(5 * time.Second)
	for rec.Stats().Err == "" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	err = rec.Stop()
	st := rec.Stats()
	if st.Err == "" || !strings.Contains(st.Err, "could not connect") {
		t.Errorf("snapshots went on without a server: %+v", st)
	}
	if err == nil || !strings.Contains(err.Error(), "streaming stopped") {
		t.Errorf("Stop: %v", err)
	}
	if st.Remote.Dropped > 0 && !errors.Is(err, remote.ErrUndelivered) {
		t.Errorf("Stop: %v, want ErrUndelivered for %d dropped", err, st.Remote.Dropped)
	}
}
