package main

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/trace"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	benchPairs   = flag.Int("bench-pairs", 100, "BenchmarkExportVsImport: goroutine pairs ping-ponging in the Go trace")
	benchRounds  = flag.Int("bench-rounds", 1700, "BenchmarkExportVsImport: round trips per pair")
	benchDiscard = flag.Bool("bench-discard", false, "BenchmarkExportVsImport: write to stdout (discarded) instead of files, to leave the disk out")
)

// pingPong is a program of pairs of goroutines handing a value back and
// forth on unbuffered channels: the big trace.
func pingPong(pairs, rounds int) {
	var wg sync.WaitGroup
	for range pairs {
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
	wg.Wait()
}

// BenchmarkExportVsImport runs `handoff import` and `handoff export` of the
// same Go execution trace one after the other in every iteration, both
// writing their files, and reports export's time over import's (the issue
// asks for at most 1.5), and their CPU time's ratio, which the other work
// on a shared machine moves less. The trace is made first, under runtime/trace:
// -bench-pairs and -bench-rounds size it (the defaults make about the
// issue's 5.4 MB trace). -bench-discard sends both outputs to stdout, which
// the benchmark discards: the time without the disk. Each command's peak
// heap (above the start, sampled every 10 ms) is measured once first.
func BenchmarkExportVsImport(b *testing.B) {
	dir := b.TempDir()
	in := filepath.Join(dir, "big.out")
	var raw bytes.Buffer
	if err := trace.Start(&raw); err != nil {
		b.Skipf("runtime/trace: %v (is -trace on?)", err)
	}
	pingPong(*benchPairs, *benchRounds)
	trace.Stop()
	if err := os.WriteFile(in, raw.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	imported, exported := filepath.Join(dir, "big.jsonl"), filepath.Join(dir, "big.json")
	importArgs := []string{"import", in, "-o", imported, "-q"}
	exportArgs := []string{"export", in, "-o", exported, "-q"}
	// Memory first, once each, outside the timed loop: the sampler stops
	// the world now and then.
	importHeap, exportHeap := peakHeapMB(b, importArgs), peakHeapMB(b, exportArgs)
	if *benchDiscard {
		importArgs[3], exportArgs[3] = "-", "-"
	}
	var imp, exp, impCPU, expCPU time.Duration
	for b.Loop() {
		start, cpu := time.Now(), cpuTime()
		if code := run(importArgs, io.Discard, io.Discard); code != exitOK {
			b.Fatalf("import: exit %d", code)
		}
		imp += time.Since(start)
		impCPU += cpuTime() - cpu
		start, cpu = time.Now(), cpuTime()
		if code := run(exportArgs, io.Discard, io.Discard); code != exitOK {
			b.Fatalf("export: exit %d", code)
		}
		exp += time.Since(start)
		expCPU += cpuTime() - cpu
	}
	b.ReportMetric(float64(imp.Milliseconds())/float64(b.N), "import-ms")
	b.ReportMetric(float64(exp.Milliseconds())/float64(b.N), "export-ms")
	b.ReportMetric(float64(exp)/float64(imp), "export/import-time")
	b.ReportMetric(float64(expCPU)/float64(impCPU), "export/import-cpu")
	b.ReportMetric(importHeap, "import-peak-heap-MB")
	b.ReportMetric(exportHeap, "export-peak-heap-MB")
	jsonl, _ := os.Stat(imported)
	js, _ := os.Stat(exported)
	b.ReportMetric(float64(raw.Len())/1e6, "trace-MB")
	if jsonl != nil && js != nil {
		b.ReportMetric(float64(jsonl.Size())/1e6, "jsonl-MB")
		b.ReportMetric(float64(js.Size())/1e6, "json-MB")
	}
}

// peakHeapMB runs handoff with args and returns the most heap in use above
// where it started, sampled every 10 ms, in MB.
func peakHeapMB(b *testing.B, args []string) float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapInuse, ms.HeapInuse
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
		}
	}()
	code := run(args, io.Discard, io.Discard)
	close(done)
	wg.Wait()
	if code != exitOK {
		b.Fatalf("%s: exit %d", args[0], code)
	}
	return float64(peak-base) / 1e6
}

// cpuTime is the CPU time (user and system) the process has used: on a
// machine shared with other work it moves less than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
