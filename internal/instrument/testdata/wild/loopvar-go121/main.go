// Command loopvar-go121 starts goroutines from closures in loops, as code written
// before and after Go 1.22 does: with the i := i copy, passing the
// variable as an argument, and (the loop variable per iteration since
// 1.22, shared before) capturing it directly after the loop has ended.
// Under go 1.21 in go.mod the captured variable is
// shared: the last goroutines all see the final value, and the traced
// build must print the same.
//
// want recv out: 0 | 1 | 2 | 10 | 11 | 12 | 23 | 23 | 23
package main

import (
	"fmt"
	"sort"
	"sync"
)

func main() {
	out := make(chan int, 9)
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		i := i
		wg.Add(1)
		go func() { defer wg.Done(); out <- i }()
	}
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func(n int) { defer wg.Done(); out <- 10 + n }(i)
	}
	// Captured directly; the goroutines wait until the loop is over.
	start := make(chan struct{})
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out <- 20 + i
		}()
	}
	close(start)
	wg.Wait()
	close(out)
	var got []int
	for v := range out {
		got = append(got, v)
	}
	sort.Ints(got)
	fmt.Println(got)

	// range over a slice of channels, closures capturing the range
	// variable.
	chans := []chan string{make(chan string, 1), make(chan string, 1)}
	for k, c := range chans {
		k, c := k, c
		go func() { c <- fmt.Sprint("c", k) }()
	}
	a, b := <-chans[0], <-chans[1]
	fmt.Println(a != "", b != "")
}
