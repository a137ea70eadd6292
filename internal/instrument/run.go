package instrument

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/handoff-viz/handoff/internal/instrument/hooks"
	"github.com/handoff-viz/handoff/tracer"
)

// RunOptions says how to run an instrumented program.
type RunOptions struct {
	Args           []string
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Records is the file the hooks write their records into; Limit its
	// size, the bound on what a run records (0: the hooks' default).
	Records string
	Limit   int64
	// Timeout, when set, ends a program still running after it.
	Timeout time.Duration
}

// stderrTail is how much of the program's stderr is kept to read how it
// ended (Go's panic and fatal error messages come last).
const stderrTail = 64 << 10

// Run runs the instrumented program: its stdin, stdout and stderr are the
// caller's, its records go to o.Records. The error is for a program that
// could not be started; how it ended, exit status included, is in Ending.
func (b *Build) Run(ctx context.Context, o RunOptions) (Ending, error) {
	return run(ctx, b.Binary, "", o)
}

// Run runs the test binary in its package's directory, as go test does;
// o.Args are its flags (-test.run=..., -test.v).
func (t TestBinary) Run(ctx context.Context, o RunOptions) (Ending, error) {
	return run(ctx, t.Binary, t.Dir, o)
}

func run(ctx context.Context, binary, dir string, o RunOptions) (Ending, error) {
	f, err := os.OpenFile(o.Records, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return Ending{}, err
	}
	f.Close()
	runCtx := ctx
	var cancel context.CancelFunc = func() {}
	if o.Timeout > 0 {
		runCtx, cancel = context.WithTimeout(ctx, o.Timeout)
	}
	defer cancel()
	cmd := exec.CommandContext(runCtx, binary, o.Args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HANDOFF_RECORD="+o.Records)
	if o.Limit > 0 {
		cmd.Env = append(cmd.Env, "HANDOFF_RECORD_LIMIT="+strconv.FormatInt(o.Limit, 10))
	}
	cmd.Stdin, cmd.Stdout = o.Stdin, o.Stdout
	tail := &tailWriter{max: stderrTail}
	if o.Stderr != nil {
		cmd.Stderr = io.MultiWriter(o.Stderr, tail)
	} else {
		cmd.Stderr = tail
	}
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	var end Ending
	if runCtx.Err() == context.DeadlineExceeded && o.Timeout > 0 {
		end.Timeout = o.Timeout.String()
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		end.ExitCode = exitErr.ExitCode()
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			end.Signal = ws.Signal().String()
		}
	default:
		return end, fmt.Errorf("running %s: %w", binary, err)
	}
	readEnding(tail.Bytes(), &end)
	return end, nil
}

var (
	fatalDeadlock = regexp.MustCompile(`(?m)^fatal error: all goroutines are asleep - deadlock!`)
	panicLine     = regexp.MustCompile(`(?m)^panic: (.*)$`)
	goroutineLine = regexp.MustCompile(`(?m)^goroutine (\d+) \[`)
)

// readEnding reads Go's last words on stderr: a fatal deadlock, or a
// panic and the goroutine it killed.
func readEnding(stderr []byte, end *Ending) {
	if end.ExitCode != 2 {
		return // Go exits with 2 after a panic or a fatal error
	}
	if fatalDeadlock.Match(stderr) {
		end.Fatal = "deadlock"
		return
	}
	m := panicLine.FindSubmatchIndex(stderr)
	if m == nil {
		return
	}
	end.Fatal = "panic"
	end.PanicMsg = string(stderr[m[2]:m[3]])
	if g := goroutineLine.FindSubmatch(stderr[m[1]:]); g != nil {
		end.PanicGoid, _ = strconv.ParseUint(string(g[1]), 10, 64)
	}
}

// tailWriter keeps the last max bytes written to it.
type tailWriter struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if len(w.buf) > 2*w.max {
		w.buf = append(w.buf[:0], w.buf[len(w.buf)-w.max:]...)
	}
	return len(p), nil
}

func (w *tailWriter) Bytes() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return bytes.Clone(w.buf[max(0, len(w.buf)-w.max):])
}

// Stats says what a conversion saw.
type Stats struct {
	Records    int  // records read
	Events     int  // events written
	Unfinished int  // records the program began and never finished writing
	Truncated  bool // the record file filled up: the trace ends early
	// Slot counts receives tied to one of several equal values in flight;
	// Unmatched, values received with no instrumented send; External,
	// channels made outside the instrumented code.
	Slot, Unmatched, External int
}

// Convert reads the records of a run and gives emit its trace, event by
// event, ended as end says the program ended.
func Convert(records string, sites []Site, end Ending, emit func(*tracer.Event) error) (Stats, error) {
	if fi, err := os.Stat(records); err == nil && fi.Size() == 0 {
		// No file of the program was rewritten (it has nothing to
		// record), so the hooks were not even linked: an empty trace.
		return Stats{}, nil
	}
	rf, err := hooks.OpenRecords(records)
	if err != nil {
		return Stats{}, err
	}
	defer rf.Close()
	h := rf.Header()
	var st Stats
	c := &converter{sites: sites, emit: func(e *tracer.Event) error { st.Events++; return emit(e) }}
	if err := c.run(rf.Records(), end, h.MainGoid, h.Truncated); err != nil {
		return st, err
	}
	st.Records, st.Unfinished, st.Truncated = c.Records, rf.Unfinished(), h.Truncated
	st.Slot, st.Unmatched, st.External = c.Slot, c.Unmatched, c.External
	return st, nil
}

// ReadRecords reads the record file of a binary of handoff build, which
// carries its own site table, as a trace: nobody saw how the program ended,
// so goroutines still blocked are leaks and no goroutine is said to have
// ended that did not record it.
func ReadRecords(path string) (tracer.Header, iter.Seq2[tracer.Event, error], error) {
	rf, err := hooks.OpenRecords(path)
	if err != nil {
		return tracer.Header{}, nil, err
	}
	rf.Close()
	h := tracer.Header{Format: tracer.FormatName, Version: tracer.FormatVersion, Source: filepath.Base(path), Clock: "monotonic",
		Note: "recorded by a binary of handoff build: channel operations, go statements, closes and sync waits of its module's packages; how the program ended was not seen"}
	return h, func(yield func(tracer.Event, error) bool) {
		stop := errors.New("stop")
		_, err := Convert(path, nil, Ending{Unknown: true}, func(e *tracer.Event) error {
			if !yield(*e, nil) {
				return stop
			}
			return nil
		})
		if err != nil && err != stop {
			yield(tracer.Event{}, fmt.Errorf("%s: %w", path, err))
		}
	}, nil
}
