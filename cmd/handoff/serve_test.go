package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/handoff-viz/handoff/scenarios"
	"github.com/handoff-viz/handoff/tracer"
	"github.com/handoff-viz/handoff/tracer/remote"
)

// served is a running `handoff serve`.
type served struct {
	url   string // the URL it printed, with its token
	addr  string // host:port
	token string
}

// startServe runs `handoff serve args...` on a free loopback port until the
// test ends, with its token file in a temporary cache directory.
func startServe(t *testing.T, args ...string) served {
	t.Helper()
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	oldCtx, oldReady := serveContext, serveReady
	serveContext = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	serveReady = func(url string) { ready <- url }
	done := make(chan int, 1)
	var stdout, stderr bytes.Buffer
	go func() { done <- run(append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), &stdout, &stderr) }()
	var srv served
	select {
	case srv.url = <-ready:
	case code := <-done:
		t.Fatalf("serve exited with %d: %s", code, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	u, err := url.Parse(srv.url)
	if err != nil {
		t.Fatal(err)
	}
	srv.addr, srv.token = u.Host, u.Query().Get("token")
	if u.Path != "/" || len(srv.token) < 16 {
		t.Fatalf("serve's URL %s", srv.url)
	}
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("serve exited with %d: %s", code, stderr.String())
		}
		serveContext, serveReady = oldCtx, oldReady
		if !strings.Contains(stdout.String(), "serving the browser view on "+srv.url+" ") {
			t.Errorf("serve printed %q", stdout.String())
		}
		_, port, _ := net.SplitHostPort(srv.addr)
		if path, _ := remote.TokenFile(port); fileExists(path) {
			t.Errorf("serve left its token file %s", path)
		}
	})
	return srv
}

func fileExists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// header carries the token as a program does.
func (s served) header() http.Header {
	return http.Header{"Authorization": {"Bearer " + s.token}}
}

// TestServeLiveScenario runs a real scenario through the real server and
// counts what a viewer receives.
func TestServeLiveScenario(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { // runs last: after the server has stopped
		http.DefaultClient.CloseIdleConnections()
		goleak.VerifyNone(t, ignore)
	})
	srv := startServe(t)
	c, _, err := websocket.DefaultDialer.Dial("ws://"+srv.addr+"/ws", srv.header())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	type msg struct {
		Type      string            `json:"type"`
		Error     string            `json:"error"`
		Events    []json.RawMessage `json:"events"`
		Scenarios []struct{ Name, Summary, Description string }
		CanSVG    bool `json:"canSVG"`
	}
	next := func() msg {
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		var m msg
		if err := c.ReadJSON(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	hello := next()
	if len(hello.Scenarios) != len(scenarios.All()) || !hello.CanSVG {
		t.Fatalf("hello lists %d scenarios, canSVG %v", len(hello.Scenarios), hello.CanSVG)
	}
	for _, s := range hello.Scenarios {
		if s.Summary == "" {
			t.Errorf("scenario %s has no summary", s.Name)
		}
	}
	c.WriteJSON(map[string]any{"op": "run", "scenario": "bounded-producers", "pace": 0})
	var evs []map[string]any
	for {
		m := next()
		if m.Type == "live" || m.Type == "events" {
			for _, raw := range m.Events {
				var e map[string]any
				json.Unmarshal(raw, &e)
				evs = append(evs, e)
			}
		}
		if m.Type == "live-end" {
			if m.Error != "" {
				t.Errorf("run ended with %q", m.Error)
			}
			break
		}
	}
	recv := 0
	for i, e := range evs {
		if e["seq"] != float64(i+1) {
			t.Fatalf("event %d has seq %v", i, e["seq"])
		}
		if e["kind"] == "recv" && e["closed"] == nil {
			recv++
		}
	}
	if recv < 10 {
		t.Errorf("the live run showed %d receives, want at least 10", recv)
	}

	// Export the run as SVG through viz, in the theme the page asks for
	// (viz's backgrounds: light #ffffff, dark #1e1e1e).
	var file bytes.Buffer
	file.WriteString(`{"format":"handoff","version":1}` + "\n")
	for _, e := range evs {
		b, _ := json.Marshal(e)
		file.Write(append(b, '\n'))
	}
	for _, tc := range []struct{ query, bg string }{{"", `fill="#ffffff"`}, {"?theme=dark", `fill="#1e1e1e"`}} {
		req, err := http.NewRequest("POST", "http://"+srv.addr+"/api/svg"+tc.query, bytes.NewReader(file.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = srv.header()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		svg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Contains(svg, []byte("<svg")) || !bytes.Contains(svg, []byte(tc.bg)) {
			t.Errorf("svg export%s: %d, want the background %s: %.300s", tc.query, resp.StatusCode, tc.bg, svg)
		}
	}
}

func TestServeBadArguments(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--pace", "-1s"}, "serve: --pace must be between 0 and 10s"},
		{[]string{"--max-upload", "0"}, "serve: --max-upload must be positive"},
		{[]string{"no-such-file.jsonl"}, "no-such-file.jsonl: no such scenario or file"},
		{[]string{"--addr", "256.0.0.1:99999"}, "serve:"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(append([]string{"serve"}, tc.args...), &stdout, &stderr); code != exitUsage {
			t.Errorf("%v: exit %d", tc.args, code)
		}
		if !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: stderr %q, want %q", tc.args, stderr.String(), tc.want)
		}
	}
}

// A real serve answers only its own names, only with its token; the
// printed URL sets the cookie that the page's WebSocket then carries.
func TestServeTrustsOnlyItself(t *testing.T) {
	srv := startServe(t)
	_, port, _ := net.SplitHostPort(srv.addr)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer noRedirect.CloseIdleConnections()
	get := func(host, path string, h http.Header) *http.Response {
		t.Helper()
		req, err := http.NewRequest("GET", "http://"+srv.addr+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if h != nil {
			req.Header = h
		}
		if host != "" {
			req.Host = host
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	if r := get("", "/", nil); r.StatusCode != http.StatusForbidden {
		t.Errorf("GET / without the token: %d", r.StatusCode)
	}
	if r := get("evil.example:"+port, "/?token="+srv.token, nil); r.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("GET / rebound to evil.example, with the token: %d", r.StatusCode)
	}
	first := get("", "/?token="+srv.token, nil)
	if first.StatusCode != http.StatusSeeOther || len(first.Cookies()) != 1 {
		t.Fatalf("the printed URL: %d, cookies %v", first.StatusCode, first.Cookies())
	}
	cookie := first.Cookies()[0]
	withCookie := http.Header{"Cookie": {cookie.Name + "=" + cookie.Value}, "Origin": {"http://" + srv.addr}}
	if r := get("", "/", withCookie); r.StatusCode != http.StatusOK {
		t.Errorf("GET / with the cookie: %d", r.StatusCode)
	}
	c, _, err := websocket.DefaultDialer.Dial("ws://"+srv.addr+"/ws", withCookie)
	if err != nil {
		t.Fatalf("the page's WebSocket with the cookie: %v", err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	var hello struct{ Type string }
	if err := c.ReadJSON(&hello); err != nil || hello.Type != "hello" {
		t.Errorf("hello: %+v %v", hello, err)
	}
	evil := http.Header{"Cookie": withCookie["Cookie"], "Origin": {"http://evil.example:" + port}}
	if _, resp, err := websocket.DefaultDialer.Dial("ws://"+srv.addr+"/ws", evil); err == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("the WebSocket from a foreign origin, with the cookie: %v", err)
	}
}

// A program run with HANDOFF_SERVE=addr by the same user finds the token in
// the file serve wrote, and streams to it.
func TestServeRemoteFindsToken(t *testing.T) {
	srv := startServe(t)
	_, port, _ := net.SplitHostPort(srv.addr)
	path, err := remote.TokenFile(port)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("serve's token file: %v", err)
	}
	di, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
		t.Errorf("token file %v, its directory %v: want 0600 and 0700", fi.Mode(), di.Mode())
	}

	viewer, _, err := websocket.DefaultDialer.Dial("ws://"+srv.addr+"/ws", srv.header())
	if err != nil {
		t.Fatal(err)
	}
	defer viewer.Close()
	t.Setenv(remote.EnvVar, srv.addr)
	t.Setenv(remote.TokenEnvVar, "")
	sink, ok, err := remote.FromEnv(remote.Options{Source: "token-test"})
	if err != nil || !ok {
		t.Fatalf("FromEnv: %v %v", ok, err)
	}
	_, err = tracer.Run(func(g *tracer.G) {
		ch := tracer.NewChan[*tracer.Value[int]](g, "numbers", 4)
		for i := range 3 {
			ch.Send(g, tracer.Make(g, "n", i))
		}
		ch.Close(g)
		for v := range ch.All(g) {
			v.Get(g)
		}
	}, tracer.WithSink(sink))
	if err != nil {
		t.Fatalf("the run: %v", err)
	}
	if st := sink.Stats(); st.Sent == 0 || st.Dropped != 0 {
		t.Errorf("the sink: %+v", st)
	}
	n := readLiveSession(t, viewer, "token-test")
	if st := sink.Stats(); uint64(n) != st.Sent {
		t.Errorf("the viewer saw %d events, the sink sent %d", n, st.Sent)
	}
}

// A request body that trickles in, a byte every two seconds, is cut by a
// real serve too (its ReadTimeout does not get in the way), while a
// WebSocket outlives the ReadTimeout (30 s) and still works.
func TestServeTimeouts(t *testing.T) {
	srv := startServe(t)
	viewer, _, err := websocket.DefaultDialer.Dial("ws://"+srv.addr+"/ws", srv.header())
	if err != nil {
		t.Fatal(err)
	}
	defer viewer.Close()
	opened := time.Now()
	conn, err := net.Dial("tcp", srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	fmt.Fprintf(conn, "POST /api/parse HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Length: 100000\r\n\r\n{", srv.addr, srv.token)
	stop := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := conn.Write([]byte(" ")); err != nil {
					return
				}
			}
		}
	}()
	conn.SetReadDeadline(time.Now().Add(90 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	close(stop)
	<-stopped
	if err != nil {
		t.Fatalf("no answer after %v: %v", time.Since(start), err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	t.Logf("cut after %v: %d %s", time.Since(start).Round(time.Millisecond), resp.StatusCode, body)
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Errorf("status %d: %s", resp.StatusCode, body)
	}

	time.Sleep(time.Until(opened.Add(35 * time.Second)))
	if err := viewer.WriteJSON(map[string]any{"op": "run", "scenario": "pipeline", "pace": 0}); err != nil {
		t.Fatalf("the viewer's WebSocket, %v after it opened: %v", time.Since(opened).Round(time.Second), err)
	}
	for {
		viewer.SetReadDeadline(time.Now().Add(30 * time.Second))
		var m struct{ Type, Error string }
		if err := viewer.ReadJSON(&m); err != nil {
			t.Fatalf("the viewer's WebSocket, %v after it opened: %v", time.Since(opened).Round(time.Second), err)
		}
		if m.Type == "live-end" {
			if m.Error != "" {
				t.Errorf("the run ended with %q", m.Error)
			}
			break
		}
	}
}

// readLiveSession reads what a viewer is sent of a live session of source,
// to its end, and returns how many events it got.
func readLiveSession(t *testing.T, viewer *websocket.Conn, source string) int {
	t.Helper()
	n := 0
	for {
		viewer.SetReadDeadline(time.Now().Add(45 * time.Second))
		var m struct {
			Type, Source, Error string
			Events              []json.RawMessage
		}
		if err := viewer.ReadJSON(&m); err != nil {
			t.Fatalf("the viewer: %v", err)
		}
		if m.Type == "live" && m.Source != source {
			t.Errorf("live session of %q, want %q", m.Source, source)
		}
		n += len(m.Events)
		if m.Type == "live-end" {
			if m.Error != "" {
				t.Errorf("the stream ended with %q", m.Error)
			}
			return n
		}
	}
}
