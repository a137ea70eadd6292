// Command modern is Go 1.25 code: goroutines started by
// sync.WaitGroup.Go (the standard library starts them: the rewriter wraps
// the function as it does a go statement's, so they are named main.func1
// and started by main), a mutex embedded in a type that wraps Lock with
// its own method, channels in a map of structs, for *p = range ch and
// for _ = range ch. A person should see every value received.
//
// want recv results: 1 | 4 | 9 | 16
// want recv ch: "via map"
// want recv nums: 5 | 6
// want recv drain: "x" | "y"
// want go main.func1
package main

import (
	"fmt"
	"slices"
	"sync"
)

type counter struct {
	sync.Mutex
	n int
}

// Lock is the type's own: it wraps the embedded mutex's.
func (c *counter) Lock() {
	c.Mutex.Lock()
	c.n++
}

type box struct{ ch chan string }

func main() {
	results := make(chan int, 4)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() { results <- (i + 1) * (i + 1) })
	}
	wg.Wait()
	close(results)
	var got []int
	for v := range results {
		got = append(got, v)
	}
	slices.Sort(got)
	fmt.Println(got)

	c := &counter{}
	c.Lock()
	c.Unlock()
	fmt.Println(c.n)

	m := map[string]box{"a": {ch: make(chan string, 1)}}
	m["a"].ch <- "via map"
	fmt.Println(<-m["a"].ch)

	nums := make(chan int, 2)
	nums <- 5
	nums <- 6
	close(nums)
	var x int
	p := &x
	sum := 0
	for *p = range nums {
		sum += x
	}
	fmt.Println(sum, x)

	drain := make(chan string, 2)
	drain <- "x"
	drain <- "y"
	close(drain)
	n := 0
	for _ = range drain {
		n++
	}
	fmt.Println(n)
}
