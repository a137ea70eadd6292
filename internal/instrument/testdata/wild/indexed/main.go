// Command indexed keeps its channels in slices and maps: a shard per
// worker (chs[i] <- v), a map of named queues (<-m[k]), and a select
// whose case sends to chs[i] the value of a call. A person should see
// each shard's worker receive its values and each queue its item.
//
// want recv chs[i]: 0 | 1 | 2 | 3 | 4 | 5
// want recv m[name]: "a-item" | "b-item"
// want recv pick: 1
package main

import (
	"fmt"
	"sort"
	"sync"
)

func double(x int) int { return 2 * x }

func main() {
	const shards = 3
	chs := make([]chan int, shards)
	for i := range chs {
		chs[i] = make(chan int)
	}
	results := make(chan string, 6)
	var wg sync.WaitGroup
	for i := range chs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for v := range chs[i] {
				results <- fmt.Sprintf("shard%d:%d", i, v)
			}
		}(i)
	}
	for v := 0; v < 6; v++ {
		chs[v%shards] <- v
	}
	for i := range chs {
		close(chs[i])
	}
	wg.Wait()
	close(results)
	var out []string
	for r := range results {
		out = append(out, r)
	}
	sort.Strings(out)
	fmt.Println(out)

	m := map[string]chan string{}
	for _, name := range []string{"a", "b"} {
		m[name] = make(chan string, 1)
		m[name] <- name + "-item"
	}
	for _, k := range []string{"b", "a"} {
		fmt.Println(<-m[k])
	}

	// A select sending to an element of a slice, the value computed by a
	// call, the index itself received from a channel.
	pick := make(chan int, 1)
	pick <- 1
	sel := []chan int{make(chan int, 1), make(chan int, 1)}
	i := <-pick
	select {
	case sel[i] <- double(21):
	}
	fmt.Println(<-sel[1], len(sel[0]))
	arr := [2]chan int{make(chan int, 1), make(chan int, 1)}
	arr[0] <- 5
	fmt.Println(<-arr[0])
}
