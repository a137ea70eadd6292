package instrument

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/handoff-viz/handoff/tracer"
)

// BenchmarkPrimeSieve is the speed target of `handoff trace`: the chained
// prime sieve up to 5000 (234k unbuffered handoffs) run plainly and run
// instrumented while recording, each a fresh process per iteration. The
// issue asks for traced at most 2.0x plain. Both binaries are built once,
// before the timed runs. plain remembers its time per run, and traced,
// run after it in the same `go test` (as -bench runs sub-benchmarks in
// order), reports traced/plain-time, and traced/plain-cpu from the
// children's CPU time (user and system), which other work on a shared
// machine moves less than the wall clock. Run it with e.g.
//
//	go test -run '^$' -bench PrimeSieve -benchtime 10x ./internal/instrument/
func BenchmarkPrimeSieve(b *testing.B) {
	if testing.Short() {
		b.Skip("builds two binaries")
	}
	dir, err := filepath.Abs("testdata/programs/prime-sieve")
	if err != nil {
		b.Fatal(err)
	}
	work := b.TempDir()
	ctx := context.Background()
	plainBin := filepath.Join(work, "plain")
	build := exec.CommandContext(ctx, "go", "build", "-o", plainBin, ".")
	build.Dir, build.Env = dir, append(os.Environ(), "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	traced, err := Instrument(ctx, Options{Dir: dir, Work: filepath.Join(work, "traced")})
	if err != nil {
		b.Fatal(err)
	}
	args := []string{"-limit", "5000"}
	records := filepath.Join(work, "records")

	var plainTime, plainCPU float64 // per run, once plain has run
	b.Run("plain", func(b *testing.B) {
		cpu := childCPU()
		for b.Loop() {
			cmd := exec.CommandContext(ctx, plainBin, args...)
			cmd.Stdout = io.Discard
			if err := cmd.Run(); err != nil {
				b.Fatalf("plain prime-sieve: %v", err)
			}
		}
		plainTime = float64(b.Elapsed()) / float64(b.N)
		plainCPU = float64(childCPU()-cpu) / float64(b.N)
		b.ReportMetric(plainCPU/1e6, "cpu-ms/op")
	})
	b.Run("traced", func(b *testing.B) {
		cpu := childCPU()
		for b.Loop() {
			end, err := traced.Run(ctx, RunOptions{Args: args, Stdout: io.Discard, Records: records})
			if err != nil {
				b.Fatal(err)
			}
			if end.ExitCode != 0 {
				b.Fatalf("traced prime-sieve ended %+v", end)
			}
		}
		tracedCPU := float64(childCPU()-cpu) / float64(b.N)
		b.StopTimer()
		b.ReportMetric(tracedCPU/1e6, "cpu-ms/op")
		if plainTime > 0 {
			b.ReportMetric(float64(b.Elapsed())/float64(b.N)/plainTime, "traced/plain-time")
			b.ReportMetric(tracedCPU/plainCPU, "traced/plain-cpu")
		}
		// The last run's records: all there, none dropped.
		st, err := Convert(records, traced.Sites, Ending{}, func(*tracer.Event) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
		if st.Truncated || st.Unfinished != 0 {
			b.Fatalf("the last run's records: %+v", st)
		}
		b.ReportMetric(float64(st.Records), "records/op")
	})
}

// childCPU is the CPU time (user and system) of the children this process
// has waited for.
func childCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
