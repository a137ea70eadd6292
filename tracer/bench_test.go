package tracer

import (
	"fmt"
	"io"
	"runtime/trace"
	"sync"
	"testing"
)

// The benchmarks pair the bare Go operation with the traced one, and with
// the bare one under runtime/trace, in the same run: compare their ratios,
// not their absolute times (see docs/performance.md and `make bench`).

// benchTracer returns a tracer that keeps nothing: the benchmarks measure
// the record path, not the merge.
func benchTracer() (*Tracer, *G) {
	t := New(withDiscard(), WithCallSites(false), WithDeadlockTimeout(0))
	return t, t.Main("main")
}

func bareHandoff(b *testing.B, capacity int) {
	ch := make(chan int, capacity)
	done := make(chan struct{})
	go func() {
		for i := 0; i < b.N; i++ {
			ch <- i
		}
		close(done)
	}()
	for i := 0; i < b.N; i++ {
		<-ch
	}
	<-done
}

func tracedHandoff(b *testing.B, capacity int) {
	t, g := benchTracer()
	ch := NewChan[int](g, "ch", capacity)
	b.ResetTimer()
	h := g.Go("producer", func(g *G) {
		for i := 0; i < b.N; i++ {
			ch.Send(g, i)
		}
	})
	for i := 0; i < b.N; i++ {
		ch.Recv(g)
	}
	h.Join(g)
	b.StopTimer()
	g.finishMain()
	t.Close()
}

func runtimeTraced(b *testing.B, body func(b *testing.B)) {
	if trace.IsEnabled() {
		b.Skip("runtime/trace is already on")
	}
	if err := trace.Start(io.Discard); err != nil {
		b.Fatal(err)
	}
	body(b)
	trace.Stop()
}

func benchHandoff(b *testing.B, capacity int) {
	b.Run("bare", func(b *testing.B) { bareHandoff(b, capacity) })
	b.Run("traced", func(b *testing.B) { tracedHandoff(b, capacity) })
	b.Run("runtime-trace", func(b *testing.B) {
		runtimeTraced(b, func(b *testing.B) { bareHandoff(b, capacity) })
	})
}

// BenchmarkUnbufferedHandoff is one send/receive pair between two
// goroutines on an unbuffered channel.
func BenchmarkUnbufferedHandoff(b *testing.B) { benchHandoff(b, 0) }

// BenchmarkBoundedChannel is one element from a producer to a consumer
// through a channel with room for 128.
func BenchmarkBoundedChannel(b *testing.B) { benchHandoff(b, 128) }

// BenchmarkRecordEvent is the cost of recording one event (a read of an
// owned value), clock included.
func BenchmarkRecordEvent(b *testing.B) {
	t, g := benchTracer()
	v := Make(g, "v", 1)
	b.ReportAllocs()
	b.ResetTimer()
	sum := 0
	for i := 0; i < b.N; i++ {
		sum += v.Get(g)
	}
	b.StopTimer()
	g.finishMain()
	t.Close()
}

// BenchmarkClock is the clock the record path reads.
func BenchmarkClock(b *testing.B) {
	var s int64
	for i := 0; i < b.N; i++ {
		s += cputicks()
	}
	_ = s
}

// BenchmarkSendRecvOneGoroutine is a send and a receive on a buffered
// channel by one goroutine: the record path without the scheduler, the
// steadiest pair to compare changes with.
func BenchmarkSendRecvOneGoroutine(b *testing.B) {
	b.Run("bare", func(b *testing.B) {
		ch := make(chan int, 16)
		for i := 0; i < b.N; i++ {
			ch <- i
			<-ch
		}
	})
	b.Run("traced", func(b *testing.B) {
		t, g := benchTracer()
		ch := NewChan[int](g, "ch", 16)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			ch.Send(g, i)
			ch.Recv(g)
		}
		b.StopTimer()
		g.finishMain()
		t.Close()
	})
}

// BenchmarkLiveManyGoroutines: n goroutines each send one value on a
// bounded channel of 4 that main drains, traced (plain: merged at the end;
// live: WithLive) beside the same program in bare Go. Most senders wait for room at once; in
// live mode they sleep until a receive wakes one of them, so the time per
// goroutine (ns/goroutine) stays flat from 1,000 to 10,000 goroutines.
// (They polled every 200us before: 10,000 did not finish in 180 s.)
func BenchmarkLiveManyGoroutines(b *testing.B) {
	for _, n := range []int{1000, 3000, 10000} {
		b.Run(fmt.Sprintf("bare/n=%d", n), func(b *testing.B) {
			for range b.N {
				ch := make(chan int, 4)
				var wg sync.WaitGroup
				for i := range n {
					wg.Add(1)
					go func() { defer wg.Done(); ch <- i }()
				}
				for range n {
					<-ch
				}
				wg.Wait()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/goroutine")
		})
		for _, mode := range []string{"plain", "live"} {
			b.Run(fmt.Sprintf("%s/n=%d", mode, n), func(b *testing.B) {
				for range b.N {
					opts := []Option{WithCallSites(false), WithDeadlockTimeout(0)}
					if mode == "live" {
						opts = append(opts, WithLive(0), withDiscard())
					} else {
						opts = append(opts, WithSink(discardSink{})) // merged, then thrown away
					}
					t := New(opts...)
					g := t.Main("main")
					ch := NewChan[int](g, "jobs", 4)
					hs := make([]*Handle, n)
					for i := range n {
						hs[i] = g.Go("sender", func(g *G) { ch.Send(g, i) })
					}
					for range n {
						ch.Recv(g)
					}
					for _, h := range hs {
						h.Join(g)
					}
					g.finishMain()
					t.Close()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/goroutine")
			})
		}
	}
}

// discardSink takes merged events and keeps none.
type discardSink struct{}

func (discardSink) Emit([]Event) error { return nil }
func (discardSink) Close() error       { return nil }
