package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/gorilla/websocket"

	"github.com/handoff-viz/handoff/tracer"
)

// writeWait bounds one write to a peer; a peer that takes longer is gone.
const writeWait = 10 * time.Second

// batchSize is the number of events per message when a named trace is
// streamed to a viewer.
const batchSize = 4096

// A recording is a scenario run for one viewer alone, at full speed, for a
// link that names a scenario: it is sent to that viewer like a named trace
// and never disturbs the live session. maxRecordings run at once (others
// wait their turn), each kept to maxRecordEvents events (about 64 MB as
// tracer.Events; the chapter's scenarios make a few hundred) and
// recordTimeout.
const (
	maxRecordings   = 2
	maxRecordEvents = 200_000
	recordTimeout   = time.Minute
)

// hub holds the viewers, the live session and the runs.
type hub struct {
	s        *Server
	upgrader websocket.Upgrader
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup // every goroutine the server starts, and every WebSocket handler

	recordings chan struct{} // a token per recording under way

	mu          sync.Mutex
	closed      bool
	viewers     map[*viewer]struct{}
	conns       map[*websocket.Conn]struct{} // every open WebSocket, to close on shutdown
	live        *session                     // the current live session, or nil
	cancelRun   context.CancelFunc
	nextSession int
	nextViewer  int
	slowDropped uint64
	liveDropped uint64

	maxLiveBytes int // defaultMaxLiveBytes; tests lower it
}

// The live session is bounded in bytes as well as in events
// (Config.MaxLiveEvents): its events are kept encoded, at most
// defaultMaxLiveBytes of them, and an event's texts are shortened as it
// comes in, names and labels to maxLiveName bytes, a violation's message,
// a panic value and a call site to maxLiveText, so that one huge label
// costs what a short one does. Past either bound, later events are dropped
// and counted, and the page is told how many when the run ends.
const (
	defaultMaxLiveBytes = 256 << 20
	maxLiveName         = 256
	maxLiveText         = 1024
)

// session is one live run: a scenario the server runs, or a program
// streaming to /ingest. Its events are kept for viewers who join later.
//
// The server runs one session at a time. It belongs to the viewer who
// started it (by): that viewer's page shows it; every other page is told
// and keeps its own view, offering to follow. A new run ends the one
// before it, whose viewers keep what they saw and are told why it ended.
type session struct {
	id      int
	by      int    // the viewer who started it; 0 for a program
	seed    uint64 // a scenario's seed
	source  string
	kind    string // "scenario" or "program"
	events  eventStore
	pending []byte // events not yet broadcast, JSON objects separated by commas
	dropped int
	full    bool // a bound was reached: every later event is dropped, so the events kept are a prefix of the run
	done    bool
	err     string
}

// storeChunk is the size of one chunk of an eventStore.
const storeChunk = 1 << 20

// eventStore holds a live session's events, encoded as JSON objects
// separated by commas, in chunks of storeChunk bytes. It only grows, and
// no byte it holds ever changes: a chunk is filled up to its capacity
// (never reallocated) and then sealed, so an append writes only beyond the
// length any reader has seen. A late viewer takes a snapshot, the slice
// headers, under the hub's lock, and sends from it outside the lock: one
// store is shared by every viewer, and costs none of them a copy.
type eventStore struct {
	sealed [][]byte // full chunks
	tail   []byte   // the chunk being filled
	n      int      // events
	size   int      // bytes
}

// add appends frag, n events encoded by appendLiveEvent and separated by commas.
func (st *eventStore) add(frag []byte, n int) {
	if st.n > 0 {
		st.write([]byte{','})
	}
	st.write(frag)
	st.n += n
}

func (st *eventStore) write(p []byte) {
	st.size += len(p)
	for len(p) > 0 {
		if len(st.tail) == cap(st.tail) {
			if len(st.tail) > 0 {
				st.sealed = append(st.sealed, st.tail)
			}
			st.tail = make([]byte, 0, storeChunk)
		}
		k := min(len(p), cap(st.tail)-len(st.tail))
		st.tail = append(st.tail, p[:k]...)
		p = p[k:]
	}
}

// A backlog is the message that begins a live session for a viewer: the
// session's state and every event so far, as a snapshot of its store.
type backlog struct {
	head   []byte
	sealed [][]byte
	tail   []byte
	foot   []byte
}

// bytes returns the backlog as one message; for a session with few events.
func (b *backlog) bytes() []byte {
	msg := append([]byte(nil), b.head...)
	for _, c := range b.sealed {
		msg = append(msg, c...)
	}
	msg = append(msg, b.tail...)
	return append(msg, b.foot...)
}

// send writes the backlog to c as one message, a chunk at a time, straight
// from the shared store. It stops when gone is closed.
func (b *backlog) send(c *websocket.Conn, gone <-chan struct{}) error {
	c.SetWriteDeadline(time.Now().Add(writeWait))
	w, err := c.NextWriter(websocket.TextMessage)
	if err != nil {
		return err
	}
	for i := -1; i <= len(b.sealed)+1; i++ {
		part := b.head
		switch {
		case i == len(b.sealed):
			part = b.tail
		case i == len(b.sealed)+1:
			part = b.foot
		case i >= 0:
			part = b.sealed[i]
		}
		select {
		case <-gone:
			return errors.New("viewer gone")
		default:
		}
		c.SetWriteDeadline(time.Now().Add(writeWait))
		if _, err := w.Write(part); err != nil {
			return err
		}
	}
	return w.Close()
}

func newHub(s *Server) *hub {
	ctx, cancel := context.WithCancel(context.Background())
	h := &hub{
		s:            s,
		ctx:          ctx,
		cancel:       cancel,
		viewers:      map[*viewer]struct{}{},
		conns:        map[*websocket.Conn]struct{}{},
		maxLiveBytes: defaultMaxLiveBytes,
	}
	h.recordings = make(chan struct{}, maxRecordings)
	h.wg.Add(1)
	go h.flusher()
	h.upgrader = websocket.Upgrader{
		ReadBufferSize:  4096,
		WriteBufferSize: 64 << 10,
		CheckOrigin:     s.originAllowed, // as the Server checked before (access.go)
	}
	return h
}

// enter counts a handler or goroutine in, unless the server is closing.
func (h *hub) enter() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.wg.Add(1)
	return true
}

func (h *hub) close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		h.wg.Wait()
		return
	}
	h.closed = true
	h.cancel()
	for c := range h.conns {
		c.Close()
	}
	h.mu.Unlock()
	h.wg.Wait()
}

func (h *hub) stats() Stats {
	h.mu.Lock()
	defer h.mu.Unlock()
	return Stats{Viewers: len(h.viewers), SlowDropped: h.slowDropped, LiveDropped: h.liveDropped}
}

// upgrade turns the request into a WebSocket that close() will close.
func (h *hub) upgrade(w http.ResponseWriter, r *http.Request) (*websocket.Conn, bool) {
	if !h.s.originAllowed(r) {
		http.Error(w, "websocket: the page's origin is not this server", http.StatusForbidden)
		return nil, false
	}
	c, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return nil, false // the upgrader has answered
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		c.Close()
		return nil, false
	}
	h.conns[c] = struct{}{}
	h.mu.Unlock()
	return c, true
}

func (h *hub) forget(c *websocket.Conn) {
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
	c.Close()
}

// viewer is one browser page. Its writer goroutine is the only one that
// writes to conn; everyone else puts messages in send, never waiting.
type viewer struct {
	id      int // told to the page in hello, so that it knows its own runs
	conn    *websocket.Conn
	hello   []byte   // the first message
	backlog *backlog // the live session so far, sent after hello; nil when none
	send    chan []byte
	gone    chan struct{} // closed when the viewer must stop: slow, or disconnected
	once    sync.Once
}

func (v *viewer) stop() { v.once.Do(func() { close(v.gone) }) }

func (v *viewer) isGone() bool {
	select {
	case <-v.gone:
		return true
	default:
		return false
	}
}

// queue puts msg in v's queue, waiting while the queue is full; it is used
// for messages only this viewer asked for.
func (v *viewer) queue(ctx context.Context, msg []byte) bool {
	select {
	case v.send <- msg:
		return true
	case <-v.gone:
	case <-ctx.Done():
	}
	return false
}

func (v *viewer) writeLoop() {
	defer v.conn.Close() // wakes the reader
	v.conn.SetWriteDeadline(time.Now().Add(writeWait))
	if err := v.conn.WriteMessage(websocket.TextMessage, v.hello); err != nil {
		v.stop()
		return
	}
	if v.backlog != nil {
		err := v.backlog.send(v.conn, v.gone)
		v.backlog = nil // an ended session's store is not kept for this viewer
		if err != nil {
			v.stop()
			return
		}
	}
	for {
		select {
		case msg := <-v.send:
			v.conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := v.conn.WriteMessage(websocket.TextMessage, msg); err != nil {
				v.stop()
				return
			}
		case <-v.gone:
			v.conn.SetWriteDeadline(time.Now().Add(time.Second))
			v.conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseTryAgainLater, "too slow"))
			return
		}
	}
}

// broadcastLocked sends msg to every viewer without waiting: a viewer whose
// queue is full is dropped and counted. h.mu is held.
func (h *hub) broadcastLocked(msg []byte) {
	for v := range h.viewers {
		select {
		case v.send <- msg:
		default:
			h.slowDropped++
			delete(h.viewers, v)
			v.stop()
			h.s.cfg.Logf("web: a viewer was disconnected: its queue of %d messages was full", cap(v.send))
		}
	}
}

// Messages from a viewer.
type request struct {
	Op       string  `json:"op"`       // run, stop, open, record
	Scenario string  `json:"scenario"` // run, record
	PaceMS   *int    `json:"pace"`     // run: milliseconds between steps
	Seed     *uint64 `json:"seed"`     // run, record: draws the pauses; 0 when absent
	Session  int     `json:"session"`  // stop: the session to stop; 0 is the current one
	Trace    int     `json:"trace"`    // open: index into Config.Traces
}

func (h *hub) serveViewer(w http.ResponseWriter, r *http.Request) {
	if !h.enter() {
		http.Error(w, "server is shutting down", http.StatusServiceUnavailable)
		return
	}
	defer h.wg.Done()
	conn, ok := h.upgrade(w, r)
	if !ok {
		return
	}
	defer h.forget(conn)
	conn.SetReadLimit(64 << 10)
	v := &viewer{conn: conn, send: make(chan []byte, max(h.s.cfg.QueueLen, 2)), gone: make(chan struct{})}

	// The lock is held for a moment: the backlog is a snapshot of the
	// live session's store, which the writer sends from.
	h.mu.Lock()
	h.flushLocked() // the backlog below holds every event; nothing may follow twice
	h.nextViewer++
	v.id = h.nextViewer
	v.hello = h.helloLocked(v)
	if h.live != nil {
		b := h.backlogLocked()
		v.backlog = &b
	}
	h.viewers[v] = struct{}{}
	h.broadcastLocked(h.viewersMsgLocked())
	h.mu.Unlock()

	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		v.writeLoop()
	}()
	defer func() {
		v.stop()
		h.mu.Lock()
		if _, ok := h.viewers[v]; ok {
			delete(h.viewers, v)
			h.broadcastLocked(h.viewersMsgLocked())
		}
		h.mu.Unlock()
	}()

	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		var req request
		if err := json.Unmarshal(data, &req); err != nil {
			v.queue(h.ctx, errorMsg("bad request: "+err.Error()))
			continue
		}
		switch req.Op {
		case "run":
			if msg := h.startRun(v, req); msg != "" {
				v.queue(h.ctx, errorMsg(msg))
			}
		case "stop":
			if msg := h.stopRun(req.Session); msg != "" {
				v.queue(h.ctx, errorMsg(msg))
			}
		case "open":
			if !h.streamTrace(v, req.Trace) {
				return
			}
		case "record":
			if !h.record(v, req) {
				return
			}
		default:
			v.queue(h.ctx, errorMsg(fmt.Sprintf("bad request: unknown op %q", req.Op)))
		}
	}
}

func errorMsg(msg string) []byte {
	return append(appendString([]byte(`{"type":"error","msg":`), msg), '}')
}

func (h *hub) helloLocked(v *viewer) []byte {
	type traceInfo struct {
		ID     int           `json:"id"`
		Name   string        `json:"name"`
		Events int           `json:"events"`
		Header tracer.Header `json:"header"`
	}
	hello := struct {
		Type        string         `json:"type"`
		Viewer      int            `json:"viewer"`
		Scenarios   []ScenarioInfo `json:"scenarios"`
		CanRun      bool           `json:"canRun"`
		CanSVG      bool           `json:"canSVG"`
		Traces      []traceInfo    `json:"traces"`
		MaxUpload   int64          `json:"maxUpload"`
		DefaultPace int64          `json:"defaultPace"`
	}{
		Type:        "hello",
		Viewer:      v.id,
		Scenarios:   h.s.cfg.Scenarios,
		CanRun:      h.s.cfg.Run != nil,
		CanSVG:      h.s.cfg.RenderSVG != nil,
		Traces:      []traceInfo{},
		MaxUpload:   h.s.cfg.MaxUpload,
		DefaultPace: h.s.cfg.DefaultPace.Milliseconds(),
	}
	if hello.Scenarios == nil {
		hello.Scenarios = []ScenarioInfo{}
	}
	for i, t := range h.s.cfg.Traces {
		hello.Traces = append(hello.Traces, traceInfo{i, t.Name, len(t.Events), t.Header})
	}
	b, _ := json.Marshal(hello)
	return b
}

func (h *hub) viewersMsgLocked() []byte {
	return fmt.Appendf(nil, `{"type":"viewers","n":%d,"slow":%d}`, len(h.viewers), h.slowDropped)
}

// backlogLocked is the message that begins the live session; a late viewer
// gets it with every event so far.
func (h *hub) backlogLocked() backlog {
	s := h.live
	head := fmt.Appendf(nil, `{"type":"live","session":%d,"by":%d,"seed":%d,"kind":%q,"source":`, s.id, s.by, s.seed, s.kind)
	head = appendString(head, s.source)
	head = append(head, `,"events":[`...)
	foot := fmt.Appendf(nil, `],"dropped":%d,"done":%t,"error":`, s.dropped, s.done)
	foot = appendString(foot, s.err)
	foot = append(foot, '}')
	return backlog{head: head, sealed: s.events.sealed, tail: s.events.tail, foot: foot}
}

func (h *hub) liveEndMsgLocked(s *session) []byte {
	b := fmt.Appendf(nil, `{"type":"live-end","session":%d,"dropped":%d,"error":`, s.id, s.dropped)
	b = appendString(b, s.err)
	return append(b, '}')
}

// newSession makes a live session the current one and tells every viewer.
// The session before it, if still running, ends here, and its viewers are
// told why; its runner's own end comes later and changes nothing.
func (h *hub) newSessionLocked(source, kind string, by int, seed uint64) *session {
	h.flushLocked()
	if old := h.live; old != nil && !old.done {
		old.done = true
		old.err = "stopped: a run of " + source + " took its place"
		if kind == "program" {
			old.err = "stopped: program " + source + " connected"
		}
		h.broadcastLocked(h.liveEndMsgLocked(old))
	}
	h.nextSession++
	s := &session{id: h.nextSession, by: by, seed: seed, source: source, kind: kind}
	h.live = s
	b := h.backlogLocked() // no events yet
	h.broadcastLocked(b.bytes())
	return s
}

// emit adds events to session s, if it is still the current one, and
// broadcasts them. Past the session's bounds, the events are dropped and
// counted, and so is every later one.
func (h *hub) emit(s *session, evs []tracer.Event) {
	if len(evs) == 0 {
		return
	}
	frag := make([]byte, 0, len(evs)*96)
	ends := make([]int, len(evs)) // where each event ends in frag
	for i := range evs {
		if i > 0 {
			frag = append(frag, ',')
		}
		frag = appendLiveEvent(frag, &evs[i])
		ends[i] = len(frag)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.live != s || s.done {
		return
	}
	keep := 0
	if !s.full {
		sep := min(s.events.n, 1) // the comma before frag
		keep = min(len(evs), h.s.cfg.MaxLiveEvents-s.events.n)
		for keep > 0 && s.events.size+sep+ends[keep-1] > h.maxLiveBytes {
			keep--
		}
	}
	if keep < len(evs) {
		if !s.full {
			h.s.cfg.Logf("web: live session %d reached its bound (%d events, %d bytes); later events are dropped", s.id, h.s.cfg.MaxLiveEvents, h.maxLiveBytes)
		}
		s.full = true
		s.dropped += len(evs) - keep
		h.liveDropped += uint64(len(evs) - keep)
	}
	if keep == 0 {
		return
	}
	frag = frag[:ends[keep-1]]
	s.events.add(frag, keep)
	if len(s.pending) > 0 {
		s.pending = append(s.pending, ',')
	}
	s.pending = append(s.pending, frag...)
}

// flushInterval is how often the events of a live run go out to viewers:
// a run that emits thousands of times a second still makes at most this
// many messages, so a viewer's queue holds seconds of it.
const flushInterval = 20 * time.Millisecond

func (h *hub) flusher() {
	defer h.wg.Done()
	t := time.NewTicker(flushInterval)
	defer t.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-t.C:
			h.mu.Lock()
			h.flushLocked()
			h.mu.Unlock()
		}
	}
}

// flushLocked broadcasts the live session's pending events.
func (h *hub) flushLocked() {
	s := h.live
	if s == nil || len(s.pending) == 0 {
		return
	}
	msg := make([]byte, 0, len(s.pending)+48)
	msg = fmt.Appendf(msg, `{"type":"events","session":%d,"events":[`, s.id)
	msg = append(msg, s.pending...)
	msg = append(msg, "]}"...)
	s.pending = s.pending[:0]
	h.broadcastLocked(msg)
}

func (h *hub) endSession(s *session, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s.done {
		return
	}
	if h.live == s {
		h.flushLocked()
	}
	s.done = true
	if err != nil && !errors.Is(err, context.Canceled) {
		s.err = err.Error()
	} else if err != nil {
		s.err = "stopped"
	}
	if h.live == s {
		h.broadcastLocked(h.liveEndMsgLocked(s))
	}
}

// sessionSink is the tracer.Sink a live session's events come through.
type sessionSink struct {
	h *hub
	s *session
}

func (k sessionSink) Emit(evs []tracer.Event) error { k.h.emit(k.s, evs); return nil }
func (k sessionSink) Close() error                  { return nil }

// startRun starts a scenario as the live session, stopping the one before.
// It returns a message for the viewer when it cannot.
func (h *hub) startRun(v *viewer, req request) string {
	o, msg := h.runOptions("run", req)
	if msg != "" {
		return msg
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return "run: server is shutting down"
	}
	if h.cancelRun != nil {
		h.cancelRun()
	}
	ctx, cancel := context.WithCancel(h.ctx)
	h.cancelRun = cancel
	s := h.newSessionLocked(req.Scenario, "scenario", v.id, o.Seed)
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		defer cancel()
		err := h.s.cfg.Run(ctx, req.Scenario, o, sessionSink{h, s})
		h.endSession(s, err)
	}()
	return ""
}

// runOptions checks a request to run a scenario; the message says what is
// wrong, prefixed by op.
func (h *hub) runOptions(op string, req request) (RunOptions, string) {
	if h.s.cfg.Run == nil {
		return RunOptions{}, op + ": this server cannot run scenarios"
	}
	known := false
	for _, sc := range h.s.cfg.Scenarios {
		known = known || sc.Name == req.Scenario
	}
	if !known {
		return RunOptions{}, fmt.Sprintf("%s: no scenario named %q", op, req.Scenario)
	}
	o := RunOptions{Pace: h.s.cfg.DefaultPace}
	if req.PaceMS != nil {
		if *req.PaceMS < 0 || *req.PaceMS > 10_000 {
			return o, op + ": pace must be between 0 and 10000 milliseconds, not " + strconv.Itoa(*req.PaceMS)
		}
		o.Pace = time.Duration(*req.PaceMS) * time.Millisecond
	}
	if req.Seed != nil {
		if *req.Seed > MaxSeed {
			return o, fmt.Sprintf("%s: seed must be between 0 and %d, not %d", op, uint64(MaxSeed), *req.Seed)
		}
		o.Seed = *req.Seed
	}
	return o, ""
}

// record runs a scenario at full speed for viewer v alone and sends it the
// events as a trace (id -1, with the scenario and seed), ending with
// trace-end, which carries the run's error if it failed. It returns false
// when v is gone.
func (h *hub) record(v *viewer, req request) bool {
	req.PaceMS = new(int) // full speed, whatever was asked
	o, msg := h.runOptions("record", req)
	if msg != "" {
		return v.queue(h.ctx, errorMsg(msg))
	}
	select {
	case h.recordings <- struct{}{}:
	case <-v.gone:
		return false
	case <-h.ctx.Done():
		return false
	}
	ctx, cancel := context.WithTimeout(h.ctx, recordTimeout)
	h.wg.Add(1)
	go func() { // the viewer leaving ends its recording
		defer h.wg.Done()
		select {
		case <-v.gone:
			cancel()
		case <-ctx.Done():
		}
	}()
	sink := &recordSink{}
	err := h.s.cfg.Run(ctx, req.Scenario, o, sink)
	cancel()
	<-h.recordings
	if v.isGone() {
		return false
	}
	errText := ""
	if errors.Is(err, context.DeadlineExceeded) {
		errText = fmt.Sprintf("record: the run took longer than %v; it is shown up to there", recordTimeout)
	} else if err != nil {
		errText = "record: " + err.Error()
	} else if sink.dropped > 0 {
		errText = fmt.Sprintf("record: the run made more than %d events; the first %d are kept", maxRecordEvents, maxRecordEvents)
	}
	start := fmt.Appendf(nil, `{"type":"trace","id":-1,"events":%d,"seed":%d,"name":`, len(sink.evs), o.Seed)
	start = appendString(start, req.Scenario)
	start = append(start, `,"scenario":`...)
	start = appendString(start, req.Scenario)
	start = append(start, '}')
	end := appendString([]byte(`{"type":"trace-end","id":-1,"error":`), errText)
	return h.streamEvents(v, -1, start, sink.evs, append(end, '}'))
}

// recordSink keeps a recording's first maxRecordEvents events.
type recordSink struct {
	mu      sync.Mutex
	evs     []tracer.Event
	dropped int
}

func (k *recordSink) Emit(evs []tracer.Event) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	n := min(len(evs), maxRecordEvents-len(k.evs))
	k.evs = append(k.evs, evs[:n]...)
	k.dropped += len(evs) - n
	return nil
}

func (k *recordSink) Close() error { return nil }

// stopRun stops the current run, if it is session id (any session when id
// is 0). It returns a message for the viewer when that run is not the
// current one: a page's Stop never ends a run it is not watching.
func (h *hub) stopRun(id int) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if id != 0 && (h.live == nil || h.live.id != id) {
		return fmt.Sprintf("stop: run %d is not the current run", id)
	}
	if h.cancelRun != nil {
		h.cancelRun()
	}
	return ""
}

// streamTrace sends named trace i to viewer v alone, in batches, waiting for
// room in v's queue. It returns false when v is gone.
func (h *hub) streamTrace(v *viewer, i int) bool {
	if i < 0 || i >= len(h.s.cfg.Traces) {
		return v.queue(h.ctx, errorMsg(fmt.Sprintf("open: no trace number %d", i)))
	}
	t := &h.s.cfg.Traces[i]
	hdr, _ := json.Marshal(t.Header)
	start := fmt.Appendf(nil, `{"type":"trace","id":%d,"events":%d,"name":`, i, len(t.Events))
	start = appendString(start, t.Name)
	start = append(start, `,"header":`...)
	start = append(start, hdr...)
	start = append(start, '}')
	return h.streamEvents(v, i, start, t.Events, fmt.Appendf(nil, `{"type":"trace-end","id":%d}`, i))
}

// streamEvents sends v the message start, evs in trace-events batches
// for trace id, then end, waiting for room in v's queue. It returns false
// when v is gone.
func (h *hub) streamEvents(v *viewer, id int, start []byte, evs []tracer.Event, end []byte) bool {
	if !v.queue(h.ctx, start) {
		return false
	}
	for from := 0; from < len(evs); from += batchSize {
		to := min(from+batchSize, len(evs))
		msg := fmt.Appendf(make([]byte, 0, (to-from)*96+64), `{"type":"trace-events","id":%d,"events":[`, id)
		msg = appendEvents(msg, evs[from:to])
		msg = append(msg, "]}"...)
		if !v.queue(h.ctx, msg) {
			return false
		}
	}
	return v.queue(h.ctx, end)
}

// serveIngest receives a traced program's events (package tracer/remote):
// the stream is a trace file, header line first, split across text
// messages at line boundaries. It becomes the live session.
func (h *hub) serveIngest(w http.ResponseWriter, r *http.Request) {
	if !h.enter() {
		http.Error(w, "server is shutting down", http.StatusServiceUnavailable)
		return
	}
	defer h.wg.Done()
	conn, ok := h.upgrade(w, r)
	if !ok {
		return
	}
	defer h.forget(conn)
	conn.SetReadLimit(16 << 20)
	rd, err := tracer.NewReader(&messageReader{conn: conn})
	if err != nil {
		h.s.cfg.Logf("web: a program's stream: %v", err)
		conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseUnsupportedData, truncate(err.Error(), 120)), time.Now().Add(time.Second))
		return
	}
	source := rd.Header().Source
	if source == "" {
		source = "program"
	}
	h.s.cfg.Logf("web: program %q connected", source)
	h.mu.Lock()
	if h.cancelRun != nil {
		h.cancelRun()
		h.cancelRun = nil
	}
	s := h.newSessionLocked(source, "program", 0, 0)
	h.mu.Unlock()

	// The reader blocks inside a message; a goroutine reads, and this one
	// batches whatever has arrived, so that a quiet program's last events
	// are not held back. An event's line may hold a megabyte of values or
	// cases (tracer.MaxLineSize), several as Go values: ingestQueue events
	// wait between the two, and a batch stops at ingestBatchBytes.
	evc := make(chan tracer.Event, ingestQueue)
	errc := make(chan error, 1)
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		defer close(evc)
		for {
			e, err := rd.Next()
			if err != nil {
				errc <- err
				return
			}
			if needsShortening(&e) {
				shortenTexts(&e) // before it waits in evc
			}
			select {
			case evc <- e:
			case <-h.ctx.Done():
				errc <- h.ctx.Err()
				return
			}
		}
	}()
	batch := make([]tracer.Event, 0, batchSize)
	for e := range evc {
		batch = append(batch[:0], e)
		size := eventSize(&e)
	drain:
		for len(batch) < batchSize && size < ingestBatchBytes {
			select {
			case e, ok := <-evc:
				if !ok {
					break drain
				}
				batch = append(batch, e)
				size += eventSize(&e)
			default:
				break drain
			}
		}
		h.emit(s, batch)
	}
	err = <-errc
	var ce *websocket.CloseError
	switch {
	case errors.Is(err, io.EOF), errors.As(err, &ce) && ce.Code == websocket.CloseNormalClosure:
		err = nil
	case errors.As(err, &ce):
		err = fmt.Errorf("program %q disconnected: %s", source, ce.Text)
	default:
		err = fmt.Errorf("program %q: %w", source, err)
	}
	h.endSession(s, err)
}

// Bounds of what a program's stream holds on its way into the session.
const (
	ingestQueue      = 16
	ingestBatchBytes = 1 << 20
)

// eventSize is about the memory e holds, its struct and what it points to.
func eventSize(e *tracer.Event) int {
	const word = 8
	return int(unsafe.Sizeof(*e)) + len(e.Name) + len(e.Label) + len(e.Msg) + len(e.Panic) + len(e.At) +
		word*(len(e.Vs)+len(e.Refs)+len(e.Cycle)) + 48*len(e.Cases)
}

// appendLiveEvent appends e as a JSON object, its texts shortened as
// shortenTexts does, without changing e.
func appendLiveEvent(b []byte, e *tracer.Event) []byte {
	if needsShortening(e) {
		c := *e
		shortenTexts(&c)
		e = &c
	}
	return tracer.AppendEventJSON(b, e)
}

func needsShortening(e *tracer.Event) bool {
	return len(e.Name) > maxLiveName || len(e.Label) > maxLiveName ||
		len(e.Msg) > maxLiveText || len(e.Panic) > maxLiveText || len(e.At) > maxLiveText ||
		len(e.Rule) > maxLiveName || len(e.On) > maxLiveName || len(e.Op) > maxLiveName || len(e.Conf) > maxLiveName
}

// shortenTexts shortens e's texts for the live session: names, labels and
// the short words to maxLiveName bytes, the longer texts to maxLiveText.
func shortenTexts(e *tracer.Event) {
	for _, p := range []*string{&e.Name, &e.Label, &e.Rule, &e.On, &e.Op, &e.Conf} {
		*p = shorten(*p, maxLiveName)
	}
	for _, p := range []*string{&e.Msg, &e.Panic, &e.At} {
		*p = shorten(*p, maxLiveText)
	}
}

// shorten returns s if it has at most n bytes, else its first whole
// characters and an ellipsis, n bytes at most in all. The result shares
// no memory with a long s.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// messageReader reads the text messages of a WebSocket as one stream. A
// normal close is the end of the stream.
type messageReader struct {
	conn *websocket.Conn
	cur  io.Reader
}

func (m *messageReader) Read(p []byte) (int, error) {
	for {
		if m.cur == nil {
			typ, r, err := m.conn.NextReader()
			if err != nil {
				var ce *websocket.CloseError
				if errors.As(err, &ce) && ce.Code == websocket.CloseNormalClosure {
					return 0, io.EOF
				}
				return 0, err
			}
			if typ != websocket.TextMessage {
				return 0, errors.New("read stream: binary message, want text lines")
			}
			m.cur = r
		}
		n, err := m.cur.Read(p)
		if err == io.EOF {
			m.cur = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}
