package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadInputCatalogue runs every command that reads a trace on every
// kind of bad input: each answers with a handoff: error that names the
// file, exit status 2, and no panic; no output file is left behind.
func TestBadInputCatalogue(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(goTrace)
	if err != nil {
		t.Fatal(err)
	}
	const header = `{"format":"handoff","version":2}` + "\n"
	random := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	files := map[string][]byte{
		"empty.jsonl":      nil,
		"random.bin":       random,
		"words.jsonl":      []byte("hello, this is not a trace\n"),
		"future.jsonl":     []byte(`{"format":"handoff","version":9}` + "\n"),
		"cut-json.jsonl":   []byte(header + `{"seq":1,"t":0,"kind":"make","g":1,`),
		"long-line.jsonl":  []byte(header + `{"seq":1,"t":0,"kind":"make","g":1,"v":1,"label":"` + strings.Repeat("x", 2<<20) + `"}` + "\n"),
		"seq-gap.jsonl":    []byte(header + `{"seq":1,"t":0,"kind":"end","g":1}` + "\n" + `{"seq":5,"t":0,"kind":"end","g":2}` + "\n"),
		"impossible.jsonl": []byte(header + `{"seq":1,"t":0,"kind":"recv","g":1,"ch":1,"v":3}` + "\n"),
		"array.jsonl":      []byte(header + "[1,2,3]\n"),
		"cut-go.trace":     good[:len(good)/2],
		"header-go.trace":  good[:16],
		"old-go.trace":     []byte("go 1.10 trace\x00\x00\x00\x00\x01\x02\x03"),
		"cut.rec":          []byte("HNDFREC1"),
		"garbage.rec":      append([]byte("HNDFREC1"), random...),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "a-directory"), 0o755); err != nil {
		t.Fatal(err)
	}
	inputs := []string{"a-directory", "missing.jsonl"}
	for name := range files {
		inputs = append(inputs, name)
	}
	out := filepath.Join(dir, "out")
	commands := []struct {
		name string
		args func(in string) []string
	}{
		{"check", func(in string) []string { return []string{"check", in} }},
		{"render", func(in string) []string { return []string{"render", in, "-o", out + ".svg"} }},
		{"export", func(in string) []string { return []string{"export", in, "-o", out + ".json"} }},
		{"import", func(in string) []string { return []string{"import", in, "-o", out + ".jsonl"} }},
	}
	for _, cmd := range commands {
		for _, in := range inputs {
			t.Run(cmd.name+"/"+in, func(t *testing.T) {
				var stdout, stderr bytes.Buffer
				code := run(cmd.args(filepath.Join(dir, in)), &stdout, &stderr)
				msg := stderr.String()
				if code != exitUsage || !strings.HasPrefix(msg, "handoff: ") || !strings.Contains(msg, in) {
					t.Errorf("exit %d, stderr %.300q: want exit %d and a handoff: error naming %s", code, msg, exitUsage, in)
				}
				for _, ext := range []string{".svg", ".json", ".jsonl"} {
					if _, err := os.Stat(out + ext); err == nil {
						t.Errorf("left %s behind", out+ext)
						os.Remove(out + ext)
					}
				}
			})
		}
	}
}
