// Command recovered recovers from the panics channels make: a send on a
// closed channel, a close of a closed channel, a close of a nil channel;
// a goroutine ends with runtime.Goexit after a deferred send; and a
// select has two cases on the same channel. A person should see each
// panic recovered where it happened, the program going on, and the
// values received.
//
// want recv results: "send on closed channel" | "close of closed channel" | "close of nil channel" | "goexit"
// want recv ch: "twice"
package main

import (
	"fmt"
	"runtime"
)

func try(results chan<- string, f func()) {
	defer func() {
		if r := recover(); r != nil {
			results <- fmt.Sprint(r)
		}
	}()
	f()
}

func main() {
	results := make(chan string, 8)
	closed := make(chan int, 1)
	close(closed)
	try(results, func() { closed <- 1 })
	try(results, func() { close(closed) })
	try(results, func() {
		var nilch chan int
		close(nilch)
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { results <- "goexit" }()
		runtime.Goexit()
	}()
	<-done
	for i := 0; i < 4; i++ {
		fmt.Println(<-results)
	}

	ch := make(chan string, 1)
	ch <- "twice"
	select {
	case v := <-ch:
		fmt.Println("got", v)
	case v := <-ch:
		fmt.Println("got", v)
	}
}
