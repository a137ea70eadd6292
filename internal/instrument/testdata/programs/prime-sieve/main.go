// Command prime-sieve prints the primes up to a limit with the chained
// sieve: a generator sends 2, 3, 4, ... and each prime found adds a
// goroutine to the chain that filters out its multiples. Every channel is
// unbuffered, so every number that moves down the chain is a handoff.
//
// Usage: prime-sieve [-limit N]
package main

import (
	"flag"
	"fmt"
	"os"
)

// generate sends 2, 3, ..., limit on ch, then closes it.
func generate(ch chan<- int, limit int) {
	for i := 2; i <= limit; i++ {
		ch <- i
	}
	close(ch)
}

// filter copies the numbers from in to out, except the multiples of prime.
func filter(in <-chan int, out chan<- int, prime int) {
	for i := range in {
		if i%prime != 0 {
			out <- i
		}
	}
	close(out)
}

func main() {
	limit := flag.Int("limit", 100, "print the primes up to `N`")
	flag.Parse()
	if *limit < 2 {
		fmt.Fprintln(os.Stderr, "prime-sieve: -limit must be at least 2")
		os.Exit(2)
	}

	ch := make(chan int)
	go generate(ch, *limit)
	for {
		prime, ok := <-ch
		if !ok {
			break
		}
		fmt.Println(prime)
		next := make(chan int)
		go filter(ch, next, prime)
		ch = next
	}
}
