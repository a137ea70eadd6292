// Command ctxloop runs workers that watch a context in their loops:
// context.WithTimeout for the whole run, WithCancel for a group of
// workers, <-ctx.Done() as a statement, a labeled break out of a select
// inside a for, and ctx.Err() after. A person should see every job
// received by a worker before the cancel, and the workers end.
//
// want recv jobs: 1 | 2 | 3 | 4
// want recv results: 2 | 4 | 6 | 8
package main

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"
)

func worker(ctx context.Context, jobs <-chan int, results chan<- int, wg *sync.WaitGroup) {
	defer wg.Done()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case j, ok := <-jobs:
			if !ok {
				break loop
			}
			select {
			case results <- 2 * j:
			case <-ctx.Done():
				return
			}
		}
	}
}

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	wctx, stop := context.WithCancel(ctx)
	jobs := make(chan int)
	results := make(chan int)
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go worker(wctx, jobs, results, &wg)
	}
	go func() {
		for j := 1; j <= 4; j++ {
			jobs <- j
		}
	}()
	var got []int
	for len(got) < 4 {
		got = append(got, <-results)
	}
	stop()
	wg.Wait()
	sort.Ints(got)
	fmt.Println(got, wctx.Err())

	short, cancel2 := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel2()
	<-short.Done()
	fmt.Println(short.Err())

	if ctx.Err() == nil {
		fmt.Println("outer still alive")
	}
}
