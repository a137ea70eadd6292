// Package pool lives in internal/workers: its name is not its directory's.
package pool

import "sync"

type Pool struct {
	jobs chan int
	wg   sync.WaitGroup
}

func New(n int, results chan<- int) *Pool {
	p := &Pool{jobs: make(chan int)}
	for i := 0; i < n; i++ {
		p.wg.Add(1)
		go p.work(results)
	}
	return p
}

func (p *Pool) work(results chan<- int) {
	defer p.wg.Done()
	for j := range p.jobs {
		results <- 2 * j
	}
}

func (p *Pool) Submit(j int) { p.jobs <- j }

func (p *Pool) Stop() {
	close(p.jobs)
	p.wg.Wait()
}
