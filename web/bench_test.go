package web

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/handoff-viz/handoff/tracer"
)

// countUntil reads messages until one starting with end, and returns the
// number of events seen.
func countUntil(b *testing.B, c *websocket.Conn, end string) int {
	n := 0
	for {
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		_, data, err := c.ReadMessage()
		if err != nil {
			b.Fatal(err)
		}
		n += bytes.Count(data, []byte(`{"seq":`))
		if bytes.HasPrefix(data, []byte(end)) {
			return n
		}
	}
}

// BenchmarkReplay streams a named trace of 100,000 events to one viewer
// over a real WebSocket; the baseline only encodes the same trace to JSON
// Lines in memory.
func BenchmarkReplay(b *testing.B) {
	evs := synth(50, 100_000)
	b.Run("baseline-encode", func(b *testing.B) {
		for b.Loop() {
			if err := tracer.WriteTrace(io.Discard, tracer.Header{}, evs); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(evs)*b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("websocket", func(b *testing.B) {
		_, ts := start(b, Config{Traces: []Trace{{Name: "big", Events: evs}}})
		c := dial(b, ts, "/ws", nil)
		read(b, c)
		for b.Loop() {
			c.WriteJSON(map[string]any{"op": "open", "trace": 0})
			if n := countUntil(b, c, `{"type":"trace-end"`); n != len(evs) {
				b.Fatalf("got %d events", n)
			}
		}
		b.ReportMetric(float64(len(evs)*b.N)/b.Elapsed().Seconds(), "events/s")
	})
}

// BenchmarkLive20 broadcasts live runs of 20,000 events to 20 viewers at
// once; the baseline is the same run to one viewer. heap-MB is the live
// heap after the runs: it must not grow with b.N.
func BenchmarkLive20(b *testing.B) {
	evs := synth(200, 20_000)
	for _, viewers := range []int{1, 20} {
		b.Run(map[int]string{1: "baseline-1-viewer", 20: "20-viewers"}[viewers], func(b *testing.B) {
			cfg := Config{
				Scenarios: []ScenarioInfo{{Name: "synth"}},
				Run: func(ctx context.Context, name string, o RunOptions, sink tracer.Sink) error {
					for i := 0; i < len(evs); i += 64 {
						sink.Emit(evs[i:min(i+64, len(evs))])
					}
					return nil
				},
			}
			s, ts := start(b, cfg)
			cs := make([]*websocket.Conn, viewers)
			for i := range cs {
				cs[i] = dial(b, ts, "/ws", nil)
				read(b, cs[i])
			}
			for b.Loop() {
				cs[0].WriteJSON(map[string]any{"op": "run", "scenario": "synth"})
				var wg sync.WaitGroup
				for _, c := range cs {
					wg.Add(1)
					go func() {
						defer wg.Done()
						countUntil(b, c, `{"type":"live-end"`)
					}()
				}
				wg.Wait()
			}
			if st := s.Stats(); st.SlowDropped != 0 {
				b.Errorf("%d viewers dropped as slow", st.SlowDropped)
			}
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(len(evs)*viewers*b.N)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MB")
		})
	}
}
