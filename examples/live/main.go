// Command live is a small traced program that animates in the browser
// view while it runs: two producers fill a bounded queue that a slower
// consumer drains, so the queue fills up and the producers wait
// (backpressure).
//
//	go run ./cmd/handoff serve &
//	HANDOFF_SERVE=127.0.0.1:7070 go run ./examples/live
//
// Without HANDOFF_SERVE it runs the same and prints a summary. When the
// server is slow or absent the program is never held up: see package
// tracer/remote for what is dropped and how it is reported.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/handoff-viz/handoff/tracer"
	"github.com/handoff-viz/handoff/tracer/remote"
)

func main() {
	jobs := flag.Int("jobs", 6, "jobs per producer")
	pace := flag.Duration("pace", 200*time.Millisecond, "time the consumer takes per job")
	flag.Parse()
	if *jobs < 1 || *pace < 0 {
		fmt.Fprintln(os.Stderr, "live: -jobs must be at least 1 and -pace not negative")
		os.Exit(2)
	}

	opts := []tracer.Option{tracer.WithSource("examples/live"), tracer.WithCallSites(true)}
	sink, ok, err := remote.FromEnv(remote.Options{Source: "examples/live"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "live:", err)
		os.Exit(2)
	}
	if ok {
		opts = append(opts, tracer.WithSink(sink), tracer.WithLive(0))
		fmt.Printf("live: streaming to handoff serve at %s\n", os.Getenv(remote.EnvVar))
	}

	res, err := tracer.Run(func(g *tracer.G) { work(g, *jobs, *pace) }, opts...)
	if errors.Is(err, remote.ErrUndelivered) {
		// The run itself went fine; the page missed part of it.
		fmt.Fprintln(os.Stderr, "live: warning:", err)
		err = nil
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "live:", err)
		os.Exit(1)
	}
	fmt.Printf("live: %d events recorded\n", len(res.Events))
	if ok {
		st := sink.Stats()
		fmt.Printf("live: %d events sent, %d dropped\n", st.Sent, st.Dropped)
	}
}

// work is the traced program.
func work(g *tracer.G, jobs int, pace time.Duration) {
	queue := tracer.NewChan[*tracer.Value[string]](g, "queue", 2)
	var producers []*tracer.Handle
	for p := 1; p <= 2; p++ {
		producers = append(producers, g.Go(fmt.Sprintf("producer-%d", p), func(g *tracer.G) {
			for j := 1; j <= jobs; j++ {
				queue.Send(g, tracer.Make(g, fmt.Sprintf("job-%d.%d", p, j), "work"))
				time.Sleep(pace / 4)
			}
		}))
	}
	consumer := g.Go("consumer", func(g *tracer.G) {
		for v := range queue.All(g) {
			_ = v
			time.Sleep(pace)
		}
	})
	for _, h := range producers {
		if err := h.Join(g); err != nil {
			fmt.Fprintln(os.Stderr, "live:", err)
		}
	}
	queue.Close(g)
	if err := consumer.Join(g); err != nil {
		fmt.Fprintln(os.Stderr, "live:", err)
	}
}
