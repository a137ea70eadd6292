// Command stress pushes a few thousand values through a buffered fan-out
// and an unbuffered fan-in at once: eight producers send on a channel of
// capacity 4 that four workers drain, each sending a result to main, and
// a second round sends equal values (i%3) from every producer, so that
// which send a receive got is often not settled by the value. A person
// should see every value delivered, the channel never over its capacity.
//
// want recv jobs: 0 | 1 | 2 | 1000 | 7999
// want recv results: 0 | 2 | 15998
// want recv same: 0 | 1 | 2
package main

import (
	"fmt"
	"sync"
)

func main() {
	jobs := make(chan int, 4)
	results := make(chan int)
	var producers, workers sync.WaitGroup
	for p := 0; p < 8; p++ {
		producers.Add(1)
		go func(p int) {
			defer producers.Done()
			for i := 0; i < 1000; i++ {
				jobs <- p*1000 + i
			}
		}(p)
	}
	for w := 0; w < 4; w++ {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for j := range jobs {
				results <- 2 * j
			}
		}()
	}
	go func() { producers.Wait(); close(jobs) }()
	go func() { workers.Wait(); close(results) }()
	sum, n := 0, 0
	for r := range results {
		sum += r
		n++
	}
	fmt.Println(n, sum)

	same := make(chan int, 2)
	var wg sync.WaitGroup
	for p := 0; p < 4; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				same <- i % 3
			}
		}()
	}
	go func() { wg.Wait(); close(same) }()
	total := 0
	for v := range same {
		total += v
	}
	fmt.Println(total)
}
