package traceevent

import (
	"bytes"
	"io"
	"testing"

	"github.com/handoff-viz/handoff/tracer"
)

// TestBoundedState streams a long run of handoffs and checks that the
// writer holds what its package doc says and no more: live goroutines,
// channels, values not dropped, sends awaiting their receive.
func TestBoundedState(t *testing.T) {
	w := NewWriter(io.Discard, tracer.Header{})
	var seq uint64
	write := func(e tracer.Event) {
		seq++
		e.Seq, e.T = seq, tracer.Time(seq*10)
		if err := w.Write(&e); err != nil {
			t.Fatal(err)
		}
	}
	write(tracer.Event{Kind: tracer.KindChan, G: 1, Ch: 1, Name: "ping"})
	write(tracer.Event{Kind: tracer.KindGo, G: 1, Child: 2, Name: "echo"})
	const n = 100000
	for i := range n {
		from, to := tracer.GoID(1+i%2), tracer.GoID(2-i%2)
		v := tracer.ValueID(i + 1)
		write(tracer.Event{Kind: tracer.KindMake, G: from, V: v, Label: "ball"})
		write(tracer.Event{Kind: tracer.KindSend, G: from, Ch: 1, V: v})
		write(tracer.Event{Kind: tracer.KindBlock, G: to, Ch: 1, On: tracer.OnRecv})
		write(tracer.Event{Kind: tracer.KindRecv, G: to, Ch: 1, V: v})
		write(tracer.Event{Kind: tracer.KindDrop, G: to, V: v})
		if len(w.gs) > 2 || len(w.pending) > 1 || len(w.labels) > 1 || len(w.chans) > 1 || len(w.esc) > 1 || len(w.free) > 1 {
			t.Fatalf("after %d handoffs the writer holds %d goroutines, %d pending sends, %d labels, %d channels, %d escaped labels, %d free tracks",
				i+1, len(w.gs), len(w.pending), len(w.labels), len(w.chans), len(w.esc), len(w.free))
		}
	}
	st, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if st.Flows != n || st.Unreceived != 0 {
		t.Errorf("stats %+v: want %d flows, none unreceived", st, n)
	}
}

// TestLabelsBounded: values that are never dropped (every import's) keep
// at most MaxLabels labels; an older value is named by its id.
func TestLabelsBounded(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out, tracer.Header{})
	var seq uint64
	write := func(e tracer.Event) {
		seq++
		e.Seq, e.T = seq, tracer.Time(seq*10)
		if err := w.Write(&e); err != nil {
			t.Fatal(err)
		}
	}
	write(tracer.Event{Kind: tracer.KindChan, G: 1, Ch: 1, Cap: -1})
	for i := range MaxLabels + 10 {
		write(tracer.Event{Kind: tracer.KindMake, G: 1, V: tracer.ValueID(i + 1), Label: "kept"})
	}
	if len(w.labels) != MaxLabels {
		t.Errorf("%d labels kept, want %d", len(w.labels), MaxLabels)
	}
	write(tracer.Event{Kind: tracer.KindSend, G: 1, Ch: 1, V: 1})
	write(tracer.Event{Kind: tracer.KindSend, G: 1, Ch: 1, V: MaxLabels + 10})
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"name":"send v1"`, `"name":"send \"kept\""`} {
		if !bytes.Contains(out.Bytes(), []byte(want)) {
			t.Errorf("no %s in the output", want)
		}
	}
}
