package exectrace

import (
	"bytes"
	"io"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/handoff-viz/handoff/tracer"
	"golang.org/x/exp/trace"
)

// busy is a program with many goroutines handing work to each other:
// pairs ping-ponging on unbuffered channels and a pool of workers on a
// buffered queue with a collector.
func busy(rounds int) {
	var wg sync.WaitGroup
	for range 4 {
		ping, pong := make(chan int), make(chan int)
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range rounds {
				ping <- i
				<-pong
			}
			close(ping)
		}()
		go func() {
			defer wg.Done()
			for v := range ping {
				pong <- v
			}
		}()
	}
	jobs, results := make(chan int, 8), make(chan int)
	var workers sync.WaitGroup
	for range 4 {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for j := range jobs {
				results <- j * j
			}
		}()
	}
	go func() { workers.Wait(); close(results) }()
	go func() {
		for i := range rounds * 2 {
			jobs <- i
		}
		close(jobs)
	}()
	for range results {
	}
	wg.Wait()
}

var (
	bigOnce sync.Once
	bigRaw  []byte
	bigN    int64
)

// bigTrace is a trace of busy with about a million events, made once.
func bigTrace(b *testing.B) ([]byte, int64) {
	bigOnce.Do(func() {
		bigRaw = record(b, func() { busy(40000) })
		bigN = readAll(b, bigRaw)
	})
	return bigRaw, bigN
}

// heapPeak samples the live heap, for the memory figures.
type heapPeak struct {
	base, peak uint64
	ms         runtime.MemStats
}

func newHeapPeak() *heapPeak {
	h := &heapPeak{}
	runtime.GC()
	runtime.ReadMemStats(&h.ms)
	h.base = h.ms.HeapInuse
	return h
}

func (h *heapPeak) sample() {
	runtime.ReadMemStats(&h.ms)
	if h.ms.HeapInuse > h.base {
		h.peak = max(h.peak, h.ms.HeapInuse-h.base)
	}
}

// BenchmarkImport pairs the importer with a bare ReadEvent loop of
// x/exp/trace over the same trace, in the same run: the ratio of their
// events/s is the importer's overhead. peak-heap/file is the most heap in
// use above the start, sampled every 64k events, over the file's size.
func BenchmarkImport(b *testing.B) {
	raw, n := bigTrace(b)
	b.Logf("trace: %d bytes, %d events", len(raw), n)
	b.Run("ReadEvent", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		hp := newHeapPeak()
		for b.Loop() {
			r, err := trace.NewReader(bytes.NewReader(raw))
			if err != nil {
				b.Fatal(err)
			}
			var k int64
			for {
				_, err := r.ReadEvent()
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				if k++; k&(1<<16-1) == 0 {
					hp.sample()
				}
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		b.ReportMetric(float64(hp.peak)/float64(len(raw)), "peak-heap/file")
	})
	b.Run("Convert", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		hp := newHeapPeak()
		var out int64
		for b.Loop() {
			rep, err := Convert(bytes.NewReader(raw), Options{Progress: func(int64) { hp.sample() }}, func(*tracer.Event) error { return nil })
			if err != nil {
				b.Fatal(err)
			}
			out = rep.Events
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		b.ReportMetric(float64(out), "events-out")
		b.ReportMetric(float64(hp.peak)/float64(len(raw)), "peak-heap/file")
	})
	b.Run("ConvertJSONL", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		hp := newHeapPeak()
		for b.Loop() {
			w, err := tracer.NewWriter(io.Discard, tracer.Header{Note: Note})
			if err != nil {
				b.Fatal(err)
			}
			_, err = Convert(bytes.NewReader(raw), Options{Progress: func(int64) { hp.sample() }}, w.Write)
			if err != nil {
				b.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		b.ReportMetric(float64(hp.peak)/float64(len(raw)), "peak-heap/file")
	})
}

// BenchmarkImportPaired reads the same trace with a bare ReadEvent loop and
// with Convert, one after the other in every iteration, and reports the
// ratio of their times: the machine's drift from minute to minute hits
// both halves of a pair alike, which BenchmarkImport's separate
// sub-benchmarks cannot promise. convert/bare-speed is Convert's events/s
// over the bare loop's (the issue asks for at least 0.8).
func BenchmarkImportPaired(b *testing.B) {
	raw, _ := bigTrace(b)
	var bare, conv time.Duration
	for b.Loop() {
		start := time.Now()
		readAll(b, raw)
		bare += time.Since(start)
		start = time.Now()
		if _, err := Convert(bytes.NewReader(raw), Options{}, func(*tracer.Event) error { return nil }); err != nil {
			b.Fatal(err)
		}
		conv += time.Since(start)
	}
	b.ReportMetric(float64(bare)/float64(conv), "convert/bare-speed")
}

// readAll is the bare ReadEvent loop over raw; it returns the event count.
func readAll(b *testing.B, raw []byte) int64 {
	r, err := trace.NewReader(bytes.NewReader(raw))
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	for {
		_, err := r.ReadEvent()
		if err == io.EOF {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
		n++
	}
}
