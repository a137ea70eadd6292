package viz

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/handoff-viz/handoff/scenarios"
	"github.com/handoff-viz/handoff/tracer"
)

// windowed draws evs the way render draws a stream: through a Window.
func windowed(evs []tracer.Event, o Options) (string, int, error) {
	w := NewWindow(o)
	for i := range evs {
		w.Add(&evs[i])
	}
	var b bytes.Buffer
	err := WriteDOT(&b, tracer.BuildTimeline(w.Events()), w.Options())
	return b.String(), len(w.Events()), err
}

// TestWindowDrawsTheSame: a picture drawn from the events a Window keeps
// is the picture of the whole trace, for every scenario and windows
// placed all along it, and the Window keeps fewer events when the window
// ends before the trace does.
func TestWindowDrawsTheSame(t *testing.T) {
	traces := map[string][]tracer.Event{"synth": synth(600, false)}
	files, _ := filepath.Glob("../tracer/testdata/*.jsonl")
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		_, evs, err := tracer.ReadTrace(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		traces[filepath.Base(name)] = evs
	}
	for _, s := range scenarios.All() {
		evs, err := scenarios.Record(s, scenarios.Options{NoCallSites: true})
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		traces[s.Name] = evs
	}
	for name, evs := range traces {
		n := uint64(len(evs))
		var opts []Options
		for _, max := range []int{0, 3, 7, 20} {
			for _, from := range []uint64{0, 1, 2, n / 3, n / 2, n - 5, n} {
				opts = append(opts, Options{MaxSteps: max, From: from})
			}
		}
		opts = append(opts,
			Options{To: n / 2},
			Options{From: n / 4, To: n / 2, MaxSteps: -1},
			Options{From: 2, To: 1},
			Options{From: n + 10},
			Options{MaxSteps: 5, Axis: AxisTime},
			Options{MaxSteps: 5, Width: 800, Height: 450},
			Options{View: ViewGraph, MaxSteps: 4},
			Options{MaxSteps: 6, upTo: 4},
			Options{MaxSteps: 6, upTo: 6},
			Options{MaxSteps: 6, From: 3, upTo: 8},
		)
		for _, o := range opts {
			t.Run(fmt.Sprintf("%s/%+v", name, o), func(t *testing.T) {
				var full bytes.Buffer
				fullErr := WriteDOT(&full, tracer.BuildTimeline(evs), o)
				got, kept, err := windowed(evs, o)
				if (err == nil) != (fullErr == nil) || (err != nil && err.Error() != fullErr.Error()) {
					t.Fatalf("error %v, the whole trace gives %v", err, fullErr)
				}
				if got != full.String() {
					t.Fatalf("the picture differs from the whole trace's (kept %d of %d events)\nwindowed:\n%s\nwhole:\n%s", kept, len(evs), got, full.String())
				}
				if o.View == "" && o.MaxSteps > 0 && o.To == 0 {
					// At most the window's end, and past it joins and scope ends.
					bound := int(max(o.From, 1)) - 1 + o.MaxSteps
					for _, e := range evs[min(bound, len(evs)):] {
						if e.Kind == tracer.KindJoin || e.Kind == tracer.KindScopeEnd {
							bound++
						}
					}
					if kept > bound {
						t.Errorf("kept %d of %d events for a window of %d steps from %d; want at most %d", kept, len(evs), o.MaxSteps, o.From, bound)
					}
				}
			})
		}
	}
}
