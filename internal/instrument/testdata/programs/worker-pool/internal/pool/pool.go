// Package pool runs jobs on a fixed number of workers fed by a bounded
// queue.
package pool

import "sync"

// Job is a piece of work: the size of a file to checksum, say.
type Job struct {
	ID   int
	Size int
}

// Result is what a worker made of a Job.
type Result struct {
	JobID int
	Sum   int
}

// JobQueue is the pool's bounded queue of jobs.
type JobQueue chan Job

// Pool is a set of workers reading one queue and writing one result channel.
type Pool struct {
	jobs    JobQueue
	results chan Result
	wg      sync.WaitGroup
}

// New starts workers goroutines reading a queue of queueSize jobs.
func New(workers, queueSize int) *Pool {
	p := &Pool{
		jobs:    make(JobQueue, queueSize),
		results: make(chan Result),
	}
	p.wg.Add(workers)
	for range workers {
		go p.work()
	}
	go func() {
		p.wg.Wait()
		close(p.results)
	}()
	return p
}

func (p *Pool) work() {
	defer p.wg.Done()
	for job := range p.jobs {
		p.results <- Result{JobID: job.ID, Sum: checksum(job.Size)}
	}
}

// checksum stands for the real work: the sum of 1..n.
func checksum(n int) int {
	sum := 0
	for i := 1; i <= n; i++ {
		sum += i
	}
	return sum
}

// Submit queues jobs, blocking while the queue is full, and closes the queue
// when all are in.
func (p *Pool) Submit(jobs []Job) {
	for _, job := range jobs {
		p.jobs <- job
	}
	close(p.jobs)
}

// Results is the channel of results; it is closed once every worker is done.
func (p *Pool) Results() <-chan Result {
	return p.results
}
