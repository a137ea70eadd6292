//go:build unix

package graphvizcache

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
)

// TestMain puts TMPDIR back, as package viz does in handoff, since this
// package's initialisation pointed it at the user's cache directory.
func TestMain(m *testing.M) {
	Restore()
	os.Exit(m.Run())
}

func TestPrepareMakesPrivateDirectories(t *testing.T) {
	base := filepath.Join(t.TempDir(), "cache") // missing: prepare makes it
	for range 2 {                               // and finds it the second time
		dir, note, err := prepare(base)
		if err != nil || note != "" {
			t.Fatalf("prepare: %q, %v", note, err)
		}
		if want := filepath.Join(base, "handoff"); dir != want {
			t.Fatalf("dir %s, want %s", dir, want)
		}
		vdirs, _ := filepath.Glob(filepath.Join(dir, "go-graphviz", "wazero-*"))
		for _, d := range append([]string{base, dir, filepath.Join(dir, "go-graphviz")}, vdirs...) {
			fi, err := os.Lstat(d)
			if err != nil {
				t.Fatal(err)
			}
			if !fi.IsDir() || fi.Mode().Perm() != 0o700 {
				t.Errorf("%s: mode %v, want a directory 0700", d, fi.Mode())
			}
		}
		if len(vdirs) != 1 {
			t.Fatalf("want one wazero directory, got %q", vdirs)
		}
		if left, _ := os.ReadDir(vdirs[0]); len(left) != 0 {
			t.Errorf("the trial write left %v behind", left)
		}
	}
}

func TestPrepareRefuses(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, base string)
		want  string
	}{
		{"base writable by others", func(t *testing.T, base string) { chmod(t, base, 0o777) }, "writable by others (mode 0777) and not sticky"},
		{"base is a file", func(t *testing.T, base string) {
			os.Remove(base)
			os.WriteFile(base, nil, 0o600)
		}, "is not a directory"},
		{"handoff writable by group", func(t *testing.T, base string) { mkdir(t, filepath.Join(base, "handoff"), 0o770) }, "writable by group or others (mode 0770)"},
		{"handoff a symbolic link", func(t *testing.T, base string) {
			mkdir(t, filepath.Join(base, "real"), 0o700)
			os.Symlink("real", filepath.Join(base, "handoff"))
		}, "is a symbolic link"},
		{"go-graphviz read-only", func(t *testing.T, base string) {
			mkdir(t, filepath.Join(base, "handoff"), 0o700)
			mkdir(t, filepath.Join(base, "handoff", "go-graphviz"), 0o500)
		}, "not readable, writable and searchable by you (mode 0500)"},
		{"a wazero directory writable by others", func(t *testing.T, base string) {
			mkdir(t, filepath.Join(base, "handoff"), 0o700)
			mkdir(t, filepath.Join(base, "handoff", "go-graphviz"), 0o700)
			mkdir(t, filepath.Join(base, "handoff", "go-graphviz", "wazero-v0.0.1-amd64-linux"), 0o777)
		}, "wazero-v0.0.1-amd64-linux is writable by group or others"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base := filepath.Join(t.TempDir(), "cache")
			mkdir(t, base, 0o700)
			c.setup(t, base)
			_, _, err := prepare(base)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("prepare: %v, want an error saying %q", err, c.want)
			}
		})
	}
	t.Run("sticky base", func(t *testing.T) { // like /tmp
		base := filepath.Join(t.TempDir(), "cache")
		mkdir(t, base, os.ModeSticky|0o777)
		if _, _, err := prepare(base); err != nil {
			t.Fatal(err)
		}
	})
}

// answerModule is a WebAssembly module with one function, answer,
// returning 42.
var answerModule = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
	0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, // types: () -> i32
	0x03, 0x02, 0x01, 0x00, // functions: one of type 0
	0x07, 0x0a, 0x01, 0x06, 'a', 'n', 's', 'w', 'e', 'r', 0x00, 0x00, // export "answer"
	0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x2a, 0x0b, // code: i32.const 42
}

// compileWithCache compiles answerModule with wazero and a cache in dir,
// as go-graphviz does, and says whether wazero failed.
func compileWithCache(t *testing.T, dir string) error {
	t.Helper()
	ctx := context.Background()
	cache, err := wazero.NewCompilationCacheWithDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close(ctx)
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCompilationCache(cache))
	defer r.Close(ctx)
	_, err = r.CompileModule(ctx, answerModule)
	return err
}

// TestCheckEntryAgreesWithWazero makes a real cache entry with the wazero
// this module builds with, damages it in several ways, and checks that
// checkEntry rejects exactly the entries wazero fails on: this is what
// would notice wazero changing its layout.
func TestCheckEntryAgreesWithWazero(t *testing.T) {
	dir := t.TempDir()
	if err := compileWithCache(t, dir); err != nil {
		t.Fatal(err)
	}
	entries, _ := filepath.Glob(filepath.Join(dir, "wazero-*", "*"))
	if len(entries) != 1 {
		t.Skipf("wazero wrote %d cache entries; its compiler may not run on this platform", len(entries))
	}
	entry := entries[0]
	if !strings.HasPrefix(filepath.Base(filepath.Dir(entry)), "wazero-"+wazeroVersion()+"-") {
		t.Fatalf("wazero's directory %s is not named after version %s", filepath.Dir(entry), wazeroVersion())
	}
	if !isEntryName(filepath.Base(entry)) {
		t.Fatalf("entry name %s is not what isEntryName expects", filepath.Base(entry))
	}
	good, err := os.ReadFile(entry)
	if err != nil {
		t.Fatal(err)
	}
	if current, err := checkEntry(entry, wazeroVersion()); !current || err != nil {
		t.Fatalf("checkEntry on wazero's own entry: current %v, %v", current, err)
	}
	mutate := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	cases := []struct {
		name  string
		entry []byte
		stale bool // wazero replaces it without error
	}{
		{"magic", mutate(func(b []byte) []byte { b[0] = 'X'; return b }), false},
		{"other version", mutate(func(b []byte) []byte { b[7] = 'x'; return b }), true},
		{"code flipped", mutate(func(b []byte) []byte { b[len(b)-10] ^= 0xff; return b }), false},
		{"checksum", mutate(func(b []byte) []byte { b[len(b)-2] ^= 0xff; return b }), false},
		{"empty", nil, false},
		// The module has no source map: its entry ends with a 0 saying so.
		{"source map promised", mutate(func(b []byte) []byte { b[len(b)-1] = 1; return b }), false},
		{"source map too short", mutate(func(b []byte) []byte {
			b[len(b)-1] = 1
			return append(b, 1, 0, 0, 0, 0, 0, 0, 0, 0xaa)
		}), false},
		{"huge function count", mutate(func(b []byte) []byte {
			at := 7 + int(b[6])
			b[at+3] = 0x7f
			return b
		}), false},
	}
	for n := 1; n < len(good); n++ {
		cases = append(cases, struct {
			name  string
			entry []byte
			stale bool
		}{fmt.Sprintf("cut at %d", n), good[:n], false})
	}
	for _, c := range cases {
		if err := os.WriteFile(entry, c.entry, 0o600); err != nil {
			t.Fatal(err)
		}
		current, checkErr := checkEntry(entry, wazeroVersion())
		wazeroErr := compileWithCache(t, dir)
		switch {
		case c.stale && (checkErr != nil || current):
			t.Errorf("%s (%d bytes): checkEntry says current %v, %v; want stale", c.name, len(c.entry), current, checkErr)
		case !c.stale && checkErr == nil:
			t.Errorf("%s (%d bytes): checkEntry accepts it (current %v); wazero says %v", c.name, len(c.entry), current, wazeroErr)
		}
		if (checkErr != nil) != (wazeroErr != nil) {
			t.Errorf("%s (%d bytes): checkEntry says %v, wazero says %v", c.name, len(c.entry), checkErr, wazeroErr)
		}
	}
}

func TestProbeWriteLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	if err := probeWrite(dir, 3<<20+5); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("left %v behind", left)
	}
	if err := probeWrite(filepath.Join(dir, "missing"), 1); err == nil {
		t.Error("probeWrite into a missing directory: no error")
	}
}

func TestNoCacheDirIsUnderAFile(t *testing.T) {
	d := noCacheDir()
	if _, err := os.Stat(filepath.Join(d, "go-graphviz")); err == nil {
		t.Fatalf("%s/go-graphviz exists", d)
	}
	if err := os.Mkdir(filepath.Join(d, "go-graphviz"), 0o755); err == nil {
		t.Fatalf("made %s/go-graphviz", d)
	}
}

func mkdir(t *testing.T, d string, mode os.FileMode) {
	t.Helper()
	if err := os.Mkdir(d, mode); err != nil {
		t.Fatal(err)
	}
	chmod(t, d, mode)
}

func chmod(t *testing.T, p string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}
