package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime/trace"
	"testing"
	"time"
)

// BenchmarkCheckRenderVsImport measures what issue 11 bounds on a big
// imported trace: `handoff check` and `handoff render` (its default
// window, to SVG) of the trace `handoff import` wrote, each against
// import's own time in the same iteration (the issue asks for at most 3x),
// and their peak heap against the Go trace's size (at most 10x). The Go
// trace is made first, of -bench-pairs goroutine pairs ping-ponging
// -bench-rounds times, and imported once to a .jsonl.gz.
func BenchmarkCheckRenderVsImport(b *testing.B) {
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
	imported := filepath.Join(dir, "big.jsonl.gz")
	importArgs := []string{"import", in, "-o", imported, "-q"}
	if code := run(importArgs, io.Discard, io.Discard); code != exitOK {
		b.Fatalf("import: exit %d", code)
	}
	importArgs[3] = filepath.Join(dir, "again.jsonl.gz")
	checkArgs := []string{"check", imported}
	renderArgs := []string{"render", imported, "-o", filepath.Join(dir, "big.svg")}
	checkHeap, renderHeap := peakHeapMB(b, checkArgs), peakHeapMB(b, renderArgs)
	var imp, chk, ren, impCPU, chkCPU, renCPU time.Duration
	timed := func(args []string, wall, cpu *time.Duration) {
		start, c := time.Now(), cpuTime()
		if code := run(args, io.Discard, io.Discard); code != exitOK {
			b.Fatalf("%s: exit %d", args[0], code)
		}
		*wall += time.Since(start)
		*cpu += cpuTime() - c
	}
	for b.Loop() {
		timed(importArgs, &imp, &impCPU)
		timed(checkArgs, &chk, &chkCPU)
		timed(renderArgs, &ren, &renCPU)
	}
	traceMB := float64(raw.Len()) / 1e6
	b.ReportMetric(traceMB, "trace-MB")
	b.ReportMetric(float64(chk)/float64(imp), "check/import-time")
	b.ReportMetric(float64(chkCPU)/float64(impCPU), "check/import-cpu")
	b.ReportMetric(float64(ren)/float64(imp), "render/import-time")
	b.ReportMetric(float64(renCPU)/float64(impCPU), "render/import-cpu")
	b.ReportMetric(checkHeap/traceMB, "check-heap/trace")
	b.ReportMetric(renderHeap/traceMB, "render-heap/trace")
}
