package web

import (
	"bufio"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/handoff-viz/handoff/internal/gz"
	"github.com/handoff-viz/handoff/tracer"
)

//go:embed static
var staticFiles embed.FS

// static is the page's files without the "static/" prefix.
var static = sync.OnceValues(func() (fs.FS, error) { return fs.Sub(staticFiles, "static") })

// ScenarioInfo describes one scenario the page offers to run.
type ScenarioInfo struct {
	Name        string `json:"name"`
	Summary     string `json:"summary"`
	Description string `json:"description"`
}

// Trace is a trace file the user named when starting the server. The page
// lists it and replays it; the server never reads files itself.
type Trace struct {
	Name   string
	Header tracer.Header
	Events []tracer.Event
}

// Config is everything the server needs from the rest of handoff.
type Config struct {
	// Scenarios are the scenarios the page lists.
	Scenarios []ScenarioInfo
	// Run records the named scenario as o says and sends its events to
	// sink while it runs. It returns when the run is over or ctx is
	// cancelled. Nil means the page cannot run scenarios.
	Run func(ctx context.Context, name string, o RunOptions, sink tracer.Sink) error
	// RenderSVG draws a trace as SVG, the same picture as `handoff render`,
	// in the theme the page shows. Nil means the page says that SVG export
	// is unavailable.
	RenderSVG func(evs []tracer.Event, o SVGOptions) ([]byte, error)
	// Traces are the trace files named on the command line.
	Traces []Trace
	// MaxUpload limits the size of a request body (a trace file opened in
	// the page, or sent for export). Zero means 64 MiB.
	MaxUpload int64
	// QueueLen is the number of messages waiting for one viewer before the
	// viewer is disconnected as too slow. Zero means 256.
	QueueLen int
	// MaxLiveEvents limits the events kept of one live run, for viewers who
	// join late; later events are dropped and counted. Zero means 4,000,000.
	MaxLiveEvents int
	// DefaultPace is the pace the page proposes. Zero means 150ms.
	DefaultPace time.Duration
	// Logf, when set, receives one line per notable happening (a viewer
	// dropped as too slow, a program connected).
	Logf func(format string, args ...any)
	// Token, when set, is the secret every request must carry: in the
	// URL's ?token= on the first visit (which keeps it in a cookie), in
	// that cookie, or in an "Authorization: Bearer" header. At least 16
	// letters, digits, - or _. Empty means no token is asked for.
	Token string
	// Hosts, when set, are the only host:port names the server answers to
	// (a request's Host, and the Origin of a browser's): see
	// [ListenHosts]. Empty means any Host, with Origin checked against it.
	Hosts []string
}

// RunOptions say how a viewer asked for a scenario to be run.
type RunOptions struct {
	// Pace is the pause between the scenario's steps.
	Pace time.Duration
	// Seed draws the scenario's pauses: the same seed, the same pauses. A
	// viewer that names none gets 0. It is at most MaxSeed, so that the
	// page, whose numbers are float64, can put it in a link exactly.
	Seed uint64
}

// MaxSeed is the largest seed a viewer may ask for: 2^53-1.
const MaxSeed = 1<<53 - 1

// SVGOptions say how the page wants its export drawn.
type SVGOptions struct {
	// Theme is one of SVGThemes: the page asks for the one it shows.
	Theme string
}

// SVGThemes are the themes an export may ask for, the first the default;
// they are the names viz's themes go by.
var SVGThemes = []string{"light", "dark", "print"}

// Server is the browser view's HTTP handler. Make one with [New] and stop
// it with [Server.Close].
type Server struct {
	cfg Config
	mux *http.ServeMux
	hub *hub
	// uploads holds a token for each trace file being read: at most
	// maxUploads at once, so memory stays within maxUploads × about
	// MaxUpload (see readUpload).
	uploads    chan struct{}
	uploadWait time.Duration // how long a read waits for its turn
}

// Reading uploaded trace files: at most maxUploads at once; another waits
// up to uploadWait for its turn, then gets 503.
const (
	maxUploads = 2
	uploadWait = 30 * time.Second
)

// New checks cfg and returns a server.
func New(cfg Config) (*Server, error) {
	seen := map[string]bool{}
	for _, sc := range cfg.Scenarios {
		if sc.Name == "" {
			return nil, errors.New("web: scenario with an empty name")
		}
		if seen[sc.Name] {
			return nil, fmt.Errorf("web: scenario %q listed twice", sc.Name)
		}
		seen[sc.Name] = true
	}
	for i, t := range cfg.Traces {
		if t.Name == "" {
			return nil, fmt.Errorf("web: trace %d has no name", i)
		}
	}
	if cfg.MaxUpload < 0 || cfg.QueueLen < 0 || cfg.MaxLiveEvents < 0 || cfg.DefaultPace < 0 {
		return nil, errors.New("web: negative limit in config")
	}
	if err := checkAccess(&cfg); err != nil {
		return nil, err
	}
	if cfg.MaxUpload == 0 {
		cfg.MaxUpload = 64 << 20
	}
	if cfg.QueueLen == 0 {
		cfg.QueueLen = 256
	}
	if cfg.MaxLiveEvents == 0 {
		cfg.MaxLiveEvents = 4_000_000
	}
	if cfg.DefaultPace == 0 {
		cfg.DefaultPace = 150 * time.Millisecond
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	files, err := static()
	if err != nil {
		return nil, fmt.Errorf("web: the page's files: %w", err)
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), uploads: make(chan struct{}, maxUploads), uploadWait: uploadWait}
	s.hub = newHub(s)
	fileServer := http.FileServer(http.FS(files))
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, files, "index.html")
	})
	s.mux.Handle("GET /static/", http.StripPrefix("/static", fileServer))
	s.mux.HandleFunc("GET /ws", s.hub.serveViewer)
	s.mux.HandleFunc("GET /ingest", s.hub.serveIngest)
	s.mux.HandleFunc("POST /api/parse", s.serveParse)
	s.mux.HandleFunc("POST /api/svg", s.serveSVG)
	return s, nil
}

// ServeHTTP implements [http.Handler].
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; connect-src 'self'")
	h.Set("Referrer-Policy", "no-referrer")
	if !s.admit(w, r) {
		return
	}
	s.mux.ServeHTTP(w, r)
}

// Close stops the live run, disconnects every viewer and program, and
// waits for the server's goroutines to end. http.Server.Shutdown does not
// wait for WebSocket connections: call Close after it.
func (s *Server) Close() error {
	s.hub.close()
	return nil
}

// Stats are counters for tests, benchmarks and the page.
type Stats struct {
	Viewers     int    // connected viewers
	SlowDropped uint64 // viewers disconnected because their queue was full
	LiveDropped uint64 // live events not kept because the run was too long
}

// Stats returns the server's counters.
func (s *Server) Stats() Stats { return s.hub.stats() }

// readUpload reads a trace file, gzip-compressed or not, from a request
// body of at most MaxUpload bytes (and at most MaxUpload once
// decompressed), one event at a time, checking that it makes sense as a run, and
// hands each event to each; it reports a problem as an HTTP error the page
// shows as is. At most maxUploads run at once.
func (s *Server) readUpload(w http.ResponseWriter, r *http.Request, op string, each func(h tracer.Header, e *tracer.Event)) (tracer.Header, bool) {
	select {
	case s.uploads <- struct{}{}:
	default:
		t := time.NewTimer(s.uploadWait)
		defer t.Stop()
		select {
		case s.uploads <- struct{}{}:
		case <-r.Context().Done():
			return tracer.Header{}, false
		case <-t.C:
			httpError(w, http.StatusServiceUnavailable, fmt.Sprintf("%s: the server is reading %d other trace files; try again in a moment", op, maxUploads))
			return tracer.Header{}, false
		}
	}
	defer func() { <-s.uploads }()
	steady := newSteadyBody(w, r.Body)
	body := http.MaxBytesReader(w, steady, s.cfg.MaxUpload)
	fail := func(err error) (tracer.Header, bool) {
		var (
			tooBig   *http.MaxBytesError
			tooLarge *gz.TooLargeError
			corrupt  *gz.CorruptError
		)
		switch {
		case errors.Is(err, errSlowBody):
			httpError(w, http.StatusRequestTimeout, fmt.Sprintf("%s: %v", op, errSlowBody))
		case errors.As(err, &tooBig):
			httpError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("%s: the trace file is larger than the limit of %s", op, sizeString(s.cfg.MaxUpload)))
		case errors.As(err, &tooLarge):
			httpError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("%s: the gzip-compressed trace file is larger than the limit of %s once decompressed", op, sizeString(s.cfg.MaxUpload)))
		case errors.As(err, &corrupt):
			httpError(w, http.StatusBadRequest, fmt.Sprintf("%s: the uploaded file: %v", op, corrupt))
		default:
			httpError(w, http.StatusBadRequest, fmt.Sprintf("%s: %v", op, err))
		}
		return tracer.Header{}, false
	}
	// A gzip-compressed file is decompressed as it is read, and MaxUpload
	// bounds it twice: the compressed body, and the trace once
	// decompressed (the server's memory follows the decompressed size).
	in, err := gz.NewReader(bufio.NewReader(body))
	if err != nil {
		return fail(err)
	}
	rd, err := tracer.NewReader(steady.madeOf(gz.LimitReader(in, s.cfg.MaxUpload)))
	if err != nil {
		return fail(err)
	}
	h := rd.Header()
	var valid tracer.Validator
	for e, err := range rd.Events() {
		if err != nil {
			return fail(err)
		}
		valid.Add(&e)
		each(h, &e)
	}
	if err := valid.Err(); err != nil {
		return fail(fmt.Errorf("the trace does not make sense as a run:\n%w", err))
	}
	return h, true
}

// serveParse answers an uploaded trace file with its header and events as
// one JSON object. It holds the answer's bytes, not the events: about the
// size of the file.
func (s *Server) serveParse(w http.ResponseWriter, r *http.Request) {
	var events []byte
	if n := r.ContentLength; n > 0 && n <= s.cfg.MaxUpload {
		events = make([]byte, 0, n+n/8) // the answer is about the file's size
	}
	h, ok := s.readUpload(w, r, "open trace", func(_ tracer.Header, e *tracer.Event) {
		if len(events) > 0 {
			events = append(events, ',')
		}
		events = tracer.AppendEventJSON(events, e)
	})
	if !ok {
		return
	}
	hdr, err := json.Marshal(h)
	if err != nil {
		httpError(w, http.StatusInternalServerError, "open trace: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(append(append([]byte(`{"header":`), hdr...), `,"events":[`...))
	w.Write(events)
	w.Write([]byte("]}"))
}

func (s *Server) serveSVG(w http.ResponseWriter, r *http.Request) {
	if s.cfg.RenderSVG == nil {
		httpError(w, http.StatusNotImplemented, "export svg: SVG export is not available in this build of handoff")
		return
	}
	o := SVGOptions{Theme: r.URL.Query().Get("theme")}
	if o.Theme == "" {
		o.Theme = SVGThemes[0]
	}
	if !slices.Contains(SVGThemes, o.Theme) {
		httpError(w, http.StatusBadRequest, fmt.Sprintf("export svg: unknown theme %q (want %s)", truncate(o.Theme, 40), strings.Join(SVGThemes, ", ")))
		return
	}
	var evs []tracer.Event
	if _, ok := s.readUpload(w, r, "export svg", func(_ tracer.Header, e *tracer.Event) { evs = append(evs, *e) }); !ok {
		return
	}
	if len(evs) == 0 {
		httpError(w, http.StatusBadRequest, "export svg: the trace has no events")
		return
	}
	svg, err := s.cfg.RenderSVG(evs, o)
	if err != nil {
		httpError(w, http.StatusInternalServerError, "export svg: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Content-Disposition", `attachment; filename="handoff.svg"`)
	w.Write(svg)
}

// httpError answers with a JSON object {"error": msg}.
func httpError(w http.ResponseWriter, code int, msg string) {
	b, _ := json.Marshal(map[string]string{"error": msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(b)
}

func sizeString(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// appendEvents appends evs as JSON objects separated by commas.
func appendEvents(b []byte, evs []tracer.Event) []byte {
	for i := range evs {
		if i > 0 {
			b = append(b, ',')
		}
		b = tracer.AppendEventJSON(b, &evs[i])
	}
	return b
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}
