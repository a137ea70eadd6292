package traceevent_test

import (
	"bytes"
	"os"
	"path/filepath"
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
