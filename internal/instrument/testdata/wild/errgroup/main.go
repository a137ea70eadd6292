// Command errgroup uses a hand-written errgroup (a WaitGroup, a
// sync.Once for the first error, a cancel) and a semaphore channel
// make(chan struct{}, n) bounding how many fetches run at once. A person
// should see at most two tokens in the semaphore, every result received,
// and the group's first error.
//
// want recv results: "fetched a" | "fetched b" | "fetched c" | "fetched d"
// want recv sem: {} | {} | {} | {} | {}
package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
)

// group runs functions and keeps the first error, as x/sync/errgroup.
type group struct {
	wg      sync.WaitGroup
	errOnce sync.Once
	err     error
	cancel  func()
}

func withContext(ctx context.Context) (*group, context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	return &group{cancel: cancel}, ctx
}

func (g *group) Go(f func() error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := f(); err != nil {
			g.errOnce.Do(func() {
				g.err = err
				if g.cancel != nil {
					g.cancel()
				}
			})
		}
	}()
}

func (g *group) Wait() error {
	g.wg.Wait()
	if g.cancel != nil {
		g.cancel()
	}
	return g.err
}

func main() {
	sem := make(chan struct{}, 2)
	results := make(chan string, 4)
	g, ctx := withContext(context.Background())
	for _, name := range []string{"a", "b", "c", "d"} {
		name := name
		g.Go(func() error {
			sem <- struct{}{}
			defer func() { <-sem }()
			if len(sem) > cap(sem) {
				return errors.New("semaphore overflow")
			}
			results <- "fetched " + name
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		fmt.Println("error:", err)
	}
	close(results)
	var got []string
	for r := range results {
		got = append(got, r)
	}
	sort.Strings(got)
	fmt.Println(got, ctx.Err())

	// A failing group: the first error wins, the context is cancelled.
	g2, ctx2 := withContext(context.Background())
	g2.Go(func() error { <-ctx2.Done(); return ctx2.Err() })
	g2.Go(func() error {
		sem <- struct{}{}
		<-sem
		return errors.New("boom")
	})
	fmt.Println(g2.Wait())
}
