package traceevent_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/handoff-viz/handoff/tracer"
	"github.com/handoff-viz/handoff/tracer/traceevent"
)

// FuzzWriter feeds the writer whatever handoff's reader accepts, traces
// that make no sense included (a receive before its send, an unlock
// without a lock, events after an end, ids out of order): the writer
// either refuses an event with an error or makes a file Validate accepts.
func FuzzWriter(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/*.jsonl")
	local, _ := filepath.Glob("testdata/*.jsonl")
	for _, s := range append(seeds, local...) {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	const h = `{"format":"handoff","version":1}` + "\n"
	f.Add([]byte(h + `{"seq":1,"t":0,"kind":"recv","g":1,"ch":1,"v":3}` + "\n" + `{"seq":2,"t":0,"kind":"send","g":2,"ch":1,"v":3}`))
	f.Add([]byte(h + `{"seq":1,"t":5,"kind":"unlock","g":1,"mu":1}` + "\n" + `{"seq":2,"t":5,"kind":"lock","g":2,"mu":1}` + "\n" + `{"seq":3,"t":5,"kind":"lock","g":3,"mu":1}`))
	f.Add([]byte(h + `{"seq":1,"t":0,"kind":"end","g":1}` + "\n" + `{"seq":2,"t":0,"kind":"send","g":1,"ch":1,"v":1}` + "\n" + `{"seq":3,"t":0,"kind":"send","g":1,"ch":1,"v":1}` + "\n" + `{"seq":4,"t":0,"kind":"recv","g":1,"ch":1,"v":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rd, err := tracer.NewReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		var out bytes.Buffer
		w := traceevent.NewWriter(&out, rd.Header())
		for {
			e, err := rd.Next()
			if err != nil {
				break
			}
			if err := w.Write(&e); err != nil {
				return // refused: an id the format cannot carry
			}
		}
		if _, err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := traceevent.Validate(out.Bytes()); err != nil {
			t.Fatalf("Validate: %v\n%s", err, out.Bytes())
		}
	})
}

// TestRandomTraces writes random event sequences (small ids, many equal
// timestamps, no sense at all) and validates each file: the same property
// as FuzzWriter, deterministic, and quick enough for every test run.
func TestRandomTraces(t *testing.T) {
	kinds := []tracer.Kind{
		tracer.KindGo, tracer.KindEnd, tracer.KindJoin, tracer.KindChan, tracer.KindMake,
		tracer.KindSend, tracer.KindSend, tracer.KindRecv, tracer.KindRecv, tracer.KindClose,
		tracer.KindBlock, tracer.KindUse, tracer.KindBorrow, tracer.KindRelease, tracer.KindDrop,
		tracer.KindMutex, tracer.KindLock, tracer.KindUnlock, tracer.KindScope, tracer.KindScopeEnd,
		tracer.KindViolation, tracer.KindDiscard,
	}
	ons := []string{tracer.OnSend, tracer.OnRecv, tracer.OnLock, tracer.OnJoin}
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 2000 {
		var evs []tracer.Event
		var now tracer.Time
		for i := range 1 + rng.IntN(60) {
			if rng.IntN(3) == 0 {
				now += tracer.Time(rng.IntN(2500))
			}
			e := tracer.Event{
				Seq: uint64(i + 1), T: now, Kind: kinds[rng.IntN(len(kinds))],
				G: tracer.GoID(1 + rng.IntN(4)), Child: tracer.GoID(1 + rng.IntN(4)),
				Ch: tracer.ChanID(1 + rng.IntN(3)), V: tracer.ValueID(1 + rng.IntN(5)),
				Mu: tracer.MutexID(1 + rng.IntN(2)), Scope: 1, Label: "x", Name: "n",
				On: ons[rng.IntN(len(ons))], Rule: "r", Close: rng.IntN(8) == 0, Abort: rng.IntN(4) == 0,
			}
			evs = append(evs, e)
		}
		var out bytes.Buffer
		w := traceevent.NewWriter(&out, tracer.Header{})
		for i := range evs {
			if err := w.Write(&evs[i]); err != nil {
				t.Fatalf("trial %d: %v", trial, err)
			}
		}
		if _, err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := traceevent.Validate(out.Bytes()); err != nil {
			var b strings.Builder
			for _, e := range evs {
				fmt.Fprintf(&b, "%d %s\n", e.T, e.String())
			}
			t.Fatalf("trial %d: Validate: %v\nevents:\n%s", trial, err, b.String())
		}
	}
}
