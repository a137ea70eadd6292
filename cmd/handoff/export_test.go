package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/handoff-viz/handoff/tracer/traceevent"
)

// TestExportGoTrace exports a Go execution trace through the command and
// checks the file against the Trace Event format.
func TestExportGoTrace(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.json")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"export", goTrace, "-o", out}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := traceevent.Validate(data)
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if sum.Flows == 0 || sum.ByPhase["C"] == 0 || sum.ByPhase["X"] == 0 {
		t.Errorf("want flows, counters and slices, got %+v", sum)
	}
	if !strings.Contains(string(data), `"source":"pipeline.trace","clock":"imported"`) {
		t.Errorf("otherData lacks the source and clock of an import")
	}
}

// TestExportExitStatus: every mistake is exit 2 with one handoff: line.
func TestExportExitStatus(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.annotation.trace")
	raw, err := os.ReadFile("../../tracer/exectrace/testdata/badannotation.trace")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"missing file", []string{"export", filepath.Join(dir, "nope.jsonl"), "-o", filepath.Join(dir, "a.json")}, "no such scenario or file"},
		{"no -o", []string{"export", "channel-handoff"}, "-o FILE is required"},
		{"bad flag", []string{"export", "channel-handoff", "-o", filepath.Join(dir, "b.json"), "--frames", "x"}, "flag provided but not defined"},
		{"malformed go trace", []string{"export", bad, "-o", filepath.Join(dir, "c.json")}, "handoff annotation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(tc.args, &stdout, &stderr); code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tc.want)
			}
			if !strings.HasPrefix(stderr.String(), "handoff: export: ") && !strings.Contains(stderr.String(), "\nhandoff: export: ") {
				t.Errorf("stderr %q: want a handoff: export: line", stderr.String())
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if e.Name() != filepath.Base(bad) {
					t.Errorf("a failed export left %s behind", e.Name())
				}
			}
		})
	}
}
