package traceevent_test

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/handoff-viz/handoff/scenarios"
	"github.com/handoff-viz/handoff/tracer"
	"github.com/handoff-viz/handoff/tracer/exectrace"
	"github.com/handoff-viz/handoff/tracer/traceevent"
	"go.uber.org/goleak"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// export writes evs as a Trace Event file.
func export(t *testing.T, h tracer.Header, evs []tracer.Event) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := traceevent.NewWriter(&buf, h)
	for i := range evs {
		if err := w.Write(&evs[i]); err != nil {
			t.Fatalf("Write event %d: %v", evs[i].Seq, err)
		}
	}
	st, err := w.Close()
	if err != nil {
		t.Fatalf("Close: %v", err)
	}
	if st.Events != int64(len(evs)) {
		t.Errorf("Stats.Events = %d, want %d", st.Events, len(evs))
	}
	return buf.Bytes()
}

// check validates data, the export of evs, against the format and against
// evs: one arrow per handoff, one named thread per goroutine, times in
// microseconds.
func check(t *testing.T, data []byte, evs []tracer.Event) traceevent.Summary {
	t.Helper()
	sum, err := traceevent.Validate(data)
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	// What the events say there should be.
	inFlight := map[[2]int64]bool{}
	goroutines := map[tracer.GoID]bool{}
	mutexes := map[tracer.MutexID]bool{}
	chans := map[tracer.ChanID]bool{}
	var handoffs, violations int
	for _, e := range evs {
		goroutines[e.G] = true
		if e.Kind == tracer.KindGo {
			goroutines[e.Child] = true
		}
		if e.Mu != 0 && e.Kind != tracer.KindBlock {
			mutexes[e.Mu] = true
		}
		if e.Kind == tracer.KindChan || e.Kind == tracer.KindSend {
			chans[e.Ch] = true
		}
		key := [2]int64{int64(e.Ch), int64(e.V)}
		switch e.Kind {
		case tracer.KindSend:
			inFlight[key] = true
		case tracer.KindRecv:
			if !e.Close && inFlight[key] {
				handoffs++
			}
			delete(inFlight, key)
		case tracer.KindDiscard:
			delete(inFlight, key)
		case tracer.KindViolation:
			violations++
		}
	}
	if sum.Flows != handoffs {
		t.Errorf("%d flow arrows, want one per handoff: %d", sum.Flows, handoffs)
	}
	if want := len(goroutines) + len(mutexes); sum.Threads != want {
		t.Errorf("%d named threads, want %d goroutines + %d mutexes", sum.Threads, len(goroutines), len(mutexes))
	}
	if len(sum.Counters) != len(chans) {
		t.Errorf("%d channel counters, want %d", len(sum.Counters), len(chans))
	}
	if got := strings.Count(string(data), `"cat":"violation","ph":"i"`); got != violations {
		t.Errorf("%d violation instants, want %d", got, violations)
	}
	if len(evs) > 0 {
		// Microseconds: the last timestamp is the last event's time over
		// 1000, give or take the few nanoseconds a send or receive slice
		// may push things later.
		last := float64(evs[len(evs)-1].T) / 1000
		slack := float64(traceevent.HandoffWidth+traceevent.MinWidth*tracer.Time(len(evs))) / 1000
		if sum.MaxTS < last || sum.MaxTS > last+slack {
			t.Errorf("latest ts %v µs, want the last event's %v µs (+ at most %v): not in microseconds?", sum.MaxTS, last, slack)
		}
	}
	return sum
}

// TestScenarios exports a run of every scenario.
func TestScenarios(t *testing.T) {
	for _, s := range scenarios.All() {
		t.Run(s.Name, func(t *testing.T) {
			evs, err := scenarios.Record(s, scenarios.Options{})
			if err != nil {
				t.Fatal(err)
			}
			sum := check(t, export(t, scenarios.Header(s), evs), evs)
			t.Logf("%d events → %d trace events, %d flows, phases %v", len(evs), sum.Events, sum.Flows, sum.ByPhase)
		})
	}
}

// TestTraceFiles exports the handoff traces and the Go execution traces
// under testdata, the Go traces streamed from exectrace.Convert.
func TestTraceFiles(t *testing.T) {
	jsonl, _ := filepath.Glob("../testdata/*.jsonl")
	local, _ := filepath.Glob("testdata/*.jsonl")
	gotraces, _ := filepath.Glob("../exectrace/testdata/*.trace")
	if len(jsonl) == 0 || len(gotraces) == 0 {
		t.Fatal("no test traces found")
	}
	for _, path := range append(jsonl, local...) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			h, evs := readTrace(t, path)
			check(t, export(t, h, evs), evs)
		})
	}
	for _, path := range gotraces {
		t.Run(filepath.Base(path), func(t *testing.T) {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var buf bytes.Buffer
			w := traceevent.NewWriter(&buf, tracer.Header{Source: filepath.Base(path), Clock: "imported", Note: exectrace.Note})
			var evs []tracer.Event // for check only: the writer never sees them whole
			_, err = exectrace.Convert(bufio.NewReader(f), exectrace.Options{}, func(e *tracer.Event) error {
				evs = append(evs, *e)
				return w.Write(e)
			})
			if filepath.Base(path) == "badannotation.trace" {
				// A malformed handoff record, on purpose (its README).
				if err == nil {
					t.Fatal("Convert of badannotation.trace: no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Close(); err != nil {
				t.Fatal(err)
			}
			sum := check(t, buf.Bytes(), evs)
			handoffs := 0
			for _, e := range evs {
				if e.Kind == tracer.KindRecv && e.V != 0 {
					handoffs++
				}
			}
			if handoffs > 0 && sum.Flows == 0 { // lockorder.trace has locks only
				t.Errorf("no flow arrows from a Go trace with %d events, %d handoffs", len(evs), handoffs)
			}
		})
	}
}

func readTrace(t *testing.T, path string) (tracer.Header, []tracer.Event) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, evs, err := tracer.ReadTrace(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return h, evs
}

// TestGolden compares the export of two small recorded scenarios with the
// files under testdata/golden (go test -update rewrites them).
func TestGolden(t *testing.T) {
	for _, path := range []string{"testdata/channel-handoff.jsonl", "../testdata/deadlock.jsonl"} {
		name := strings.TrimSuffix(filepath.Base(path), ".jsonl")
		t.Run(name, func(t *testing.T) {
			h, evs := readTrace(t, path)
			got := export(t, h, evs)
			check(t, got, evs)
			golden := filepath.Join("testdata", "golden", name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to write it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("export of %s differs from %s (go test -update rewrites it); got:\n%s", path, golden, got)
			}
		})
	}
}

// TestSameTimestamps exports what imports look like: a goroutine that
// receives and forwards at one instant, and the next receiver at that
// instant too. The slices must not overlap and each arrow must sit inside
// its own slices and go forward.
func TestSameTimestamps(t *testing.T) {
	const T = 5000
	evs := []tracer.Event{
		{Kind: tracer.KindChan, G: 1, Ch: 1, Name: "a"},
		{Kind: tracer.KindChan, G: 1, Ch: 2, Name: "b"},
		{Kind: tracer.KindGo, G: 1, Child: 2, Name: "stage"},
		{Kind: tracer.KindGo, G: 1, Child: 3, Name: "sink"},
		{T: T, Kind: tracer.KindMake, G: 1, V: 1, Label: "x"},
		{T: T, Kind: tracer.KindSend, G: 1, Ch: 1, V: 1},
		{T: T, Kind: tracer.KindRecv, G: 2, Ch: 1, V: 1},
		{T: T, Kind: tracer.KindSend, G: 2, Ch: 2, V: 1},
		{T: T, Kind: tracer.KindRecv, G: 3, Ch: 2, V: 1},
		{T: T, Kind: tracer.KindUse, G: 3, V: 1, Op: "read"},
		{T: T, Kind: tracer.KindSend, G: 3, Ch: 1, V: 1},
		{T: T, Kind: tracer.KindRecv, G: 2, Ch: 1, V: 1},
		{T: T, Kind: tracer.KindBlock, G: 2, Ch: 2, On: tracer.OnRecv},
		{T: T + 1, Kind: tracer.KindEnd, G: 3},
		// Not a sensible trace: g4 ends at the instant it sends, then acts.
		{T: T + 2, Kind: tracer.KindGo, G: 1, Child: 4, Name: "ghost"},
		{T: T + 2, Kind: tracer.KindSend, G: 4, Ch: 1, V: 2},
		{T: T + 2, Kind: tracer.KindEnd, G: 4},
		{T: T + 2, Kind: tracer.KindRecv, G: 4, Ch: 1, V: 2},
	}
	for i := range evs {
		evs[i].Seq = uint64(i + 1)
	}
	sum := check(t, export(t, tracer.Header{}, evs), evs)
	if sum.Flows != 4 {
		t.Errorf("%d flows, want 4", sum.Flows)
	}
}

// TestBadEvents: what the format cannot carry is an error, not a broken file.
func TestBadEvents(t *testing.T) {
	for _, tc := range []struct {
		name string
		evs  []tracer.Event
		want string
	}{
		{"huge goroutine id", []tracer.Event{{Seq: 1, Kind: tracer.KindMake, G: 1 << 40, V: 1}}, "does not fit a Trace Event tid"},
		{"huge child id", []tracer.Event{{Seq: 1, Kind: tracer.KindGo, G: 1, Child: 1 << 33}}, "does not fit a Trace Event tid"},
		{"no goroutine", []tracer.Event{{Seq: 1, Kind: tracer.KindMake, V: 1}}, "does not fit a Trace Event tid"},
		{"time goes back", []tracer.Event{{Seq: 1, T: 10, Kind: tracer.KindMake, G: 1, V: 1}, {Seq: 2, T: 5, Kind: tracer.KindDrop, G: 1, V: 1}}, "goes back"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := traceevent.NewWriter(&bytes.Buffer{}, tracer.Header{})
			var err error
			for i := range tc.evs {
				if err = w.Write(&tc.evs[i]); err != nil {
					break
				}
			}
			if _, cerr := w.Close(); err == nil {
				err = cerr
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteError(t *testing.T) {
	w := traceevent.NewWriter(failingWriter{}, tracer.Header{})
	e := tracer.Event{Seq: 1, Kind: tracer.KindMake, G: 1, V: 1}
	w.Write(&e)
	if _, err := w.Close(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Close: %v, want the writer's error", err)
	}
}

// TestValidateRejects makes sure the checker the other tests trust can
// fail: each file breaks one rule.
func TestValidateRejects(t *testing.T) {
	named := `{"name":"thread_name","ph":"M","ts":0,"pid":1,"tid":1,"args":{"name":"g1"}}`
	file := func(evs ...string) string {
		return `{"displayTimeUnit":"ns","traceEvents":[` + strings.Join(append([]string{named}, evs...), ",") + `]}`
	}
	for _, tc := range []struct{ name, data, want string }{
		{"not json", `{"traceEvents":[`, "not a JSON object"},
		{"no unit", `{"traceEvents":[]}`, "displayTimeUnit"},
		{"no name", file(`{"ph":"i","ts":1,"pid":1,"tid":1}`), "no name"},
		{"no ts", file(`{"name":"a","ph":"i","pid":1,"tid":1}`), "ts: missing"},
		{"no tid", file(`{"name":"a","ph":"i","ts":1,"pid":1}`), "tid: missing"},
		{"float tid", file(`{"name":"a","ph":"i","ts":1,"pid":1,"tid":1.5}`), "not an integer"},
		{"X without dur", file(`{"name":"a","ph":"X","ts":1,"pid":1,"tid":1}`), "dur: missing"},
		{"unnamed thread", file(`{"name":"a","ph":"X","ts":1,"dur":1,"pid":1,"tid":2}`), "no thread_name"},
		{"overlap", file(`{"name":"a","ph":"X","ts":1,"dur":5,"pid":1,"tid":1}`, `{"name":"b","ph":"X","ts":3,"dur":5,"pid":1,"tid":1}`), "overlap without nesting"},
		{"E goes back", file(`{"name":"a","ph":"B","ts":5,"pid":1,"tid":1}`, `{"name":"a","ph":"E","ts":4,"pid":1,"tid":1}`), "goes back"},
		{"B never ends", file(`{"name":"a","ph":"B","ts":5,"pid":1,"tid":1}`), "never ended"},
		{"flow without end", file(`{"name":"h","cat":"handoff","ph":"X","ts":1,"dur":2,"pid":1,"tid":1}`, `{"name":"h","cat":"handoff","ph":"s","id":1,"ts":2,"pid":1,"tid":1}`), "never ends"},
		{"flow end not bound", file(`{"name":"h","cat":"handoff","ph":"X","ts":1,"dur":2,"pid":1,"tid":1}`, `{"name":"h","cat":"handoff","ph":"s","id":1,"ts":2,"pid":1,"tid":1}`, `{"name":"h","cat":"handoff","ph":"f","id":1,"ts":2.5,"pid":1,"tid":1}`), `bp "e"`},
		{"flow outside its slice", file(`{"name":"h","cat":"handoff","ph":"X","ts":1,"dur":2,"pid":1,"tid":1}`, `{"name":"h","cat":"handoff","ph":"s","id":1,"ts":1,"pid":1,"tid":1}`, `{"name":"h","cat":"handoff","ph":"f","bp":"e","id":1,"ts":2.5,"pid":1,"tid":1}`), "inside no handoff slice"},
		{"flow cat differs", file(`{"name":"h","cat":"handoff","ph":"X","ts":1,"dur":2,"pid":1,"tid":1}`, `{"name":"h","cat":"handoff","ph":"s","id":1,"ts":2,"pid":1,"tid":1}`, `{"name":"h","cat":"other","ph":"f","bp":"e","id":1,"ts":2.5,"pid":1,"tid":1}`), "pairs them"},
		{"counter of text", file(`{"name":"c","ph":"C","ts":1,"pid":1,"tid":1,"args":{"n":"many"}}`), "object of numbers"},
		{"unknown ph", file(`{"name":"a","ph":"Q","ts":1,"pid":1,"tid":1}`), "unknown ph"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := traceevent.Validate([]byte(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate: %v, want an error saying %q", err, tc.want)
			}
		})
	}
}
