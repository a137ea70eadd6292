// Command timers waits on the standard library's timer channels the usual
// ways: for range time.Tick, time.After in a select's timeout case,
// time.NewTimer().C, and a Ticker stopped with defer. Their channels are
// made outside the program, so the trace announces them inferred. A
// person should see the work values arrive before the timeouts.
//
// want recv work: "job-1" | "job-2"
package main

import (
	"fmt"
	"time"
)

func main() {
	n := 0
	for range time.Tick(time.Millisecond) {
		n++
		if n == 3 {
			break
		}
	}
	fmt.Println("ticks", n)

	work := make(chan string, 2)
	work <- "job-1"
	work <- "job-2"
	for i := 0; i < 3; i++ {
		select {
		case w := <-work:
			fmt.Println(w)
		case <-time.After(20 * time.Millisecond):
			fmt.Println("timeout")
		}
	}

	t := time.NewTimer(time.Millisecond)
	<-t.C
	fmt.Println("timer fired", !t.Stop())

	ticker := time.NewTicker(time.Millisecond)
	defer ticker.Stop()
	deadline := time.NewTimer(time.Hour).C
	for k := 0; ; k++ {
		select {
		case <-ticker.C:
			if k == 2 {
				fmt.Println("ticker done")
				return
			}
		case <-deadline:
			fmt.Println("never")
			return
		}
	}
}
