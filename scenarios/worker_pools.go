package scenarios

import (
	"fmt"

	"github.com/handoff-viz/handoff/tracer"
)

var jobNames = []string{"resize a.png", "resize b.png", "index c.txt", "index d.txt", "hash e.bin", "hash f.bin"}

var _ = register(&Scenario{
	Name:    "worker-pool-mutex",
	Summary: "the refactoring drill's start: three workers share a mutex-guarded job list",
	Description: "`Arc<Mutex<Vec<Job>>>` shared by many workers: every worker borrows the same list and takes the lock to pop a " +
		"job. Jobs never change hands through a channel; the lock serialises access, and the trace shows workers waiting " +
		"for it. Compare worker-pool-channel.",
	Run: func(g *tracer.G, env *Env) {
		const workers = 3
		jobs := tracer.Make(g, "job list", append([]string(nil), jobNames...))
		mu := tracer.NewMutex(g, "jobs lock")
		g.Scope(func(s *tracer.Scope) {
			for w := range workers {
				list := jobs.Borrow(g)
				s.Go(fmt.Sprintf("worker-%d", w+1), func(g *tracer.G) {
					for {
						mu.Lock(g)
						var name string
						first := false
						list.UpdateLocked(g, mu, func(js *[]string) {
							if n := len(*js); n > 0 {
								first = n == len(jobNames)
								name, *js = (*js)[n-1], (*js)[:n-1]
							}
						})
						if first {
							// What the scenario teaches, made certain rather
							// than left to the scheduler: the first worker to
							// take the lock keeps it until the other two
							// wait for it.
							env.waitUntil(func() bool { return mu.Queued() == workers-1 })
						}
						mu.Unlock(g)
						if name == "" {
							return
						}
						job := tracer.Make(g, name, name)
						env.Step()
						env.Printf("worker-%d: %s\n", w+1, job.Get(g))
						job.Drop(g)
					}
				}, list)
			}
		})
	},
})

var _ = register(&Scenario{
	Name:    "worker-pool-channel",
	Summary: "the same work handed out over a channel: each job is moved to one worker",
	Description: "The refactoring drill's answer: main sends each job over a bounded channel and three workers receive " +
		"until it is closed. What got simpler: no lock, each job has exactly one owner at a time. What got harder: " +
		"shutdown needs the channel closed, and ordering between workers is gone.",
	Run: func(g *tracer.G, env *Env) {
		jobs := tracer.NewChan[*tracer.Value[string]](g, "jobs", 2)
		var workers []*tracer.Handle
		for w := range 3 {
			workers = append(workers, g.Go(fmt.Sprintf("worker-%d", w+1), func(g *tracer.G) {
				for job := range jobs.All(g) {
					env.Step()
					env.Printf("worker-%d: %s\n", w+1, job.Get(g))
					job.Drop(g)
				}
			}))
		}
		for _, name := range jobNames {
			job := tracer.Make(g, name, name)
			env.Step()
			jobs.Send(g, job)
		}
		jobs.Close(g)
		for _, h := range workers {
			h.Join(g)
		}
	},
})
