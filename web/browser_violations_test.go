package web

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/handoff-viz/handoff/tracer"
)

// deadlock is what the scenario of that name records (handoff run
// deadlock --format jsonl): left holds a and waits for b, right holds b
// and waits for a; the tracer reports the cycle [left, right] and stops
// all three goroutines.
func deadlock() []tracer.Event {
	b := &builder{}
	const a, bb = 1, 2
	const left, right = 2, 3
	b.add(tracer.Event{Kind: tracer.KindMutex, G: 1, Mu: a, Name: "a"})
	b.add(tracer.Event{Kind: tracer.KindMutex, G: 1, Mu: bb, Name: "b"})
	b.add(tracer.Event{Kind: tracer.KindGo, G: 1, Child: left, Name: "left"})
	b.add(tracer.Event{Kind: tracer.KindGo, G: 1, Child: right, Name: "right"})
	b.add(tracer.Event{Kind: tracer.KindBlock, G: 1, On: tracer.OnJoin, Child: left})
	b.add(tracer.Event{Kind: tracer.KindLock, G: right, Mu: bb})
	b.add(tracer.Event{Kind: tracer.KindLock, G: left, Mu: a})
	b.add(tracer.Event{Kind: tracer.KindBlock, G: left, On: tracer.OnLock, Mu: bb})
	b.add(tracer.Event{Kind: tracer.KindBlock, G: right, On: tracer.OnLock, Mu: a})
	b.add(tracer.Event{Kind: tracer.KindViolation, G: left, Rule: tracer.RuleDeadlock, Cycle: []tracer.GoID{left, right},
		Msg: `g2 "left" waits for lock "b" held by g3 "right"; g3 "right" waits for lock "a" held by g2 "left"`})
	for _, g := range []tracer.GoID{right, 1, left} {
		b.add(tracer.Event{Kind: tracer.KindEnd, G: g, Abort: true})
	}
	return b.evs
}

// joinDeadlock is what the tracer records when main holds m and waits to
// join a child that waits for m: a cycle through a join and a lock.
func joinDeadlock() []tracer.Event {
	b := &builder{}
	b.add(tracer.Event{Kind: tracer.KindMutex, G: 1, Mu: 1, Name: "m"})
	b.add(tracer.Event{Kind: tracer.KindLock, G: 1, Mu: 1})
	b.add(tracer.Event{Kind: tracer.KindGo, G: 1, Child: 2, Name: "child"})
	b.add(tracer.Event{Kind: tracer.KindBlock, G: 1, On: tracer.OnJoin, Child: 2})
	b.add(tracer.Event{Kind: tracer.KindBlock, G: 2, On: tracer.OnLock, Mu: 1})
	b.add(tracer.Event{Kind: tracer.KindViolation, G: 1, Rule: tracer.RuleDeadlock, Cycle: []tracer.GoID{1, 2},
		Msg: `g1 "main" waits to join g2 "child"; g2 "child" waits for lock "m" held by g1 "main"`})
	b.add(tracer.Event{Kind: tracer.KindEnd, G: 2, Abort: true})
	b.add(tracer.Event{Kind: tracer.KindEnd, G: 1, Abort: true})
	return b.evs
}

// chanDeadlock is what the tracer records when main and a child both wait
// to receive on a channel nobody sends on: every blocked goroutine is
// named, and there is no cycle of peers.
func chanDeadlock() []tracer.Event {
	b := &builder{}
	b.add(tracer.Event{Kind: tracer.KindChan, G: 1, Ch: 1, Name: "replies", Cap: 0})
	b.add(tracer.Event{Kind: tracer.KindGo, G: 1, Child: 2, Name: "asker"})
	b.add(tracer.Event{Kind: tracer.KindBlock, G: 1, On: tracer.OnRecv, Ch: 1})
	b.add(tracer.Event{Kind: tracer.KindBlock, G: 2, On: tracer.OnRecv, Ch: 1})
	b.add(tracer.Event{Kind: tracer.KindViolation, G: 1, Rule: tracer.RuleDeadlock, Cycle: []tracer.GoID{1, 2},
		Msg: `g1 "main" waits to receive on channel "replies", and no goroutine will send; g2 "asker" waits to receive on channel "replies", and no goroutine will send`})
	b.add(tracer.Event{Kind: tracer.KindEnd, G: 2, Abort: true})
	b.add(tracer.Event{Kind: tracer.KindEnd, G: 1, Abort: true})
	return b.evs
}

// leak ends with a worker still waiting on a channel nobody sends on,
// never joined: the tracer's leaked-goroutine violation names it.
func leak() []tracer.Event {
	b := &builder{}
	b.add(tracer.Event{Kind: tracer.KindChan, G: 1, Ch: 1, Name: "jobs", Cap: 0})
	b.add(tracer.Event{Kind: tracer.KindGo, G: 1, Child: 2, Name: "worker"})
	b.add(tracer.Event{Kind: tracer.KindGo, G: 1, Child: 3, Name: "helper"})
	b.add(tracer.Event{Kind: tracer.KindBlock, G: 2, On: tracer.OnRecv, Ch: 1})
	b.add(tracer.Event{Kind: tracer.KindEnd, G: 3})
	b.add(tracer.Event{Kind: tracer.KindJoin, G: 1, Child: 3})
	b.add(tracer.Event{Kind: tracer.KindEnd, G: 1})
	b.add(tracer.Event{Kind: tracer.KindViolation, G: 2, Rule: tracer.RuleLeakedGoroutine,
		Msg: `goroutine g2 "worker" was still blocked when the trace ended, and was never joined`})
	return b.evs
}

func TestViolationTracesAreValid(t *testing.T) {
	for name, evs := range map[string][]tracer.Event{"deadlock": deadlock(), "join-deadlock": joinDeadlock(), "chan-deadlock": chanDeadlock(), "leak": leak()} {
		if err := tracer.Validate(evs); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// drawnViolation is the page's account of the violation it drew in its
// last frame (handoff.seen.violation).
type drawnViolation struct {
	Step   int
	Rule   string
	Color  string
	Marked []struct {
		G          int
		Name, Mark string
	}
	Cycle *struct {
		Closed     bool
		Goroutines []string
		Edges      []struct {
			From, To, Role string
			Mid            struct{ X, Y float64 }
		}
	}
}

func drawnOn(t *testing.T, ctx context.Context) *drawnViolation {
	t.Helper()
	var d *drawnViolation
	if err := json.Unmarshal([]byte(eval[string](t, ctx, `JSON.stringify(handoff.seen.violation)`)), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// rgb reads a CSS colour written #rrggbb.
func rgb(t *testing.T, css string) [3]int {
	t.Helper()
	css = strings.TrimSpace(css)
	if len(css) != 7 || css[0] != '#' {
		t.Fatalf("colour %q is not #rrggbb", css)
	}
	var c [3]int
	for i := range c {
		v, err := strconv.ParseUint(css[1+2*i:3+2*i], 16, 8)
		if err != nil {
			t.Fatalf("colour %q: %v", css, err)
		}
		c[i] = int(v)
	}
	return c
}

func violationConfig(t *testing.T) Config {
	cfg := browserConfig(t)
	cfg.Scenarios = append(cfg.Scenarios,
		ScenarioInfo{Name: "deadlock", Summary: "two goroutines each wait for the other's lock"},
		ScenarioInfo{Name: "join-deadlock", Summary: "main holds a lock and joins a child that wants it"},
		ScenarioInfo{Name: "chan-deadlock", Summary: "two goroutines wait to receive, nobody sends"},
		ScenarioInfo{Name: "leak", Summary: "a worker left waiting"})
	cfg.Run = fakeRun(map[string][]tracer.Event{"deadlock": deadlock(), "join-deadlock": joinDeadlock(), "chan-deadlock": chanDeadlock(), "leak": leak()})
	return cfg
}

// TestBrowserViolations checks that a violation is drawn on the stage, not
// only told in the banner: a deadlock's wait-for cycle as a closed loop in
// the violation's colour through the right goroutines and mutexes, its
// goroutines and a leaked one marked on their lanes; and that a run
// ending in a violation rests on its step.
func TestBrowserViolations(t *testing.T) {
	bctx := newBrowser(t)
	_, ts := start(t, violationConfig(t))
	landed := func(name string, step int) string {
		return fmt.Sprintf(`handoff.model && handoff.model.source === %s && handoff.landing === null && handoff.step === %d`, jsString(name), step)
	}

	t.Run("the deadlock's cycle drawn at its step", func(t *testing.T) {
		// the violation's step, from the page's own model of the run
		ctx := tab(t, bctx, ts.URL+"/?scenario=deadlock", 1280, 720)
		poll(t, ctx, landed("deadlock", 0), patience)
		step := eval[int](t, ctx, `handoff.model.violations[0] + 1`)
		if rest := eval[int](t, ctx, `handoff.restStep`); rest != step {
			t.Errorf("the run rests on step %d, want the violation's step %d", rest, step)
		}

		for _, vp := range []struct {
			w, h    int64
			present bool
		}{{1280, 720, false}, {1920, 1080, true}} {
			link := fmt.Sprintf("%s/?scenario=deadlock&step=%d", ts.URL, step)
			if vp.present {
				link += "&present=1"
			}
			ctx := tab(t, bctx, link, vp.w, vp.h)
			poll(t, ctx, landed("deadlock", step), patience)
			poll(t, ctx, fmt.Sprintf(`handoff.seen.violation && handoff.seen.violation.step === %d && handoff.seen.violation.cycle !== null`, step), patience)
			for _, theme := range []string{"light", "dark"} {
				setTheme(t, ctx, theme)
				// a frame drawn in this theme
				poll(t, ctx, fmt.Sprintf(`handoff.seen.violation && handoff.seen.violation.color === getComputedStyle(document.documentElement).getPropertyValue('--viol').trim()`), patience)
				d := drawnOn(t, ctx)
				checkDeadlockDrawn(t, ctx, d, theme)
				screenshot(t, ctx, fmt.Sprintf("deadlock-cycle-%dx%d-%s", vp.w, vp.h, theme))
			}
		}

		// a step before the violation draws no cycle and marks no lane
		eval[bool](t, ctx, fmt.Sprintf(`handoff.setStep(%d), true`, step-1))
		poll(t, ctx, fmt.Sprintf(`handoff.step === %d && handoff.seen.violation === null`, step-1), patience)
		// and after it, when the tracer has stopped the goroutines, the
		// lanes stay marked but the loop, whose waits are over, is gone
		eval[bool](t, ctx, `handoff.setStep(handoff.n), true`)
		poll(t, ctx, `handoff.step === handoff.n && handoff.seen.violation && handoff.seen.violation.step === handoff.n`, patience)
		d := drawnOn(t, ctx)
		if d.Cycle != nil {
			t.Errorf("at the last step, after the tracer stopped the goroutines, a cycle is drawn: %+v", d.Cycle)
		}
		if len(d.Marked) != 2 {
			t.Errorf("at the last step %d lanes are marked, want left and right: %+v", len(d.Marked), d.Marked)
		}
	})

	t.Run("a cycle through a join, and a deadlock on a channel", func(t *testing.T) {
		// main holds m and waits to join child, which waits for m: a loop
		// drawn along the lanes' left (the join) and through m
		ctx := tab(t, bctx, ts.URL+"/?scenario=join-deadlock&step=6", 1280, 720)
		poll(t, ctx, landed("join-deadlock", 6), patience)
		poll(t, ctx, `handoff.seen.violation && handoff.seen.violation.step === 6 && handoff.seen.violation.cycle !== null`, patience)
		d := drawnOn(t, ctx)
		want := rgb(t, d.Color)
		var got []string
		for _, e := range d.Cycle.Edges {
			got = append(got, fmt.Sprintf("%s -%s-> %s", e.From, e.Role, e.To))
			if c := eval[[]int](t, ctx, fmt.Sprintf(`handoff.pixel(%f, %f)`, e.Mid.X, e.Mid.Y)); !near(c, want, 40) {
				t.Errorf("edge %s -%s-> %s at (%.0f, %.0f) is drawn %v, want the violation's colour %v", e.From, e.Role, e.To, e.Mid.X, e.Mid.Y, c, want)
			}
		}
		if w := []string{"g1 main -joins-> g2 child", "g2 child -waits-> mutex m", "mutex m -held-> g1 main"}; !slices.Equal(got, w) || !d.Cycle.Closed {
			t.Errorf("edges %q (closed %v), want %q, closed", got, d.Cycle.Closed, w)
		}
		screenshot(t, ctx, "deadlock-join-cycle")

		// on a channel the tracer names every blocked goroutine but no
		// peer: their lanes are marked, and no loop is claimed
		ctx = tab(t, bctx, ts.URL+"/?scenario=chan-deadlock&step=5", 1280, 720)
		poll(t, ctx, landed("chan-deadlock", 5), patience)
		poll(t, ctx, `handoff.seen.violation && handoff.seen.violation.step === 5`, patience)
		d = drawnOn(t, ctx)
		if d.Cycle != nil {
			t.Errorf("a deadlock on a channel drew a cycle: %+v", d.Cycle)
		}
		if len(d.Marked) != 2 {
			t.Errorf("marked lanes %+v, want main and asker", d.Marked)
		}
		screenshot(t, ctx, "deadlock-chan-marked")
	})

	t.Run("a run ending in a violation rests on its step", func(t *testing.T) {
		ctx := tab(t, bctx, ts.URL, 1280, 720)
		do(t, ctx,
			chromedp.SetValue(chromedp.CSS("#scenario"), "deadlock"),
			chromedp.SetValue(chromedp.CSS("#pace"), "30"),
			chromedp.Click(chromedp.CSS("#run")),
		)
		poll(t, ctx, `handoff.model && handoff.model.source === 'deadlock' && handoff.model.done && handoff.restStep > 0 && handoff.step === handoff.restStep`, patience)
		rest := eval[int](t, ctx, `handoff.restStep`)
		if want := eval[int](t, ctx, `handoff.model.violations[0] + 1`); rest != want || rest >= eval[int](t, ctx, `handoff.n`) {
			t.Fatalf("rest step %d, want the violation's step %d, before the tracer's stops", rest, want)
		}
		// it stays there: sixty more frames drawn
		frames := eval[int](t, ctx, `handoff.seen.frames`)
		poll(t, ctx, fmt.Sprintf(`handoff.seen.frames > %d`, frames+60), patience)
		if got := eval[int](t, ctx, `handoff.step`); got != rest {
			t.Errorf("after the live run the page moved on to step %d, want it resting on %d", got, rest)
		}
		if s := text(t, ctx, "#status"); !strings.Contains(s, fmt.Sprintf("rests on its deadlock at step %d", rest)) {
			t.Errorf("status %q does not say the run ended with the deadlock", s)
		}
		if d := drawnOn(t, ctx); d == nil || d.Cycle == nil || !d.Cycle.Closed {
			t.Errorf("resting on the violation, the page draws %+v, want the closed cycle", d)
		}
		screenshot(t, ctx, "deadlock-live-rest")

		// a replay played through the violation stops there too
		eval[bool](t, ctx, `handoff.setSpeed(30), handoff.setStep(0), handoff.play(), true`)
		poll(t, ctx, `!handoff.playing`, patience)
		if got := eval[int](t, ctx, `handoff.step`); got != rest {
			t.Errorf("the replay stopped at step %d, want the violation's step %d", got, rest)
		}
		// End still shows the last step, and stays there
		eval[bool](t, ctx, `(document.getElementById('last').click(), true)`)
		poll(t, ctx, `handoff.step === handoff.n`, patience)
		frames = eval[int](t, ctx, `handoff.seen.frames`)
		poll(t, ctx, fmt.Sprintf(`handoff.seen.frames > %d`, frames+30), patience)
		if got, n := eval[int](t, ctx, `handoff.step`), eval[int](t, ctx, `handoff.n`); got != n {
			t.Errorf("after End the page went to step %d, want %d", got, n)
		}
	})

	t.Run("a leaked goroutine is marked on its lane", func(t *testing.T) {
		n := len(leak())
		ctx := tab(t, bctx, fmt.Sprintf("%s/?scenario=leak&step=%d", ts.URL, n), 1280, 720)
		poll(t, ctx, landed("leak", n), patience)
		poll(t, ctx, `handoff.seen.violation && handoff.seen.violation.rule === 'leaked-goroutine'`, patience)
		d := drawnOn(t, ctx)
		if len(d.Marked) != 1 || d.Marked[0].Name != "g2 worker" || d.Marked[0].Mark != "leaked" {
			t.Errorf("marked lanes %+v, want g2 worker, leaked", d.Marked)
		}
		if d.Cycle != nil {
			t.Errorf("a leak drew a cycle: %+v", d.Cycle)
		}
		// the lane's outline is in the violation's colour: its left edge
		// at mid height (the pixels around it, the line being antialiased)
		lane := eval[map[string]float64](t, ctx, `handoff.lane(2)`)
		var edge [][]int
		for dx := -2.0; dx <= 2; dx++ {
			edge = append(edge, eval[[]int](t, ctx, fmt.Sprintf(`handoff.pixel(%f, %f)`, lane["x"]+dx, lane["y"]+lane["h"]/2)))
		}
		if !slices.ContainsFunc(edge, func(c []int) bool { return near(c, rgb(t, d.Color), 40) }) {
			t.Errorf("the leaked lane's edge is %v, want the violation's colour %s", edge, d.Color)
		}
		// the step before the leak is reported marks nothing
		eval[bool](t, ctx, fmt.Sprintf(`handoff.setStep(%d), true`, n-1))
		poll(t, ctx, fmt.Sprintf(`handoff.step === %d && handoff.seen.violation === null`, n-1), patience)
		eval[bool](t, ctx, fmt.Sprintf(`handoff.setStep(%d), true`, n))
		poll(t, ctx, `handoff.seen.violation !== null`, patience)
		screenshot(t, ctx, "leak-marked")
	})
}

// near says a pixel is within tol of want in each channel.
func near(got []int, want [3]int, tol int) bool {
	if len(got) != 3 {
		return false
	}
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > float64(tol) {
			return false
		}
	}
	return true
}

// checkDeadlockDrawn checks the drawn cycle of the deadlock scenario: a
// closed loop left → b → right → a → left, each edge drawn in the
// violation's colour, and the lanes of left and right marked.
func checkDeadlockDrawn(t *testing.T, ctx context.Context, d *drawnViolation, theme string) {
	t.Helper()
	if d == nil || d.Rule != "deadlock" || d.Cycle == nil {
		t.Fatalf("%s: drawn %+v, want the deadlock's cycle", theme, d)
	}
	want := rgb(t, eval[string](t, ctx, `getComputedStyle(document.documentElement).getPropertyValue('--viol')`))
	if rgb(t, d.Color) != want {
		t.Errorf("%s: the cycle is drawn in %s, want the violation's colour %v", theme, d.Color, want)
	}
	if !d.Cycle.Closed {
		t.Errorf("%s: the cycle is not closed", theme)
	}
	var got []string
	for _, e := range d.Cycle.Edges {
		got = append(got, fmt.Sprintf("%s -%s-> %s", e.From, e.Role, e.To))
	}
	wantEdges := []string{
		"g2 left -waits-> mutex b", "mutex b -held-> g3 right",
		"g3 right -waits-> mutex a", "mutex a -held-> g2 left",
	}
	if !slices.Equal(got, wantEdges) {
		t.Errorf("%s: edges %q, want %q", theme, got, wantEdges)
	}
	// a loop: each edge starts where the one before it ends
	for i, e := range d.Cycle.Edges {
		if prev := d.Cycle.Edges[(i+len(d.Cycle.Edges)-1)%len(d.Cycle.Edges)]; prev.To != e.From {
			t.Errorf("%s: edge %q does not start where %q ends", theme, got[i], got[(i+len(got)-1)%len(got)])
		}
	}
	// each edge is on the canvas, in the violation's colour, at its middle
	for i, e := range d.Cycle.Edges {
		c := eval[[]int](t, ctx, fmt.Sprintf(`handoff.pixel(%f, %f)`, e.Mid.X, e.Mid.Y))
		if !near(c, want, 40) {
			t.Errorf("%s: edge %q at (%.0f, %.0f) is drawn %v, want the violation's colour %v", theme, got[i], e.Mid.X, e.Mid.Y, c, want)
		}
	}
	var marked []string
	for _, m := range d.Marked {
		marked = append(marked, m.Name+" "+m.Mark)
	}
	slices.Sort(marked)
	if w := []string{"g2 left deadlock", "g3 right deadlock"}; !slices.Equal(marked, w) {
		t.Errorf("%s: marked lanes %q, want %q", theme, marked, w)
	}
}
