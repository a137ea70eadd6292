package tracer

import (
	"bytes"
	"runtime/trace"
	"strings"
	"testing"
)

// TestRuntimeTraceCarriesAnnotations records a run with runtime/trace on
// and checks that the execution trace carries the handoff log records.
// Reading them back out of a real execution trace is the importer's job
// (package tracer/exectrace, the only reader of x/exp/trace), tested there.
func TestRuntimeTraceCarriesAnnotations(t *testing.T) {
	if trace.IsEnabled() {
		t.Skip("runtime/trace already on")
	}
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Fatal(err)
	}
	res, err := Run(func(g *G) {
		ch := NewChan[*Value[string]](g, "jobs \"q\"", 1)
		h := g.Go("worker", func(g *G) {
			for v := range ch.All(g) {
				v.Get(g)
			}
		})
		for _, s := range []string{"a", "b", "c"} {
			ch.Send(g, Make(g, s, s))
		}
		ch.Close(g)
		h.Join(g)
	})
	trace.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if buf.Len() == 0 {
		t.Fatal("no execution trace")
	}
	if !bytes.Contains(buf.Bytes(), []byte(AnnotationCategory)) {
		t.Error("the execution trace does not mention the handoff category")
	}
	_ = res
}

func TestDecodeAnnotationRejectsGarbage(t *testing.T) {
	for _, text := range []string{
		"", "1", "x 1 2 3 4 5", "99 1 0 0 0 0", "7 0 1 2 3 0", `1 1 2 0 0 0`,
		`1 1 2 0 0 0 "name" "" "" "" "" 0 [1,x] [] []`,
		`1 1 2 0 0 0 "unterminated 0 [] [] []`,
	} {
		a := NewAnnotations()
		if err := a.Add(0, 1, text); err == nil {
			t.Errorf("Add(%q) accepted garbage", text)
		} else if !strings.Contains(err.Error(), "handoff annotation") {
			t.Errorf("Add(%q): error %v does not say what it read", text, err)
		}
	}
}

func TestAnnotationsMergeByHand(t *testing.T) {
	a := NewAnnotations()
	lines := []struct {
		t    int64
		goid int64
		text string
	}{
		{100, 10, `4 1 1 1 0 0 "c" "" "" "" "" 0 [] [] []`}, // chan 1 cap 1
		{110, 10, `1 1 2 0 0 0 "w" "" "" "" "" 0 [] [] []`}, // go g2
		{120, 10, `5 1 1 0 0 0 "" "v" "" "" "" 0 [] [] []`}, // make v1
		{130, 10, `6 1 1 1 4294967297 0`},                   // send v1 on ch1
		{140, 11, `7 2 1 1 4294967297 0`},                   // g2 recv v1
		{150, 11, `2 2 0 0 0 0`},                            // g2 end
		{160, 10, `3 1 2 0 0 0`},                            // join g2
	}
	for _, l := range lines {
		if err := a.Add(l.t, l.goid, l.text); err != nil {
			t.Fatal(err)
		}
	}
	evs := a.Events()
	if err := Validate(evs); err != nil {
		t.Fatalf("%v\n%s", err, dump(evs))
	}
	if len(evs) != 7 || evs[4].Kind != KindRecv || evs[4].G != 2 || evs[4].V != 1 {
		t.Fatalf("events:\n%s", dump(evs))
	}
	if id, ok := a.GoID(2); !ok || id != 11 {
		t.Errorf("GoID(2) = %d, %v", id, ok)
	}
	if evs[0].T != 0 || evs[6].T != 60 {
		t.Errorf("times %d..%d, want 0..60", evs[0].T, evs[6].T)
	}
}

// TestAnnotationsReceiverLogsFirst: on an unbuffered channel the woken
// receiver often logs before its sender does. The sender's record, last to
// arrive, must still come first in the merged stream.
func TestAnnotationsReceiverLogsFirst(t *testing.T) {
	a := NewAnnotations()
	recs := []struct {
		goid int64
		text string
	}{
		{10, `4 1 1 0 0 0 "c" "" "" "" "" 0 [] [] []`},
		{10, `1 1 2 0 0 0 "p" "" "" "" "" 0 [] [] []`},
		{11, `5 2 1 0 0 0 "" "v" "" "" "" 0 [] [] []`},
		{11, `9 2 1 0 0 1`},
		{10, `1 1 3 0 0 0 "w" "" "" "" "" 0 [] [] []`},
		{12, `7 3 1 1 8589934593 0`},
		{12, `13 3 1 0 0 0`},
		{11, `6 2 1 1 8589934593 0`},
	}
	for i, r := range recs {
		if err := a.Add(int64(i*10), r.goid, r.text); err != nil {
			t.Fatal(err)
		}
	}
	evs := a.Events()
	if a.m.forced != 0 {
		t.Errorf("forced %d records\n%s", a.m.forced, dump(evs))
	}
	if err := Validate(evs); err != nil {
		t.Fatal(err)
	}
}
