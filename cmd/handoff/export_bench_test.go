package main

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"runtime/trace"
	"sync"
	"testing"
	"time"
)

var (
	benchPairs  = flag.Int("bench-pairs", 100, "BenchmarkExportVsImport: goroutine pairs ping-ponging in the Go trace")
	benchRounds = flag.Int("bench-rounds", 1700, "BenchmarkExportVsImport: round trips per pair")
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
// asks for at most 1.5). The trace is made first, under runtime/trace:
// -bench-pairs and -bench-rounds size it (the defaults make about the
// issue's 1.36M handoff events).
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
	var imp, exp time.Duration
	for b.Loop() {
		start := time.Now()
		if code := run([]string{"import", in, "-o", imported, "-q"}, io.Discard, io.Discard); code != exitOK {
			b.Fatalf("import: exit %d", code)
		}
		imp += time.Since(start)
		start = time.Now()
		if code := run([]string{"export", in, "-o", exported, "-q"}, io.Discard, io.Discard); code != exitOK {
			b.Fatalf("export: exit %d", code)
		}
		exp += time.Since(start)
	}
	jsonl, _ := os.Stat(imported)
	js, _ := os.Stat(exported)
	b.ReportMetric(float64(raw.Len())/1e6, "trace-MB")
	b.ReportMetric(float64(imp.Milliseconds())/float64(b.N), "import-ms")
	b.ReportMetric(float64(exp.Milliseconds())/float64(b.N), "export-ms")
	b.ReportMetric(float64(exp)/float64(imp), "export/import-time")
	if jsonl != nil && js != nil {
		b.ReportMetric(float64(jsonl.Size())/1e6, "jsonl-MB")
		b.ReportMetric(float64(js.Size())/1e6, "json-MB")
	}
}
