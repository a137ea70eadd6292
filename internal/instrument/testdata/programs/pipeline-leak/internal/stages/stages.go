// Package stages holds the stages of a number pipeline: each stage is a
// goroutine that reads from the previous stage's channel and writes to its
// own.
package stages

// Generate sends values, in order, on the channel it returns, and closes it.
func Generate(values ...int) <-chan int {
	nums := make(chan int)
	go func() {
		for _, v := range values {
			nums <- v // handoff:leak
		}
		close(nums)
	}()
	return nums
}

// Square sends the square of every number it receives from in, and closes
// its channel when in is closed.
func Square(in <-chan int) <-chan int {
	squares := make(chan int)
	go func() {
		for n := range in {
			squares <- n * n // handoff:leak
		}
		close(squares)
	}()
	return squares
}
