package main

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/handoff-viz/handoff/tracer"
)

const goTrace = "../../tracer/exectrace/testdata/pipeline.trace"

func TestImport(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.jsonl")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"import", goTrace, "-o", out}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{"exact", "slot", "leak candidates", "gen.go:43", "not in a runtime trace"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, stderr.String())
		}
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, evs, err := tracer.ReadTrace(f)
	if err != nil {
		t.Fatalf("the import does not read back: %v", err)
	}
	if h.Clock != "imported" || !strings.Contains(h.Note, "call site") {
		t.Errorf("header %+v: want clock imported and a note on what a runtime trace cannot show", h)
	}
	if err := tracer.Validate(evs); err != nil {
		t.Errorf("Validate: %v", err)
	}
	sends := 0
	for _, e := range evs {
		if e.Kind == tracer.KindSend {
			sends++
		}
	}
	if sends == 0 {
		t.Error("no handoffs in the import")
	}
}

// TestGoTraceAsInput: every command that reads a trace file takes a Go
// execution trace too, detected by its header.
func TestGoTraceAsInput(t *testing.T) {
	f, err := os.Open(goTrace)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, events, err := readTrace(bufio.NewReader(f), goTrace)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, err := range events {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if h.Clock != "imported" || n == 0 {
		t.Errorf("header %+v, %d events: want an imported trace", h, n)
	}
}

func TestImportBadInput(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(goTrace)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"empty.trace":     nil,
		"json.trace":      []byte(`{"format":"handoff","version":1}` + "\n"),
		"random.trace":    []byte("\x00\x01\x02 random bytes \xff\xfe"),
		"truncated.trace": good[:len(good)/2],
		"old.trace":       []byte("go 1.10 trace\x00\x00\x00\x00\x01\x02\x03"),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"import", filepath.Join(dir, "empty.trace")}, "empty file"},
		{[]string{"import", filepath.Join(dir, "json.trace")}, "not a Go execution trace"},
		{[]string{"import", filepath.Join(dir, "random.trace")}, "not a Go execution trace"},
		{[]string{"import", filepath.Join(dir, "truncated.trace")}, "truncated"},
		{[]string{"import", filepath.Join(dir, "old.trace")}, "cannot read"},
		{[]string{"import", filepath.Join(dir, "missing.trace")}, "no such file"},
		{[]string{"import"}, "want one TRACE"},
		{[]string{"import", goTrace, "--from", "2s", "--to", "1s"}, "before --from"},
	} {
		t.Run(strings.Join(tc.args[1:], " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.args, &stdout, &stderr)
			if code != exitUsage || !strings.HasPrefix(stderr.String(), "handoff: ") && !strings.Contains(stderr.String(), "\nhandoff: ") || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, stderr %q: want exit %d and a handoff: error containing %q", code, stderr.String(), exitUsage, tc.want)
			}
			if len(tc.args) > 1 && !strings.Contains(stderr.String(), filepath.Base(tc.args[1])) && tc.args[1] != goTrace {
				t.Errorf("error %q does not name the file", stderr.String())
			}
		})
	}
}
