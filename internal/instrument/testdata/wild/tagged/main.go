// Command tagged is built with -tags fast: fast.go, kept only under that
// tag, runs the work on four goroutines, slow.go (without it) on one. A
// person should see the fast build's four workers each send a partial
// sum, and main receive them.
//
// tags: fast
// want recv partial: 10 | 26 | 42 | 58
// want go worker
package main

import "fmt"

func main() {
	nums := make([]int, 16)
	for i := range nums {
		nums[i] = i + 1
	}
	fmt.Println(mode, sum(nums))
}
