// Command forms uses every form of channel operation the rewriter knows,
// and prints what it sees, so that a test can compare the instrumented
// build's output with the plain one's.
package main

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

type Jobs chan int

type pool struct {
	jobs    Jobs
	results chan<- string
}

type Flag bool

func worker(id int, jobs <-chan int, out chan<- string, wg *sync.WaitGroup, loud Flag) {
	defer wg.Done()
	if loud != Flag(id == 0) {
		panic("the flag is evaluated by the parent")
	}
	for j := range jobs {
		out <- fmt.Sprintf("w%d:%d", id, j*j)
	}
}

func gen[T any](vs ...T) <-chan T {
	out := make(chan T, len(vs))
	for _, v := range vs {
		out <- v
	}
	close(out)
	return out
}

func (p *pool) run(n int, wg *sync.WaitGroup) {
	for i := 0; i < n; i++ {
		go worker(i, p.jobs, p.results, wg, i == 0)
	}
}

func main() {
	results := make(chan string, 100)
	p := &pool{jobs: make(Jobs, 3), results: results}
	var wg sync.WaitGroup
	wg.Add(2)
	p.run(2, &wg)
	for i := 1; i <= 5; i++ {
		p.jobs <- i
	}
	close(p.jobs)
	wg.Wait()
	close(results)
	var got []string
	for r := range results {
		got = append(got, r[strings.Index(r, ":"):])
	}
	sort.Strings(got)
	fmt.Println(got)

	// comma-ok, parenthesised, nested receives, receive as a statement
	chch := make(chan chan float64, 1)
	inner := make(chan float64, 2)
	chch <- inner
	inner <- 2
	inner <- 3.5
	x := <-(<-chch)
	y, ok := (<-inner)
	fmt.Println(x, y, ok)
	close(inner)
	var z, ok2 = <-inner
	fmt.Println(z, ok2)

	// range with assignment, break, continue and labels
	var last int
	nums := gen(1, 2, 3, 4, 5, 6)
outer:
	for last = range nums {
		if last%2 == 0 {
			continue outer
		}
		if last == 5 {
			break outer
		}
	}
	fmt.Println("last", last)
	for range gen("a", "b") {
	}

	// go with a func literal, arguments evaluated by the parent
	done := make(chan struct{})
	v := 1
	go func(v int, s ...string) {
		fmt.Println("child sees", v, s)
		done <- struct{}{}
	}(v, "x", "y")
	v = 2
	<-done
	ss := []string{"p", "q"}
	go func(s ...string) { fmt.Println("spread", s); close(done) }(ss...)
	_, open := <-done
	fmt.Println("open", open, v)

	// a closure capturing the range variable
	var fs []func() int
	for n := range gen(7, 8) {
		fs = append(fs, func() int { return n })
	}
	fmt.Println(fs[0](), fs[1]())

	// select is not instrumented yet, but its bodies are
	sel := make(chan int, 1)
	sel <- 4
	select {
	case n := <-sel:
		sel <- n + 1
	default:
	}
	fmt.Println(<-sel)
	selects()
	locks()
	fairness()
	fin := make(chan int)
	go close(fin)
	<-fin
}

func selects() {
	a := make(chan int, 1)
	b := make(chan string, 1)
	var nilc chan int
	a <- 1
	got := 0
	for i := 0; i < 3; i++ {
	L:
		select {
		case v, ok := <-a:
			got += v
			if ok {
				b <- fmt.Sprint("from a ", v)
				break L
			}
		case s := <-b:
			fmt.Println(s)
		case nilc <- 5:
			panic("a nil channel is never ready")
		case <-(<-chans(nilc)):
			panic("never")
		default:
			fmt.Println("default", i)
		}
	}
	var x float64
	c := make(chan float64, 1)
	select {
	case c <- 2:
	}
	select {
	case x = <-c:
	}
	select {
	default:
		fmt.Println("only default")
	}
	fmt.Println("selects", got, x)
}

// chans returns a channel holding c.
func chans(c chan int) chan chan int {
	cc := make(chan chan int, 1)
	cc <- c
	return cc
}

type counter struct {
	name string
	sync.Mutex
	rw sync.RWMutex
	n  int
}

func (c *counter) inc() {
	c.Lock()
	defer c.Unlock()
	c.n++
}

func locks() {
	c := &counter{name: "c"}
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.inc()
			c.Mutex.Lock()
			c.n++
			c.Mutex.Unlock()
			c.rw.RLock()
			_ = c.n
			c.rw.RUnlock()
		}()
	}
	wg.Wait()
	var mu sync.Mutex
	if mu.TryLock() {
		fmt.Println("try lock", mu.TryLock())
		mu.Unlock()
	}
	var l sync.Locker = &mu
	l.Lock()
	l.Unlock()
	c.rw.Lock()
	fmt.Println("locks", c.n, c.rw.TryRLock())
	c.rw.Unlock()
}

// fairness: a select with two ready cases picks either, at random.
func fairness() {
	a, b := make(chan int, 1), make(chan int, 1)
	na, nb := 0, 0
	for i := 0; i < 1000; i++ {
		a <- 1
		b <- 2
		select {
		case <-a:
			na++
			<-b
		case <-b:
			nb++
			<-a
		}
	}
	fmt.Println("both chosen often:", na > 300 && nb > 300)
}
