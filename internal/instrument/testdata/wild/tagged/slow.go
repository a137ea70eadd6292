//go:build !fast

package main

const mode = "slow"

func sum(nums []int) int {
	total := 0
	for _, v := range nums {
		total += v
	}
	return total
}
