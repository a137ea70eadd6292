package web

import (
	"bytes"
	"log"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// panicWatch is a server's error log that remembers a recovered panic:
// net/http recovers a handler's panic and only logs it.
type panicWatch struct {
	mu  sync.Mutex
	log bytes.Buffer
}

func (p *panicWatch) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.Write(b)
}

func (p *panicWatch) check(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if s := p.log.String(); strings.Contains(s, "panic") {
		t.Fatalf("the server panicked:\n%s", s)
	}
}

// fuzzServer serves testConfig on 127.0.0.1 for a fuzz target, its panics
// watched.
func fuzzServer(f *testing.F) (*httptest.Server, *panicWatch) {
	s, err := New(testConfig())
	if err != nil {
		f.Fatal(err)
	}
	watch := &panicWatch{}
	ts := httptest.NewUnstartedServer(s)
	ts.Config.ErrorLog = log.New(watch, "", 0)
	ts.Start()
	f.Cleanup(func() {
		s.Close()
		ts.Close()
	})
	return ts, watch
}

// stillAnswers checks that viewer c's requests are still answered in
// order, after whatever it sent before.
func stillAnswers(t *testing.T, c *websocket.Conn) {
	t.Helper()
	if err := c.WriteMessage(websocket.TextMessage, []byte(`{"op":"dance"}`)); err != nil {
		t.Fatalf("write after the request: %v", err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		c.SetReadDeadline(deadline)
		_, data, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("no answer to the request after it: %v", err)
		}
		if bytes.Contains(data, []byte(`unknown op \"dance\"`)) {
			return
		}
	}
}

// FuzzViewerRequest sends one message of any bytes to /ws as a viewer: the
// server never panics and goes on answering that viewer.
func FuzzViewerRequest(f *testing.F) {
	for _, seed := range []string{
		`{"op":"run","scenario":"use-after-send"}`,
		`{"op":"run","scenario":"bounded-producers","pace":5,"seed":3}`,
		`{"op":"run","scenario":"nope"}`,
		`{"op":"run","scenario":"use-after-send","pace":-5}`,
		`{"op":"stop","session":1}`,
		`{"op":"stop","session":-1}`,
		`{"op":"open","trace":0}`,
		`{"op":"open","trace":7}`,
		`{"op":"record","scenario":"use-after-send"}`,
		`{"op":"record","scenario":"use-after-send","pace":9007199254740993}`,
		`{"op":null}`,
		`[]`,
		`not json`,
		"",
	} {
		f.Add([]byte(seed))
	}
	ts, watch := fuzzServer(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _, err := websocket.DefaultDialer.Dial(wsURL(ts, "/ws"), nil)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer c.Close()
		if err := c.WriteMessage(websocket.TextMessage, data); err != nil {
			t.Fatalf("write: %v", err)
		}
		stillAnswers(t, c)
		watch.check(t)
	})
}

// FuzzIngest sends a program's stream of any bytes to /ingest, in frames
// cut at each NUL byte: the server never panics, and a viewer who comes
// after is welcomed.
func FuzzIngest(f *testing.F) {
	header := `{"format":"handoff","version":2,"source":"fuzz"}` + "\n"
	for _, seed := range []string{
		header + `{"seq":1,"t":0,"kind":"make","g":1,"v":1,"label":"x"}` + "\n",
		header + "\x00" + `{"seq":1,"t":0,"kind":"chan","g":1,"ch":1,"cap":1}` + "\n\x00" + `{"seq":2,"t":1,"kind":"make","g":1,"v":1}` + "\n",
		header + `{"seq":1,"t":1,"kind":"warp","g":1}` + "\n",
		header + `{"seq":1,"t":0,"kind":"make","g":1,"v":1,"label":"` + strings.Repeat("é", 300) + `"}` + "\n",
		`{"format":"handoff","version":99}` + "\n",
		"\x00\x00",
		"",
	} {
		f.Add([]byte(seed))
	}
	ts, watch := fuzzServer(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		prog, _, err := websocket.DefaultDialer.Dial(wsURL(ts, "/ingest"), nil)
		if err != nil {
			t.Fatalf("dial /ingest: %v", err)
		}
		frames := bytes.SplitN(data, []byte{0}, 32)
		for _, frame := range frames {
			if prog.WriteMessage(websocket.TextMessage, frame) != nil {
				break // the server closed the stream: it may refuse it
			}
		}
		prog.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
		prog.Close()

		viewer, _, err := websocket.DefaultDialer.Dial(wsURL(ts, "/ws"), nil)
		if err != nil {
			t.Fatalf("dial /ws after the stream: %v", err)
		}
		defer viewer.Close()
		viewer.SetReadDeadline(time.Now().Add(60 * time.Second))
		_, hello, err := viewer.ReadMessage()
		if err != nil || !bytes.Contains(hello, []byte(`"type":"hello"`)) {
			t.Fatalf("a viewer after the stream got %.200q, %v; want its hello", hello, err)
		}
		stillAnswers(t, viewer)
		watch.check(t)
	})
}
