package web

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"
)

// Who may talk to the server. Loopback is shared by every user of the
// machine, and a web page the user visits can make the browser send
// requests to any address with a Host header its own DNS chose (DNS
// rebinding), so neither the address a request arrives on nor the Host and
// Origin it carries prove anything by themselves. Every request passes
// three checks, in this order, before any handler runs:
//
//  1. Host must be one of Config.Hosts (421 Misdirected Request): a
//     rebinding page's requests name the attacker's host.
//  2. Origin, when present, must be http:// and one of Config.Hosts (403):
//     a page of another origin may not run scenarios, upload, or take
//     over the live session. Browsers send Origin on every WebSocket
//     handshake and every POST.
//  3. The token (403): from the cookie the first visit set, an
//     "Authorization: Bearer" header (package tracer/remote), or the
//     ?token= parameter of the URL `handoff serve` prints. Another user
//     of the machine, or a program that is not the user's, does not have
//     it.
//
// With Config.Hosts empty, check 1 is skipped and Origin must name the
// request's own Host; with Config.Token empty, check 3 is skipped. Tests
// that serve with httptest use that; `handoff serve` always sets both.

// Reading a request body: it must keep coming, or the connection is cut.
// A peer that trickles a byte every few seconds would otherwise hold a
// handler and its buffers for as long as it likes.
const (
	// bodyWindow is the longest wait for the next bodyMinBytes of a body.
	bodyWindow = 10 * time.Second
	// bodyMinBytes must arrive within each bodyWindow, until the body ends.
	bodyMinBytes = 64 << 10
	// bodyMaxTime bounds reading a whole body.
	bodyMaxTime = 2 * time.Minute
)

// errSlowBody is what a body that came too slowly reads as.
var errSlowBody = fmt.Errorf("the request body came too slowly (at least %d KiB every %v, all of it within %v)", bodyMinBytes>>10, bodyWindow, bodyMaxTime)

// minTokenLen is the shortest Config.Token New accepts.
const minTokenLen = 16

// checkAccess checks and normalises the access fields of cfg.
func checkAccess(cfg *Config) error {
	if cfg.Token != "" {
		if len(cfg.Token) < minTokenLen {
			return fmt.Errorf("web: token of %d characters, want at least %d", len(cfg.Token), minTokenLen)
		}
		for _, c := range cfg.Token {
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return errors.New("web: the token may hold only letters, digits, - and _")
			}
		}
	}
	hosts := make([]string, 0, len(cfg.Hosts))
	for _, h := range cfg.Hosts {
		host, port, err := net.SplitHostPort(h)
		if err != nil || host == "" || port == "" {
			return fmt.Errorf("web: host %q: want host:port", h)
		}
		hosts = append(hosts, normalHost(h))
	}
	cfg.Hosts = hosts
	return nil
}

// LoopbackHosts are the names of a server listening on port of the
// loopback interface: localhost, 127.0.0.1 and [::1].
func LoopbackHosts(port string) []string {
	return []string{
		net.JoinHostPort("127.0.0.1", port),
		net.JoinHostPort("localhost", port),
		net.JoinHostPort("::1", port),
	}
}

// ListenHosts are the names a server listening on host:port answers to,
// for Config.Hosts: the loopback names, host itself, and when host is a
// wildcard ("", 0.0.0.0, ::) the machine's name and the addresses of its
// interfaces.
func ListenHosts(host, port string) []string {
	hosts := LoopbackHosts(port)
	ip := net.ParseIP(host)
	if host != "" && (ip == nil || !ip.IsUnspecified()) {
		return appendNew(hosts, net.JoinHostPort(host, port))
	}
	if name, err := os.Hostname(); err == nil && name != "" {
		hosts = appendNew(hosts, net.JoinHostPort(name, port))
	}
	addrs, _ := net.InterfaceAddrs() // none known: only the names above
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To16() != nil {
			hosts = appendNew(hosts, net.JoinHostPort(n.IP.String(), port))
		}
	}
	return hosts
}

func appendNew(hosts []string, h string) []string {
	if slices.Contains(hosts, h) {
		return hosts
	}
	return append(hosts, h)
}

// normalHost is host:port in lower case, with the port HTTP leaves out
// for port 80 put back.
func normalHost(h string) string {
	h = strings.ToLower(h)
	if _, _, err := net.SplitHostPort(h); err != nil {
		if strings.HasPrefix(h, "[") || !strings.Contains(h, ":") {
			return net.JoinHostPort(strings.Trim(h, "[]"), "80")
		}
	}
	return h
}

// ownHost reports whether a request's Host names this server.
func (s *Server) ownHost(host string) bool {
	return len(s.cfg.Hosts) == 0 || slices.Contains(s.cfg.Hosts, normalHost(host))
}

// originAllowed reports whether a request's Origin, if it has one, is this
// server's own: http:// and one of Config.Hosts (with no Hosts: the
// request's own Host). A request without Origin is not from a web page;
// the token check decides about it.
func (s *Server) originAllowed(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	rest, ok := strings.CutPrefix(o, "http://")
	if !ok || rest == "" || strings.ContainsAny(rest, "/?#@ ") {
		return false
	}
	if len(s.cfg.Hosts) == 0 {
		return normalHost(rest) == normalHost(r.Host)
	}
	return s.ownHost(rest)
}

// tokenCookie names the cookie that keeps the token of the server on the
// port r came to: browsers share cookies between the ports of a host, and
// two servers on one machine must not take each other's.
func tokenCookie(r *http.Request) string {
	_, port, err := net.SplitHostPort(normalHost(r.Host))
	if err != nil {
		port = "80"
	}
	return "handoff-token-" + port
}

// validToken compares in constant time, so that the time of a refusal
// says nothing about how much of a guess was right.
func (s *Server) validToken(got string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.Token)) == 1
}

// admit runs the checks above. When it returns false it has answered.
func (s *Server) admit(w http.ResponseWriter, r *http.Request) bool {
	if !s.ownHost(r.Host) {
		refuse(w, r, http.StatusMisdirectedRequest, fmt.Sprintf(
			"This handoff server answers only to its own names (%s), not to %q. Open the URL that handoff serve printed.",
			strings.Join(s.cfg.Hosts, ", "), truncate(r.Host, 80)))
		return false
	}
	if !s.originAllowed(r) {
		refuse(w, r, http.StatusForbidden, fmt.Sprintf(
			"A page from %q may not use this handoff server: only its own pages may.", truncate(r.Header.Get("Origin"), 80)))
		return false
	}
	if s.cfg.Token == "" {
		return true
	}
	if c, err := r.Cookie(tokenCookie(r)); err == nil && s.validToken(c.Value) {
		return true
	}
	if a, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && s.validToken(a) {
		return true
	}
	q := r.URL.Query()
	if !s.validToken(q.Get("token")) {
		refuse(w, r, http.StatusForbidden,
			"This handoff server needs the token in the URL that handoff serve printed when it started (http://…/?token=…); the token changes each time it starts.")
		return false
	}
	// The token in the URL: keep it in a cookie, so that the page's own
	// requests and WebSockets carry it, and take it out of the address
	// bar (and of screenshots and screen sharing) of the page.
	http.SetCookie(w, &http.Cookie{
		Name:     tokenCookie(r),
		Value:    s.cfg.Token,
		Path:     "/",
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
	})
	if r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		q.Del("token")
		to := "/"
		if len(q) > 0 {
			to += "?" + q.Encode()
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return false
	}
	return true
}

// refuse answers a request the access checks turned down: JSON for the
// page's API calls, which show {"error"} as is, a short page otherwise.
func refuse(w http.ResponseWriter, r *http.Request, code int, msg string) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		httpError(w, code, msg)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	fmt.Fprintf(w, "<!DOCTYPE html>\n<meta charset=utf-8>\n<title>handoff: %d %s</title>\n<p>%s</p>\n",
		code, http.StatusText(code), html.EscapeString(msg))
}

// steadyBody reads a request body that must keep coming: at least
// bodyMinBytes every bodyWindow, all of it within bodyMaxTime. It sets the
// connection's read deadline through http.ResponseController, so the
// server's own ReadTimeout (if any) is replaced for this request.
type steadyBody struct {
	r     io.ReadCloser
	rc    *http.ResponseController
	since int // bytes read (or made of them) since the deadline was last moved
	end   time.Time
	whole bool // read to its end: no deadline any more
}

func newSteadyBody(w http.ResponseWriter, r io.ReadCloser) *steadyBody {
	b := &steadyBody{r: r, rc: http.NewResponseController(w), end: time.Now().Add(bodyMaxTime)}
	b.extend()
	return b
}

func (b *steadyBody) extend() {
	if b.whole {
		return
	}
	b.since = 0
	next := time.Now().Add(bodyWindow)
	if next.After(b.end) {
		next = b.end
	}
	b.rc.SetReadDeadline(next) // an error: the writer cannot, as under httptest.ResponseRecorder
}

func (b *steadyBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.since += n
	if err == io.EOF {
		// Read whole: the handler's work is not the peer's to hurry,
		// and net/http cancels the request's context when a read
		// deadline passes.
		b.whole = true
		b.rc.SetReadDeadline(time.Time{})
		return n, err
	}
	if b.since >= bodyMinBytes {
		b.extend()
	}
	var ne net.Error
	if err != nil && (errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()) {
		err = errSlowBody
	}
	return n, err
}

func (b *steadyBody) Close() error { return b.r.Close() }

// madeOf returns r, what the server makes of the body (a gzip-compressed
// body decompressed), counting its bytes as the body's progress: a small
// body that the server takes long to decompress and read (a gzip bomb)
// is the server's work, not a slow peer, and runs into the size limit
// (413), not the pace (408). A peer that trickles a bomb still has to send
// about 64 bytes every bodyWindow, and bodyMaxTime still ends it.
func (b *steadyBody) madeOf(r io.Reader) io.Reader { return madeOfBody{r: r, b: b} }

type madeOfBody struct {
	r io.Reader
	b *steadyBody
}

func (m madeOfBody) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	m.b.since += n
	if m.b.since >= bodyMinBytes {
		m.b.extend()
	}
	return n, err
}
