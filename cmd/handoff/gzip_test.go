package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"

	"github.com/handoff-viz/handoff/tracer"
)

// TestWritesGzip: run and import write gzip when -o ends in .gz; read back
// with compress/gzip alone, the trace is the plain one's kind of file and
// makes sense as a run.
func TestWritesGzip(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		args []string
	}{
		{"run", []string{"run", "bounded-producers", "--format", "jsonl", "-o"}},
		{"run deadlock", []string{"run", "deadlock", "--format", "jsonl", "-o"}},
		{"import", []string{"import", "../../tracer/exectrace/testdata/busy.trace", "-q", "-o"}},
		{"import of a gzipped go trace", []string{"import", gzipFile(t, "../../tracer/exectrace/testdata/busy.trace"), "-q", "-o"}},
	} {
		out := filepath.Join(dir, c.name+".jsonl.gz")
		var stdout, stderr bytes.Buffer
		if code := run(append(c.args, out), &stdout, &stderr); code != exitOK {
			t.Fatalf("%s: exit %d: %s", c.name, code, stderr.String())
		}
		f, err := os.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("%s: %s is not gzip: %v", c.name, out, err)
		}
		h, evs, err := tracer.ReadTrace(zr)
		f.Close()
		if err != nil {
			t.Fatalf("%s: does not read back: %v", c.name, err)
		}
		if h.Format != tracer.FormatName || len(evs) == 0 {
			t.Errorf("%s: header %+v, %d events", c.name, h, len(evs))
		}
		if err := tracer.Validate(evs); err != nil {
			t.Errorf("%s: Validate: %v", c.name, err)
		}
		// And every reader of handoff's reads it as it reads the plain file.
		if _, got, err := loadInput(out); err != nil || len(got) != len(evs) {
			t.Errorf("%s: loadInput: %d events, %v; want %d", c.name, len(got), err, len(evs))
		}
	}
}

// gzipFile writes a gzip-compressed copy of path and returns its name.
func gzipFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), filepath.Base(path)+".gz")
	if err := os.WriteFile(out, b.Bytes(), 0o666); err != nil {
		t.Fatal(err)
	}
	return out
}
