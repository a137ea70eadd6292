// Command layout is a program spread out as real ones are: main split
// across several files (main.go, pipeline.go, and a file kept only by a
// //go:build constraint), a package whose name (pool) differs from its
// directory (internal/workers), and a file excluded by a build tag that
// is never set, and a send the rewriter must leave alone (readers.go).
// A person should see pool's workers receive the jobs and main receive
// the results; the reader sent on rch by the send left alone appears in
// main's hands when it receives it (made there, conf inferred).
//
// want recv jobs: 1 | 2 | 3
// want recv results: 2 | 4 | 6
// want recv stage: "linux-or-not"
// want make &Reader{s:"hello"…
package main

import (
	"fmt"
	"sort"

	pool "example.com/layout/internal/workers"
)

func main() {
	results := make(chan int)
	p := pool.New(2, results)
	go feed(p, 1, 2, 3)
	var got []int
	for i := 0; i < 3; i++ {
		got = append(got, <-results)
	}
	p.Stop()
	sort.Ints(got)
	fmt.Println(got)
	fmt.Println(platformStage())
	fmt.Println(readOne())
}
