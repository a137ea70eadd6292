// Command misc gathers more forms seen in real code: a goroutine started
// from a function a call returns (go makeWorker(id)(jobs)), from an
// interface's method and from a struct's func field; sync dot-imported;
// a struct embedding a named channel type; a close through a pointer to
// a channel; range over a channel just received; a select sending what
// it receives from another channel; a labeled select left by break; a
// receive through a direction conversion. A person should see every
// value below received.
//
// want recv jobs: "w1:a" | "w2:b"
// want recv done: "runner" | "field"
// want recv Q: 7
// want recv inner: 1 | 2
// want recv dst: 42
// want recv conv: "converted"
// want go r.Run | s.handler
package main

import (
	"fmt"
	"sort"
	. "sync"
)

type Q chan int

func (q *Q) Close() { close(*q) }

type S struct {
	Q
	handler func(string)
}

type Runner interface{ Run() }

type runner struct{ done chan string }

func (r runner) Run() { r.done <- "runner" }

func makeWorker(id int, out chan<- string) func(<-chan string) {
	return func(in <-chan string) {
		for v := range in {
			out <- fmt.Sprintf("w%d:%s", id, v)
		}
	}
}

func main() {
	jobs := make(chan string)
	res := make(chan string)
	var wg WaitGroup
	for id := 1; id <= 2; id++ {
		wg.Add(1)
		in := make(chan string, 1)
		in <- map[int]string{1: "a", 2: "b"}[id]
		close(in)
		go func(id int) {
			defer wg.Done()
			makeWorker(id, jobs)(in)
		}(id)
	}
	go func() {
		var got []string
		for i := 0; i < 2; i++ {
			got = append(got, <-jobs)
		}
		sort.Strings(got)
		res <- fmt.Sprint(got)
	}()
	wg.Wait()
	fmt.Println(<-res)

	done := make(chan string)
	var r Runner = runner{done}
	go r.Run()
	fmt.Println(<-done)
	var mu Mutex
	s := S{Q: make(Q, 1), handler: func(v string) { mu.Lock(); done <- v; mu.Unlock() }}
	go s.handler("field")
	fmt.Println(<-done)
	s.Q <- 7
	fmt.Println(<-s.Q)
	s.Close()
	_, ok := <-s.Q
	fmt.Println(ok)

	chch := make(chan chan int, 1)
	inner := make(chan int, 2)
	inner <- 1
	inner <- 2
	close(inner)
	chch <- inner
	for v := range <-chch {
		fmt.Println("inner", v)
	}

	src, dst := make(chan int, 1), make(chan int, 1)
	src <- 42
outer:
	select {
	case dst <- <-src:
		break outer
	}
	_ = <-dst == 42

	conv := make(chan string, 1)
	conv <- "converted"
	fmt.Println(<-(<-chan string)(conv))
}
