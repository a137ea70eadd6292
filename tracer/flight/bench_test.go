package flight

import (
	"bytes"
	"io"
	rtrace "runtime/trace"
	"testing"
	"time"

	"golang.org/x/exp/trace"
)

// busy runs pingPong rounds (a handoff every 100µs) until stop is closed.
func busy(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	for {
		select {
		case <-stop:
			return
		default:
		}
		pingPong(100, 100*time.Microsecond)
	}
}

// BenchmarkSnapshot measures one snapshot of a one-second window while a
// program hands a value over a channel every 100µs: WriteTo alone (the
// runtime's own cost, the baseline), WriteTo and a bare x/exp/trace
// ReadEvent loop over it, and WriteTo and the import into the stream (what
// the Recorder does on each tick, less the send).
func BenchmarkSnapshot(b *testing.B) {
	stop, done := make(chan struct{}), make(chan struct{})
	go busy(stop, done)
	defer func() { close(stop); <-done }()
	fr := rtrace.NewFlightRecorder(rtrace.FlightRecorderConfig{MinAge: time.Second})
	if err := fr.Start(); err != nil {
		b.Fatal(err)
	}
	defer fr.Stop()
	time.Sleep(1500 * time.Millisecond) // fill the window
	var buf bytes.Buffer
	report := func(b *testing.B) {
		b.ReportMetric(float64(buf.Len()), "bytes/snapshot")
	}
	b.Run("WriteTo", func(b *testing.B) {
		for b.Loop() {
			buf.Reset()
			if _, err := fr.WriteTo(&buf); err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})
	b.Run("WriteTo+ReadEvent", func(b *testing.B) {
		n := 0
		for b.Loop() {
			buf.Reset()
			if _, err := fr.WriteTo(&buf); err != nil {
				b.Fatal(err)
			}
			r, err := trace.NewReader(bytes.NewReader(buf.Bytes()))
			if err != nil {
				b.Fatal(err)
			}
			for {
				if _, err := r.ReadEvent(); err == io.EOF {
					break
				} else if err != nil {
					b.Fatal(err)
				}
				n++
			}
		}
		report(b)
		b.ReportMetric(float64(n)/float64(b.N), "goevents/snapshot")
	})
	b.Run("WriteTo+import", func(b *testing.B) {
		s := newStream(false)
		n := 0
		for b.Loop() {
			buf.Reset()
			if _, err := fr.WriteTo(&buf); err != nil {
				b.Fatal(err)
			}
			if err := s.snapshot(bytes.NewReader(buf.Bytes())); err != nil {
				b.Fatal(err)
			}
			n += len(s.out)
		}
		report(b)
		b.ReportMetric(float64(n)/float64(b.N), "events/snapshot")
		if s.skipped > 0 {
			b.Logf("%d events skipped", s.skipped)
		}
	})
}
