package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/handoff-viz/handoff/scenarios"
	"github.com/handoff-viz/handoff/tracer"
	"github.com/handoff-viz/handoff/viz"
	"github.com/handoff-viz/handoff/web"
)

func init() {
	register(command{
		name:    "serve",
		summary: "serve the browser view: watch scenarios and programs live, replay traces",
		run:     runServe,
	})
}

// serveContext returns the context whose end stops the server: Ctrl-C or
// SIGTERM. Tests replace it.
var serveContext = func() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// serveReady, when set, is told the address the server listens on.
var serveReady func(addr string)

func runServe(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", "[--addr 127.0.0.1:7070] [--open] [--pace 150ms] [TRACE...]", stderr)
	addr := fs.String("addr", "127.0.0.1:7070", "`host:port` to listen on; keep it on loopback unless you mean to share the page")
	open := fs.Bool("open", false, "open the page in the default browser")
	pace := fs.Duration("pace", 150*time.Millisecond, "pause between the steps of a scenario the page runs (the page can change it)")
	maxUpload := fs.Int64("max-upload", 64<<20, "largest trace file, in bytes, the page may open or export")
	pos, status, ok := parseFlags(fs, args)
	if !ok {
		return status
	}
	if *pace < 0 || *pace > 10*time.Second {
		return fail(stderr, exitUsage, "serve: --pace must be between 0 and 10s, not %v", *pace)
	}
	if *maxUpload <= 0 {
		return fail(stderr, exitUsage, "serve: --max-upload must be positive, not %d", *maxUpload)
	}
	var traces []web.Trace
	for _, arg := range pos {
		h, evs, err := loadInput(arg)
		if err != nil {
			return fail(stderr, exitUsage, "serve: %v", err)
		}
		traces = append(traces, web.Trace{Name: arg, Header: h, Events: evs})
	}
	var runs sync.WaitGroup
	cfg := serveConfig(traces, &runs)
	cfg.DefaultPace = *pace
	cfg.MaxUpload = *maxUpload
	cfg.Logf = func(format string, args ...any) { fmt.Fprintf(stderr, "handoff: "+format+"\n", args...) }
	srv, err := web.New(cfg)
	if err != nil {
		return fail(stderr, exitUsage, "serve: %v", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fail(stderr, exitUsage, "serve: %v", err)
	}
	url := "http://" + ln.Addr().String() + "/"
	if host, _, _ := net.SplitHostPort(ln.Addr().String()); !net.ParseIP(host).IsLoopback() {
		fmt.Fprintf(stderr, "handoff: warning: serving on %s: anyone who can reach this address can watch and run scenarios\n", host)
	}
	fmt.Fprintf(stdout, "handoff: serving the browser view on %s (Ctrl-C stops)\n", url)
	fmt.Fprintf(stdout, "handoff: to watch your own traced program, run it with HANDOFF_SERVE=%s\n", ln.Addr())

	ctx, stop := serveContext()
	defer stop()
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	if serveReady != nil {
		serveReady(ln.Addr().String())
	}
	if *open {
		if err := openBrowser(url); err != nil {
			fmt.Fprintf(stderr, "handoff: serve: could not open a browser (%v); open %s yourself\n", err, url)
		}
	}

	code := exitOK
	select {
	case <-ctx.Done():
	case err := <-errc:
		code = fail(stderr, exitUsage, "serve: %v", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hs.Shutdown(sctx)
	srv.Close()
	if code == exitOK {
		<-errc // http.ErrServerClosed
	}
	runs.Wait()
	return code
}

// serveConfig wires scenarios and viz into the web view.
func serveConfig(traces []web.Trace, runs *sync.WaitGroup) web.Config {
	var infos []web.ScenarioInfo
	for _, s := range scenarios.All() {
		infos = append(infos, web.ScenarioInfo{Name: s.Name, Summary: s.Summary, Description: s.Description})
	}
	return web.Config{
		Scenarios: infos,
		Traces:    traces,
		Run: func(ctx context.Context, name string, o web.RunOptions, sink tracer.Sink) error {
			s, ok := scenarios.Lookup(name)
			if !ok {
				return fmt.Errorf("run: no scenario named %q", name)
			}
			// Cancelling ctx stops the run (its blocked goroutines are
			// woken and end as aborted); runServe still waits for it
			// before returning.
			done := make(chan error, 1)
			runs.Add(1)
			go func() {
				defer runs.Done()
				_, err := scenarios.Record(s, scenarios.Options{Context: ctx, Pace: o.Pace, Seed: o.Seed, Sink: sink, Live: true})
				done <- err
			}()
			select {
			case err := <-done:
				return err
			case <-ctx.Done():
				return ctx.Err()
			}
		},
		RenderSVG: func(evs []tracer.Event, o web.SVGOptions) ([]byte, error) {
			return viz.RenderSVG(evs, viz.Options{CallSites: true, Theme: o.Theme})
		},
	}
}

func openBrowser(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait()
	return nil
}
