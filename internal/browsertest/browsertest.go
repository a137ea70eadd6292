// Package browsertest starts the headless Chromium that handoff's browser
// tests drive with chromedp. Without Chromium the test is skipped, naming
// the Debian package to install; with HANDOFF_REQUIRE_BROWSER=1 (as CI sets
// it) it fails instead.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/chromedp/chromedp"
)

// Path returns Chromium's path, or skips (or fails) t without one.
func Path(t testing.TB) string {
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("HANDOFF_REQUIRE_BROWSER") == "1" {
		t.Fatal("chromium not found and HANDOFF_REQUIRE_BROWSER=1: install the Debian package chromium (apt-get install -y chromium)")
	}
	t.Skip("browser tests need Chromium: install the Debian package chromium (apt-get install -y chromium)")
	return ""
}

// Start starts one headless Chromium for t, with the flags this machine
// needs (no sandbox as root, no network of its own) and a fresh profile,
// and stops it when t ends. Open pages with chromedp.NewContext on the
// returned context.
func Start(t testing.TB) context.Context {
	actx, cancelA := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(Path(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 720),
	)
	bctx, cancelB := chromedp.NewContext(actx)
	if err := chromedp.Do(bctx); err != nil { // starts the browser
		cancelB()
		cancelA()
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() {
		cancelB()
		cancelA()
	})
	return bctx
}
