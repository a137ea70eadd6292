package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/handoff-viz/handoff/scenarios"
	"github.com/handoff-viz/handoff/tracer"
	"github.com/handoff-viz/handoff/tracer/remote"
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

// serveReady, when set, is told the URL serve printed, with its token.
var serveReady func(url string)

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
	if *pace < 0 || *pace > maxPace {
		return fail(stderr, exitUsage, "serve: --pace must be between 0 and %v, not %v", maxPace, *pace)
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
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fail(stderr, exitUsage, "serve: %v", err)
	}
	host, _, _ := net.SplitHostPort(*addr) // as the user wrote it: a name stays a name
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	everywhere := host == "" || net.ParseIP(host) != nil && net.ParseIP(host).IsUnspecified()
	urlHost := host
	if everywhere {
		urlHost = "127.0.0.1"
	}
	token := rand.Text() // 26 characters, 128 bits
	var runs sync.WaitGroup
	cfg := serveConfig(traces, &runs)
	cfg.DefaultPace = *pace
	cfg.MaxUpload = *maxUpload
	cfg.Token = token
	cfg.Hosts = web.ListenHosts(host, port)
	cfg.Logf = func(format string, args ...any) { fmt.Fprintf(stderr, "handoff: "+format+"\n", args...) }
	srv, err := web.New(cfg)
	if err != nil {
		ln.Close()
		return fail(stderr, exitUsage, "serve: %v", err)
	}
	url := "http://" + net.JoinHostPort(urlHost, port) + "/?token=" + token
	fmt.Fprintf(stdout, "handoff: serving the browser view on %s (Ctrl-C stops)\n", url)
	if ip := net.ParseIP(host); everywhere || ip == nil && host != "localhost" || ip != nil && !ip.IsLoopback() {
		fmt.Fprintf(stderr, "handoff: warning: serving beyond this machine: anyone who can reach it and has the URL with its token can watch and run scenarios\n")
	}
	if everywhere {
		var others []string
		for _, h := range cfg.Hosts {
			if name, _, _ := net.SplitHostPort(h); name != "localhost" && !net.ParseIP(name).IsLoopback() {
				others = append(others, name)
			}
		}
		fmt.Fprintf(stdout, "handoff: on the network the page is at http://HOST:%s/?token=%s, HOST one of %s\n", port, token, strings.Join(others, ", "))
	}
	tokenPath, removeToken, err := keepToken(port, token)
	if err != nil {
		fmt.Fprintf(stderr, "handoff: warning: could not keep the token for traced programs: %v\n", err)
		fmt.Fprintf(stdout, "handoff: to watch your own traced program, run it with HANDOFF_SERVE=%s HANDOFF_SERVE_TOKEN=%s\n", net.JoinHostPort(urlHost, port), token)
	} else {
		defer removeToken()
		fmt.Fprintf(stdout, "handoff: to watch your own traced program, run it with HANDOFF_SERVE=%s (it reads the token from %s)\n", net.JoinHostPort(urlHost, port), tokenPath)
	}

	ctx, stop := serveContext()
	defer stop()
	// ReadTimeout bounds a request that is not a WebSocket (gorilla clears
	// the deadlines of the connections it takes over) and whose handler
	// does not read its body: the web package reads bodies against its
	// own, rate-based, deadline (docs/web.md).
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 60 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	if serveReady != nil {
		serveReady(url)
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

// keepToken writes the token where package tracer/remote finds it for a
// traced program run by the same user (remote.TokenFile): a file created
// 0600 under a directory created 0700, put in place by a rename, so that
// it is never readable by another user, even for a moment, and a planted
// symbolic link is replaced, not followed. remove deletes it, unless a
// later server on the same port has put its own there.
func keepToken(port, token string) (path string, remove func(), err error) {
	path, err = remote.TokenFile(port)
	if err != nil {
		return "", nil, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", nil, err
	}
	f, err := os.CreateTemp(dir, ".serve-*.token") // 0600
	if err != nil {
		return "", nil, err
	}
	_, err = f.WriteString(token + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return "", nil, err
	}
	return path, func() {
		if b, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(b)) == token {
			os.Remove(path)
		}
	}, nil
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
