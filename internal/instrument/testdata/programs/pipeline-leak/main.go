// Command pipeline-leak squares numbers through a two-stage pipeline and
// prints the first few squares. The consumer stops reading early, so the
// stages upstream stay blocked sending: the classic goroutine leak.
package main

import (
	"fmt"
	"runtime"
	"time"

	"example.com/pipeline-leak/internal/stages"
)

// firstSquares returns the first n values of squares and stops reading.
func firstSquares(squares <-chan int, n int) []int {
	var got []int
	for sq := range squares {
		got = append(got, sq)
		if len(got) == n {
			return got // nobody reads squares any more
		}
	}
	return got
}

func main() {
	squares := stages.Square(stages.Generate(1, 2, 3, 4, 5, 6, 7, 8, 9, 10))
	for _, sq := range firstSquares(squares, 3) {
		fmt.Println(sq)
	}

	// The rest of the program runs on; the pipeline's goroutines never end.
	time.Sleep(100 * time.Millisecond)
	fmt.Println("goroutines:", runtime.NumGoroutine())
}
