// Command selftrace records its own runtime/trace (into memory) around a
// small ping-pong with a task and regions, as a program profiling itself
// does. Traced by handoff, both must work: the program's execution trace
// is written, and handoff's trace has the ping-pong.
//
// want recv ping: 0 | 1 | 2
// want recv pong: 0 | 1 | 2
package main

import (
	"bytes"
	"context"
	"fmt"
	"runtime/trace"
)

func main() {
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		fmt.Println("trace:", err)
		return
	}
	ctx, task := trace.NewTask(context.Background(), "pingpong")
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			trace.WithRegion(ctx, "pong", func() { pong <- v })
		}
		close(pong)
	}()
	for i := 0; i < 3; i++ {
		ping <- i
		fmt.Println(<-pong)
	}
	close(ping)
	_, ok := <-pong
	task.End()
	trace.Stop()
	fmt.Println(ok, buf.Len() > 0)
}
