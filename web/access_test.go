package web

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

const testToken = "k3ep-it_SECRET-0123456789"

// startGuarded serves testConfig as `handoff serve` would: with a token,
// answering only to its loopback names.
func startGuarded(t *testing.T) (*httptest.Server, string) {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
	cfg := testConfig()
	cfg.Token = testToken
	cfg.Hosts = LoopbackHosts(port)
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = s
	ts.Start()
	t.Cleanup(func() {
		s.Close()
		ts.Close()
	})
	return ts, port
}

// route is one of the server's routes and what a request to it needs.
type route struct {
	method, path string
	ws           bool // a WebSocket handshake
	okStatus     int
}

var routes = []route{
	{"GET", "/", false, http.StatusOK},
	{"GET", "/static/app.js", false, http.StatusOK},
	{"POST", "/api/parse", false, http.StatusOK},
	{"POST", "/api/svg", false, http.StatusOK},
	{"GET", "/ws", true, http.StatusSwitchingProtocols},
	{"GET", "/ingest", true, http.StatusSwitchingProtocols},
}

// do sends one request to rt with the given Host, Origin and bearer token
// (each left out when empty) and returns the status and the body.
func (rt route) do(t *testing.T, ts *httptest.Server, host, origin, token string) (int, string) {
	t.Helper()
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	if rt.ws {
		if host != "" {
			h.Set("Host", host) // gorilla's dialer sends it as the request's Host
		}
		c, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http")+rt.path, h)
		if err == nil {
			c.Close()
			return http.StatusSwitchingProtocols, ""
		}
		if resp == nil {
			t.Fatalf("%s: %v", rt.path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(body)
	}
	var body io.Reader
	if rt.method == "POST" {
		body = bytes.NewReader(traceFile(t, boundedProducers()))
	}
	req, err := http.NewRequest(rt.method, ts.URL+rt.path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h
	if host != "" {
		req.Host = host
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", rt.method, rt.path, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b)
}

// Every route refuses a request that names another host (DNS rebinding:
// the attacker's page is same-origin with itself, and carries its own Host
// and Origin), and one with the right Host and a foreign Origin, even when
// the request carries the token.
func TestRebindingRefused(t *testing.T) {
	ts, port := startGuarded(t)
	evil := "evil.example:" + port
	for _, rt := range routes {
		t.Run(rt.method+rt.path, func(t *testing.T) {
			for _, tc := range []struct {
				name, host, origin string
				want               int
			}{
				{"rebinding", evil, "http://" + evil, http.StatusMisdirectedRequest},
				{"rebinding without Origin", evil, "", http.StatusMisdirectedRequest},
				{"another name of the machine", "127.0.0.2:" + port, "", http.StatusMisdirectedRequest},
				{"another port", "127.0.0.1:1", "", http.StatusMisdirectedRequest},
				{"foreign origin", "", "http://evil.example", http.StatusForbidden},
				{"foreign origin on the same port", "", "http://" + evil, http.StatusForbidden},
				{"an https origin", "", "https://127.0.0.1:" + port, http.StatusForbidden},
				{"null origin", "", "null", http.StatusForbidden},
				{"own host", "", "", rt.okStatus},
				{"localhost", "localhost:" + port, "http://localhost:" + port, rt.okStatus},
				{"LOCALHOST", "LOCALHOST:" + port, "", rt.okStatus},
				{"::1", "[::1]:" + port, "http://[::1]:" + port, rt.okStatus},
				{"another own name as origin", "", "http://localhost:" + port, rt.okStatus},
			} {
				got, body := rt.do(t, ts, tc.host, tc.origin, testToken)
				if got != tc.want {
					t.Errorf("%s (Host %q, Origin %q): status %d, want %d: %.200s", tc.name, tc.host, tc.origin, got, tc.want, body)
				}
				if got == http.StatusMisdirectedRequest && !strings.Contains(body, "answers only to its own names") {
					t.Errorf("%s: the refusal does not say why: %.300s", tc.name, body)
				}
			}
		})
	}
}

// Without the token every route is refused with a page that says what to
// do; a wrong token is refused the same way.
func TestTokenRequired(t *testing.T) {
	ts, _ := startGuarded(t)
	for _, rt := range routes {
		for _, token := range []string{"", "k3ep-it_SECRET-012345678", testToken + "x", strings.ToLower(testToken)} {
			got, body := rt.do(t, ts, "", "", token)
			if got != http.StatusForbidden {
				t.Errorf("%s %s with token %q: status %d, want 403", rt.method, rt.path, token, got)
			}
			if !rt.ws && !strings.Contains(body, "the URL that handoff serve printed") {
				t.Errorf("%s %s: the refusal does not say what to do: %.300s", rt.method, rt.path, body)
			}
		}
	}
	for _, q := range []string{"?token=", "?token=wrong-token-wrong-token", "?tok=" + testToken} {
		resp, err := ts.Client().Get(ts.URL + "/" + q)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) > 0 {
			t.Errorf("GET /%s: status %d, cookies %v", q, resp.StatusCode, resp.Cookies())
		}
	}
}

// The URL serve prints sets the cookie and takes the token out of the
// address bar; then the page, its API and its WebSocket work with the
// cookie alone, as a browser would use them.
func TestTokenURLSetsCookie(t *testing.T) {
	ts, port := startGuarded(t)
	jar, _ := cookiejar.New(nil)
	client := ts.Client()
	client.Jar = jar
	var hops []string
	client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		hops = append(hops, req.URL.String())
		return nil
	}
	resp, err := client.Get(ts.URL + "/?token=" + testToken + "&x=1")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(page, []byte("<html")) {
		t.Fatalf("the page: status %d: %.200s", resp.StatusCode, page)
	}
	if len(hops) != 1 || hops[0] != ts.URL+"/?x=1" {
		t.Errorf("redirected to %v, want the same URL without its token", hops)
	}

	// the cookie as the server set it
	raw, err := http.NewRequest("GET", ts.URL+"/?token="+testToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, err := http.DefaultTransport.RoundTrip(raw)
	if err != nil {
		t.Fatal(err)
	}
	first.Body.Close()
	cookies := first.Cookies()
	if first.StatusCode != http.StatusSeeOther || first.Header.Get("Location") != "/" || len(cookies) != 1 {
		t.Fatalf("first visit: status %d, Location %q, cookies %v", first.StatusCode, first.Header.Get("Location"), cookies)
	}
	c := cookies[0]
	if c.Name != "handoff-token-"+port || c.Value != testToken || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" {
		t.Errorf("cookie %+v, want handoff-token-%s, HttpOnly, SameSite=Strict, Path=/", c, port)
	}

	// the page's requests: the cookie alone
	u, _ := url.Parse(ts.URL)
	if got := jar.Cookies(u); len(got) != 1 {
		t.Fatalf("the jar holds %v", got)
	}
	for _, path := range []string{"/", "/static/app.js"} {
		resp, err := client.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s with the cookie: %d", path, resp.StatusCode)
		}
	}
	req, _ := http.NewRequest("POST", ts.URL+"/api/parse", bytes.NewReader(traceFile(t, boundedProducers())))
	req.Header.Set("Origin", ts.URL)
	if resp, err := client.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("POST /api/parse with the cookie: %v %v", resp.Status, err)
	} else {
		resp.Body.Close()
	}
	d := websocket.Dialer{Jar: jar}
	h := http.Header{"Origin": {ts.URL}}
	ws, _, err := d.Dial("ws"+strings.TrimPrefix(ts.URL, "http")+"/ws", h)
	if err != nil {
		t.Fatalf("the WebSocket with the cookie: %v", err)
	}
	defer ws.Close()
	if hello := read(t, ws); hello.Type != "hello" || len(hello.Scenarios) != 2 {
		t.Errorf("hello: %+v", hello)
	}
	ws.WriteJSON(map[string]any{"op": "run", "scenario": "bounded-producers", "pace": 0})
	if end := readUntil(t, ws, "live-end", nil); end.Error != "" {
		t.Errorf("the run ended with %q", end.Error)
	}

	// the cookie of a server on another port is not this one's
	other := http.Header{"Cookie": {"handoff-token-1=" + testToken}}
	if _, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http")+"/ws", other); err == nil || resp.StatusCode != 403 {
		t.Errorf("a cookie named for port 1: %v", err)
	}
}

// A body that trickles in, a byte every two seconds, is cut with 408
// after bodyWindow, not read for as long as the peer likes.
func TestTricklingBodyCut(t *testing.T) {
	ts, _ := startGuarded(t)
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := conn.Write([]byte("POST /api/parse HTTP/1.1\r\nHost: " + ts.Listener.Addr().String() +
		"\r\nAuthorization: Bearer " + testToken + "\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n{")); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	trickled := make(chan int)
	go func() {
		n := 0
		defer func() { trickled <- n }()
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
				n++
			}
		}
	}()
	conn.SetReadDeadline(time.Now().Add(bodyWindow + 60*time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	close(stop)
	n := <-trickled
	if err != nil {
		t.Fatalf("no answer to a trickling body after %v: %v", time.Since(start), err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	t.Logf("cut after %v and %d trickled bytes: %d %s", took.Round(time.Millisecond), n, resp.StatusCode, body)
	if resp.StatusCode != http.StatusRequestTimeout || !bytes.Contains(body, []byte("came too slowly")) {
		t.Errorf("status %d: %s", resp.StatusCode, body)
	}
	if took < bodyWindow {
		t.Errorf("cut after %v, before the window of %v", took, bodyWindow)
	}
}

// A body that keeps coming at a steady rate is read whole, however long
// beyond bodyWindow it takes.
func TestSteadyBodyRead(t *testing.T) {
	if testing.Short() {
		t.Skip("takes more than bodyWindow")
	}
	ts, _ := startGuarded(t)
	file := traceFile(t, synth(5, 3000))
	if len(file) < 3*bodyMinBytes {
		t.Fatalf("the file is %d bytes, too small for the test", len(file))
	}
	pr, pw := io.Pipe()
	go func() {
		// bodyMinBytes every 0.4 bodyWindow: slow, but steady
		for rest := file; len(rest) > 0; {
			k := min(len(rest), bodyMinBytes)
			if _, err := pw.Write(rest[:k]); err != nil {
				return
			}
			rest = rest[k:]
			time.Sleep(bodyWindow * 4 / 10)
		}
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", ts.URL+"/api/parse", pr)
	req.Header.Set("Authorization", "Bearer "+testToken)
	start := time.Now()
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	t.Logf("%d bytes in %v", len(file), time.Since(start).Round(time.Millisecond))
	if resp.StatusCode != 200 {
		t.Errorf("status %d", resp.StatusCode)
	}
}

func TestAccessConfig(t *testing.T) {
	for _, cfg := range []Config{
		{Token: "short"},
		{Token: "has space in the middle of it"},
		{Token: "semicolon;and-more-characters"},
		{Hosts: []string{"localhost"}},
		{Hosts: []string{":7070"}},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v): no error", cfg)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"LocalHost:7070", "localhost:7070"},
		{"example.org", "example.org:80"},
		{"[::1]", "[::1]:80"},
		{"[::1]:7070", "[::1]:7070"},
		{"127.0.0.1", "127.0.0.1:80"},
	} {
		if got := normalHost(tc.in); got != tc.want {
			t.Errorf("normalHost(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := ListenHosts("192.168.1.5", "7070"); strings.Join(got, " ") != "127.0.0.1:7070 localhost:7070 [::1]:7070 192.168.1.5:7070" {
		t.Errorf("ListenHosts(192.168.1.5) = %v", got)
	}
	if got := ListenHosts("127.0.0.1", "7070"); len(got) != 3 {
		t.Errorf("ListenHosts(127.0.0.1) = %v", got)
	}
	wild := ListenHosts("0.0.0.0", "7070")
	if len(wild) < 3 || wild[0] != "127.0.0.1:7070" {
		t.Errorf("ListenHosts(0.0.0.0) = %v", wild)
	}
	for _, h := range wild {
		if strings.HasPrefix(h, "0.0.0.0") || strings.HasPrefix(h, "[::]") {
			t.Errorf("ListenHosts(0.0.0.0) lists the wildcard: %v", wild)
		}
	}
}

// The server's own slow work on a body it has received (decompressing and
// reading a gzip bomb, slower than bodyWindow under -race on a loaded
// machine) is not a slow peer: what the server makes of the body counts
// as the body's progress. The handler here reads a small body that
// decompresses to 48 MiB, slowly, through steadyBody as readUpload does.
func TestServerWorkIsNotASlowBody(t *testing.T) {
	if testing.Short() {
		t.Skip("takes more than bodyWindow")
	}
	const mib = 48
	chunk := bodyWindow * 3 / 2 / mib // the whole read takes 1.5 bodyWindow
	bodyErr := make(chan error, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		steady := newSteadyBody(w, r.Body)
		in, err := gzip.NewReader(bufio.NewReader(steady))
		if err != nil {
			bodyErr <- err
			return
		}
		made := steady.madeOf(in)
		buf := make([]byte, 1<<20)
		for {
			if _, err := io.ReadFull(made, buf); err != nil {
				if err == io.EOF {
					err = nil
				}
				bodyErr <- err
				return
			}
			time.Sleep(chunk)
		}
	}))
	defer ts.Close()
	resp, err := ts.Client().Post(ts.URL, "application/gzip", bytes.NewReader(gzipped(t, make([]byte, mib<<20))))
	if err == nil {
		resp.Body.Close()
	}
	if err := <-bodyErr; err != nil {
		t.Fatalf("reading a body the server works on for %v: %v", bodyWindow*3/2, err)
	}
}
