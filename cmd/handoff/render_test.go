package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// render runs `handoff render args...` and returns its status and output.
func renderCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	status := run(append([]string{"render"}, args...), &out, &errb)
	return status, out.String(), errb.String()
}

func TestRender(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		file  string
		magic string
		args  []string
	}{
		{"a.dot", "digraph timeline", nil},
		{"a.svg", "<svg", []string{"--theme", "dark", "--title", "spawn-move"}},
		{"a.png", "\x89PNG", []string{"--size", "1920x1080"}},
		{"a.pdf", "%PDF-", []string{"--theme", "print"}},
		{"g.svg", "<svg", []string{"--view", "graph"}},
		{"v.svg", "<svg", []string{"--view", "value", "--value", "v1"}},
		{"t.svg", "<svg", []string{"--axis", "time"}},
	} {
		path := filepath.Join(dir, c.file)
		status, _, stderr := renderCmd(t, append([]string{"channel-handoff", "-o", path}, c.args...)...)
		if status != exitOK {
			t.Errorf("render -o %s %v: status %d: %s", c.file, c.args, status, stderr)
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b[:min(len(b), 400)], []byte(c.magic)) {
			t.Errorf("%s does not start like a %s file: %q", c.file, c.magic, b[:min(len(b), 40)])
		}
	}
	status, stdout, stderr := renderCmd(t, "spawn-move", "-o", "-", "--format", "dot")
	if status != exitOK || !strings.HasPrefix(stdout, "// handoff timeline") {
		t.Errorf("-o - --format dot: status %d, stdout %.40q, stderr %s", status, stdout, stderr)
	}
	frames := filepath.Join(dir, "frames")
	status, _, stderr = renderCmd(t, "channel-handoff", "--frames", frames, "--every", "3")
	if status != exitOK {
		t.Fatalf("--frames: status %d: %s", status, stderr)
	}
	fs, _ := filepath.Glob(filepath.Join(frames, "frame-*.svg"))
	if len(fs) < 2 {
		t.Errorf("--frames wrote %d frames", len(fs))
	}
	anim := filepath.Join(dir, "a.gif")
	status, _, stderr = renderCmd(t, "channel-handoff", "--gif", anim, "--every", "2", "--delay", "300ms")
	if status != exitOK {
		t.Fatalf("--gif: status %d: %s", status, stderr)
	}
	if b, err := os.ReadFile(anim); err != nil || !bytes.HasPrefix(b, []byte("GIF89a")) {
		t.Errorf("--gif wrote no GIF: %v %.10q", err, b)
	}
}

func TestRenderBadInput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.svg")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"spawn-move", "-o", out, "--view", "pie"}, `unknown view "pie"`},
		{[]string{"spawn-move", "-o", filepath.Join(dir, "x.gif")}, `use --gif`},
		{[]string{"spawn-move", "-o", filepath.Join(dir, "x.bmp")}, `unknown extension ".bmp"`},
		{[]string{"spawn-move", "--gif", filepath.Join(dir, "x.gif"), "-o", out}, "give --gif alone"},
		{[]string{"spawn-move", "--gif", filepath.Join(dir, "x.gif"), "--view", "graph"}, "--gif animates the timeline view"},
		{[]string{"spawn-move", "--gif", filepath.Join(dir, "x.gif"), "--delay", "1ns"}, "--delay 1ns out of range"},
		{[]string{"spawn-move", "-o", out, "--view", "value", "--value", "v999"}, `no value "v999"`},
		{[]string{"spawn-move", "-o", out, "--view", "value"}, "needs a value"},
		{[]string{"spawn-move", "-o", out, "--theme", "neon"}, `unknown theme "neon"`},
		{[]string{"spawn-move", "-o", out, "--size", "big"}, `bad size "big"`},
		{[]string{"spawn-move", "-o", "-"}, "needs --format"},
		{[]string{"spawn-move"}, "no output"},
		{[]string{"no-such-scenario", "-o", out}, "no such scenario or file"},
		{[]string{"spawn-move", "-o", out, "--focus", "nobody"}, `focus "nobody"`},
		{[]string{"spawn-move", "-o", out, "--from", "9000"}, "no events in steps 9000"},
		{[]string{"-o", out}, "needs one scenario name or trace file"},
	} {
		status, _, stderr := renderCmd(t, c.args...)
		if status != exitUsage || !strings.HasPrefix(stderr, "handoff: ") && !strings.Contains(stderr, "\nhandoff: ") || !strings.Contains(stderr, c.want) {
			t.Errorf("render %v: status %d, stderr %q; want status 2 and %q", c.args, status, stderr, c.want)
		}
	}
	for _, f := range []string{out, filepath.Join(dir, "x.gif")} {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("a failed render left %s behind", f)
		}
	}
}
