package viz

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/handoff-viz/handoff/tracer"
)

// manyWorkers is a trace of workers goroutines named "worker" and a few
// loners, each worker handing rounds values to the collector over one
// channel, blocking before each send; the last worker's last send is a
// violation.
func manyWorkers(workers, rounds int) []tracer.Event {
	var evs []tracer.Event
	t := tracer.Time(0)
	add := func(e tracer.Event) {
		t += 1500
		e.Seq, e.T = uint64(len(evs)+1), t
		evs = append(evs, e)
	}
	add(tracer.Event{Kind: tracer.KindChan, G: 1, Ch: 1, Name: "results", Cap: 0})
	add(tracer.Event{Kind: tracer.KindGo, G: 1, Child: 2, Name: "collector"})
	for w := range workers {
		add(tracer.Event{Kind: tracer.KindGo, G: 1, Child: tracer.GoID(10 + w), Name: "worker"})
	}
	v := tracer.ValueID(0)
	for r := range rounds {
		for w := range workers {
			g := tracer.GoID(10 + w)
			v++
			add(tracer.Event{Kind: tracer.KindMake, G: g, V: v, Label: fmt.Sprint(r)})
			add(tracer.Event{Kind: tracer.KindBlock, G: g, On: tracer.OnSend, Ch: 1})
			add(tracer.Event{Kind: tracer.KindSend, G: g, Ch: 1, V: v})
			add(tracer.Event{Kind: tracer.KindRecv, G: 2, Ch: 1, V: v})
		}
	}
	add(tracer.Event{Kind: tracer.KindViolation, G: 1, Child: 10, Rule: "leaked-goroutine", Msg: "worker still running"})
	return evs
}

// TestOverviewSumsEveryEvent: however often the slices double, every
// event is counted once, in one lane of its goroutine's group, and the
// picture has at most overviewColumns columns.
func TestOverviewSumsEveryEvent(t *testing.T) {
	for _, n := range []int{1, 10, 1000} {
		evs := manyWorkers(50, n)
		ov := NewOverview()
		for i := range evs {
			ov.Add(&evs[i])
		}
		total := 0.0
		for _, g := range ov.groups {
			for _, c := range g.events {
				total += c
			}
		}
		if int(total) != len(evs) || ov.Events() != len(evs) {
			t.Errorf("rounds %d: %v events counted, %d added, %d in the trace", n, total, ov.Events(), len(evs))
		}
		if len(ov.groups) != 3 || ov.byName["worker"].members != 50 {
			t.Errorf("rounds %d: groups %d, workers %d; want 3 groups (g1, collector, worker) and 50 workers", n, len(ov.groups), ov.byName["worker"].members)
		}
		if used := ov.column(ov.t1) + 1; used > overviewColumns || used < overviewColumns/2 && ov.width > 1000 {
			t.Errorf("rounds %d: %d columns of %v ns", n, used, ov.width)
		}
	}
}

// TestOverviewPicture: lanes by group with their sizes, the violation
// marked and listed, the axis with steps, in a DOT that is the same from
// run to run.
func TestOverviewPicture(t *testing.T) {
	evs := manyWorkers(50, 200)
	draw := func() string {
		var b bytes.Buffer
		if err := WriteDOT(&b, tracer.BuildTimeline(evs), Options{View: ViewOverview}); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	dot := draw()
	for _, want := range []string{"worker ×50", "collector", "leaked-goroutine: worker still running", "#1\"", "overview of 40,053 events, 52 goroutines in 3 lanes"} {
		if !strings.Contains(dot, want) {
			t.Errorf("the overview lacks %q", want)
		}
	}
	if draw() != dot {
		t.Error("two overviews of one trace differ")
	}
}

// TestOverviewFoldsLanes: past overviewLanes groups, the least busy share
// one lane that says how many it stands for.
func TestOverviewFoldsLanes(t *testing.T) {
	var evs []tracer.Event
	for g := range 100 {
		evs = append(evs, tracer.Event{Seq: uint64(len(evs) + 1), T: tracer.Time(len(evs) * 10), Kind: tracer.KindGo, G: 1, Child: tracer.GoID(g + 2), Name: fmt.Sprintf("job%d", g)})
	}
	var b bytes.Buffer
	if err := WriteDOT(&b, tracer.BuildTimeline(evs), Options{View: ViewOverview}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "62 other groups") || !strings.Contains(b.String(), "in 40 lanes") {
		t.Errorf("101 groups did not fold into 40 lanes:\n%.2000s", b.String())
	}
}
