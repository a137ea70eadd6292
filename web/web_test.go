package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/handoff-viz/handoff/tracer"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// start serves cfg on 127.0.0.1 and stops everything when the test ends.
func start(t testing.TB, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		s.Close()
		ts.Close()
	})
	return s, ts
}

func wsURL(ts *httptest.Server, path string) string {
	return "ws" + strings.TrimPrefix(ts.URL, "http") + path
}

func dial(t testing.TB, ts *httptest.Server, path string, h http.Header) *websocket.Conn {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial(wsURL(ts, path), h)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", path, err, status)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// msg is any message from the server to a viewer.
type msg struct {
	Type      string            `json:"type"`
	Session   int               `json:"session"`
	Viewer    int               `json:"viewer"`
	By        int               `json:"by"`
	Seed      uint64            `json:"seed"`
	Name      string            `json:"name"`
	Scenario  string            `json:"scenario"`
	Source    string            `json:"source"`
	Kind      string            `json:"kind"`
	Events    json.RawMessage   `json:"events"`
	Done      bool              `json:"done"`
	Error     string            `json:"error"`
	Msg       string            `json:"msg"`
	Dropped   int               `json:"dropped"`
	Scenarios []ScenarioInfo    `json:"scenarios"`
	CanRun    bool              `json:"canRun"`
	CanSVG    bool              `json:"canSVG"`
	Traces    []json.RawMessage `json:"traces"`
	N         int               `json:"n"`
}

func (m *msg) events(t testing.TB) []map[string]any {
	t.Helper()
	if m.Type == "trace" {
		return nil
	}
	var evs []map[string]any
	if len(m.Events) > 0 {
		if err := json.Unmarshal(m.Events, &evs); err != nil {
			t.Fatalf("events of %s: %v", m.Type, err)
		}
	}
	return evs
}

func read(t testing.TB, c *websocket.Conn) msg {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, data, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var m msg
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("message %.200s: %v", data, err)
	}
	return m
}

// readUntil reads messages until one of type typ, skipping "viewers".
func readUntil(t testing.TB, c *websocket.Conn, typ string, each func(msg)) msg {
	t.Helper()
	for {
		m := read(t, c)
		if each != nil {
			each(m)
		}
		if m.Type == typ {
			return m
		}
	}
}

func testConfig() Config {
	return Config{
		Scenarios: []ScenarioInfo{
			{Name: "bounded-producers", Summary: "two producers, one bounded queue"},
			{Name: "use-after-send", Summary: "a value used after it was sent"},
		},
		Run:       fakeRun(map[string][]tracer.Event{"bounded-producers": boundedProducers(), "use-after-send": useAfterSend()}),
		RenderSVG: fakeSVG,
		Traces:    []Trace{{Name: "synth.jsonl", Header: tracer.Header{Source: "synth"}, Events: synth(20, 10_000)}},
	}
}

func TestGeneratedTracesAreValid(t *testing.T) {
	for name, evs := range map[string][]tracer.Event{
		"bounded-producers": boundedProducers(),
		"use-after-send":    useAfterSend(),
		"backpressure":      backpressure(),
		"synth":             synth(200, 20_000),
	} {
		if err := tracer.Validate(evs); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	tl := tracer.BuildTimeline(boundedProducers())
	if got := tl.Goroutine(4).Name; got != "consumer" {
		t.Fatalf("goroutine 4 is %q", got)
	}
	if n := tl.Channel(1).Received; n != 10 {
		t.Errorf("consumer received %d values, want 10", n)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"empty scenario name": {Scenarios: []ScenarioInfo{{Name: ""}}},
		"duplicate scenario":  {Scenarios: []ScenarioInfo{{Name: "a"}, {Name: "a"}}},
		"unnamed trace":       {Traces: []Trace{{}}},
		"negative limit":      {MaxUpload: -1},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: no error", name)
		} else if !strings.HasPrefix(err.Error(), "web: ") {
			t.Errorf("%s: error %q lacks the prefix", name, err)
		}
	}
}

func TestStaticFiles(t *testing.T) {
	_, ts := start(t, testConfig())
	for _, tc := range []struct {
		path   string
		status int
		has    string
	}{
		{"/", 200, "<title>handoff"},
		{"/static/app.js", 200, "WebSocket"},
		{"/static/model.js", 200, "stateAt"},
		{"/static/style.css", 200, "--bg"},
		{"/static/../web.go", 404, ""},
		{"/static/%2e%2e/web.go", 404, ""},
		{"/web.go", 404, ""},
		{"/etc/passwd", 404, ""},
		{"/static/missing.js", 404, ""},
	} {
		resp, err := http.Get(ts.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("GET %s: status %d, want %d", tc.path, resp.StatusCode, tc.status)
		}
		if !bytes.Contains(body, []byte(tc.has)) {
			t.Errorf("GET %s: body lacks %q", tc.path, tc.has)
		}
		if tc.status == 200 && resp.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("GET %s: no Content-Security-Policy", tc.path)
		}
	}
}

func TestHelloAndLiveRun(t *testing.T) {
	_, ts := start(t, testConfig())
	c := dial(t, ts, "/ws", nil)
	hello := read(t, c)
	if hello.Type != "hello" || len(hello.Scenarios) != 2 || !hello.CanRun || !hello.CanSVG || len(hello.Traces) != 1 {
		t.Fatalf("hello: %+v", hello)
	}
	c.WriteJSON(map[string]any{"op": "run", "scenario": "bounded-producers", "pace": 0})
	live := readUntil(t, c, "live", nil)
	if live.Source != "bounded-producers" || live.Kind != "scenario" {
		t.Fatalf("live: %+v", live)
	}
	n := len(live.events(t))
	end := readUntil(t, c, "live-end", func(m msg) {
		if m.Type == "events" {
			if m.Session != live.Session {
				t.Errorf("events of session %d during session %d", m.Session, live.Session)
			}
			n += len(m.events(t))
		}
	})
	if end.Error != "" {
		t.Errorf("live-end error %q", end.Error)
	}
	if want := len(boundedProducers()); n != want {
		t.Errorf("got %d events, want %d", n, want)
	}

	// A viewer who comes later gets the whole run in one message.
	late := dial(t, ts, "/ws", nil)
	read(t, late) // hello
	backlog := read(t, late)
	if backlog.Type != "live" || !backlog.Done || len(backlog.events(t)) != len(boundedProducers()) {
		t.Errorf("late viewer: %s done=%v with %d events", backlog.Type, backlog.Done, len(backlog.events(t)))
	}
}

func TestBadRequests(t *testing.T) {
	_, ts := start(t, testConfig())
	c := dial(t, ts, "/ws", nil)
	read(t, c)
	for _, tc := range []struct{ req, want string }{
		{`{"op":"run","scenario":"nope"}`, `run: no scenario named "nope"`},
		{`{"op":"run","scenario":"use-after-send","pace":-5}`, "run: pace must be between 0 and 10000 milliseconds"},
		{`{"op":"open","trace":7}`, "open: no trace number 7"},
		{`{"op":"dance"}`, `unknown op "dance"`},
		{`not json`, "bad request"},
	} {
		c.WriteMessage(websocket.TextMessage, []byte(tc.req))
		m := readUntil(t, c, "error", nil)
		if !strings.Contains(m.Msg, tc.want) {
			t.Errorf("%s: error %q, want %q", tc.req, m.Msg, tc.want)
		}
	}
}

func TestStopAndReplaceRun(t *testing.T) {
	cfg := testConfig()
	_, ts := start(t, cfg)
	c := dial(t, ts, "/ws", nil)
	read(t, c)
	c.WriteJSON(map[string]any{"op": "run", "scenario": "bounded-producers", "pace": 1000})
	first := readUntil(t, c, "live", nil)
	c.WriteJSON(map[string]any{"op": "run", "scenario": "use-after-send", "pace": 0})
	var ends []msg
	// the replaced run ends first, saying why, then the new one starts
	replaced := readUntil(t, c, "live-end", nil)
	if replaced.Session != first.Session || replaced.Error != "stopped: a run of use-after-send took its place" {
		t.Errorf("the replaced run ended with %+v", replaced)
	}
	second := readUntil(t, c, "live", nil)
	if second.Session == first.Session || second.Source != "use-after-send" {
		t.Fatalf("second run: %+v", second)
	}
	for len(ends) < 1 {
		m := read(t, c)
		if m.Type == "live-end" {
			ends = append(ends, m)
		}
	}
	if ends[0].Session != second.Session || ends[0].Error != "" {
		t.Errorf("end: %+v", ends[0])
	}
	c.WriteJSON(map[string]any{"op": "run", "scenario": "bounded-producers", "pace": 1000})
	third := readUntil(t, c, "live", nil)
	c.WriteJSON(map[string]any{"op": "stop"})
	end := readUntil(t, c, "live-end", nil)
	if end.Session != third.Session || end.Error != "stopped" {
		t.Errorf("stopped run ended with %+v", end)
	}
}

// TestRunsBelongToTheirViewer checks what lets each page keep its own
// view: every viewer learns its id, a run says who started it and with
// which seed, and a Stop names the run it means.
func TestRunsBelongToTheirViewer(t *testing.T) {
	cfg := testConfig()
	var mu sync.Mutex
	var seeds []uint64
	run := cfg.Run
	cfg.Run = func(ctx context.Context, name string, o RunOptions, sink tracer.Sink) error {
		mu.Lock()
		seeds = append(seeds, o.Seed)
		mu.Unlock()
		return run(ctx, name, o, sink)
	}
	_, ts := start(t, cfg)
	a, b := dial(t, ts, "/ws", nil), dial(t, ts, "/ws", nil)
	ha, hb := read(t, a), read(t, b)
	if ha.Viewer == 0 || hb.Viewer == 0 || ha.Viewer == hb.Viewer {
		t.Fatalf("viewer ids %d and %d: want two different ones", ha.Viewer, hb.Viewer)
	}

	a.WriteJSON(map[string]any{"op": "run", "scenario": "bounded-producers", "pace": 1000, "seed": 42})
	for i, c := range []*websocket.Conn{a, b} {
		live := readUntil(t, c, "live", nil)
		if live.By != ha.Viewer || live.Seed != 42 {
			t.Errorf("viewer %d: the run is said to be by %d with seed %d, want by %d with seed 42", i+1, live.By, live.Seed, ha.Viewer)
		}
	}
	// b's Stop names a run that is not the current one: it is refused and
	// a's run goes on
	b.WriteJSON(map[string]any{"op": "stop", "session": 999})
	if m := readUntil(t, b, "error", nil); !strings.Contains(m.Msg, "stop: run 999 is not the current run") {
		t.Errorf("stopping another run: %q", m.Msg)
	}
	b.WriteJSON(map[string]any{"op": "run", "scenario": "use-after-send", "pace": 0})
	end := readUntil(t, a, "live-end", nil)
	if end.Error != "stopped: a run of use-after-send took its place" {
		t.Errorf("a's run ended with %q, want the reason", end.Error)
	}
	if live := readUntil(t, a, "live", nil); live.By != hb.Viewer || live.Seed != 0 {
		t.Errorf("b's run is said to be by %d with seed %d, want by %d with seed 0", live.By, live.Seed, hb.Viewer)
	}
	a.WriteJSON(map[string]any{"op": "run", "scenario": "use-after-send", "seed": uint64(MaxSeed) + 1})
	if m := readUntil(t, a, "error", nil); !strings.Contains(m.Msg, "run: seed must be between 0 and 9007199254740991") {
		t.Errorf("a seed too large: %q", m.Msg)
	}
	// Each run calls the runner from a goroutine of its own, so the two
	// calls may come in either order.
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(seeds)
	if len(seeds) != 2 || seeds[0] != 0 || seeds[1] != 42 {
		t.Errorf("the runner was handed seeds %v, want 0 and 42", seeds)
	}
}

// TestRecordForOneViewer checks the runs a link asks for: at full speed,
// sent to the viewer who asked alone, never a live session.
func TestRecordForOneViewer(t *testing.T) {
	cfg := testConfig()
	var mu sync.Mutex
	var got []RunOptions
	run := cfg.Run
	cfg.Run = func(ctx context.Context, name string, o RunOptions, sink tracer.Sink) error {
		mu.Lock()
		got = append(got, o)
		mu.Unlock()
		return run(ctx, name, o, sink)
	}
	_, ts := start(t, cfg)
	a, b := dial(t, ts, "/ws", nil), dial(t, ts, "/ws", nil)
	read(t, a)
	read(t, b)
	a.WriteJSON(map[string]any{"op": "record", "scenario": "bounded-producers", "seed": 7, "pace": 5000})
	var n int
	var types []string
	end := readUntil(t, a, "trace-end", func(m msg) {
		types = append(types, m.Type)
		switch m.Type {
		case "trace":
			if m.Seed != 7 || m.Scenario != "bounded-producers" || m.Name != "bounded-producers" {
				t.Errorf("start of the recording: %+v", m)
			}
		case "trace-events":
			n += len(m.events(t))
		case "live", "events", "live-end":
			t.Errorf("a recording made a live message: %+v", m)
		}
	})
	if end.Error != "" || n != len(boundedProducers()) {
		t.Errorf("the recording ended with error %q and %d events, want none and %d (messages %v)", end.Error, n, len(boundedProducers()), types)
	}
	a.WriteJSON(map[string]any{"op": "record", "scenario": "nope"})
	if m := readUntil(t, a, "error", nil); m.Msg != `record: no scenario named "nope"` {
		t.Errorf("recording an unknown scenario: %q", m.Msg)
	}
	// b heard nothing of it: the next message b gets is its own error
	b.WriteJSON(map[string]any{"op": "dance"})
	for {
		m := read(t, b)
		if m.Type == "error" {
			break
		}
		if m.Type != "viewers" {
			t.Errorf("another viewer got a %s message from a recording", m.Type)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0] != (RunOptions{Pace: 0, Seed: 7}) {
		t.Errorf("the runner was asked for %+v, want one run at full speed with seed 7", got)
	}
}

func TestOriginChecked(t *testing.T) {
	_, ts := start(t, testConfig())
	host := strings.TrimPrefix(ts.URL, "http://")
	for _, tc := range []struct {
		origin string
		ok     bool
	}{
		{"", true},
		{"http://" + host, true},
		{"http://evil.example", false},
		{"http://" + host + ".evil.example", false},
		{"http://evil.example/" + host, false},
		{"null", false},
		{"file://", false},
	} {
		h := http.Header{}
		if tc.origin != "" {
			h.Set("Origin", tc.origin)
		}
		for _, path := range []string{"/ws", "/ingest"} {
			c, resp, err := websocket.DefaultDialer.Dial(wsURL(ts, path), h)
			if tc.ok != (err == nil) {
				t.Errorf("%s with Origin %q: err %v", path, tc.origin, err)
			}
			if err == nil {
				c.Close()
			} else if resp != nil && resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s with Origin %q: status %d", path, tc.origin, resp.StatusCode)
			}
		}
	}
}

func TestStreamNamedTrace(t *testing.T) {
	cfg := testConfig()
	_, ts := start(t, cfg)
	c := dial(t, ts, "/ws", nil)
	read(t, c)
	c.WriteJSON(map[string]any{"op": "open", "trace": 0})
	readUntil(t, c, "trace", nil)
	n := 0
	readUntil(t, c, "trace-end", func(m msg) {
		if m.Type == "trace-events" {
			n += len(m.events(t))
		}
	})
	if want := len(cfg.Traces[0].Events); n != want {
		t.Errorf("streamed %d events, want %d", n, want)
	}
}

func traceFile(t testing.TB, evs []tracer.Event) []byte {
	var b bytes.Buffer
	if err := tracer.WriteTrace(&b, tracer.Header{Source: "test"}, evs); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func post(t testing.TB, url string, body []byte) (int, []byte) {
	resp, err := http.Post(url, "application/jsonl", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestParseAndExport(t *testing.T) {
	cfg := testConfig()
	cfg.MaxUpload = 4 << 10
	_, ts := start(t, cfg)
	good := traceFile(t, useAfterSend())

	code, body := post(t, ts.URL+"/api/parse", good)
	var parsed struct {
		Header tracer.Header
		Events []map[string]any
	}
	if err := json.Unmarshal(body, &parsed); code != 200 || err != nil {
		t.Fatalf("parse: %d %s %v", code, body, err)
	}
	if len(parsed.Events) != len(useAfterSend()) || parsed.Header.Source != "test" || parsed.Events[4]["at"] != "main.go:17" {
		t.Errorf("parse: %s", body)
	}

	bad := bytes.Replace(good, []byte(`"seq":3`), []byte(`"seq":9`), 1)
	impossible := []byte(`{"format":"handoff","version":2}` + "\n" + `{"seq":1,"t":0,"kind":"recv","g":1,"ch":1,"v":3}` + "\n")
	for _, tc := range []struct {
		name, path string
		body       []byte
		code       int
		want       string
	}{
		{"bad seq", "/api/parse", bad, 400, "open trace: line 4"},
		{"not a trace", "/api/parse", []byte("hello\n"), 400, "open trace:"},
		{"too big", "/api/parse", traceFile(t, synth(4, 200)), 413, "larger than the limit of 4 KiB"},
		{"svg of bad trace", "/api/svg", bad, 400, "export svg: line 4"},
		{"impossible run", "/api/parse", impossible, 400, "open trace: the trace does not make sense as a run:\nevent #1 (recv by g1): receives from ch1, which was never made"},
		{"svg of an impossible run", "/api/svg", impossible, 400, "export svg: the trace does not make sense as a run"},
		{"svg of nothing", "/api/svg", traceFile(t, nil), 400, "export svg: the trace has no events"},
		{"svg in no theme", "/api/svg?theme=sepia", good, 400, `export svg: unknown theme "sepia" (want light, dark, print)`},
	} {
		code, body := post(t, ts.URL+tc.path, tc.body)
		var e struct{ Error string }
		json.Unmarshal(body, &e)
		if code != tc.code || !strings.Contains(e.Error, tc.want) {
			t.Errorf("%s: %d %q, want %d %q", tc.name, code, e.Error, tc.code, tc.want)
		}
	}

	code, body = post(t, ts.URL+"/api/svg", good)
	if code != 200 || !bytes.HasPrefix(body, []byte("<svg")) || !bytes.Contains(body, []byte("violation")) || !bytes.Contains(body, []byte(`class="theme-light"`)) {
		t.Errorf("svg: %d %.100s", code, body)
	}
	for _, theme := range SVGThemes {
		code, body = post(t, ts.URL+"/api/svg?theme="+theme, good)
		if code != 200 || !bytes.Contains(body, []byte(`class="theme-`+theme+`"`)) {
			t.Errorf("svg in %s: %d %.100s", theme, code, body)
		}
	}
	resp, err := http.Get(ts.URL + "/api/parse")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /api/parse: %d", resp.StatusCode)
	}
}

func TestSVGUnavailable(t *testing.T) {
	cfg := testConfig()
	cfg.RenderSVG = nil
	_, ts := start(t, cfg)
	code, body := post(t, ts.URL+"/api/svg", traceFile(t, useAfterSend()))
	if code != http.StatusNotImplemented || !bytes.Contains(body, []byte("not available")) {
		t.Errorf("svg without renderer: %d %s", code, body)
	}
	c := dial(t, ts, "/ws", nil)
	if hello := read(t, c); hello.CanSVG {
		t.Errorf("hello says SVG can be exported")
	}
}

func TestIngest(t *testing.T) {
	_, ts := start(t, testConfig())
	viewer := dial(t, ts, "/ws", nil)
	read(t, viewer)
	prog := dial(t, ts, "/ingest", nil)
	file := traceFile(t, boundedProducers())
	lines := bytes.SplitAfter(file, []byte("\n"))
	// header alone, then the events in uneven chunks of whole lines
	prog.WriteMessage(websocket.TextMessage, lines[0])
	for i := 1; i < len(lines); i += 7 {
		prog.WriteMessage(websocket.TextMessage, bytes.Join(lines[i:min(i+7, len(lines))], nil))
	}
	prog.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	live := readUntil(t, viewer, "live", nil)
	if live.Source != "test" || live.Kind != "program" {
		t.Errorf("live: %+v", live)
	}
	n := len(live.events(t))
	end := readUntil(t, viewer, "live-end", func(m msg) {
		if m.Type == "events" {
			n += len(m.events(t))
		}
	})
	if n != len(boundedProducers()) || end.Error != "" {
		t.Errorf("got %d events, end %+v", n, end)
	}

	// A broken stream ends the session with a message naming the line.
	prog2 := dial(t, ts, "/ingest", nil)
	prog2.WriteMessage(websocket.TextMessage, lines[0])
	prog2.WriteMessage(websocket.TextMessage, []byte(`{"seq":1,"t":1,"kind":"warp","g":1}`+"\n"))
	readUntil(t, viewer, "live", nil)
	end = readUntil(t, viewer, "live-end", nil)
	if !strings.Contains(end.Error, "line 2") || !strings.Contains(end.Error, "warp") {
		t.Errorf("broken stream ended with %q", end.Error)
	}
}

// A viewer that stops reading is disconnected and counted; the others get
// every event and the run is never held up.
func TestSlowViewerDropped(t *testing.T) {
	b := &builder{}
	b.add(tracer.Event{Kind: tracer.KindChan, G: 1, Ch: 1, Name: "c", Cap: -1})
	for v := 1; v <= 100_000; v++ {
		b.add(tracer.Event{Kind: tracer.KindMake, G: 1, V: tracer.ValueID(v), Label: strings.Repeat("x", 40)})
	}
	evs := b.evs
	cfg := testConfig()
	cfg.QueueLen = 8 // messages of 20ms of events each
	cfg.Scenarios = []ScenarioInfo{{Name: "flood"}}
	cfg.Run = func(ctx context.Context, name string, o RunOptions, sink tracer.Sink) error {
		for i := 0; i < len(evs); i += 100 {
			sink.Emit(evs[i:min(i+100, len(evs))])
			time.Sleep(time.Millisecond)
		}
		return nil
	}
	s, ts := start(t, cfg)

	// The stalled viewer's socket has a tiny receive buffer and is never read.
	d := websocket.Dialer{NetDialContext: (&net.Dialer{Control: func(network, address string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}).DialContext}
	stalled, _, err := d.Dial(wsURL(ts, "/ws"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()

	good := dial(t, ts, "/ws", nil)
	read(t, good)
	good.WriteJSON(map[string]any{"op": "run", "scenario": "flood"})
	// Count without decoding: the reader must not be the slow one.
	n := 0
	for {
		good.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, data, err := good.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		n += bytes.Count(data, []byte(`{"seq":`))
		if bytes.HasPrefix(data, []byte(`{"type":"live-end"`)) {
			break
		}
	}
	if n != len(evs) {
		t.Errorf("the reading viewer got %d events of %d", n, len(evs))
	}
	if st := s.Stats(); st.SlowDropped != 1 {
		t.Errorf("slow viewers dropped: %d, want 1", st.SlowDropped)
	}
}

func TestCloseStopsEverything(t *testing.T) {
	cfg := testConfig()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	c := dial(t, ts, "/ws", nil)
	read(t, c)
	c.WriteJSON(map[string]any{"op": "run", "scenario": "bounded-producers", "pace": 5000})
	readUntil(t, c, "live", nil)
	prog := dial(t, ts, "/ingest", nil)
	prog.WriteMessage(websocket.TextMessage, []byte(`{"format":"handoff","version":1}`+"\n"))
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute): // generous: a loaded machine
		t.Fatal("Close did not return")
	}
	ts.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			break
		}
	}
	resp, err := http.Get(ts.URL + "/")
	if err == nil {
		resp.Body.Close()
		t.Error("server still answers after Close")
	}
}

// At most maxUploads trace files are read at once; another waits for its
// turn, and gets 503 when none comes.
func TestUploadsAreBounded(t *testing.T) {
	s, ts := start(t, testConfig())
	s.uploadWait = 200 * time.Millisecond
	for range maxUploads {
		s.uploads <- struct{}{} // two reads under way
	}
	code, body := post(t, ts.URL+"/api/parse", traceFile(t, useAfterSend()))
	if code != http.StatusServiceUnavailable || !strings.Contains(string(body), "try again") {
		t.Errorf("a third read: %d %s, want 503", code, body)
	}
	<-s.uploads // one ends: the next read goes through
	if code, body := post(t, ts.URL+"/api/parse", traceFile(t, useAfterSend())); code != 200 {
		t.Errorf("a read after one ended: %d %.100s", code, body)
	}
	<-s.uploads
}

// Opening a big trace file holds about its size, not an object per event:
// the answer is about the file's size, and the collector lets garbage grow
// to about what is live (the test's own copy of the file included), so the
// heap's peak grows by 3-4x a 60 MB file, bounded here at 5x (it was about
// 28x: 63 MB took the server from 27 MB to 1.77 GB).
func TestParseMemoryIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 60 MB trace")
	}
	cfg := testConfig()
	cfg.MaxUpload = 64 << 20
	_, ts := start(t, cfg)
	var file bytes.Buffer
	file.WriteString(`{"format":"handoff","version":2}` + "\n")
	file.WriteString(`{"seq":1,"t":0,"kind":"chan","g":1,"ch":1,"cap":-1,"name":"q"}` + "\n")
	label := strings.Repeat("x", 40)
	for seq := 2; file.Len() < 60<<20; seq += 3 {
		v := seq
		fmt.Fprintf(&file, `{"seq":%d,"t":%d,"kind":"make","g":1,"v":%d,"label":"%s"}`+"\n", seq, seq, v, label)
		fmt.Fprintf(&file, `{"seq":%d,"t":%d,"kind":"send","g":1,"ch":1,"v":%d}`+"\n", seq+1, seq+1, v)
		fmt.Fprintf(&file, `{"seq":%d,"t":%d,"kind":"recv","g":1,"ch":1,"v":%d}`+"\n", seq+2, seq+2, v)
	}
	data := file.Bytes()
	stop := heapWatch()
	resp, err := http.Post(ts.URL+"/api/parse", "application/jsonl", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 20)
	io.ReadFull(resp.Body, head)
	n, _ := io.Copy(io.Discard, resp.Body) // the test keeps none of the answer
	resp.Body.Close()
	grew := float64(stop()) / float64(len(data))
	if resp.StatusCode != 200 || !bytes.HasPrefix(head, []byte(`{"header":`)) || n < int64(len(data))/2 {
		t.Fatalf("parse: %d %q and %d bytes more", resp.StatusCode, head, n)
	}
	t.Logf("a %.1f MB file: the heap grew by %.2fx the file at its peak", float64(len(data))/1e6, grew)
	if grew > 5 {
		t.Errorf("the heap grew by %.1fx the file", grew)
	}
}
