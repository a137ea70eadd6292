// Command stmtforms puts channel operations where a statement may go
// but rarely does: a send as an if's or a switch's init, a receive as a
// for loop's post statement, a labeled send, range over a channel into a
// struct field, package-level channels made in var declarations and used
// in init, and a package-level function named close that shadows the
// built-in in the whole package (so this package closes no channel). A
// person should see every value below received.
//
// want recv events: "init" | "first" | "second"
// want recv ticks: 1 | 2 | 3
// want recv feed: "a" | "b"
// want recv done: true
package main

import "fmt"

var (
	events = make(chan string, 8)
	done   = make(chan bool, 1)
)

func init() {
	events <- "init"
}

type file struct{ name string }

// close is the program's own: it shadows the built-in everywhere here.
func close(f *file) string { return "closed " + f.name }

type state struct{ last string }

func main() {
	if events <- "first"; len(events) == 2 {
		fmt.Println("two events")
	}
	switch events <- "second"; {
	default:
		fmt.Println(len(events))
	}
	for i := 0; i < 3; i++ {
		fmt.Println(<-events)
	}

	ticks := make(chan int, 3)
	ticks <- 1
	ticks <- 2
	ticks <- 3
	n := 0
	for n = <-ticks; n < 3; n = <-ticks {
		fmt.Println("tick", n)
	}

send:
	done <- true
	if !<-done {
		goto send
	}

	feed := make(chan string, 2)
	feed <- "a"
	feed <- "b"
	var s state
	go func() { feed <- "" }()
	for s.last = range feed {
		if s.last == "" {
			break
		}
		fmt.Println("fed", s.last)
	}
	fmt.Println(close(&file{"log"}))
}
