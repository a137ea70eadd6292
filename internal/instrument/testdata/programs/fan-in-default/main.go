// Command fan-in-default merges the events of three producers into one
// channel and forwards them to a slow subscriber. The forwarder never waits
// for the subscriber: when its buffer is full the event is dropped and
// counted.
package main

import (
	"fmt"
	"sync"
	"time"
)

const (
	producers = 3
	perSource = 10
)

func produce(source int, in chan<- string, wg *sync.WaitGroup) {
	defer wg.Done()
	for i := 0; i < perSource; i++ {
		in <- fmt.Sprintf("s%d-%d", source, i)
	}
}

// forward passes each event from in to out if out has room, and drops it
// otherwise. It closes out when in is closed and returns the number dropped.
func forward(in <-chan string, out chan<- string) (dropped int) {
	for ev := range in {
		select {
		case out <- ev:
		default:
			dropped++
		}
	}
	close(out)
	return dropped
}

func main() {
	in := make(chan string)
	out := make(chan string, 2)

	var wg sync.WaitGroup
	wg.Add(producers)
	for s := 1; s <= producers; s++ {
		go produce(s, in, &wg)
	}
	go func() {
		wg.Wait()
		close(in)
	}()

	droppedc := make(chan int, 1)
	go func() { droppedc <- forward(in, out) }()

	delivered := 0
	for range out {
		delivered++
		time.Sleep(time.Millisecond) // a slow subscriber
	}
	dropped := <-droppedc

	fmt.Println("delivered:", delivered)
	fmt.Println("dropped:", dropped)
	fmt.Println("total:", delivered+dropped)
}
