// Command deadlock-select forgets to start the goroutine that would
// answer: main waits in a select on a nil channel (disabled earlier) and
// on a reply channel nobody sends on, after a worker has delivered its
// one value and ended. Go reports that all goroutines are asleep (exit
// 2); the traced program must end the same way, with the value it got.
//
// want recv first: "only value"
package main

import "fmt"

func main() {
	first := make(chan string)
	go func() { first <- "only value" }()
	fmt.Println(<-first)
	var disabled chan int
	reply := make(chan int)
	select {
	case v := <-disabled:
		fmt.Println("never", v)
	case v := <-reply:
		fmt.Println("never", v)
	}
}
