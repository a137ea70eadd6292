package textview

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/handoff-viz/handoff/tracer"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestGolden prints fixed traces (recorded once from scenarios and kept
// under tracer/testdata) and compares with the golden text.
func TestGolden(t *testing.T) {
	traces, _ := filepath.Glob("../../tracer/testdata/*.jsonl")
	if len(traces) == 0 {
		t.Fatal("no traces under tracer/testdata")
	}
	for _, path := range traces {
		name := strings.TrimSuffix(filepath.Base(path), ".jsonl")
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			h, evs, err := tracer.ReadTrace(f)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := Write(&got, h, tracer.BuildTimeline(evs)); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".txt")
			if *update {
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("text differs from %s (run go test -update and read the diff):\n%s", golden, got.String())
			}
		})
	}
}

func TestSaysWhatMatters(t *testing.T) {
	f, err := os.Open("../../tracer/testdata/bounded-producers.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, evs, err := tracer.ReadTrace(f)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	Write(&out, h, tracer.BuildTimeline(evs))
	for _, want := range []string{
		`makes channel "messages" (capacity 2)`,
		`sends "p1-0" on "messages"`,
		`"p1-0" → channel "messages"`,
		`receives "p1-0" from "messages"`,
		`"p1-0" → g1 main`,
		"no rule of ownership was broken",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
}
