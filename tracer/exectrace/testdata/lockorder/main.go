// Command lockorder is the two-mutex deadlock of issue 11, run under
// runtime/trace: two goroutines take two mutexes in opposite order. It
// writes ../lockorder.trace, which cmd/handoff's tests check:
//
//	go run ./tracer/exectrace/testdata/lockorder > tracer/exectrace/testdata/lockorder.trace
package main

import (
	"log"
	"os"
	"runtime/trace"
	"sync"
	"time"
)

// transfer holds from, waits until its partner holds its own first
// mutex, then takes to: with a partner going the other way, never.
func transfer(from, to *sync.Mutex, holding *sync.WaitGroup) {
	from.Lock()
	holding.Done()
	holding.Wait()
	to.Lock()
	to.Unlock()
	from.Unlock()
}

func main() {
	if err := trace.Start(os.Stdout); err != nil {
		log.Fatal(err)
	}
	var a, b sync.Mutex
	var holding sync.WaitGroup
	holding.Add(2)
	go func() { transfer(&a, &b, &holding) }()
	go func() { transfer(&b, &a, &holding) }()
	time.Sleep(100 * time.Millisecond)
	trace.Stop()
}
