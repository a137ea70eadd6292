package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/handoff-viz/handoff/scenarios"
)

// startServe runs `handoff serve args...` on a free loopback port until the
// test ends, and returns its address.
func startServe(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	oldCtx, oldReady := serveContext, serveReady
	serveContext = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	serveReady = func(addr string) { ready <- addr }
	done := make(chan int, 1)
	var stdout, stderr bytes.Buffer
	go func() { done <- run(append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), &stdout, &stderr) }()
	var addr string
	select {
	case addr = <-ready:
	case code := <-done:
		t.Fatalf("serve exited with %d: %s", code, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("serve exited with %d: %s", code, stderr.String())
		}
		serveContext, serveReady = oldCtx, oldReady
		if !strings.Contains(stdout.String(), "serving the browser view on http://"+addr) {
			t.Errorf("serve printed %q", stdout.String())
		}
	})
	return addr
}

// TestServeLiveScenario runs a real scenario through the real server and
// counts what a viewer receives.
func TestServeLiveScenario(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { // runs last: after the server has stopped
		http.DefaultClient.CloseIdleConnections()
		goleak.VerifyNone(t, ignore)
	})
	addr := startServe(t)
	c, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
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
		resp, err := http.Post("http://"+addr+"/api/svg"+tc.query, "application/jsonl", bytes.NewReader(file.Bytes()))
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
