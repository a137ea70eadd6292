// Package remote streams a traced program's events to a running
// `handoff serve`, so that the program animates live in the browser view.
//
// Run the server, then the program with HANDOFF_SERVE set to the server's
// address:
//
//	handoff serve &
//	HANDOFF_SERVE=127.0.0.1:7070 go run ./examples/live
//
// and in the program:
//
//	opts := []tracer.Option{tracer.WithLive(0)}
//	if s, ok, err := remote.FromEnv(remote.Options{}); err != nil {
//		log.Fatal(err)
//	} else if ok {
//		opts = append(opts, tracer.WithSink(s))
//	}
//	_, err := tracer.Run(main2, opts...)
//
// # The traced program comes first
//
// A [Sink] never blocks the traced program and never slows it beyond
// copying events into a bounded buffer. Emit copies the events and returns;
// one goroutine of the Sink connects (in the background: the program starts
// at once) and writes them to the server. The policy for a slow or absent
// server:
//
//   - While fewer than Options.Buffer events (65,536 by default) wait to be
//     sent, nothing is lost: a batch of the tracer is taken whole, even one
//     larger than the buffer (a run that is not live hands over all its
//     events at its end), so memory is bounded by Buffer plus one batch.
//     They are written in WebSocket messages of at most 1 MiB, which the
//     server takes.
//   - When it is full, or the server cannot be reached or stops answering
//     within Options.WriteTimeout, the Sink stops streaming: the events it
//     already holds are still sent, and every later event is dropped and
//     counted. The page then shows the run as cut short, with the reason.
//     The Sink never sends a stream with holes, because the browser would
//     show owners that are wrong: what the page shows is a true prefix.
//   - Close waits at most Options.FlushTimeout for the buffer to drain. It
//     returns an error wrapping [ErrUndelivered] that says how many events
//     did not reach the server and why; tracer.Run returns it. [Sink.Stats]
//     gives the counts.
//
// Spilling to a file instead is tracer.Tee(remoteSink, jsonlSink): the file
// gets every event whatever happens to the connection.
//
// The wire format is the trace file format (docs/trace-format.md) split
// into WebSocket text messages at line boundaries: the header line first,
// then events. Package remote imports only tracer and gorilla/websocket.
//
// # The server's token
//
// `handoff serve` answers only requests that carry the token it makes each
// time it starts, and writes that token to a file only the user who started
// it can read ([TokenFile], named by the port). A Sink sends it in an
// "Authorization: Bearer" header: Options.Token if set, else the variable
// HANDOFF_SERVE_TOKEN, else that file; so HANDOFF_SERVE=addr alone works for
// the same user, and a program run by another user of the machine is
// refused unless it is given the token.
package remote

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/handoff-viz/handoff/tracer"
)

// EnvVar names the environment variable [FromEnv] reads.
const EnvVar = "HANDOFF_SERVE"

// TokenEnvVar names the environment variable that gives the server's
// token, when it is not in the server's [TokenFile].
const TokenEnvVar = "HANDOFF_SERVE_TOKEN"

// DefaultBuffer is the number of events a Sink holds for a slow server.
const DefaultBuffer = 1 << 16

// ErrUndelivered is wrapped by the error Close returns when some events did
// not reach the server.
var ErrUndelivered = errors.New("events not delivered")

// Options tune a Sink. The zero value is fine.
type Options struct {
	// Source names the program in the page; empty is the executable's name.
	Source string
	// Token is the server's token; empty is HANDOFF_SERVE_TOKEN, or else
	// what the server's TokenFile holds.
	Token string
	// Buffer is the number of events held while the server is slower than
	// the program; 0 is DefaultBuffer.
	Buffer int
	// DialTimeout bounds connecting; 0 is 2s.
	DialTimeout time.Duration
	// WriteTimeout bounds one write to the server; 0 is 5s.
	WriteTimeout time.Duration
	// FlushTimeout bounds how long Close waits for the buffer to drain; 0
	// is 3s.
	FlushTimeout time.Duration
}

// Stats count a Sink's events.
type Stats struct {
	Sent    uint64 // written to the server
	Dropped uint64 // never sent
	Reason  string // why streaming stopped, or ""
}

// Sink is a tracer.Sink that streams to `handoff serve`.
type Sink struct {
	url  string
	port string
	o    Options
	wake chan struct{}
	done chan struct{}

	mu      sync.Mutex
	buf     []tracer.Event
	spare   []tracer.Event
	stopped bool // streaming stopped: later events are dropped
	reason  string
	closing bool
	closed  bool
	conn    *websocket.Conn
	sent    uint64
	dropped uint64
}

// FromEnv returns a Sink for the address in HANDOFF_SERVE, and false when
// the variable is unset or empty.
func FromEnv(o Options) (*Sink, bool, error) {
	addr := os.Getenv(EnvVar)
	if addr == "" {
		return nil, false, nil
	}
	s, err := Dial(addr, o)
	if err != nil {
		return nil, false, fmt.Errorf("%s=%s: %w", EnvVar, addr, err)
	}
	return s, true, nil
}

// Dial returns a Sink that streams to the server at addr ("host:port", or
// an http:// or ws:// URL). It does not wait for the connection: it only
// checks the address, and connects in the background.
func Dial(addr string, o Options) (*Sink, error) {
	u, port, err := ingestURL(addr)
	if err != nil {
		return nil, err
	}
	if o.Buffer < 0 || o.DialTimeout < 0 || o.WriteTimeout < 0 || o.FlushTimeout < 0 {
		return nil, errors.New("remote: dial: negative option")
	}
	if o.Buffer == 0 {
		o.Buffer = DefaultBuffer
	}
	if o.DialTimeout == 0 {
		o.DialTimeout = 2 * time.Second
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = 5 * time.Second
	}
	if o.FlushTimeout == 0 {
		o.FlushTimeout = 3 * time.Second
	}
	if o.Source == "" {
		o.Source = filepath.Base(os.Args[0])
	}
	s := &Sink{url: u, port: port, o: o, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go s.loop()
	return s, nil
}

func ingestURL(addr string) (u, port string, err error) {
	host := addr
	for _, p := range []string{"http://", "ws://"} {
		if rest, ok := strings.CutPrefix(addr, p); ok {
			host = strings.TrimSuffix(rest, "/")
		}
	}
	if strings.HasPrefix(addr, "https://") || strings.HasPrefix(addr, "wss://") {
		return "", "", fmt.Errorf("remote: dial %q: handoff serve speaks plain HTTP on loopback; give host:port", addr)
	}
	if _, port, err = net.SplitHostPort(host); err != nil || port == "" || strings.Contains(host, "/") {
		return "", "", fmt.Errorf("remote: dial %q: want host:port, such as 127.0.0.1:7070", addr)
	}
	return (&url.URL{Scheme: "ws", Host: host, Path: "/ingest"}).String(), port, nil
}

// TokenFile is the file where `handoff serve` listening on port keeps its
// token for the user who started it: serve-PORT.token in the directory
// handoff of the user's cache directory (os.UserCacheDir), created 0600
// in a directory created 0700, removed when the server stops.
func TokenFile(port string) (string, error) {
	if port == "" || strings.ContainsAny(port, `/\.`) {
		return "", fmt.Errorf("remote: token file: bad port %q", port)
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("remote: token file: %w", err)
	}
	return filepath.Join(dir, "handoff", "serve-"+port+".token"), nil
}

// token returns the token to send and, when there is none, where it was
// looked for.
func (s *Sink) token() (token, lookedIn string) {
	if s.o.Token != "" {
		return s.o.Token, ""
	}
	if t := os.Getenv(TokenEnvVar); t != "" {
		return t, ""
	}
	path, err := TokenFile(s.port)
	if err != nil {
		return "", err.Error()
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Sprintf("%s unset; %v", TokenEnvVar, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<10))
	if t := strings.TrimSpace(string(b)); err == nil && t != "" {
		return t, ""
	}
	return "", fmt.Sprintf("%s unset; %s holds no token", TokenEnvVar, path)
}

// Emit implements tracer.Sink. It copies evs and returns at once.
func (s *Sink) Emit(evs []tracer.Event) error {
	s.mu.Lock()
	switch {
	case s.stopped || s.closed:
		s.dropped += uint64(len(evs))
	case len(s.buf) >= s.o.Buffer:
		// What waits to be sent is a whole buffer: the server is slower
		// than the program. A batch that finds room is taken whole, even
		// past Buffer: a run that is not live hands over all its events
		// in one batch at its end, and the server may be idle.
		s.stopLocked(fmt.Sprintf("%d events were waiting to be sent (Options.Buffer): the server took them more slowly than the program made them", len(s.buf)))
		s.dropped += uint64(len(evs))
	default:
		s.buf = append(s.buf, evs...)
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return nil
}

func (s *Sink) stopLocked(reason string) {
	if !s.stopped {
		s.stopped = true
		s.reason = reason
	}
}

// Close sends what the buffer holds, waiting at most Options.FlushTimeout,
// and closes the connection. It reports undelivered events as an error
// wrapping ErrUndelivered.
func (s *Sink) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errors.New("remote: close: already closed")
	}
	s.closing = true
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	t := time.NewTimer(s.o.FlushTimeout)
	defer t.Stop()
	select {
	case <-s.done:
	case <-t.C:
		s.mu.Lock()
		s.stopLocked(fmt.Sprintf("the server did not take the last events within %v", s.o.FlushTimeout))
		if s.conn != nil {
			s.conn.Close() // the writer's write fails at once
		}
		s.mu.Unlock()
		<-s.done
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.dropped > 0 {
		return fmt.Errorf("remote: %d %w to handoff serve at %s: %s", s.dropped, ErrUndelivered, strings.TrimSuffix(strings.TrimPrefix(s.url, "ws://"), "/ingest"), s.reason)
	}
	return nil
}

// Stats returns the counts so far.
func (s *Sink) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Sent: s.sent, Dropped: s.dropped, Reason: s.reason}
}

// maxMessage is about the largest WebSocket message a Sink writes (a
// message ends with the event that crosses it); the server takes up to
// 16 MiB.
const maxMessage = 1 << 20

// loop is the Sink's one goroutine: it connects, then writes whatever the
// buffer holds each time it is woken, until Close.
func (s *Sink) loop() {
	defer close(s.done)
	d := websocket.Dialer{HandshakeTimeout: s.o.DialTimeout, NetDialContext: (&net.Dialer{Timeout: s.o.DialTimeout}).DialContext}
	var h http.Header
	token, lookedIn := s.token()
	if token != "" {
		h = http.Header{"Authorization": {"Bearer " + token}}
	}
	conn, resp, err := d.Dial(s.url, h)
	if err != nil {
		msg := err.Error()
		if resp != nil {
			msg = fmt.Sprintf("%v (HTTP %s)", err, resp.Status)
			if resp.StatusCode == http.StatusForbidden && token == "" {
				msg += fmt.Sprintf(": the server wants its token, and none was found (%s)", lookedIn)
			} else if resp.StatusCode == http.StatusForbidden {
				msg += ": the server refused the token (is it from an earlier start of handoff serve?)"
			}
			resp.Body.Close()
		}
		s.fail("could not connect: " + msg)
		return
	}
	s.mu.Lock()
	s.conn = conn
	s.mu.Unlock()
	defer conn.Close()

	var line []byte
	w, err := headerLine(s.o.Source)
	if err == nil {
		conn.SetWriteDeadline(time.Now().Add(s.o.WriteTimeout))
		err = conn.WriteMessage(websocket.TextMessage, w)
	}
	if err != nil {
		s.fail("could not write: " + err.Error())
		return
	}
	for {
		<-s.wake
		for {
			s.mu.Lock()
			batch := s.buf
			s.buf = s.spare[:0]
			stopped, closing := s.stopped, s.closing
			s.mu.Unlock()
			if len(batch) > 0 {
				// In messages of at most maxMessage bytes: the server
				// takes a message whole, and bounds its size.
				for start := 0; start < len(batch); {
					line = line[:0]
					end := start
					for end < len(batch) && (end == start || len(line) < maxMessage) {
						line = tracer.AppendEventJSON(line, &batch[end])
						line = append(line, '\n')
						end++
					}
					conn.SetWriteDeadline(time.Now().Add(s.o.WriteTimeout))
					if err := conn.WriteMessage(websocket.TextMessage, line); err != nil {
						s.mu.Lock()
						s.dropped += uint64(len(batch) - start)
						s.mu.Unlock()
						s.fail("could not write: " + err.Error())
						return
					}
					s.mu.Lock()
					s.sent += uint64(end - start)
					s.mu.Unlock()
					start = end
				}
				s.mu.Lock()
				s.spare = batch[:0]
				s.mu.Unlock()
				continue // more may have come while writing
			}
			if stopped || closing {
				code, reason := websocket.CloseNormalClosure, ""
				if stopped {
					code = websocket.CloseTryAgainLater
					s.mu.Lock()
					reason = "events dropped: " + s.reason
					s.mu.Unlock()
					if len(reason) > 120 {
						reason = reason[:120]
					}
				}
				conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
				if stopped && !closing {
					// Nothing more will be sent; wait for Close.
					s.waitClosing()
				}
				return
			}
			break
		}
	}
}

// waitClosing waits until Close is called.
func (s *Sink) waitClosing() {
	for {
		s.mu.Lock()
		c := s.closing
		s.mu.Unlock()
		if c {
			return
		}
		<-s.wake
	}
}

// fail stops streaming for good: what the buffer holds is dropped.
func (s *Sink) fail(reason string) {
	s.mu.Lock()
	s.stopLocked(reason)
	s.dropped += uint64(len(s.buf))
	s.buf = nil
	s.mu.Unlock()
	s.waitClosing()
}

// headerLine is the trace's first line.
func headerLine(source string) ([]byte, error) {
	var b bytesWriter
	w, err := tracer.NewWriter(&b, tracer.Header{Source: source})
	if err != nil {
		return nil, err
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	return b.b, nil
}

type bytesWriter struct{ b []byte }

func (w *bytesWriter) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

var _ tracer.Sink = (*Sink)(nil)
