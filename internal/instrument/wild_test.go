package instrument

import (
	"bufio"
	"bytes"
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/handoff-viz/handoff/tracer"
)

// TestWildPrograms traces each program of testdata/wild, written the way
// people write Go and not shaped for handoff, and requires of each that it
// behaves as its plain build does (same stdout, same exit status), that
// its trace is valid and complete, and that every value its header says it
// receives is in the trace, received from that channel, with that label.
//
// A program's header comment says what a person should see, in lines
//
//	// want recv CHAN: LABEL | LABEL | ...
//
// where CHAN is the channel's name in the trace and each LABEL a value
// received from it, as the hooks label it (compared as programs_test.go
// compares labels; a LABEL ending in … matches every label it begins,
// for labels with an address in them), and in lines
//
//	// want go NAME | NAME | ...
//
// the names of goroutines its go statements start, and
//
//	// want make LABEL
//
// a value made in the trace (one that appears in a receiver's hands,
// sent by code that is not instrumented). `// tags: T` builds both with
// -tags T; `// want nothing recorded` is for a program with nothing to
// record. The run's arguments, if any, are on a line
// `// args: A B C`.
func TestWildPrograms(t *testing.T) {
	dirs, err := filepath.Glob("testdata/wild/*/go.mod")
	if err != nil || len(dirs) < 12 {
		t.Fatalf("found %d programs (%v), want at least 12 under testdata/wild", len(dirs), err)
	}
	for _, gm := range dirs {
		dir, _ := filepath.Abs(filepath.Dir(gm))
		t.Run(filepath.Base(dir), func(t *testing.T) { testWild(t, dir) })
	}
}

// wildWant is what a program's header says.
type wildWant struct {
	args []string
	recv map[string][]string // channel → labels received from it
	goes []string            // goroutines started, by name
	made []string            // values made
	tags string              // -tags
	none bool                // nothing to record
}

func readWildWant(t *testing.T, dir string) wildWant {
	t.Helper()
	w := wildWant{recv: map[string][]string{}}
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := sc.Text()
			if rest, ok := strings.CutPrefix(line, "// want recv "); ok {
				ch, labels, ok := strings.Cut(rest, ": ")
				if !ok {
					t.Fatalf("%s: bad want line %q", name, line)
				}
				w.recv[ch] = append(w.recv[ch], strings.Split(labels, " | ")...)
			}
			if rest, ok := strings.CutPrefix(line, "// want go "); ok {
				w.goes = append(w.goes, strings.Split(rest, " | ")...)
			}
			if rest, ok := strings.CutPrefix(line, "// want make "); ok {
				w.made = append(w.made, rest)
			}
			if rest, ok := strings.CutPrefix(line, "// tags: "); ok {
				w.tags = rest
			}
			if line == "// want nothing recorded" {
				w.none = true
			}
			if rest, ok := strings.CutPrefix(line, "// args: "); ok {
				w.args = strings.Fields(rest)
			}
		}
		f.Close()
	}
	return w
}

func testWild(t *testing.T, dir string) {
	want := readWildWant(t, dir)
	work := t.TempDir()

	// Plainly.
	plainBin := filepath.Join(work, "plain")
	build := exec.Command("go", "build", "-tags="+want.tags, "-o", plainBin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var plainOut, plainErr bytes.Buffer
	plain := exec.Command(plainBin, want.args...)
	plain.Stdout, plain.Stderr = &plainOut, &plainErr
	plainExit := 0
	if err := plain.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatal(err)
		}
		plainExit = ee.ExitCode()
	}

	// Traced.
	run := traceRun(t, Options{Dir: dir, Work: filepath.Join(work, "instrumented"), Tags: want.tags}, want.args)
	for _, s := range run.build.Skips {
		t.Logf("skipped %s: %s", s.At, s.Why)
	}
	if run.end.ExitCode != plainExit {
		t.Errorf("exit status %d traced, %d plain; stderr traced:\n%s\nplain:\n%s", run.end.ExitCode, plainExit, run.stderr, plainErr.String())
	}
	if run.stdout != plainOut.String() {
		t.Errorf("stdout traced:\n%s\nplain:\n%s", run.stdout, plainOut.String())
	}
	evs := run.evs

	names := map[tracer.ChanID]string{}
	labels := map[tracer.ValueID]string{}
	received := map[string][]string{}
	started := map[string]bool{}
	for _, e := range evs {
		switch e.Kind {
		case tracer.KindGo:
			started[e.Name] = true
		case tracer.KindChan:
			// Channels made at one line are numbered (ch, ch #2): the
			// header names them all by the line's name.
			name, _, _ := strings.Cut(e.Name, " #")
			names[e.Ch] = name
		case tracer.KindMake:
			labels[e.V] = e.Label
		case tracer.KindRecv:
			if !e.Close && e.V != 0 {
				received[names[e.Ch]] = append(received[names[e.Ch]], labels[e.V])
			}
		}
	}
	if want.none && len(evs) != 0 {
		t.Errorf("%d events, want none", len(evs))
	}
	if len(want.recv) == 0 && !want.none {
		t.Errorf("the program's header names no value received (// want recv CHAN: LABEL | ...)")
	}
	for ch, ls := range want.recv {
		got := received[ch]
		for _, l := range ls {
			i := slices.IndexFunc(got, func(g string) bool { return labelMatches(g, l) })
			if i < 0 {
				t.Errorf("channel %q: %q never received; received %q (channels: %q)", ch, l, got, slices.Sorted(maps.Keys(received)))
				continue
			}
			got = slices.Delete(got, i, i+1) // a multiset
		}
	}
	for _, l := range want.made {
		if !slices.ContainsFunc(slices.Collect(maps.Values(labels)), func(g string) bool { return labelMatches(g, l) }) {
			t.Errorf("no value %q made", l)
		}
	}
	for _, name := range want.goes {
		if !started[name] {
			t.Errorf("no goroutine %q started; started %q", name, slices.Sorted(maps.Keys(started)))
		}
	}
	if t.Failed() {
		t.Logf("trace:\n%s", dump(evs))
	}
}

// labelMatches reports whether the label got is the one a program's header
// wants: want ending in … matches every label it begins, else as
// sameLabel.
func labelMatches(got, want string) bool {
	if prefix, ok := strings.CutSuffix(want, "…"); ok && strings.HasPrefix(got, prefix) {
		return true
	}
	return sameLabel(got, want)
}
