// Command chanofchan is a request/reply server: requests carry their own
// reply channel (a channel of channels, and an anonymous struct element
// type), jobs are funcs sent over a channel, shapes travel as an
// interface (a concrete value sent on a channel of an interface, also in
// a select; an int on a chan any; a chan int on a chan (<-chan int)). A
// person should see each request with its reply channel go
// to the server and each reply come back on its own channel.
//
// want recv reply: "HELLO" | "WORLD"
// want recv mine: "ping:pong"
// want recv replies: chan@…
// want recv shapes: square{side:2} | circle{r:1}
// want recv more: circle{r:2}
// want recv anything: 4
// want recv source: 9
package main

import (
	"fmt"
	"strings"
)

type shape interface{ area() float64 }

type square struct{ side float64 }
type circle struct{ r float64 }

func (s square) area() float64 { return s.side * s.side }
func (c circle) area() float64 { return 3 * c.r * c.r }

func main() {
	requests := make(chan struct {
		text  string
		reply chan string
	})
	go func() {
		for req := range requests {
			req.reply <- strings.ToUpper(req.text)
		}
	}()
	for _, w := range []string{"hello", "world"} {
		reply := make(chan string)
		requests <- struct {
			text  string
			reply chan string
		}{w, reply}
		fmt.Println(<-reply)
	}
	close(requests)

	// A channel of channels.
	replies := make(chan chan string, 1)
	go func() {
		r := <-replies
		r <- "ping:pong"
	}()
	mine := make(chan string)
	replies <- mine
	fmt.Println(<-mine)

	// A channel of funcs.
	jobs := make(chan func() int)
	results := make(chan int)
	go func() {
		for j := range jobs {
			results <- j()
		}
		close(results)
	}()
	go func() {
		for i := 1; i <= 3; i++ {
			jobs <- func() int { return i * 100 }
		}
		close(jobs)
	}()
	for r := range results {
		fmt.Println(r)
	}

	// An interface element type.
	shapes := make(chan shape, 2)
	shapes <- square{2}
	shapes <- circle{1}
	close(shapes)
	total := 0.0
	more := make(chan shape, 1)
	select {
	case more <- circle{2}:
	}
	total += (<-more).area()
	anything := make(chan any, 1)
	n := 4
	anything <- n
	fmt.Println(<-anything)
	readers := make(chan (<-chan int), 1)
	source := make(chan int, 1)
	source <- 9
	readers <- source
	fmt.Println(<-<-readers)
	for s := range shapes {
		total += s.area()
	}
	fmt.Println(total)
}
