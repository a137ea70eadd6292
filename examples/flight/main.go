// Command flight is an ordinary Go program, a producer feeding a pool of
// workers and a collector over channels, that a person watches live in
// `handoff serve` without writing a line of tracing code: one call to
// flight.Start keeps the last seconds of the program's execution trace in
// memory (runtime/trace.FlightRecorder) and streams who handed work to
// whom.
//
//	go run ./cmd/handoff serve &
//	HANDOFF_SERVE=127.0.0.1:7070 go run ./examples/flight
//
// Without HANDOFF_SERVE it runs the same and prints a summary.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/handoff-viz/handoff/tracer/flight"
)

func main() {
	jobs := flag.Int("jobs", 200, "jobs the producer hands out")
	workers := flag.Int("workers", 3, "workers")
	pace := flag.Duration("pace", 20*time.Millisecond, "time between two jobs")
	flag.Parse()
	if *jobs < 1 || *workers < 1 || *pace < 0 {
		fmt.Fprintln(os.Stderr, "flight: -jobs and -workers must be at least 1, -pace not negative")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	var rec *flight.Recorder
	if os.Getenv(flight.EnvVar) != "" {
		var err error
		rec, err = flight.Start(ctx, flight.Options{Source: "examples/flight"})
		if err != nil {
			fmt.Fprintln(os.Stderr, "flight:", err)
			os.Exit(2)
		}
		fmt.Printf("flight: streaming to handoff serve at %s\n", os.Getenv(flight.EnvVar))
	}

	sum := run(ctx, *jobs, *workers, *pace)
	fmt.Printf("flight: %d jobs done by %d workers, sum of steps %d\n", sum.jobs, *workers, sum.steps)

	if rec != nil {
		err := rec.Stop()
		st := rec.Stats()
		fmt.Printf("flight: %d snapshots, %d events sent, last snapshot %d bytes in %v\n",
			st.Snapshots, st.Remote.Sent, st.Bytes, st.Cost.Round(10*time.Microsecond))
		if err != nil {
			fmt.Fprintln(os.Stderr, "flight: warning:", err)
		}
	}
}

// summary is what the collector found.
type summary struct{ jobs, steps int }

// run hands n jobs, one every pace, to a pool of workers, and collects
// their results. It stops early when ctx is done.
func run(ctx context.Context, n, workers int, pace time.Duration) summary {
	jobs := make(chan int)
	results := make(chan int)
	done := make(chan summary)
	go producer(ctx, jobs, n, pace)
	finished := make(chan struct{})
	for range workers {
		go worker(jobs, results, finished)
	}
	go collector(results, done)
	for range workers {
		<-finished
	}
	close(results)
	return <-done
}

func producer(ctx context.Context, jobs chan<- int, n int, pace time.Duration) {
	defer close(jobs)
	t := time.NewTicker(max(pace, time.Microsecond))
	defer t.Stop()
	for i := range n {
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
		jobs <- 27 + i
	}
}

// worker counts the Collatz steps of each job.
func worker(jobs <-chan int, results chan<- int, finished chan<- struct{}) {
	for x := range jobs {
		steps := 0
		for x != 1 {
			if x%2 == 0 {
				x /= 2
			} else {
				x = 3*x + 1
			}
			steps++
		}
		results <- steps
	}
	finished <- struct{}{}
}

func collector(results <-chan int, done chan<- summary) {
	var s summary
	for steps := range results {
		s.jobs++
		s.steps += steps
	}
	done <- s
}
