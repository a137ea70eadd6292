package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/handoff-viz/handoff/tracer"
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

// longTrace writes a valid trace of n handoffs from a worker to main.
func longTrace(t *testing.T, n int) string {
	t.Helper()
	evs := []tracer.Event{
		{Kind: tracer.KindChan, G: 1, Ch: 1, Name: "results"},
		{Kind: tracer.KindGo, G: 1, Child: 2, Name: "worker"},
	}
	for i := range n {
		v := tracer.ValueID(i + 1)
		evs = append(evs,
			tracer.Event{Kind: tracer.KindMake, G: 2, V: v, Label: strconv.Itoa(i)},
			tracer.Event{Kind: tracer.KindSend, G: 2, Ch: 1, V: v},
			tracer.Event{Kind: tracer.KindRecv, G: 1, Ch: 1, V: v})
	}
	evs = append(evs, tracer.Event{Kind: tracer.KindEnd, G: 2}, tracer.Event{Kind: tracer.KindJoin, G: 1, Child: 2})
	for i := range evs {
		evs[i].Seq, evs[i].T = uint64(i+1), tracer.Time(i*1000)
	}
	path := filepath.Join(t.TempDir(), "long.jsonl")
	var b bytes.Buffer
	if err := tracer.WriteTrace(&b, tracer.Header{Source: "test"}, evs); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRenderOverview: a trace over four pictures long is drawn as its
// overview, saying so; a window, a view or --steps draw the timeline.
func TestRenderOverview(t *testing.T) {
	long := longTrace(t, 1000) // 3,004 events
	out := filepath.Join(t.TempDir(), "x.dot")
	status, _, stderr := renderCmd(t, long, "-o", out)
	dot, _ := os.ReadFile(out)
	if status != exitOK || !strings.Contains(stderr, "drawing its overview") || !bytes.HasPrefix(dot, []byte("// handoff overview")) {
		t.Fatalf("a long trace: status %d, stderr %q, %.40q", status, stderr, dot)
	}
	for _, args := range [][]string{{"--steps", "100-200"}, {"--steps", "2900"}, {"--from", "5"}, {"--view", "timeline"}, {"--max-steps", "50"}} {
		status, _, stderr := renderCmd(t, append([]string{long, "-o", out}, args...)...)
		dot, _ := os.ReadFile(out)
		if status != exitOK || strings.Contains(stderr, "overview") || !bytes.HasPrefix(dot, []byte("// handoff timeline")) {
			t.Errorf("%v: status %d, stderr %q, %.40q; want the timeline", args, status, stderr, dot)
		}
	}
	status, _, _ = renderCmd(t, long, "-o", out, "--steps", "100-200")
	dot, _ = os.ReadFile(out)
	if status != exitOK || !bytes.Contains(dot, []byte("steps 100 to 200 of 3004 shown")) {
		t.Errorf("--steps 100-200 did not draw steps 100 to 200:\n%.3000s", dot)
	}
	status, _, stderr = renderCmd(t, "channel-handoff", "-o", out, "--view", "overview")
	dot, _ = os.ReadFile(out)
	if status != exitOK || !bytes.HasPrefix(dot, []byte("// handoff overview")) {
		t.Errorf("--view overview of a scenario: status %d, %s, %.40q", status, stderr, dot)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--steps", "x"}, "--steps: want FROM-TO"},
		{[]string{"--steps", "9-3"}, "TO at least FROM"},
		{[]string{"--steps", "0"}, "numbered from 1"},
		{[]string{"--steps", "3-9", "--from", "2"}, "not both"},
		{[]string{"--view", "overview", "--frames", t.TempDir()}, "the overview is one picture"},
	} {
		status, _, stderr := renderCmd(t, append([]string{long, "-o", out}, c.args...)...)
		if c.args[len(c.args)-2] == "--frames" {
			status, _, stderr = renderCmd(t, append([]string{long}, c.args...)...)
		}
		if status != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: status %d, stderr %q; want %q", c.args, status, stderr, c.want)
		}
	}
}
