package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime/trace"
	"strings"
	"testing"

	"github.com/handoff-viz/handoff/tracer"
	"github.com/handoff-viz/handoff/tracer/exectrace"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func makeTree(t *testing.T, files int) string {
	t.Helper()
	root := t.TempDir()
	for i := range files {
		dir := filepath.Join(root, fmt.Sprintf("d%d", i%7))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		data := bytes.Repeat([]byte{byte(i)}, 4096*(1+i%5))
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%d", i)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestHashTree(t *testing.T) {
	root := makeTree(t, 30)
	all, err := hashTree(root, 3)
	if err != nil || len(all) != 30 {
		t.Fatalf("hashTree: %d results, err %v; want 30", len(all), err)
	}
	if _, err := hashTree(filepath.Join(root, "missing"), 2); err == nil {
		t.Error("a missing directory: no error")
	}
}

// TestUnderRuntimeTrace runs the unmodified program under runtime/trace,
// imports the trace and checks the handoffs a person would expect to see:
// the walker hands paths to the workers, the workers hand results to the
// collector, never the other way.
func TestUnderRuntimeTrace(t *testing.T) {
	root := makeTree(t, 300)
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Skipf("runtime/trace already on (go test -trace?): %v", err)
	}
	all, err := hashTree(root, 4)
	trace.Stop()
	if err != nil || len(all) != 300 {
		t.Fatalf("hashTree: %d results, err %v", len(all), err)
	}
	var evs []tracer.Event
	rep, err := exectrace.Convert(&buf, exectrace.Options{}, func(e *tracer.Event) error {
		evs = append(evs, *e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tracer.Validate(evs); err != nil {
		t.Errorf("Validate: %v", err)
	}
	role := map[tracer.GoID]string{}
	for _, e := range evs {
		if e.Kind == tracer.KindGo {
			role[e.Child] = e.Name[strings.LastIndexByte(e.Name, '.')+1:] // main.walk or hashwalk.walk
		}
	}
	sender := map[tracer.ValueID]tracer.GoID{}
	got := map[string]int{}
	for _, e := range evs {
		switch e.Kind {
		case tracer.KindSend:
			sender[e.V] = e.G
		case tracer.KindRecv:
			if !e.Close {
				got[role[sender[e.V]]+"→"+role[e.G]]++
			}
		}
	}
	t.Logf("handoffs by role: %v; report: %d exact, %d slot, %d ambiguous", got, rep.Handoffs[exectrace.ConfExact], rep.Handoffs[exectrace.ConfSlot], rep.Handoffs[exectrace.ConfAmbiguous])
	if got["walk→worker"] == 0 {
		t.Errorf("no handoff from the walker to a worker: %v", got)
	}
	if got["worker→collect"] == 0 {
		t.Errorf("no handoff from a worker to the collector: %v", got)
	}
	for k := range got {
		// collect→ is the collector handing its slice to hashTree's caller.
		if k != "walk→worker" && k != "worker→collect" && k != "collect→" {
			t.Errorf("unexpected handoff %s (%d): %v", k, got[k], got)
		}
	}
	if len(rep.Blocked) != 0 || len(rep.Cycles) != 0 {
		t.Errorf("a finished program left blocked goroutines %+v or cycles %v", rep.Blocked, rep.Cycles)
	}
}
