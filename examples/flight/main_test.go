package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	rtrace "runtime/trace"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/handoff-viz/handoff/tracer"
	"github.com/handoff-viz/handoff/tracer/exectrace"
	"github.com/handoff-viz/handoff/tracer/flight"
	"github.com/handoff-viz/handoff/web"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// viewerMsg is what the test reads of the page's messages.
type viewerMsg struct {
	Type   string            `json:"type"`
	Source string            `json:"source"`
	Events []json.RawMessage `json:"events"`
	Error  string            `json:"error"`
}

// The program streams to a real server while it runs; what the server
// collected is a valid trace whose handoffs are the ones a whole-trace
// import of the same run finds, with the same confidences.
func TestStreamsToServe(t *testing.T) {
	srv, err := web.New(web.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv) // 127.0.0.1
	defer ts.Close()
	defer srv.Close()
	viewer, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer viewer.Close()

	// The whole run, traced the ordinary way beside the flight recorder.
	var full bytes.Buffer
	if err := rtrace.Start(&full); err != nil {
		t.Fatal(err)
	}
	rec, err := flight.Start(context.Background(), flight.Options{
		Addr: ts.Listener.Addr().String(), Every: 200 * time.Millisecond, Window: time.Second, Source: "test",
	})
	if err != nil {
		rtrace.Stop()
		t.Fatal(err)
	}
	const jobs = 150
	sum := run(context.Background(), jobs, 3, 10*time.Millisecond)
	stopErr := rec.Stop()
	rtrace.Stop()
	if stopErr != nil {
		t.Fatalf("stop: %v", stopErr)
	}
	if sum.jobs != jobs {
		t.Fatalf("%d jobs done, want %d", sum.jobs, jobs)
	}
	st := rec.Stats()
	t.Logf("flight: %+v", st)
	if st.Snapshots < 5 {
		t.Errorf("%d snapshots in 1.5s at one every 200ms", st.Snapshots)
	}

	// What the server collected, as a viewer sees it.
	var lines [][]byte
	source := ""
	for {
		viewer.SetReadDeadline(time.Now().Add(10 * time.Second))
		var m viewerMsg
		if err := viewer.ReadJSON(&m); err != nil {
			t.Fatalf("viewer: %v", err)
		}
		switch m.Type {
		case "live":
			source = m.Source
			fallthrough
		case "events":
			for _, e := range m.Events {
				lines = append(lines, e)
			}
		}
		if m.Type == "live-end" {
			if m.Error != "" {
				t.Errorf("live session ended with %q", m.Error)
			}
			break
		}
	}
	if source != "test" {
		t.Errorf("live source %q, want test", source)
	}
	file := append(fmt.Appendf(nil, `{"format":"handoff","version":%d}`+"\n", tracer.FormatVersion), bytes.Join(lines, []byte("\n"))...)
	_, got, err := tracer.ReadTrace(bytes.NewReader(file))
	if err != nil {
		t.Fatalf("read what the server got: %v", err)
	}
	if uint64(len(got)) != st.Events || st.Remote.Sent != st.Events {
		t.Errorf("server got %d events, recorder sent %d (remote says %d)", len(got), st.Events, st.Remote.Sent)
	}
	if err := tracer.Validate(got); err != nil {
		t.Errorf("the stream is not valid: %v", err)
	}

	_, want, err := exectrace.Decode(bytes.NewReader(full.Bytes()), "full")
	if err != nil {
		t.Fatal(err)
	}
	gotH, wantH := handoffs(got), handoffs(want)
	t.Logf("handoffs among the program's goroutines: streamed %v, whole trace %v", gotH.count(), wantH.count())
	// Every streamed handoff is one the whole import finds, with the same
	// confidence and call sites, between the same goroutines.
	for k, n := range gotH {
		if wantH[k] < n {
			t.Errorf("streamed %d× %v, the whole trace has %d", n, k, wantH[k])
		}
	}
	// Most jobs find a worker parked in its receive (the producer waits on
	// its ticker), an exact handoff; so do most results, for the collector.
	g, w := gotH.count(), wantH.count()
	if w["exact producer→worker"] < jobs/2 {
		t.Errorf("the whole trace has %d exact producer→worker handoffs of %d jobs", w["exact producer→worker"], jobs)
	}
	for _, k := range []string{"exact producer→worker", "exact worker→collector"} {
		if g[k] < w[k]*9/10 || g[k] == 0 {
			t.Errorf("%s: streamed %d, the whole trace has %d", k, g[k], w[k])
		}
	}
}

// handoffKey is one handoff: who to whom, how sure, the value's label
// (confidence and call sites).
type handoffKey struct {
	from, to tracer.GoID
	fromName string
	toName   string
	conf     string
	label    string
}

type handoffSet map[handoffKey]int

// count sums the handoffs by confidence and goroutine function.
func (s handoffSet) count() map[string]int {
	c := map[string]int{}
	for k, n := range s {
		c[fmt.Sprintf("%s %s→%s", k.conf, k.fromName, k.toName)] += n
	}
	return c
}

// program returns producer, worker or collector for the goroutines of the
// program (named main.worker when built as a command, flight.worker in its
// test), and "" for the others.
func program(name string) string {
	_, fn, _ := strings.Cut(name, ".")
	switch {
	case !strings.HasPrefix(name, "main.") && !strings.HasPrefix(name, "flight."):
		return ""
	case fn == "producer", fn == "worker", fn == "collector":
		return fn
	}
	return ""
}

// handoffs lists the inferred handoffs between the program's goroutines
// (producer, worker, collector).
func handoffs(evs []tracer.Event) handoffSet {
	names := map[tracer.GoID]string{}
	labels := map[tracer.ValueID]string{}
	senders := map[tracer.ValueID]tracer.GoID{}
	s := handoffSet{}
	for _, e := range evs {
		switch e.Kind {
		case tracer.KindGo:
			names[e.Child] = e.Name
		case tracer.KindMake:
			labels[e.V] = e.Label
		case tracer.KindSend:
			senders[e.V] = e.G
		case tracer.KindRecv:
			if e.Conf == "" {
				continue
			}
			from := senders[e.V]
			fn, tn := program(names[from]), program(names[e.G])
			if fn == "" || tn == "" {
				continue
			}
			s[handoffKey{from, e.G, fn, tn, e.Conf, labels[e.V]}]++
		}
	}
	return s
}
