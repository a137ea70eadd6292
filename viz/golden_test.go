package viz

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/handoff-viz/handoff/scenarios"
	"github.com/handoff-viz/handoff/tracer"
)

var (
	update   = flag.Bool("update", false, "rewrite the golden DOT files under testdata/ from the traces kept there")
	rerecord = flag.Bool("rerecord", false, "with -update, record the scenarios again and rewrite the kept traces too")
)

// record runs a scenario without call sites, so its DOT does not depend on
// line numbers.
func record(t testing.TB, s *scenarios.Scenario) []tracer.Event {
	t.Helper()
	evs, err := scenarios.Record(s, scenarios.Options{NoCallSites: true})
	if err != nil {
		t.Fatalf("record %s: %v", s.Name, err)
	}
	return evs
}

// goldenViews are the views checked for every scenario; the value view
// follows the scenario's first value.
func goldenViews(tl *tracer.Timeline) []Options {
	os := []Options{{View: ViewTimeline}, {View: ViewGraph}}
	if len(tl.Values) > 0 {
		os = append(os, Options{View: ViewValue, Value: fmt.Sprintf("v%d", tl.Values[0].ID)})
	}
	return os
}

func dotOf(t testing.TB, tl *tracer.Timeline, o Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteDOT(&b, tl, o); err != nil {
		t.Fatalf("WriteDOT(%+v): %v", o, err)
	}
	return b.Bytes()
}

// goldenTrace returns the trace the goldens of a scenario are composed
// from. Scenarios with several goroutines running at once do not give the
// same event order every run, so the goldens are not composed from a fresh
// run but from a run kept under testdata/ (written again by -update, with
// the goldens, with -update -rerecord).
func goldenTrace(t *testing.T, s *scenarios.Scenario) []tracer.Event {
	t.Helper()
	path := filepath.Join("testdata", s.Name+".jsonl")
	if *update && *rerecord {
		evs := record(t, s)
		var b bytes.Buffer
		if err := tracer.WriteTrace(&b, scenarios.Header(s), evs); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return evs
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to record it)", err)
	}
	defer f.Close()
	_, evs, err := tracer.ReadTrace(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return evs
}

func TestGoldenDOT(t *testing.T) {
	if len(scenarios.All()) == 0 {
		t.Fatal("no scenarios registered")
	}
	for _, s := range scenarios.All() {
		t.Run(s.Name, func(t *testing.T) {
			tl := tracer.BuildTimeline(goldenTrace(t, s))
			for _, o := range goldenViews(tl) {
				got := dotOf(t, tl, o)
				path := filepath.Join("testdata", s.Name+"-"+o.View+".dot")
				if *update {
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test -update to write it)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from the DOT composed now (go test -update rewrites it after a change you meant)", path)
				}
			}
		})
	}
}

// TestDeterministic records each scenario twice: the same trace must give
// byte-identical DOT, and composing twice from one trace too.
func TestDeterministic(t *testing.T) {
	for _, s := range scenarios.All() {
		t.Run(s.Name, func(t *testing.T) {
			tl := tracer.BuildTimeline(record(t, s))
			for _, o := range goldenViews(tl) {
				if a, b := dotOf(t, tl, o), dotOf(t, tl, o); !bytes.Equal(a, b) {
					t.Errorf("%s view: two compositions of one trace differ", o.View)
				}
			}
		})
	}
}
