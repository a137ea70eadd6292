// Command worker-pool checksums a batch of jobs on three workers fed by a
// bounded queue and prints the results in job order.
package main

import (
	"fmt"
	"sort"

	"example.com/worker-pool/internal/pool"
)

func main() {
	var jobs []pool.Job
	for id := 1; id <= 10; id++ {
		jobs = append(jobs, pool.Job{ID: id, Size: id * 10})
	}

	p := pool.New(3, 4)
	go p.Submit(jobs)

	sums := make(map[int]int)
	for r := range p.Results() {
		sums[r.JobID] = r.Sum
	}

	ids := make([]int, 0, len(sums))
	for id := range sums {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for _, id := range ids {
		fmt.Printf("job %d: %d\n", id, sums[id])
	}
	fmt.Println("done:", len(ids), "jobs")
}
