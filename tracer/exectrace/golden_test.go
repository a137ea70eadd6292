package exectrace

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/handoff-viz/handoff/tracer"
)

var (
	updateGolden = flag.Bool("update", false, "rewrite testdata/golden from the current converter")
	recordBusy   = flag.Bool("record-busy", false, "record testdata/busy.trace again (a short run of busy, see bench_test.go)")
)

// goldenVariants are the options each committed trace is converted with.
// window is the middle half of the trace, whose length is end.
var goldenVariants = []struct {
	name string
	opts func(end time.Duration) Options
}{
	{"default", func(time.Duration) Options { return Options{} }},
	{"system", func(time.Duration) Options { return Options{System: true} }},
	{"window", func(end time.Duration) Options { return Options{From: end / 4, To: end * 3 / 4} }},
}

// goldenOutput converts raw with opts and returns what a change to the
// converter must not change: the JSON Lines output, the report and the
// error, if any.
func goldenOutput(t *testing.T, raw []byte, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := tracer.NewWriter(&buf, tracer.Header{Source: "golden", Clock: "imported", Note: Note})
	if err != nil {
		t.Fatal(err)
	}
	var evs []tracer.Event
	rep, cerr := Convert(bytes.NewReader(raw), opts, func(e *tracer.Event) error {
		evs = append(evs, *e)
		return w.Write(e)
	})
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if cerr == nil {
		// Whatever the options, what the importer writes is a valid run.
		validate(t, evs)
	}
	fmt.Fprintf(&buf, "# error: %v\n", cerr)
	if rep != nil {
		// Group keeps one field unexported: print the exported ones.
		groups := rep.Groups
		rep.Groups = nil
		b, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&buf, "# report: %s\n", b)
		for _, g := range groups {
			b, err := json.Marshal(g)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&buf, "# group: %s\n", b)
		}
	}
	return buf.Bytes()
}

// TestGolden converts every committed trace (testdata/*.trace) with a few
// options and compares the JSON Lines output, the report and the error
// with testdata/golden, written by an earlier version of the converter
// (go test -run Golden -update rewrites them). It keeps speed-ups from
// changing what is found. A difference is written to testdata/out.
func TestGolden(t *testing.T) {
	if *recordBusy {
		raw := record(t, func() { busy(50) })
		if err := os.WriteFile("testdata/busy.trace", raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	traces, _ := filepath.Glob("testdata/*.trace")
	if len(traces) < 4 {
		t.Fatalf("want at least 4 testdata/*.trace, have %v", traces)
	}
	for _, p := range traces {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rep, _ := Convert(bytes.NewReader(raw), Options{}, func(*tracer.Event) error { return nil })
		if rep == nil {
			t.Fatalf("%s: no report", p)
		}
		end := time.Duration(rep.End)
		for _, v := range goldenVariants {
			name := strings.TrimSuffix(filepath.Base(p), ".trace") + "." + v.name + ".jsonl"
			t.Run(name, func(t *testing.T) {
				got := goldenOutput(t, raw, v.opts(end))
				gp := filepath.Join("testdata", "golden", name)
				if *updateGolden {
					if err := os.MkdirAll(filepath.Dir(gp), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(gp, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(gp)
				if err != nil {
					t.Fatalf("%v (go test -run Golden -update writes it)", err)
				}
				if bytes.Equal(got, want) {
					return
				}
				gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
				line := 0
				for line < len(gl) && line < len(wl) && bytes.Equal(gl[line], wl[line]) {
					line++
				}
				out := filepath.Join("testdata", "out", name)
				if err := os.MkdirAll(filepath.Dir(out), 0o755); err == nil {
					_ = os.WriteFile(out, got, 0o644)
				}
				t.Errorf("%s differs from %s at line %d (output written to %s):\n got: %.300s\nwant: %.300s",
					p, gp, line+1, out, lineAt(gl, line), lineAt(wl, line))
			})
		}
	}
}

func lineAt(lines [][]byte, i int) []byte {
	if i < len(lines) {
		return lines[i]
	}
	return []byte("(end of output)")
}
