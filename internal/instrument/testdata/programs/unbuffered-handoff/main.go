// Command unbuffered-handoff is the chapter's first channel example: a
// goroutine sends a few strings one at a time over an unbuffered channel
// and main prints each as it arrives.
package main

import (
	"fmt"
	"time"
)

func main() {
	ch := make(chan string)
	done := make(chan struct{})

	go func() {
		vals := []string{"hi", "from", "the", "goroutine"}
		for _, val := range vals {
			ch <- val
			time.Sleep(10 * time.Millisecond)
		}
		close(ch)
		done <- struct{}{}
	}()

	for received := range ch {
		fmt.Println("Got:", received)
	}
	v, ok := <-ch
	fmt.Printf("after close: %q %v\n", v, ok)
	<-done
}
