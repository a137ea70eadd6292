// Command selectstress has six producers sending 100 values each with a
// select (the value or quit) into a channel of capacity 3, then waiting
// in a select on quit alone; a consumer takes the 600 values then closes
// quit, and the producers leave through the quit case. A person should
// see the 600 values received, each from its producer, and every
// producer end.
//
// want recv out: 0 | 1 | 99 | 1000 | 2050 | 5099
// want go producer
package main

import (
	"fmt"
	"sync"
)

func producer(id int, out chan<- int, quit <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	for i := 0; i < 100; i++ {
		select {
		case out <- id*1000 + i:
		case <-quit:
			return
		}
	}
	select {
	case <-quit:
	}
}

func main() {
	out := make(chan int, 3)
	quit := make(chan struct{})
	var wg sync.WaitGroup
	for id := 0; id < 6; id++ {
		wg.Add(1)
		go producer(id, out, quit, &wg)
	}
	seen := map[int]bool{}
	for len(seen) < 600 {
		seen[<-out] = true
	}
	close(quit)
	wg.Wait()
	fmt.Println(len(seen), len(out))
}
