// Command multiline writes its channel operations over several lines, as
// gofmt leaves long ones: a select whose send case is a composite literal
// spread over lines, a receive case from a call whose arguments are on
// lines of their own, and a multi-line send statement. It prints the line
// numbers runtime.Caller reports after each, which the traced build must
// print the same: every position stays the user's own line.
//
// want recv out: result{ID:1 Note:"first"} | result{ID:2 Note:"second"}
// want recv in: "from a call" | "into a map"
//
// A case over several lines with a line comment in it cannot be moved to
// one line: that select is left alone (a skip says so), and the value it
// receives, "commented", is not in the trace as received.
package main

import (
	"fmt"
	"runtime"
)

type result struct {
	ID   int
	Note string
}

func line() int {
	_, _, n, _ := runtime.Caller(1)
	return n
}

func pick(
	a chan string,
	b chan string,
) chan string {
	if a != nil {
		return a
	}
	return b
}

func main() {
	out := make(chan result, 1)
	in := make(chan string, 1)
	for i := 0; i < 2; i++ {
		if i == 1 {
			in <- "from a call" // out is full: only this case is ready
		}
		select {
		case out <- result{
			ID:   1,
			Note: "first",
		}:
			fmt.Println("sent at", line())
		case v := <-pick(
			in,
			nil,
		):
			fmt.Println("received", v, "at", line())
		}
	}
	fmt.Println(<-out)
	counts := map[string]string{}
	in <- "into a map"
	select {
	case counts[fmt.Sprint("k",
		1)] = <-in:
		fmt.Println(counts, "at", line())
	}
	out <- result{
		ID:   2,
		Note: "second",
	}
	fmt.Println("after the send", line())
	fmt.Println(<-out)
	defer func() {
		r := recover()
		fmt.Println("recovered", r, "at", line())
	}()
	in <- "commented"
	select {
	case v := <-pick( // a line comment: this select stays as written
		in,
		nil,
	):
		fmt.Println("received", v, "at", line())
	}
	var m map[string]int
	in <- "x"
	m["boom"] = len(<-in)
}
