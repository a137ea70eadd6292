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

// TestTracedUnderRuntimeTrace runs the version written with handoff's
// tracer under runtime/trace, imports the Go execution trace and checks
// that the exact handoffs come back from the tracer's log records: every
// path the walker made reaches a worker, every result reaches the
// collector, and the imported events match the tracer's own record.
func TestTracedUnderRuntimeTrace(t *testing.T) {
	const files = 120
	root := makeTree(t, files)
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Skipf("runtime/trace already on (go test -trace?): %v", err)
	}
	all, res, err := hashTreeTraced(root, 4)
	trace.Stop()
	if err != nil || len(all) != files {
		t.Fatalf("hashTreeTraced: %d results, err %v", len(all), err)
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
		t.Fatalf("Validate: %v", err)
	}
	if rep.Annotations == 0 || rep.AnnotatedGoroutines != 7 {
		t.Errorf("report: %d records from %d goroutines; want some, from 7 (main, walk, 4 workers, collect)", rep.Annotations, rep.AnnotatedGoroutines)
	}

	// The exact events: those an importer did not infer (no conf, and not
	// a synthetic value).
	synthetic := map[tracer.ValueID]bool{}
	exactCount := map[tracer.Kind]int{}
	for _, e := range evs {
		if e.Kind == tracer.KindMake && (strings.HasPrefix(e.Label, "exact: ") || strings.HasPrefix(e.Label, "slot: ") || strings.HasPrefix(e.Label, "ambiguous: ")) {
			synthetic[e.V] = true
			continue
		}
		if e.Conf != "" || synthetic[e.V] {
			continue
		}
		exactCount[e.Kind]++
	}
	want := map[tracer.Kind]int{}
	for _, e := range res.Events {
		want[e.Kind]++
	}
	for _, k := range []tracer.Kind{tracer.KindGo, tracer.KindChan, tracer.KindMake, tracer.KindSend, tracer.KindRecv, tracer.KindClose, tracer.KindJoin, tracer.KindDrop, tracer.KindEnd, tracer.KindBlock} {
		if exactCount[k] != want[k] || want[k] == 0 {
			t.Errorf("%s events: imported %d exact, the tracer recorded %d", k, exactCount[k], want[k])
		}
	}
	if rep.Exact != len(res.Events) {
		t.Errorf("%d exact events imported, the tracer recorded %d", rep.Exact, len(res.Events))
	}
	if want[tracer.KindMake] != 2*files {
		t.Errorf("the tracer recorded %d makes, want %d", want[tracer.KindMake], 2*files)
	}

	// Who handed what to whom, by goroutine name.
	name := map[tracer.GoID]string{}
	label := map[tracer.ValueID]string{}
	sender := map[tracer.ValueID]tracer.GoID{}
	for _, e := range evs {
		switch e.Kind {
		case tracer.KindGo:
			name[e.Child] = e.Name
		case tracer.KindMake:
			label[e.V] = e.Label
		}
	}
	recvd := map[string]bool{}
	got := map[string]int{}
	for _, e := range evs {
		if synthetic[e.V] {
			continue
		}
		switch e.Kind {
		case tracer.KindSend:
			sender[e.V] = e.G
		case tracer.KindRecv:
			if e.Close {
				continue
			}
			from, to := name[sender[e.V]], name[e.G]
			role := strings.Fields(from + " x")[0] + "→" + strings.Fields(to + " x")[0]
			got[role]++
			if role == "walk→worker" {
				recvd[label[e.V]] = true
			}
		}
	}
	t.Logf("exact handoffs by role: %v; %d records, %d exact events; inferred: %d exact, %d slot, %d ambiguous",
		got, rep.Annotations, rep.Exact, rep.Handoffs[exectrace.ConfExact], rep.Handoffs[exectrace.ConfSlot], rep.Handoffs[exectrace.ConfAmbiguous])
	if got["walk→worker"] != files || got["worker→collect"] != files || len(got) != 2 {
		t.Errorf("handoffs %v: want %d walk→worker and %d worker→collect, nothing else", got, files, files)
	}
	for _, r := range all {
		if !recvd[filepath.Base(r.path)] {
			t.Errorf("path %s: the walker's value never reached a worker in the import", r.path)
		}
	}
	if len(rep.Blocked) != 0 || len(rep.Cycles) != 0 {
		t.Errorf("a finished program left blocked goroutines %+v or cycles %v", rep.Blocked, rep.Cycles)
	}
}
