// Command context-cancel runs workers on an endless stream of jobs and
// cancels them all once it has the results it needs. Every goroutine
// watches ctx.Done(), so all of them end.
package main

import (
	"context"
	"fmt"
	"os"
	"sync"
)

type result struct {
	job, square int
}

// feed sends 1, 2, 3, ... on jobs until ctx is cancelled.
func feed(ctx context.Context, jobs chan<- int) {
	for n := 1; ; n++ {
		select {
		case jobs <- n:
		case <-ctx.Done():
			return
		}
	}
}

func worker(ctx context.Context, jobs <-chan int, results chan<- result) {
	for {
		select {
		case <-ctx.Done():
			return
		case n := <-jobs:
			select {
			case results <- result{job: n, square: n * n}:
			case <-ctx.Done():
				return
			}
		}
	}
}

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	jobs := make(chan int)
	results := make(chan result)

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		feed(ctx, jobs)
	}()
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			worker(ctx, jobs, results)
		}()
	}

	const want = 5
	got := 0
	for r := range results {
		fmt.Fprintf(os.Stderr, "%d squared is %d\n", r.job, r.square)
		got++
		if got == want {
			break
		}
	}
	cancel()
	wg.Wait()
	fmt.Println("results:", got)
	fmt.Println("all workers stopped")
}
