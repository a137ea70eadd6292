package exectrace

import (
	"bytes"
	"fmt"
	"os"
	"runtime/trace"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handoff-viz/handoff/tracer"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// traceMu keeps two tests from tracing at once: runtime/trace allows one.
var traceMu sync.Mutex

// record runs fn under runtime/trace and returns the trace.
func record(t testing.TB, fn func()) []byte {
	t.Helper()
	traceMu.Lock()
	defer traceMu.Unlock()
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Skipf("cannot start runtime/trace (is the test itself run with -trace?): %v", err)
	}
	fn()
	trace.Stop()
	return buf.Bytes()
}

// imported converts raw and checks that the events make a timeline.
func imported(t *testing.T, raw []byte) ([]tracer.Event, *Report) {
	t.Helper()
	var evs []tracer.Event
	rep, err := Convert(bytes.NewReader(raw), Options{}, func(e *tracer.Event) error {
		evs = append(evs, *e)
		return nil
	})
	if err != nil {
		t.Fatalf("Convert: %v", err)
	}
	checkModel(t, evs)
	if testing.Verbose() {
		var b strings.Builder
		for i := range evs {
			fmt.Fprintf(&b, "%s at=%s name=%q label=%q\n", evs[i].String(), evs[i].At, evs[i].Name, evs[i].Label)
		}
		t.Logf("%d events:\n%s", len(evs), b.String())
	}
	return evs, rep
}

// checkModel checks what the model requires of any trace: seq counts up,
// time does not go back, the JSON round-trips, and the timeline has every
// value owned by one goroutine or channel at each step.
func checkModel(t *testing.T, evs []tracer.Event) {
	t.Helper()
	var buf bytes.Buffer
	if err := tracer.WriteTrace(&buf, tracer.Header{Source: "test", Clock: "imported", Note: Note}, evs); err != nil {
		t.Fatal(err)
	}
	_, back, err := tracer.ReadTrace(&buf)
	if err != nil {
		t.Fatalf("imported trace does not read back: %v", err)
	}
	if len(back) != len(evs) {
		t.Fatalf("read back %d events, wrote %d", len(back), len(evs))
	}
	tl := tracer.BuildTimeline(back)
	for _, v := range tl.Values {
		if len(v.Owners) == 0 {
			t.Errorf("value %d (%s) never had an owner", v.ID, v.Label)
			continue
		}
		if o := v.Owners[0].Owner; o.Kind != tracer.OwnerGoroutine {
			t.Errorf("value %d (%s) first owned by %+v, want its sender", v.ID, v.Label, o)
		}
		last := v.Owners[len(v.Owners)-1]
		if last.Owner.Kind != tracer.OwnerGoroutine {
			t.Errorf("value %d (%s) ends in %+v, want its receiver", v.ID, v.Label, last.Owner)
		}
	}
	validate(t, back)
}

// goroutineNamed returns the id of the goroutine whose go event has name.
func goroutineNamed(t *testing.T, evs []tracer.Event, name string) []tracer.GoID {
	t.Helper()
	var ids []tracer.GoID
	for _, e := range evs {
		if e.Kind == tracer.KindGo && e.Name == name {
			ids = append(ids, e.Child)
		}
	}
	if len(ids) == 0 {
		t.Fatalf("no goroutine named %q in the import", name)
	}
	return ids
}

type edge struct {
	from, to tracer.GoID
	conf     string
}

// handoffs lists the inferred handoffs: make, send and recv of one value.
func handoffs(evs []tracer.Event) map[edge]int {
	out := map[edge]int{}
	sender := map[tracer.ValueID]tracer.GoID{}
	label := map[tracer.ValueID]string{}
	for _, e := range evs {
		switch e.Kind {
		case tracer.KindMake:
			label[e.V] = e.Label
		case tracer.KindSend:
			sender[e.V] = e.G
		case tracer.KindRecv:
			if e.Close {
				continue
			}
			conf, _, _ := strings.Cut(label[e.V], ":")
			out[edge{sender[e.V], e.G, conf}]++
		}
	}
	return out
}

func producerWaits(ch chan<- int, n int) {
	for i := range n {
		time.Sleep(200 * time.Microsecond)
		ch <- i
	}
	time.Sleep(time.Millisecond) // let the consumer park, so close wakes it
	close(ch)
}

func consumerParks(ch <-chan int, done chan<- int) {
	sum := 0
	for v := range ch {
		sum += v
	}
	done <- sum
}

func producerFast(ch chan<- int, n int) {
	for i := range n {
		ch <- i
	}
	close(ch)
}

func consumerSlow(ch <-chan int, done chan<- int) {
	sum := 0
	for v := range ch {
		time.Sleep(200 * time.Microsecond)
		sum += v
	}
	done <- sum
}

func TestHandoffs(t *testing.T) {
	const n = 20
	for _, tc := range []struct {
		name     string
		run      func(ch chan int, done chan int)
		from, to string
		conf     string
	}{
		{"receiver parks: exact", func(ch, done chan int) {
			go producerWaits(ch, n)
			go consumerParks(ch, done)
		}, "exectrace.producerWaits", "exectrace.consumerParks", "exact"},
		{"sender parks: slot", func(ch, done chan int) {
			go producerFast(ch, n)
			go consumerSlow(ch, done)
		}, "exectrace.producerFast", "exectrace.consumerSlow", "slot"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := record(t, func() {
				ch, done := make(chan int), make(chan int)
				tc.run(ch, done)
				<-done
			})
			evs, rep := imported(t, raw)
			from := goroutineNamed(t, evs, tc.from)[0]
			to := goroutineNamed(t, evs, tc.to)[0]
			got := handoffs(evs)
			// The scheduler may let a few operations through without
			// parking; most must be seen.
			if k := got[edge{from, to, tc.conf}]; k < n/2 {
				t.Errorf("%s handoffs g%d→g%d: %d, want at least %d of %d; all: %v", tc.conf, from, to, k, n/2, n, got)
			}
			if rep.Handoffs[ConfExact]+rep.Handoffs[ConfSlot] == 0 {
				t.Errorf("report counts no handoffs: %+v", rep)
			}
			closes := 0
			for _, e := range evs {
				if e.Kind == tracer.KindRecv && e.Close && e.G == to {
					closes++
				}
			}
			if tc.conf == "exact" && closes != 1 {
				t.Errorf("the parked consumer was woken by close: %d empty receives, want 1", closes)
			}
		})
	}
}

func selectSender(a, b chan int, n int, done chan struct{}) {
	for i := range n {
		time.Sleep(200 * time.Microsecond)
		select {
		case a <- i:
		case b <- i:
		}
	}
	close(done)
}

func selectReceiver(a, b chan int, n int) {
	for range n {
		select {
		case <-a:
		case <-b:
		}
	}
}

func TestSelectIsAmbiguous(t *testing.T) {
	const n = 10
	raw := record(t, func() {
		a, b, done := make(chan int), make(chan int), make(chan struct{})
		go selectReceiver(a, b, n)
		go selectSender(a, b, n, done)
		<-done
	})
	evs, _ := imported(t, raw)
	from := goroutineNamed(t, evs, "exectrace.selectSender")[0]
	to := goroutineNamed(t, evs, "exectrace.selectReceiver")[0]
	if k := handoffs(evs)[edge{from, to, "ambiguous"}]; k < n/2 {
		t.Errorf("ambiguous handoffs g%d→g%d: %d, want at least %d; all: %v", from, to, k, n/2, handoffs(evs))
	}
}

func leaker(ch chan int) { <-ch }

// cycleA and cycleB hand each other a value once through each call site,
// then both park in the same receives: each waits on the other.
func cycleA(a, b chan int) {
	for i := range 2 {
		if i == 0 {
			time.Sleep(time.Millisecond)
			a <- 1
		}
		<-b
	}
}

func cycleB(a, b chan int) {
	for i := range 2 {
		<-a
		if i == 0 {
			time.Sleep(time.Millisecond)
			b <- 1
		}
	}
}

func TestLeaksAndCycles(t *testing.T) {
	leak := make(chan int)
	a, b := make(chan int), make(chan int)
	raw := record(t, func() {
		go leaker(leak)
		go cycleA(a, b)
		go cycleB(a, b)
		time.Sleep(10 * time.Millisecond)
	})
	// Unblock everything now the trace is taken, for goleak.
	leak <- 1
	a <- 1
	b <- 1
	evs, rep := imported(t, raw)
	lk := goroutineNamed(t, evs, "exectrace.leaker")[0]
	ga := goroutineNamed(t, evs, "exectrace.cycleA")[0]
	gb := goroutineNamed(t, evs, "exectrace.cycleB")[0]
	found := map[tracer.GoID]Blocked{}
	for _, b := range rep.Blocked {
		found[b.G] = b
	}
	if b, ok := found[lk]; !ok || b.Reason != "chan receive" || !strings.Contains(b.At, "convert_test.go:") || b.Func != "github.com/handoff-viz/handoff/tracer/exectrace.leaker" {
		t.Errorf("leaker g%d: got %+v, want blocked in chan receive in leaker", lk, b)
	}
	if len(rep.Cycles) != 1 || fmt.Sprint(rep.Cycles[0]) != fmt.Sprint([]tracer.GoID{min(ga, gb), max(ga, gb)}) {
		t.Errorf("cycles: got %v, want [[g%d g%d]]; blocked: %+v", rep.Cycles, ga, gb, rep.Blocked)
	}
	var v *tracer.Event
	for i := range evs {
		if evs[i].Kind == tracer.KindViolation {
			v = &evs[i]
		}
	}
	if v == nil || v.Rule != tracer.RuleDeadlock || len(v.Cycle) != 2 {
		t.Fatalf("want a deadlock violation naming the cycle, got %+v", v)
	}
	if !strings.Contains(v.At, "convert_test.go:") || v.Conf != tracer.ConfInferred {
		t.Errorf("deadlock at %q conf %q: want the line of the first goroutine's wait, inferred", v.At, v.Conf)
	}
}

func TestWindow(t *testing.T) {
	raw := record(t, func() {
		ch, done := make(chan int), make(chan int)
		go producerWaits(ch, 40)
		go consumerParks(ch, done)
		<-done
	})
	all, _ := imported(t, raw)
	end := all[len(all)-1].T
	from, to := time.Duration(end/3), time.Duration(2*end/3)
	var win []tracer.Event
	rep, err := Convert(bytes.NewReader(raw), Options{From: from, To: to}, func(e *tracer.Event) error {
		win = append(win, *e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(win) == 0 || len(win) >= len(all) {
		t.Fatalf("window [%v, %v] of a %v trace kept %d of %d events", from, to, time.Duration(end), len(win), len(all))
	}
	for _, e := range win {
		if e.T < tracer.Time(from) || e.T > tracer.Time(to) {
			t.Errorf("event %s at %v outside the window [%v, %v]", e.String(), time.Duration(e.T), from, to)
		}
	}
	if rep.Start != tracer.Time(from) || rep.End != tracer.Time(to) {
		t.Errorf("report window [%d, %d], want [%d, %d]", rep.Start, rep.End, from, to)
	}
	// A window starts with goroutines already running, whose go events are
	// before it: the model's Validate reports those (and only those) until
	// it learns about goroutines that predate a trace.
	if err := tracer.Validate(win); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			if !strings.Contains(line, "acts before any go event spawned it") {
				t.Errorf("tracer.Validate on a window: %s", line)
			}
		}
	}
	if _, err := Convert(bytes.NewReader(raw), Options{From: to, To: from}, func(*tracer.Event) error { return nil }); err == nil {
		t.Error("a window that ends before it starts: no error")
	}
}

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		head string
		want bool
	}{
		{"go 1.26 trace\x00\x00\x00", true},
		{"go 1.22 trace\x00\x00\x00", true},
		{"go 1.5 trace\x00\x00\x00\x00", true},
		{`{"format":"handoff","version":1}`, false},
		{"go 1.x trace", false},
		{"", false},
		{"go 1.", false},
	} {
		if got := Detect([]byte(tc.head)); got != tc.want {
			t.Errorf("Detect(%q) = %v, want %v", tc.head, got, tc.want)
		}
	}
}

func TestBadInput(t *testing.T) {
	good := record(t, func() {
		ch, done := make(chan int), make(chan int)
		go producerWaits(ch, 3)
		go consumerParks(ch, done)
		<-done
	})
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "empty file"},
		{"json", []byte(`{"format":"handoff","version":1}` + "\n"), "not a Go execution trace"},
		{"random", []byte("\x8f\x01\xfe garbage garbage garbage"), "not a Go execution trace"},
		{"old version", []byte("go 1.10 trace\x00\x00\x00\x00garbage"), "cannot read"},
		{"truncated", good[:len(good)*2/3], "read go execution trace"},
		{"header only", good[:16], ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Convert(bytes.NewReader(tc.data), Options{}, func(*tracer.Event) error { return nil })
			if tc.want == "" {
				return // must only not panic
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestBadAnnotation imports a trace written under runtime/trace whose log
// record of handoff's category is not one of the tracer's ("x"): a clear
// error naming the record, never a panic or a silent skip.
func TestBadAnnotation(t *testing.T) {
	b, err := os.ReadFile("testdata/badannotation.trace")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Convert(bytes.NewReader(b), Options{}, func(*tracer.Event) error { return nil })
	if err == nil || !strings.Contains(err.Error(), `handoff annotation "x"`) || !strings.Contains(err.Error(), "log record at") {
		t.Fatalf("Convert: %v; want an error naming the log record", err)
	}
}
