package viz

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/handoff-viz/handoff/scenarios"
	"github.com/handoff-viz/handoff/tracer"
)

// lookDir is for people: go test ./viz -run Look -look DIR writes every
// scenario's timeline and graph as DOT, SVG and PNG into DIR.
var lookDir = flag.String("look", "", "write every scenario's pictures to this directory, to look at")

func TestLook(t *testing.T) {
	if *lookDir == "" {
		t.Skip("no -look directory")
	}
	for _, s := range scenarios.All() {
		evs, err := scenarios.Record(s, scenarios.Options{NoCallSites: true})
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		tl := tracer.BuildTimeline(evs)
		for _, v := range []string{"timeline", "graph"} {
			for _, f := range []string{"dot", "svg", "png"} {
				var b bytes.Buffer
				if err := Render(&b, tl, f, Options{View: v, Title: s.Name}); err != nil {
					t.Errorf("%s %s %s: %v", s.Name, v, f, err)
					continue
				}
				if err := os.WriteFile(filepath.Join(*lookDir, s.Name+"-"+v+"."+f), b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}
