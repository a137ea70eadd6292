package exectrace

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/handoff-viz/handoff/tracer"
)

// FuzzConvert feeds the importer arbitrary bytes: it must return an error
// or events that make a trace, never panic. The seed corpus is the small
// traces under testdata/ plus testdata/fuzz/FuzzConvert.
func FuzzConvert(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.trace")
	for _, p := range seeds {
		if filepath.Base(p) == "badannotation.trace" {
			continue // TestBadAnnotation
		}
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte("go 1.26 trace\x00\x00\x00"))
	f.Add([]byte(`{"format":"handoff","version":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var last tracer.Event
		var evs []tracer.Event
		n := 0
		_, err := Convert(bytes.NewReader(data), Options{To: time.Hour}, func(e *tracer.Event) error {
			n++
			if e.Seq != uint64(n) || e.T < last.T || e.G <= 0 {
				t.Fatalf("event %d out of order or without goroutine: %+v after %+v", n, *e, last)
			}
			last = *e
			evs = append(evs, *e)
			return nil
		})
		if err == nil {
			// Every trace the importer reads in full gives a valid run.
			validate(t, evs)
		}
	})
}

// TestSmallTraces imports the committed traces: they were written by
// examples under runtime/trace (see testdata/README).
func TestSmallTraces(t *testing.T) {
	seeds, _ := filepath.Glob("testdata/*.trace")
	if len(seeds) == 0 {
		t.Fatal("no testdata/*.trace")
	}
	for _, p := range seeds {
		if filepath.Base(p) == "badannotation.trace" {
			continue // TestBadAnnotation
		}
		t.Run(filepath.Base(p), func(t *testing.T) {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			evs, rep := imported(t, b)
			if filepath.Base(p) == "lockorder.trace" {
				// A deadlock on two mutexes: no handoff, two lock waits.
				if rep.SyncWaits < 2 || len(rep.Stuck) != 2 {
					t.Errorf("%s: report %+v: want two goroutines stuck in lock waits", p, rep)
				}
				return
			}
			if len(evs) == 0 || rep.Handoffs[ConfExact]+rep.Handoffs[ConfSlot]+rep.Handoffs[ConfAmbiguous] == 0 {
				t.Errorf("%s: %d events, report %+v: want some handoffs", p, len(evs), rep)
			}
		})
	}
}
