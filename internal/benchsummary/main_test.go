package main

import (
	"strings"
	"testing"
)

func TestSummarize(t *testing.T) {
	in := `goos: linux
BenchmarkUnbufferedHandoff/bare-2         	  300000	       300.0 ns/op
BenchmarkUnbufferedHandoff/bare-2         	  300000	       200.0 ns/op
BenchmarkUnbufferedHandoff/bare-2         	  300000	       250.0 ns/op
BenchmarkUnbufferedHandoff/traced-2       	  300000	       375.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkUnbufferedHandoff/runtime-trace-2 	  300000	       500.0 ns/op
BenchmarkClock-2                                   	  200000	        16.47 ns/op
PASS
`
	var out strings.Builder
	if err := summarize(strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	want := "handoff-bench unbuffered-handoff traced/bare=1.50 runtime-trace/bare=2.00 bare=250.0ns traced=375.0ns traced-allocs/op=0\n" +
		"handoff-bench clock ns/op=16.5\n"
	if out.String() != want {
		t.Errorf("got  %q\nwant %q", out.String(), want)
	}
}
