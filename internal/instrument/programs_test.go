package instrument

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/handoff-viz/handoff/tracer"
)

// truth is a program's testdata/programs/NAME/truth.json: what a person
// who read the program knows it does (see testdata/programs/README.md).
type truth struct {
	Args        []string `json:"args"`
	Exit        int      `json:"exit"`
	Stdout      *string  `json:"stdout"`
	StdoutMatch string   `json:"stdout_match"`
	Fatal       string   `json:"fatal"`
	Leaks       []where  `json:"leaks"`
	Deadlock    []where  `json:"deadlock"`
	Values      []struct {
		Chan    string   `json:"chan"`
		Labels  []string `json:"labels"`
		Ordered bool     `json:"ordered"`
	} `json:"values"`
	Uses []string `json:"uses"`
}

type where struct {
	File string `json:"file"`
	Line int    `json:"line"`
	What string `json:"what"`
}

func (w where) at() string { return fmt.Sprintf("%s:%d", w.File, w.Line) }

// notYet lists the waits the rewriter does not instrument yet (sync's):
// a goroutine waiting in one is not in the trace's deadlock until it does.
var notYet = map[string]bool{"cond": true}

// TestPrograms traces each program of testdata/programs, unmodified, and
// compares the trace with the program's truth: same exit status and
// output as the program run plainly, a valid trace, every value received
// with its contents, and check's leaks and deadlocks at the lines the
// truth gives.
func TestPrograms(t *testing.T) {
	dirs, err := filepath.Glob("testdata/programs/*/truth.json")
	if err != nil || len(dirs) < 10 {
		t.Fatalf("found %d programs (%v), want the 10 of testdata/programs", len(dirs), err)
	}
	for _, tf := range dirs {
		dir, _ := filepath.Abs(filepath.Dir(tf))
		t.Run(filepath.Base(dir), func(t *testing.T) { testProgram(t, dir) })
	}
}

func testProgram(t *testing.T, dir string) {
	var tr truth
	data, err := os.ReadFile(filepath.Join(dir, "truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &tr); err != nil {
		t.Fatal(err)
	}

	run := traceRun(t, Options{Dir: dir, Work: t.TempDir()}, tr.Args)
	end, stdout, stderr, evs := run.end, run.stdout, run.stderr, run.evs
	if end.ExitCode != tr.Exit {
		t.Errorf("exit status %d, want %d; stderr:\n%s", end.ExitCode, tr.Exit, stderr)
	}
	if end.Fatal != tr.Fatal {
		t.Errorf("ended with fatal %q, want %q; stderr:\n%s", end.Fatal, tr.Fatal, stderr)
	}
	switch {
	case tr.Stdout != nil && stdout != *tr.Stdout:
		t.Errorf("stdout:\n%s\nwant:\n%s", stdout, *tr.Stdout)
	case tr.StdoutMatch != "" && !regexp.MustCompile(`^`+tr.StdoutMatch+`$`).MatchString(stdout):
		t.Errorf("stdout:\n%s\nwant it to match %q", stdout, tr.StdoutMatch)
	}

	// Every value the truth names is received from its channel, with its
	// contents.
	names := map[tracer.ChanID]string{}
	labels := map[tracer.ValueID]string{}
	received := map[string][]string{}
	for _, e := range evs {
		switch e.Kind {
		case tracer.KindChan:
			names[e.Ch] = e.Name
		case tracer.KindMake:
			labels[e.V] = e.Label
		case tracer.KindRecv:
			if !e.Close && e.V != 0 {
				received[names[e.Ch]] = append(received[names[e.Ch]], labels[e.V])
			}
		}
	}
	for _, want := range tr.Values {
		got := received[want.Chan]
		for _, l := range want.Labels {
			if !slices.ContainsFunc(got, func(g string) bool { return sameLabel(g, l) }) {
				t.Errorf("channel %q: %q never received; received %q", want.Chan, l, got)
			}
		}
		if want.Ordered {
			var seq []string
			for _, g := range got {
				for _, l := range want.Labels {
					if sameLabel(g, l) {
						seq = append(seq, l)
						break
					}
				}
			}
			if !slices.Equal(seq[:min(len(seq), len(want.Labels))], want.Labels) {
				t.Errorf("channel %q: received in the order %q, want %q", want.Chan, seq, want.Labels)
			}
		}
	}

	// Leaks and deadlocks, by line.
	findings := tracer.Check(evs)
	var leaks, deadlocked []string
	for _, f := range findings {
		switch f.Rule {
		case tracer.RuleLeakedGoroutine:
			leaks = append(leaks, f.At)
		case tracer.RuleDeadlock:
			for _, m := range regexp.MustCompile(`at ([^ ;]+:\d+)`).FindAllStringSubmatch(f.Msg, -1) {
				deadlocked = append(deadlocked, m[1])
			}
		}
	}
	var wantLeaks, wantDeadlock []string
	for _, l := range tr.Leaks {
		wantLeaks = append(wantLeaks, l.at())
	}
	for _, d := range tr.Deadlock {
		if !notYet[d.What] {
			wantDeadlock = append(wantDeadlock, d.at())
		}
	}
	slices.Sort(leaks)
	slices.Sort(wantLeaks)
	if !slices.Equal(leaks, wantLeaks) {
		t.Errorf("leaks at %q, want %q; findings:\n%v", leaks, wantLeaks, findings)
	}
	slices.Sort(deadlocked)
	slices.Sort(wantDeadlock)
	if !slices.Equal(deadlocked, wantDeadlock) {
		t.Errorf("deadlocked at %q, want %q; findings:\n%v", deadlocked, wantDeadlock, findings)
	}
}

// sameLabel reports whether the hooks' label got shows the value Go's %v
// or %+v prints as want: strings are quoted, structs carry their type's
// name, and a long label is cut with "…".
func sameLabel(got, want string) bool {
	if cut, ok := strings.CutSuffix(got, "…"); ok {
		return strings.HasPrefix(want, cut) || strings.HasPrefix(strconv.Quote(want), cut)
	}
	if got == want || got == strconv.Quote(want) {
		return true
	}
	if i := strings.IndexByte(got, '{'); i > 0 && got[i:] == want {
		return true // Job{ID:1} for {ID:1}
	}
	return false
}

func dump(evs []tracer.Event) string {
	var b strings.Builder
	for i := range evs {
		b.WriteString(evs[i].String())
		b.WriteByte('\n')
	}
	return b.String()
}

// running counts the goroutines a go event started that had not ended when
// the trace did: only they may have been writing a record when the process
// ended (a goroutine's last record, its end, races main's return), so only
// they may leave records unfinished.
func running(evs []tracer.Event) int {
	n := 0
	for _, e := range evs {
		switch e.Kind {
		case tracer.KindGo:
			n++
		case tracer.KindEnd:
			if e.G != 1 {
				n--
			}
		}
	}
	return n
}

// traced is a run of an instrumented program, and its trace.
type traced struct {
	build          *Build
	end            Ending
	stdout, stderr string
	evs            []tracer.Event
}

// traceRun builds the module in opts.Dir instrumented, runs it with args
// (for at most two minutes) and converts its records. The trace must be
// valid, and lose no record but those goroutines still running at the
// end were writing.
func traceRun(t *testing.T, opts Options, args []string) traced {
	t.Helper()
	ctx := context.Background()
	b, err := Instrument(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	records := filepath.Join(opts.Work, "records")
	end, err := b.Run(ctx, RunOptions{Args: args, Stdout: &stdout, Stderr: &stderr, Records: records, Timeout: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if end.Timeout != "" {
		t.Fatalf("the traced program ran for more than %s; stderr:\n%s", end.Timeout, stderr.String())
	}
	var evs []tracer.Event
	st, err := Convert(records, b.Sites, end, func(e *tracer.Event) error {
		evs = append(evs, *e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tracer.Validate(evs); err != nil {
		t.Fatalf("the trace is not valid: %v\n%s", err, dump(evs))
	}
	if st.Unfinished > running(evs) || st.Truncated {
		t.Errorf("stats %+v: records lost", st)
	}
	return traced{build: b, end: end, stdout: stdout.String(), stderr: stderr.String(), evs: evs}
}
