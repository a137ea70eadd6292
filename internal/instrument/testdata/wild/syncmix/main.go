// Command syncmix uses sync.Once, sync.Cond and an RWMutex next to
// channels, and runtime.Gosched in a spin: a lazily made channel (Once),
// a ready flag broadcast with a Cond, readers under RLock. A person should
// see the configuration value handed over the lazily made channel and
// the readers' reports.
//
// want recv c.ch: "config-v1"
// want recv reports: "reader saw ready" | "reader saw ready" | "reader saw ready"
package main

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

type lazy struct {
	once sync.Once
	ch   chan string
}

func (c *lazy) get() chan string {
	c.once.Do(func() { c.ch = make(chan string, 1) })
	return c.ch
}

func main() {
	c := &lazy{}
	c.get() <- "config-v1"
	fmt.Println(<-c.get())

	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	ready := false
	var rw sync.RWMutex
	state := "cold"
	reports := make(chan string)
	var started atomic.Int32
	for i := 0; i < 3; i++ {
		go func() {
			started.Add(1)
			mu.Lock()
			for !ready {
				cond.Wait()
			}
			mu.Unlock()
			rw.RLock()
			s := state
			rw.RUnlock()
			reports <- "reader saw " + s
		}()
	}
	for started.Load() < 3 {
		runtime.Gosched()
	}
	rw.Lock()
	state = "ready"
	rw.Unlock()
	mu.Lock()
	ready = true
	cond.Broadcast()
	mu.Unlock()
	for i := 0; i < 3; i++ {
		fmt.Println(<-reports)
	}
}
