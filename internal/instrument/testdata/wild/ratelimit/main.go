// Command ratelimit throttles requests with a bucket of tokens (a
// buffered channel refilled by a ticker goroutine), fans results out with
// a select that has only send cases, disables a finished input by setting
// it to nil, and uses labeled continue and break out of a select in a
// for. A person should see each request wait for a token, and both
// inputs drained before the merge stops.
//
// want recv requests: 1 | 2 | 3 | 4 | 5
// want recv a: "a0" | "a1"
// want recv b: "b0"
// want recv even: 0 | 2 | 4
// want recv odd: 1 | 3
package main

import (
	"fmt"
	"time"
)

func main() {
	tokens := make(chan struct{}, 2)
	quit := make(chan struct{})
	refilled := make(chan struct{})
	go func() {
		defer close(refilled)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				select {
				case tokens <- struct{}{}:
				default: // the bucket is full
				}
			case <-quit:
				return
			}
		}
	}()
	requests := make(chan int)
	go func() {
		for i := 1; i <= 5; i++ {
			requests <- i
		}
		close(requests)
	}()
	served := 0
	for r := range requests {
		<-tokens
		served += r
	}
	close(quit)
	<-refilled
	fmt.Println("served", served)

	// Merge two inputs, disabling each with nil once it is closed.
	a, b := make(chan string, 2), make(chan string, 1)
	a <- "a0"
	a <- "a1"
	b <- "b0"
	close(a)
	close(b)
	var got []string
	for a != nil || b != nil {
		select {
		case v, ok := <-a:
			if !ok {
				a = nil
				continue
			}
			got = append(got, v)
		case v, ok := <-b:
			if !ok {
				b = nil
				continue
			}
			got = append(got, v)
		}
	}
	fmt.Println(len(got))

	// A select with only sends: route each number to the channel with
	// room, labeled continue skipping the rest of the body.
	even, odd := make(chan int, 3), make(chan int, 3)
	var route chan int
outer:
	for i := 0; i < 6; i++ {
		if i == 5 {
			break outer
		}
		route = odd
		if i%2 == 0 {
			route = even
		}
		for {
			select {
			case route <- i:
				continue outer
			}
		}
	}
	close(even)
	close(odd)
	sum := 0
	for v := range even {
		sum += v
	}
	for v := range odd {
		sum += 100 * v
	}
	fmt.Println(sum)
}
