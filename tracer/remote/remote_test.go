package remote_test

import (
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/handoff-viz/handoff/tracer"
	"github.com/handoff-viz/handoff/tracer/remote"
	"github.com/handoff-viz/handoff/web"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func events(n int) []tracer.Event {
	evs := []tracer.Event{{Seq: 1, T: 1, Kind: tracer.KindChan, G: 1, Ch: 1, Name: "c", Cap: -1}}
	for i := 2; i <= n; i++ {
		evs = append(evs, tracer.Event{Seq: uint64(i), T: tracer.Time(i), Kind: tracer.KindMake, G: 1, V: tracer.ValueID(i), Label: fmt.Sprintf("v%d", i)})
	}
	return evs
}

// viewer connects to the server's page socket and counts the events of
// the live session until it ends.
func watch(t *testing.T, ts *httptest.Server) <-chan string {
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan string, 1)
	go func() {
		defer c.Close()
		n := 0
		for {
			c.SetReadDeadline(time.Now().Add(60 * time.Second))
			_, data, err := c.ReadMessage()
			if err != nil {
				out <- "read: " + err.Error()
				return
			}
			s := string(data)
			n += strings.Count(s, `{"seq":`)
			if strings.HasPrefix(s, `{"type":"live-end"`) || (strings.HasPrefix(s, `{"type":"live"`) && strings.Contains(s, `"done":true`)) {
				out <- fmt.Sprintf("%d events; %s", n, s)
				return
			}
		}
	}()
	return out
}

func serveWeb(t *testing.T) (*httptest.Server, *web.Server) {
	s, err := web.New(web.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); ts.Close() })
	return ts, s
}

func TestStreamsToServer(t *testing.T) {
	ts, srv := serveWeb(t)
	seen := watch(t, ts)
	for deadline := time.Now().Add(10 * time.Second); srv.Stats().Viewers == 0; { // the viewer is in before the program
		if time.Now().After(deadline) {
			t.Fatal("the viewer never connected")
		}
		time.Sleep(time.Millisecond)
	}
	s, err := remote.Dial(ts.URL, remote.Options{Source: "prog"})
	if err != nil {
		t.Fatal(err)
	}
	evs := events(5000)
	for i := 0; i < len(evs); i += 7 {
		s.Emit(evs[i:min(i+7, len(evs))])
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	got := <-seen
	if !strings.HasPrefix(got, "5000 events;") || !strings.Contains(got, `"error":""`) {
		t.Errorf("viewer saw %.200s", got)
	}
	if st := s.Stats(); st.Sent != 5000 || st.Dropped != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestAbsentServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nobody listens there now
	s, err := remote.Dial(addr, remote.Options{DialTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := 0; i < 100; i++ {
		s.Emit(events(10))
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("Emit took %v with no server", d)
	}
	err = s.Close()
	if !errors.Is(err, remote.ErrUndelivered) || !strings.Contains(err.Error(), "1000 events not delivered") || !strings.Contains(err.Error(), "could not connect") {
		t.Errorf("Close: %v", err)
	}
}

// stalledServer returns the address of a server that accepts one
// connection and never answers the handshake, until the test ends.
func stalledServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	stall := make(chan struct{})
	acc := make(chan struct{})
	go func() {
		defer close(acc)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		<-stall // never answers the handshake
	}()
	t.Cleanup(func() { ln.Close(); close(stall); <-acc })
	return ln.Addr().String()
}

// A server that accepts the connection but never reads: the buffer fills,
// Emit keeps returning at once, the count is exact, Close is bounded.
func TestStalledServer(t *testing.T) {
	s, err := remote.Dial(stalledServer(t), remote.Options{Buffer: 100, DialTimeout: 300 * time.Millisecond, FlushTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := 0; i < 50; i++ {
		s.Emit(events(10))
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("Emit took %v with a stalled server", d)
	}
	err = s.Close()
	if !errors.Is(err, remote.ErrUndelivered) || !strings.Contains(err.Error(), "500 events not delivered") {
		t.Errorf("Close: %v", err)
	}
	if st := s.Stats(); st.Dropped != 500 || st.Sent != 0 || st.Reason == "" {
		t.Errorf("stats %+v", st)
	}
}

func TestBadAddress(t *testing.T) {
	for _, a := range []string{"", "localhost", "https://127.0.0.1:7070", "127.0.0.1:7070/x"} {
		if _, err := remote.Dial(a, remote.Options{}); err == nil {
			t.Errorf("Dial(%q): no error", a)
		}
	}
	t.Setenv(remote.EnvVar, "")
	if _, ok, err := remote.FromEnv(remote.Options{}); ok || err != nil {
		t.Errorf("FromEnv with no variable: %v %v", ok, err)
	}
	t.Setenv(remote.EnvVar, "nowhere")
	if _, _, err := remote.FromEnv(remote.Options{}); err == nil || !strings.Contains(err.Error(), "HANDOFF_SERVE=nowhere") {
		t.Errorf("FromEnv with a bad address: %v", err)
	}
}

const token = "remote-test-token-0123456789"

// serveGuarded serves the web view as `handoff serve` does: with a token,
// answering only to its loopback names.
func serveGuarded(t *testing.T) (*httptest.Server, *web.Server, string) {
	ts := httptest.NewUnstartedServer(nil)
	_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
	s, err := web.New(web.Config{Token: token, Hosts: web.LoopbackHosts(port)})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = s
	ts.Start()
	t.Cleanup(func() { s.Close(); ts.Close() })
	return ts, s, port
}

// streamTo sends 100 events to addr and returns what Close said.
func streamTo(t *testing.T, addr string, o remote.Options) (remote.Stats, error) {
	t.Helper()
	s, err := remote.Dial(addr, o)
	if err != nil {
		t.Fatal(err)
	}
	s.Emit(events(100))
	err = s.Close()
	return s.Stats(), err
}

// The token comes from the file serve writes for its port, from
// HANDOFF_SERVE_TOKEN, or from Options; without it the server refuses,
// and the error says where the token was looked for.
func TestToken(t *testing.T) {
	ts, _, port := serveGuarded(t)
	addr := strings.TrimPrefix(ts.URL, "http://")
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv(remote.TokenEnvVar, "")
	path, err := remote.TokenFile(port)
	if err != nil {
		t.Fatal(err)
	}

	st, err := streamTo(t, addr, remote.Options{})
	if !errors.Is(err, remote.ErrUndelivered) || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "the server wants its token") || !strings.Contains(err.Error(), path) {
		t.Errorf("no token: %v", err)
	}
	if st.Sent != 0 || st.Dropped != 100 {
		t.Errorf("no token: %+v", st)
	}

	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if st, err := streamTo(t, addr, remote.Options{}); err != nil || st.Sent != 100 {
		t.Errorf("token from %s: %+v %v", path, st, err)
	}
	if st, err := streamTo(t, "localhost:"+port, remote.Options{}); err != nil || st.Sent != 100 {
		t.Errorf("token from %s, the server named localhost: %+v %v", path, st, err)
	}

	if err := os.WriteFile(path, []byte("an-earlier-token-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := streamTo(t, addr, remote.Options{}); err == nil || !strings.Contains(err.Error(), "refused the token") {
		t.Errorf("a stale token file: %v", err)
	}
	t.Setenv(remote.TokenEnvVar, token)
	if st, err := streamTo(t, addr, remote.Options{}); err != nil || st.Sent != 100 {
		t.Errorf("token from %s: %+v %v", remote.TokenEnvVar, st, err)
	}
	t.Setenv(remote.TokenEnvVar, "")
	if st, err := streamTo(t, addr, remote.Options{Token: token}); err != nil || st.Sent != 100 {
		t.Errorf("token from Options: %+v %v", st, err)
	}
}

func TestTokenFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", dir)
	if p, err := remote.TokenFile("7070"); err != nil || p != filepath.Join(dir, "handoff", "serve-7070.token") {
		t.Errorf("TokenFile(7070) = %q, %v", p, err)
	}
	for _, port := range []string{"", "../x", "a/b", ".."} {
		if _, err := remote.TokenFile(port); err == nil {
			t.Errorf("TokenFile(%q): no error", port)
		}
	}
}

// A run that is not live hands over all its events in one batch at its
// end: the Sink takes it whole, even when it is larger than its buffer,
// and sends it in messages the server takes. (10,000 goroutines used to
// give sent=0 dropped=197616 against an idle server.)
func TestOneBigFinalBatch(t *testing.T) {
	ts, srv := serveWeb(t)
	seen := watch(t, ts)
	for deadline := time.Now().Add(30 * time.Second); srv.Stats().Viewers == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the viewer never connected")
		}
		time.Sleep(time.Millisecond)
	}
	s, err := remote.Dial(ts.URL, remote.Options{Source: "prog", Buffer: 1000, FlushTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	const n = 50_000 // about 3 MB of JSON: several messages of at most 1 MiB
	s.Emit(events(n))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Sent != n || st.Dropped != 0 {
		t.Errorf("stats %+v", st)
	}
	if got := <-seen; !strings.HasPrefix(got, fmt.Sprintf("%d events;", n)) {
		t.Errorf("viewer saw %.200s", got)
	}
}

// While a whole buffer waits to be sent, later batches are dropped, and
// the reason says so.
func TestFullBufferDropsLaterBatches(t *testing.T) {
	s, err := remote.Dial(stalledServer(t), remote.Options{Buffer: 100, DialTimeout: 5 * time.Second, FlushTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s.Emit(events(150)) // taken whole: the buffer was empty
	s.Emit(events(10))  // 150 wait: dropped
	st := s.Stats()
	if st.Dropped != 10 || !strings.Contains(st.Reason, "150 events were waiting to be sent") {
		t.Errorf("stats %+v", st)
	}
	s.Close()
}
