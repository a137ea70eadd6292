package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/handoff-viz/handoff/internal/browsertest"
)

// TestBrowserRealScenarios drives the page of a real `handoff serve` (real
// scenarios, real renderer) in headless Chromium: the web package's own
// browser tests use stand-ins, since web may not import scenarios. Without
// Chromium it skips, naming the Debian package; with
// HANDOFF_REQUIRE_BROWSER=1 it fails instead.
func TestBrowserRealScenarios(t *testing.T) {
	bctx := browsertest.Start(t)
	trace := filepath.Join(t.TempDir(), "deadlock.jsonl")
	if code := run([]string{"run", "deadlock", "--format", "jsonl", "-o", trace}, os.Stdout, os.Stderr); code != 0 {
		t.Fatalf("recording the deadlock trace: exit %d", code)
	}
	srv := startServe(t, trace, filepath.Join("testdata", "discard.jsonl"))

	ctx, cancel := chromedp.NewContext(bctx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	defer cancelT()

	do := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		for _, a := range actions {
			if err := chromedp.Do(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
	}
	poll := func(expr string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(40*time.Second))); err != nil {
			t.Fatalf("waiting for %s: %v", expr, err)
		}
	}
	evalInt := func(expr string) int {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[int](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return v
	}
	runScenario := func(name, pace string) {
		t.Helper()
		evalInt(`(window.__before = handoff.model, 0)`)
		do(chromedp.SetValue(chromedp.CSS("#scenario"), name), chromedp.SetValue(chromedp.CSS("#pace"), pace), chromedp.Click(chromedp.CSS("#run")))
		poll(fmt.Sprintf(`handoff.model && handoff.model !== window.__before && handoff.model.source === %q && handoff.model.done && handoff.step === handoff.n && handoff.n > 0`, name))
	}

	// Without the token: a page that says which URL to open.
	do(chromedp.EmulateViewport(1280, 720), chromedp.Navigate("http://"+srv.addr+"/"))
	refusal, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS("body")))
	if err != nil || !strings.Contains(refusal, "the URL that handoff serve printed") {
		t.Errorf("the page without the token says %q (%v)", refusal, err)
	}
	shot(t, ctx, "real-no-token")
	// The printed URL: the token moves into a cookie the page's scripts
	// cannot read, and out of the address bar.
	do(chromedp.Navigate(srv.url))
	poll(`typeof handoff === 'object' && document.querySelectorAll('#scenario option').length >= 14`)
	if loc, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + ' cookie:' + document.cookie`)); err != nil || loc != "http://"+srv.addr+"/ cookie:" {
		t.Errorf("after the printed URL the page is at %q (%v), want http://%s/ and no cookie its scripts can read", loc, err, srv.addr)
	}

	runScenario("bounded-producers", "30")
	if got := evalInt(`handoff.summary().goroutines.find(g => g.name === 'main').received`); got != 10 {
		t.Errorf("the page shows main received %d values, want 10", got)
	}
	if cut := evalInt(`handoff.seen.cutLabels.size`); cut > 0 {
		t.Errorf("%d value labels drawn cut short", cut)
	}
	shot(t, ctx, "real-bounded-producers")

	// At a fast pace, or none, the run's events arrive in bursts far
	// quicker than frames: the page must still draw the producer blocked
	// on the full channel, and long enough for a person to see it.
	for _, pace := range []string{"0", "30"} {
		began := time.Now()
		runScenario("backpressure", pace)
		t.Logf("pace %s ms: the page followed the run to its end in %v", pace, time.Since(began).Round(time.Millisecond))
		ms := evalInt(`Math.round(Math.max(0, ...[...handoff.seen.fullWithBlockedMs].filter(([s]) => s.includes('fast-producer')).map(([, ms]) => ms)))`)
		t.Logf("pace %s ms: fast-producer drawn blocked on the full channel for %d ms at most", pace, ms)
		if ms < 250 {
			t.Errorf("pace %s ms: the page showed fast-producer blocked on the full channel for at most %d ms, want 250 ms or more (blocks in the run: %d, seen blocked on send: %d, frames %d)",
				pace, ms, evalInt(`handoff.model.events.filter(e => e.kind === 'block' && e.on === 'send').length`),
				evalInt(`handoff.seen.blockedSend.size`), evalInt(`handoff.seen.frames`))
		}
		if cut := evalInt(`handoff.seen.cutLabels.size`); cut > 0 {
			t.Errorf("pace %s ms: %d value labels drawn cut short", pace, cut)
		}
	}
	// the picture: the producer's third wait, once the tokens settle
	evalInt(`(handoff.setStep(handoff.model.events.map((e, i) => [e, i]).filter(([e]) => e.kind === 'block' && e.on === 'send')[2][1] + 1), 0)`)
	time.Sleep(500 * time.Millisecond)
	shot(t, ctx, "real-backpressure-blocked")

	// The trace named on the command line replays, with its violation.
	do(chromedp.Click(chromedp.CSS(`#traces button[data-trace="0"]`)))
	poll(`handoff.model && handoff.model.source.endsWith('deadlock.jsonl') && handoff.n > 0`)
	do(chromedp.Click(chromedp.CSS("#last")))
	poll(`!document.getElementById('banner').hidden`)
	banner, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS("#banner")))
	if err != nil || !strings.Contains(banner, "deadlock") {
		t.Errorf("violation banner %q (%v)", banner, err)
	}
	events, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS("#events")))
	if err != nil || !strings.Contains(events, "ended (stopped by the tracer)") {
		t.Errorf("the event list does not say the tracer stopped the deadlocked goroutines: %q (%v)", events, err)
	}
	shot(t, ctx, "real-deadlock-replay")

	// A run the tracer stopped while a sender waited on a full channel:
	// the value it took out to wake the sender leaves the channel.
	do(chromedp.Click(chromedp.CSS(`#traces button[data-trace="1"]`)))
	poll(`handoff.model && handoff.model.source.endsWith('discard.jsonl') && handoff.n === 12`)
	do(chromedp.Click(chromedp.CSS("#last")))
	poll(`[...document.querySelectorAll('#events li')].some(li => li.textContent.includes('the tracer took first out of full to stop g2'))`)

	// Export: the server draws it with viz, as handoff render would, in
	// the page's theme (viz's backgrounds: light #ffffff, dark #1e1e1e).
	for _, tc := range []struct{ theme, bg string }{{"dark", `fill="#1e1e1e"`}, {"light", `fill="#ffffff"`}} {
		evalInt(fmt.Sprintf(`(document.documentElement.dataset.theme === %q || document.getElementById('theme').click(), handoff.lastExport = null, 0)`, tc.theme))
		do(chromedp.Click(chromedp.CSS("#export-svg")))
		poll(`handoff.lastExport && handoff.lastExport.kind === 'svg'`)
		head, err := chromedp.Run(ctx, chromedp.Evaluate[string](`handoff.lastExport.head`))
		if err != nil || !strings.Contains(head, "<!DOCTYPE svg") || !strings.Contains(head, tc.bg) {
			t.Errorf("SVG exported from a %s page lacks the %s background %s: starts %q (%v)", tc.theme, tc.theme, tc.bg, head, err)
		}
	}

	// Links: a real scenario recorded with its seed for this page alone,
	// and the first trace of the command line (counted from 1).
	do(chromedp.Navigate("http://" + srv.addr + "/?scenario=backpressure&seed=3&step=31"))
	poll(`handoff.model && handoff.model.source === 'backpressure' && handoff.landing === null && handoff.model.done`)
	if got := evalInt(`handoff.step`); got != min(31, evalInt(`handoff.n`)) {
		t.Errorf("the link to step 31 of backpressure landed on step %d of %d", got, evalInt(`handoff.n`))
	}
	time.Sleep(500 * time.Millisecond) // the tokens settle
	shot(t, ctx, "real-link-backpressure-step31")
	do(chromedp.Navigate("http://" + srv.addr + "/?trace=1&step=5"))
	poll(`handoff.model && handoff.model.source.endsWith('deadlock.jsonl') && handoff.landing === null && handoff.step === 5`)
}

// shot leaves a screenshot under testdata/out (ignored by git) for people
// to look at.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("testdata", "out")
	os.MkdirAll(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
