package exectrace

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/handoff-viz/handoff/tracer"
)

// The programs of TestGroupingIsValid: correct programs in which many
// channels wait at the same call sites, which a runtime trace cannot tell
// apart, and many of them are closed. Every import of them must be a valid
// run (tracer.Validate) with no rule broken (tracer.Check), whatever the
// scheduler did.

// pingPongPairs is issue 11's program: pairs ping-ponging over their own
// channels, each closing its own at the end. Pair i plays rounds + i*stagger
// rounds: with a stagger, pairs close while the others still play.
func pingPongPairs(pairs, rounds, stagger int) {
	var wg sync.WaitGroup
	for i := range pairs {
		ping, pong := make(chan int), make(chan int)
		wg.Add(2)
		go pinger(ping, pong, rounds+i*stagger, &wg)
		go ponger(ping, pong, &wg)
	}
	wg.Wait()
}

func pinger(ping chan<- int, pong <-chan int, rounds int, wg *sync.WaitGroup) {
	defer wg.Done()
	for i := range rounds {
		ping <- i
		<-pong
	}
	close(ping)
}

func ponger(ping <-chan int, pong chan<- int, wg *sync.WaitGroup) {
	defer wg.Done()
	for v := range ping {
		pong <- v
	}
}

// primeSieve is the chained sieve: one filter per prime, each closing the
// channel after it when the one before it is closed.
func primeSieve(limit int) int {
	var wg sync.WaitGroup
	src := make(chan int)
	wg.Add(1)
	go generate(src, limit, &wg)
	in, primes := src, 0
	for {
		p, ok := <-in
		if !ok {
			break
		}
		primes++
		out := make(chan int)
		wg.Add(1)
		go filter(in, out, p, &wg)
		in = out
	}
	wg.Wait()
	return primes
}

func generate(out chan<- int, limit int, wg *sync.WaitGroup) {
	defer wg.Done()
	for i := 2; i <= limit; i++ {
		out <- i
	}
	close(out)
}

func filter(in <-chan int, out chan<- int, p int, wg *sync.WaitGroup) {
	defer wg.Done()
	for v := range in {
		if v%p != 0 {
			out <- v
		}
	}
	close(out)
}

// fanOut hands jobs round-robin to workers over a channel each, and closes
// them all in a loop at the end (one goroutine closing many channels from
// one line: a trace cannot tell those closes apart).
func fanOut(workers, jobs int) {
	var wg sync.WaitGroup
	chans := make([]chan int, workers)
	for i := range chans {
		chans[i] = make(chan int)
		wg.Add(1)
		go fanOutWorker(chans[i], &wg)
	}
	for j := range jobs {
		chans[j%workers] <- j
	}
	for _, ch := range chans {
		close(ch)
	}
	wg.Wait()
}

func fanOutWorker(in <-chan int, wg *sync.WaitGroup) {
	defer wg.Done()
	for range in {
	}
}

// selectLoops: workers loop on a select between their own channel and a
// shared quit channel, closed at the end; feeders send on each own channel
// and close it.
func selectLoops(workers, items int) {
	var wg, feeders sync.WaitGroup
	quit := make(chan struct{})
	for range workers {
		own := make(chan int)
		wg.Add(1)
		feeders.Add(1)
		go selectWorker(own, quit, &wg)
		go feeder(own, items, &feeders)
	}
	feeders.Wait()
	close(quit)
	wg.Wait()
}

func selectWorker(own <-chan int, quit <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		select {
		case _, ok := <-own:
			if !ok {
				own = nil
			}
		case <-quit:
			return
		}
	}
}

func feeder(out chan<- int, items int, wg *sync.WaitGroup) {
	defer wg.Done()
	for i := range items {
		out <- i
	}
	close(out)
}

// pipelines: several chains of stages over channels of random capacities,
// each stage closing the channel after it.
func pipelines(chains, stages, items int, caps []int) {
	var wg sync.WaitGroup
	for c := range chains {
		src := make(chan int, caps[c%len(caps)])
		wg.Add(1)
		go feeder(src, items, &wg)
		in := src
		for s := range stages {
			out := make(chan int, caps[(c+s+1)%len(caps)])
			wg.Add(1)
			go stage(in, out, &wg)
			in = out
		}
		wg.Add(1)
		go fanOutWorker(in, &wg)
	}
	wg.Wait()
}

func stage(in <-chan int, out chan<- int, wg *sync.WaitGroup) {
	defer wg.Done()
	for v := range in {
		out <- v + 1
	}
	close(out)
}

// oneShots makes a new channel at one line in a loop; a goroutine sends
// once on it and closes it; the loop receives until closed.
func oneShots(n int) {
	var wg sync.WaitGroup
	for i := range n {
		ch := make(chan int)
		wg.Add(1)
		go sendOnceAndClose(ch, i, &wg)
		for range ch {
		}
	}
	wg.Wait()
}

func sendOnceAndClose(ch chan<- int, v int, wg *sync.WaitGroup) {
	defer wg.Done()
	ch <- v
	close(ch)
}

// nonBlockingFanIn forwards from several sources with a non-blocking send,
// retried (issue 11's fan-in), and closes each source.
func nonBlockingFanIn(sources, items int) {
	var wg sync.WaitGroup
	merged := make(chan int)
	for range sources {
		src := make(chan int)
		wg.Add(2)
		go feeder(src, items, &wg)
		go forward(src, merged, &wg)
	}
	for range sources * items {
		<-merged
	}
	wg.Wait()
}

func forward(src <-chan int, merged chan<- int, wg *sync.WaitGroup) {
	defer wg.Done()
	for v := range src {
		for sent := false; !sent; {
			select {
			case merged <- v:
				sent = true
			default:
				pause()
			}
		}
	}
}

// checkRun imports raw and fails unless the result is a valid run that
// breaks no rule: what `handoff check` requires to exit 0.
func checkRun(t *testing.T, raw []byte) ([]tracer.Event, *Report) {
	t.Helper()
	evs, rep := imported(t, raw) // runs tracer.Validate
	for _, f := range tracer.Check(evs) {
		if f.Rule != tracer.RuleLeakedGoroutine {
			t.Errorf("check: %s", f)
		}
	}
	return evs, rep
}

func TestGroupingIsValid(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func()
	}{
		// Issue 11's programs; the sieve smaller (to 2000 it takes minutes
		// under -race). The previous converter failed both.
		{"100 pairs closing their own channels", func() { pingPongPairs(100, 50, 0) }},
		{"100 pairs closing their own channels one after another", func() { pingPongPairs(100, 5, 1) }},
		{"prime sieve to 600", func() {
			if n := primeSieve(600); n != 109 {
				t.Errorf("sieve found %d primes, want 109", n)
			}
		}},
		{"fan-out closing every worker's channel", func() { fanOut(16, 400) }},
		{"select in loops", func() { selectLoops(12, 40) }},
		{"pipelines", func() { pipelines(6, 4, 60, []int{0, 1, 0, 3}) }},
		{"one-shot channels", func() { oneShots(200) }},
		{"non-blocking fan-in", func() { nonBlockingFanIn(4, 10) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			raw := record(t, tc.run)
			ran := time.Since(start)
			_, rep := checkRun(t, raw)
			t.Logf("ran in %v, imported and checked in %v", ran, time.Since(start)-ran)
			t.Logf("%d Go events → %d events; handoffs %v, closes %d, splits %d, groups %d",
				rep.GoEvents, rep.Events, rep.Handoffs, rep.Closes, rep.Splits, len(rep.Groups))
		})
	}
}

// TestGroupingIsValidGenerated runs programs mixed from the shapes above
// with sizes drawn from a seeded generator, several at once, so that their
// channels share call sites and their closes interleave.
func TestGroupingIsValidGenerated(t *testing.T) {
	for seed := range uint64(8) {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 11))
			var parts []func()
			var names []string
			for range 2 + r.IntN(3) {
				switch r.IntN(7) {
				case 0:
					p, n, st := 1+r.IntN(40), 1+r.IntN(30), r.IntN(3)
					names = append(names, fmt.Sprintf("pairs(%d,%d,%d)", p, n, st))
					parts = append(parts, func() { pingPongPairs(p, n, st) })
				case 1:
					l := 10 + r.IntN(600)
					names = append(names, fmt.Sprintf("sieve(%d)", l))
					parts = append(parts, func() { primeSieve(l) })
				case 2:
					w, j := 1+r.IntN(10), r.IntN(200)
					names = append(names, fmt.Sprintf("fanOut(%d,%d)", w, j))
					parts = append(parts, func() { fanOut(w, j) })
				case 3:
					w, n := 1+r.IntN(10), r.IntN(30)
					names = append(names, fmt.Sprintf("selectLoops(%d,%d)", w, n))
					parts = append(parts, func() { selectLoops(w, n) })
				case 4:
					caps := []int{r.IntN(3), r.IntN(3), r.IntN(3)}
					c, s, n := 1+r.IntN(5), 1+r.IntN(5), r.IntN(50)
					names = append(names, fmt.Sprintf("pipelines(%d,%d,%d,%v)", c, s, n, caps))
					parts = append(parts, func() { pipelines(c, s, n, caps) })
				case 5:
					n := 1 + r.IntN(100)
					names = append(names, fmt.Sprintf("oneShots(%d)", n))
					parts = append(parts, func() { oneShots(n) })
				default:
					s, n := 1+r.IntN(4), r.IntN(8)
					names = append(names, fmt.Sprintf("nonBlockingFanIn(%d,%d)", s, n))
					parts = append(parts, func() { nonBlockingFanIn(s, n) })
				}
			}
			raw := record(t, func() {
				var wg sync.WaitGroup
				for _, p := range parts {
					wg.Go(p)
				}
				wg.Wait()
			})
			_, rep := checkRun(t, raw)
			t.Logf("%v: %d Go events → %d events; handoffs %v, closes %d, splits %d",
				names, rep.GoEvents, rep.Events, rep.Handoffs, rep.Closes, rep.Splits)
		})
	}
}
