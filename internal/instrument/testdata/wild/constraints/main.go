// Command constraints uses channels through type parameters and
// iterators, as a Go 1.23 utility package does: a function generic over
// any channel type (C ~chan E) that makes, fills, drains and closes it, a
// generic queue type with a channel field, a type alias of a channel, an
// iterator (iter.Seq) that yields what it receives, and range over an
// int. A person should see every value received from its channel.
//
// want recv c: 1 | 2 | 3
// want recv items: "q1" | "q2" | "q3"
// want go q.Fill
// want recv jobs: 5 | 6
// want recv src: 10 | 20 | 30
package main

import (
	"fmt"
	"iter"
)

type Ints chan int

// Fill makes a channel of type C, sends vs on it and closes it.
func Fill[C ~chan E, E any](n int, vs ...E) C {
	c := make(C, n)
	for _, v := range vs {
		c <- v
	}
	close(c)
	return c
}

// Drain receives everything from c.
func Drain[C ~chan E, E any](c C) []E {
	var out []E
	for v := range c {
		out = append(out, v)
	}
	return out
}

type Queue[T any] struct{ items chan T }

func NewQueue[T any](n int) *Queue[T] { return &Queue[T]{items: make(chan T, n)} }
func (q *Queue[T]) Push(v T)          { q.items <- v }
func (q *Queue[T]) Pop() (T, bool) {
	select {
	case v := <-q.items:
		return v, true
	default:
		var zero T
		return zero, false
	}
}

// Fill pushes vs and says when it is done.
func (q *Queue[T]) Fill(done chan<- bool, vs ...T) {
	for _, v := range vs {
		q.Push(v)
	}
	done <- true
}

type Jobs = chan int

// Received yields what ch carries until it is closed.
func Received[T any](ch <-chan T) iter.Seq[T] {
	return func(yield func(T) bool) {
		for v := range ch {
			if !yield(v) {
				return
			}
		}
	}
}

func main() {
	fmt.Println(Drain(Fill[Ints](3, 1, 2, 3)))

	q := NewQueue[string](2)
	q.Push("q1")
	q.Push("q2")
	for range 3 {
		fmt.Println(q.Pop())
	}

	filled := make(chan bool)
	go q.Fill(filled, "q3")
	<-filled
	switch v := any(<-q.items).(type) {
	case string:
		fmt.Println("a string", v)
	}

	var jobs Jobs = make(Jobs, 2)
	jobs <- 5
	jobs <- 6
	fmt.Println(<-jobs + <-jobs)

	src := make(chan int)
	go func() {
		defer close(src)
		for i := range 3 {
			src <- 10 * (i + 1)
		}
	}()
	sum := 0
	for v := range Received(src) {
		sum += v
	}
	fmt.Println(sum)
}
