//go:build fast

package main

const mode = "fast"

func worker(part []int, partial chan<- int) {
	s := 0
	for _, v := range part {
		s += v
	}
	partial <- s
}

func sum(nums []int) int {
	partial := make(chan int, 4)
	n := len(nums) / 4
	for i := 0; i < 4; i++ {
		go worker(nums[i*n:(i+1)*n], partial)
	}
	total := 0
	for i := 0; i < 4; i++ {
		total += <-partial
	}
	return total
}
