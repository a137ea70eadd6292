// Command generics merges channels with generic helpers, the way a
// utility package does: Merge[T] fans several channels into one, Map[T,
// U] transforms a stream, and a generic named channel type has methods.
// A person should see three producers' values arrive on Merge's output,
// each squared by Map, and a Pipe[string] carrying words. Every go
// statement is instrumented, go forward(in, out, f) too, whose type
// arguments Go infers: its goroutine is named forward.
//
// want recv out: 1 | 2 | 3 | 10 | 20 | 30
// want recv p: "alpha" | "beta" | "gamma"
// want go forward | Merge.func1 | gen.func1 | p.Put
package main

import (
	"fmt"
	"sort"
	"sync"
)

// Merge fans cs into one channel, closed when all of them are.
func Merge[T any](cs ...<-chan T) <-chan T {
	out := make(chan T)
	var wg sync.WaitGroup
	wg.Add(len(cs))
	for _, c := range cs {
		go func(c <-chan T) {
			defer wg.Done()
			for v := range c {
				out <- v
			}
		}(c)
	}
	go func() { wg.Wait(); close(out) }()
	return out
}

// Map applies f to every value of in.
func Map[T, U any](in <-chan T, f func(T) U) <-chan U {
	out := make(chan U, 1)
	go forward(in, out, f)
	return out
}

func forward[T, U any](in <-chan T, out chan<- U, f func(T) U) {
	defer close(out)
	for v := range in {
		out <- f(v)
	}
}

func gen[T any](vs ...T) <-chan T {
	c := make(chan T)
	go func() {
		defer close(c)
		for _, v := range vs {
			c <- v
		}
	}()
	return c
}

// Pipe is a channel with methods.
type Pipe[T any] chan T

func (p Pipe[T]) Put(v T) { p <- v }
func (p Pipe[T]) Take() T { return <-p }

func main() {
	var got []int
	for v := range Merge(gen(1, 2, 3), gen(10, 20), gen[int](30)) {
		got = append(got, v)
	}
	sort.Ints(got)
	fmt.Println(got)

	var sq []int
	for v := range Map(gen(2, 3), func(x int) int { return x * x }) {
		sq = append(sq, v)
	}
	fmt.Println(sq)

	p := make(Pipe[string], 2)
	go Pipe[string].Put(p, "alpha")
	done := make(chan bool)
	go func() { p.Put("beta"); done <- true }()
	<-done
	a, b := p.Take(), p.Take()
	if a > b {
		a, b = b, a
	}
	fmt.Println(a, b)
	go p.Put("gamma")
	fmt.Println(p.Take())

	explicit := make(chan int)
	go forward[int, int](gen(7), explicit, func(x int) int { return -x })
	fmt.Println(<-explicit)
}
