package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/handoff-viz/handoff/tracer"
)

// heapWatch samples the heap in use until stop is called, which returns
// how far it grew above where it was when the watch began, at its peak.
func heapWatch() (stop func() uint64) {
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	done := make(chan struct{})
	peak := make(chan uint64)
	go func() {
		var most uint64
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			most = max(most, m.HeapInuse)
			select {
			case <-done:
				peak <- most
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() uint64 {
		close(done)
		most := <-peak
		return most - min(most, base.HeapInuse)
	}
}

// ingestHeader is the first message of a program's stream.
const ingestHeader = `{"format":"handoff","version":2,"source":"test"}` + "\n"

// liveEvents reads viewer's messages until the live session's end and
// returns its events and the end message.
func liveEvents(t *testing.T, viewer *websocket.Conn) ([]map[string]any, msg) {
	t.Helper()
	live := readUntil(t, viewer, "live", nil)
	evs := live.events(t)
	end := readUntil(t, viewer, "live-end", func(m msg) {
		if m.Type == "events" {
			evs = append(evs, m.events(t)...)
		}
	})
	return evs, end
}

// Names and labels come out shortened to maxLiveName bytes, the longer
// texts to maxLiveText, cut between whole characters, with an ellipsis.
func TestLiveTextsShortened(t *testing.T) {
	_, ts := start(t, testConfig())
	viewer := dial(t, ts, "/ws", nil)
	read(t, viewer)
	prog := dial(t, ts, "/ingest", nil)
	name := "x" + strings.Repeat("é", 500) // 1001 bytes; a cut at 253 falls inside a character
	label := strings.Repeat("ü", 2000)
	msgText := strings.Repeat("m", 5000)
	lines := []string{
		ingestHeader,
		fmt.Sprintf(`{"seq":1,"t":1,"kind":"chan","g":1,"ch":1,"cap":1,"name":%q}`+"\n", name),
		fmt.Sprintf(`{"seq":2,"t":2,"kind":"make","g":1,"v":1,"label":%q,"at":"short.go:1"}`+"\n", label),
		fmt.Sprintf(`{"seq":3,"t":3,"kind":"violation","g":1,"v":1,"rule":"use-after-send","msg":%q}`+"\n", msgText),
	}
	for _, l := range lines {
		prog.WriteMessage(websocket.TextMessage, []byte(l))
	}
	prog.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	evs, end := liveEvents(t, viewer)
	if len(evs) != 3 || end.Error != "" {
		t.Fatalf("got %d events, end %+v", len(evs), end)
	}
	for _, c := range []struct {
		got, whole string
		limit      int
	}{
		{evs[0]["name"].(string), name, maxLiveName},
		{evs[1]["label"].(string), label, maxLiveName},
		{evs[2]["msg"].(string), msgText, maxLiveText},
	} {
		kept := strings.TrimSuffix(c.got, "…")
		if len(c.got) > c.limit || len(c.got) < c.limit-4 || kept == c.got ||
			!utf8.ValidString(c.got) || !strings.HasPrefix(c.whole, kept) {
			t.Errorf("%.40q... (%d bytes) shortened to %q (%d bytes), want a prefix of at most %d bytes and …",
				c.whole, len(c.whole), c.got, len(c.got), c.limit)
		}
	}
	if evs[1]["at"] != "short.go:1" || evs[2]["rule"] != "use-after-send" {
		t.Errorf("short texts changed: %v, %v", evs[1]["at"], evs[2]["rule"])
	}
}

// Past the session's bound in bytes, later events are dropped and counted:
// what is kept is a prefix of the stream, and a late viewer gets the same.
func TestLiveBytesBounded(t *testing.T) {
	s, ts := start(t, testConfig())
	s.hub.mu.Lock()
	s.hub.maxLiveBytes = 64 << 10
	s.hub.mu.Unlock()
	viewer := dial(t, ts, "/ws", nil)
	read(t, viewer)
	prog := dial(t, ts, "/ingest", nil)
	prog.WriteMessage(websocket.TextMessage, []byte(ingestHeader))
	const total = 3000
	label := strings.Repeat("l", 100)
	var batch bytes.Buffer
	for seq := 1; seq <= total; seq++ {
		fmt.Fprintf(&batch, `{"seq":%d,"t":%d,"kind":"make","g":1,"v":%d,"label":"%s"}`+"\n", seq, seq, seq, label)
		if seq%100 == 0 {
			prog.WriteMessage(websocket.TextMessage, batch.Bytes())
			batch.Reset()
		}
	}
	prog.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	evs, end := liveEvents(t, viewer)
	if end.Dropped == 0 || len(evs)+end.Dropped != total {
		t.Fatalf("kept %d events, dropped %d, of %d", len(evs), end.Dropped, total)
	}
	for i, e := range evs {
		if e["seq"] != float64(i+1) {
			t.Fatalf("event %d has seq %v: the events kept are not a prefix", i, e["seq"])
		}
	}
	kept, _ := json.Marshal(evs)
	if len(kept) > 64<<10 {
		t.Errorf("kept %d bytes of events, bound 64 KiB", len(kept))
	}
	if st := s.Stats(); st.LiveDropped != uint64(end.Dropped) {
		t.Errorf("Stats().LiveDropped = %d, want %d", st.LiveDropped, end.Dropped)
	}
	late := dial(t, ts, "/ws", nil)
	read(t, late)
	backlog := readUntil(t, late, "live", nil)
	if n := len(backlog.events(t)); n != len(evs) || backlog.Dropped != end.Dropped || !backlog.Done {
		t.Errorf("late viewer: %d events, %d dropped, done %t; want %d, %d, true", n, backlog.Dropped, backlog.Done, len(evs), end.Dropped)
	}
	t.Logf("%d events kept (%d bytes as JSON), %d dropped", len(evs), len(kept), end.Dropped)
}

// A program sending 300 events with labels of 1 MB each costs the server a
// few megabytes: each label is shortened as it comes in.
func TestIngestMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 300 MB")
	}
	_, ts := start(t, testConfig())
	viewer := dial(t, ts, "/ws", nil)
	read(t, viewer)
	label := bytes.Repeat([]byte("x"), 1_000_000)
	const total = 300
	stop := heapWatch()
	prog := dial(t, ts, "/ingest", nil)
	prog.WriteMessage(websocket.TextMessage, []byte(ingestHeader))
	for seq := 1; seq <= total; seq++ {
		w, err := prog.NextWriter(websocket.TextMessage)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(w, `{"seq":%d,"t":%d,"kind":"make","g":1,"v":%d,"label":"`, seq, seq, seq)
		w.Write(label)
		io.WriteString(w, "\"}\n")
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	prog.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	evs, end := liveEvents(t, viewer)
	grew := stop()
	if len(evs) != total || end.Dropped != 0 || end.Error != "" {
		t.Fatalf("got %d events of %d, end %+v", len(evs), total, end)
	}
	if l := evs[0]["label"].(string); len(l) > maxLiveName {
		t.Errorf("label of %d bytes", len(l))
	}
	t.Logf("%d events with 1 MB labels: the heap grew by %.1f MB at its peak", total, float64(grew)/1e6)
	const bound = 64 << 20
	if grew > bound {
		t.Errorf("the heap grew by %.1f MB, bound %d MB", float64(grew)/1e6, bound>>20)
	}
}

// seqCounter counts the events in a stream of JSON, a match across two
// writes included, and keeps the stream's last bytes. It allocates
// nothing, so that the test's own garbage does not count as the server's.
type seqCounter struct {
	n     int
	edge  [2 * (len(seqKey) - 1)]byte // the last bytes written, then the first of the next write
	nEdge int
	foot  [200]byte // the last bytes written
	nFoot int
}

const seqKey = `{"seq":`

func (c *seqCounter) Write(p []byte) (int, error) {
	c.n += bytes.Count(p, []byte(seqKey))
	// A match across the boundary: the end of the last write and the start of this one.
	k := copy(c.edge[c.nEdge:c.nEdge+len(seqKey)-1], p)
	c.n += bytes.Count(c.edge[:c.nEdge+k], []byte(seqKey))
	if len(p) >= len(seqKey)-1 {
		c.nEdge = copy(c.edge[:], p[len(p)-(len(seqKey)-1):])
	} else {
		// rare: keep what fits of the edge's end
		keep := c.edge[max(0, c.nEdge+k-(len(seqKey)-1)) : c.nEdge+k]
		c.nEdge = copy(c.edge[:], keep)
	}
	if len(p) >= len(c.foot) {
		c.nFoot = copy(c.foot[:], p[len(p)-len(c.foot):])
	} else {
		drop := max(0, c.nFoot+len(p)-len(c.foot))
		copy(c.foot[:], c.foot[drop:c.nFoot])
		c.nFoot = c.nFoot - drop + copy(c.foot[c.nFoot-drop:], p)
	}
	return len(p), nil
}

// Twenty viewers joining a finished session of 200,000 events share its
// store: the heap grows by far less than one copy each, and a new viewer's
// handshake is answered while they are still receiving it.
func TestLateViewersShareOneBacklog(t *testing.T) {
	if testing.Short() {
		t.Skip("a 200,000-event session")
	}
	const total = 200_000
	cfg := testConfig()
	cfg.Scenarios = []ScenarioInfo{{Name: "big"}}
	cfg.Run = func(ctx context.Context, name string, o RunOptions, sink tracer.Sink) error {
		label := strings.Repeat("x", 40)
		evs := make([]tracer.Event, 0, 1000)
		for seq := 1; seq <= total; seq++ {
			evs = append(evs, tracer.Event{Seq: uint64(seq), T: tracer.Time(seq), Kind: tracer.KindMake, G: 1, V: tracer.ValueID(seq), Label: label, At: "big.go:1"})
			if len(evs) == cap(evs) {
				sink.Emit(evs)
				evs = evs[:0]
			}
		}
		return nil
	}
	s, ts := start(t, cfg)
	starter := dial(t, ts, "/ws", nil)
	read(t, starter)
	starter.WriteJSON(map[string]any{"op": "run", "scenario": "big"})
	readUntil(t, starter, "live-end", nil)
	starter.Close()
	s.hub.mu.Lock()
	size := s.hub.live.events.size
	s.hub.mu.Unlock()

	const viewers = 20
	stop := heapWatch()
	var wg sync.WaitGroup
	started := make(chan struct{}, viewers)
	release := make(chan struct{})
	counts := make([]*seqCounter, viewers)
	errs := make([]error, viewers)
	for i := range viewers {
		c := dial(t, ts, "/ws", nil)
		counts[i] = &seqCounter{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = func() error {
				c.SetReadDeadline(time.Now().Add(2 * time.Minute))
				for {
					_, r, err := c.NextReader()
					if err != nil {
						return err
					}
					head := make([]byte, 64<<10)
					n, err := io.ReadFull(r, head)
					if err == io.ErrUnexpectedEOF {
						continue // hello or viewers
					} else if err != nil {
						return err
					}
					if !bytes.HasPrefix(head, []byte(`{"type":"live"`)) {
						return fmt.Errorf("a long message that is not the live session: %.40q", head)
					}
					started <- struct{}{}
					<-release // the server's writer waits meanwhile, mid-message
					counts[i].Write(head[:n])
					_, err = io.Copy(counts[i], r)
					return err
				}
			}()
		}()
	}
	for range viewers {
		select {
		case <-started:
		case <-time.After(2 * time.Minute):
			t.Fatal("the late viewers did not start receiving the session within 2 minutes")
		}
	}
	// Every late viewer is now in the middle of the backlog: a new one is
	// welcomed all the same.
	fresh := dial(t, ts, "/ws", nil)
	if hello := read(t, fresh); hello.Type != "hello" {
		t.Errorf("a new viewer got %q first, want hello", hello.Type)
	}
	close(release)
	wg.Wait()
	grew := stop()
	for i, c := range counts {
		if errs[i] != nil {
			t.Errorf("viewer %d: %v", i, errs[i])
		} else if c.n != total || !bytes.Contains(c.foot[:c.nFoot], []byte(`"dropped":0,"done":true`)) {
			t.Errorf("viewer %d got %d events of %d, ending %q", i, c.n, total, c.foot[:c.nFoot])
		}
	}
	t.Logf("%d late viewers of a session of %d events (%.1f MB): the heap grew by %.1f MB at its peak",
		viewers, total, float64(size)/1e6, float64(grew)/1e6)
	if bound := uint64(2 * size); grew > bound {
		t.Errorf("the heap grew by %.1f MB, more than two copies of the %.1f MB session", float64(grew)/1e6, float64(size)/1e6)
	}
}

// Viewers who join while a run is emitting get every event once: the
// backlog up to their snapshot, then the broadcasts after it, while the
// store keeps growing beside the snapshot they send from.
func TestViewersJoinDuringRun(t *testing.T) {
	const total = 20_000
	cfg := testConfig()
	cfg.Scenarios = []ScenarioInfo{{Name: "steady"}}
	joined := make(chan struct{})
	cfg.Run = func(ctx context.Context, name string, o RunOptions, sink tracer.Sink) error {
		evs := make([]tracer.Event, 0, 100)
		for seq := 1; seq <= total; seq++ {
			evs = append(evs, tracer.Event{Seq: uint64(seq), T: tracer.Time(seq), Kind: tracer.KindMake, G: 1, V: tracer.ValueID(seq), Label: "v"})
			if len(evs) == cap(evs) {
				sink.Emit(evs)
				evs = evs[:0]
				if seq == total/2 {
					select { // half the run is in the store before the last viewers join
					case <-joined:
					case <-ctx.Done():
						return ctx.Err()
					}
				}
				time.Sleep(100 * time.Microsecond)
			}
		}
		return nil
	}
	_, ts := start(t, cfg)
	starter := dial(t, ts, "/ws", nil)
	read(t, starter)
	starter.WriteJSON(map[string]any{"op": "run", "scenario": "steady"})
	readUntil(t, starter, "live", nil)
	conns := make([]*websocket.Conn, 6)
	for i := range conns {
		conns[i] = dial(t, ts, "/ws", nil)
		if i == len(conns)/2 {
			close(joined)
		}
	}
	for i, c := range conns {
		read(t, c) // hello
		n := 0
		seen := 0.0
		for {
			m := read(t, c)
			if m.Type != "live" && m.Type != "events" && m.Type != "live-end" {
				continue
			}
			for _, e := range m.events(t) {
				n++
				if e["seq"] != seen+1 {
					t.Fatalf("viewer %d: event %v after %v", i, e["seq"], seen)
				}
				seen = e["seq"].(float64)
			}
			if m.Type == "live-end" || (m.Type == "live" && m.Done) {
				break
			}
		}
		if n != total {
			t.Errorf("viewer %d got %d events of %d", i, n, total)
		}
	}
}
