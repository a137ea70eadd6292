package web

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// pageView is the page's account of how it drew the scene
// (window.handoff.view): its scale and the box its lanes, channels and
// mutexes cover, in client pixels.
type pageView struct {
	Scale, Fit, Zoom float64
	Box              *struct{ X, Y, W, H float64 }
	Win              struct{ W, H float64 }
	Hidden           int // tokens without room in their lane
}

func viewOf(t *testing.T, ctx context.Context) pageView {
	t.Helper()
	var v pageView
	if err := json.Unmarshal([]byte(eval[string](t, ctx, `JSON.stringify(handoff.view)`)), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestBrowserPresentation checks that the scene fills the stage and is
// read from the back of a room: scaled to fit, zoomed by keys and the
// wheel, alone on the screen in presentation mode, with a legend.
func TestBrowserPresentation(t *testing.T) {
	bctx := newBrowser(t)
	_, ts := start(t, browserConfig(t))
	landed := func(step int) string {
		return fmt.Sprintf(`handoff.model && handoff.model.source === 'backpressure' && handoff.landing === null && handoff.step === %d && handoff.view.box !== null`, step)
	}
	shown := func(ctx context.Context, sel string) bool {
		return eval[bool](t, ctx, fmt.Sprintf(`(() => { const e = document.querySelector(%s); return !!e && e.getClientRects().length > 0; })()`, jsString(sel)))
	}

	t.Run("the backpressure scene fills a projector", func(t *testing.T) {
		for _, vp := range []struct{ w, h int64 }{{1920, 1080}, {1280, 720}} {
			ctx := tab(t, bctx, ts.URL+"/?scenario=backpressure&step=31&present=1", vp.w, vp.h)
			poll(t, ctx, landed(31), patience)
			for _, sel := range []string{"#top", "#side", "#log", "#speed-box", "#fwd", "#status"} {
				if shown(ctx, sel) {
					t.Errorf("%dx%d presentation: %s is shown", vp.w, vp.h, sel)
				}
			}
			for _, sel := range []string{"#stage", "#play", "#scrub", "#stepno"} {
				if !shown(ctx, sel) {
					t.Errorf("%dx%d presentation: %s is hidden", vp.w, vp.h, sel)
				}
			}
			v := viewOf(t, ctx)
			b := v.Box
			cover := b.W * b.H / (v.Win.W * v.Win.H)
			t.Logf("%dx%d: scale %.2f, scene %.0fx%.0f at (%.0f,%.0f), %.0f%% of the window", vp.w, vp.h, v.Scale, b.W, b.H, b.X, b.Y, 100*cover)
			if b.W < 0.85*v.Win.W || b.H < 0.6*v.Win.H || cover < 0.55 {
				t.Errorf("%dx%d: the scene covers %.0fx%.0f, %.0f%% of the window; want most of it", vp.w, vp.h, b.W, b.H, 100*cover)
			}
			if b.X < 0 || b.Y < 0 || b.X+b.W > v.Win.W+0.5 || b.Y+b.H > v.Win.H+0.5 {
				t.Errorf("%dx%d: the scene %+v runs out of the window", vp.w, vp.h, *b)
			}
			if v.Hidden != 0 {
				t.Errorf("%dx%d: %d tokens have no room in their lane", vp.w, vp.h, v.Hidden)
			}
			// the scene's type (14 scene pixels) grows with the window
			if min := float64(vp.w) / 840; v.Scale < min-0.01 {
				t.Errorf("%dx%d: scale %.2f, want at least %.2f", vp.w, vp.h, v.Scale, min)
			}
			for _, theme := range []string{"light", "dark"} {
				setTheme(t, ctx, theme)
				poll(t, ctx, `handoff.step === 31`, patience)
				screenshot(t, ctx, fmt.Sprintf("present-backpressure-%dx%d-%s", vp.w, vp.h, theme))
			}
			// and with the panels
			do(t, ctx, chromedp.KeyEvent("f"))
			poll(t, ctx, `!handoff.present && handoff.view.box !== null`, patience)
			for _, theme := range []string{"light", "dark"} {
				setTheme(t, ctx, theme)
				screenshot(t, ctx, fmt.Sprintf("panels-backpressure-%dx%d-%s", vp.w, vp.h, theme))
			}
		}
	})

	t.Run("zoom, presentation and legend, and the keys after each", func(t *testing.T) {
		ctx := tab(t, bctx, ts.URL+"/?scenario=backpressure&step=31", 1280, 720)
		poll(t, ctx, landed(31), patience)
		fit := viewOf(t, ctx).Scale
		scale := fmt.Sprintf(`handoff.view.scale`)
		// keys: + zooms in, - out, 0 fits again
		do(t, ctx, chromedp.KeyEvent("+"))
		poll(t, ctx, fmt.Sprintf(`%s > %f && handoff.view.zoom > 1`, scale, fit*1.2), patience)
		do(t, ctx, chromedp.KeyEvent("-"), chromedp.KeyEvent("-"))
		poll(t, ctx, fmt.Sprintf(`%s < %f && handoff.view.zoom < 1`, scale, fit*0.9), patience)
		do(t, ctx, chromedp.KeyEvent("0"))
		poll(t, ctx, fmt.Sprintf(`handoff.view.zoom === 1 && Math.abs(%s - %f) < 0.01`, scale, fit), patience)
		// the wheel over the stage: up zooms in, down out
		wheel := func(dy int) {
			eval[bool](t, ctx, fmt.Sprintf(`(() => { const s = document.getElementById('stage-scroll'), r = s.getBoundingClientRect();
				s.dispatchEvent(new WheelEvent('wheel', { deltaY: %d, clientX: r.left + r.width / 2, clientY: r.top + r.height / 2, bubbles: true, cancelable: true }));
				return true; })()`, dy))
		}
		wheel(-200)
		poll(t, ctx, fmt.Sprintf(`%s > %f`, scale, fit*1.2), patience)
		wheel(200)
		wheel(200)
		poll(t, ctx, fmt.Sprintf(`%s < %f`, scale, fit*0.9), patience)
		keysStillWork := func(after string) {
			t.Helper()
			eval[bool](t, ctx, `handoff.pause(), handoff.setStep(31), true`)
			do(t, ctx, chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowLeft))
			if got := eval[int](t, ctx, `handoff.step`); got != 32 {
				t.Errorf("after %s: right, right, left left the page at step %d, want 32", after, got)
			}
			do(t, ctx, chromedp.KeyEvent(" "))
			if !eval[bool](t, ctx, `handoff.playing`) {
				t.Errorf("after %s: space did not start playing", after)
			}
			do(t, ctx, chromedp.KeyEvent(" "))
			if eval[bool](t, ctx, `handoff.playing`) {
				t.Errorf("after %s: space did not pause", after)
			}
			do(t, ctx, chromedp.KeyEvent("0"))
			poll(t, ctx, `handoff.view.zoom === 1`, patience)
		}
		keysStillWork("the wheel")

		// f enters presentation, the URL says so, f leaves
		do(t, ctx, chromedp.KeyEvent("f"))
		poll(t, ctx, `handoff.present && getComputedStyle(document.getElementById('side')).display === 'none' && location.search.includes('present=1')`, patience)
		keysStillWork("f")
		do(t, ctx, chromedp.KeyEvent("f"))
		poll(t, ctx, `!handoff.present && getComputedStyle(document.getElementById('side')).display !== 'none' && !location.search.includes('present')`, patience)
		// the button enters, Esc leaves
		do(t, ctx, chromedp.Click(chromedp.CSS("#present-button")))
		poll(t, ctx, `handoff.present && location.search.includes('present=1')`, patience)
		keysStillWork("the present button")
		do(t, ctx, chromedp.KeyEvent(kb.Escape))
		poll(t, ctx, `!handoff.present && !location.search.includes('present')`, patience)
		if got := eval[string](t, ctx, `location.search`); !strings.HasPrefix(got, "?scenario=backpressure&step=") {
			t.Errorf("after leaving presentation the address is %q", got)
		}

		// l hides the legend, the button shows it again
		if !shown(ctx, "#legend") {
			t.Fatal("the legend is not shown at first")
		}
		do(t, ctx, chromedp.KeyEvent("l"))
		poll(t, ctx, `!handoff.legend && document.getElementById('legend').getClientRects().length === 0`, patience)
		keysStillWork("l")
		do(t, ctx, chromedp.Click(chromedp.CSS("#legend-button")))
		poll(t, ctx, `handoff.legend && document.getElementById('legend').getClientRects().length > 0`, patience)
		keysStillWork("the legend button")
		// the legend tells a value from a running goroutine by its shape
		if got := eval[string](t, ctx, `[...document.querySelectorAll('#legend span')].map(s => s.textContent).join('|')`); !strings.Contains(got, "a value|running|waits to send") {
			t.Errorf("the legend says %q", got)
		}
	})
}
