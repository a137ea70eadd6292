package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the scripts under testdata/script run handoff as a
// command, the way a user does.
func TestMain(m *testing.M) {
	testscript.Main(cleaningM{m}, map[string]func(){
		"handoff": func() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// testCleanups run after all the tests, for what several tests share.
var testCleanups []func()

// cleaningM runs the tests, then testCleanups.
type cleaningM struct{ m *testing.M }

func (c cleaningM) Run() int {
	defer func() {
		for _, f := range testCleanups {
			f()
		}
	}()
	return c.m.Run()
}

// TestScripts runs the command-line end-to-end scripts: exit statuses,
// what goes to stdout and stderr, files written.
// testscript sets HOME to /no-home; the scripts share one user cache
// directory instead, so that Graphviz is compiled once, not per command,
// and handoff has no reason to warn about its cache.
func TestScripts(t *testing.T) {
	cache := t.TempDir()
	traces, err := filepath.Abs("../../tracer/exectrace/testdata")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("XDG_CACHE_HOME", cache)
			env.Setenv("TRACES", traces)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"gzip":   cmdGzip,
			"isgzip": cmdIsGzip,
			"cut":    cmdCut,
			"flip":   cmdFlip,
			"gzbomb": cmdGzipBomb,
		},
	})
}

// gzip SRC DST writes SRC gzip-compressed to DST.
func cmdGzip(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: gzip SRC DST")
	}
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(ts.ReadFile(args[0])))
	ts.Check(w.Close())
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), b.Bytes(), 0o666))
}

// isgzip FILE fails unless FILE is a whole gzip stream.
func cmdIsGzip(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: isgzip FILE")
	}
	f, err := os.Open(ts.MkAbs(args[0]))
	ts.Check(err)
	defer f.Close()
	r, err := gzip.NewReader(f)
	if err == nil {
		_, err = io.Copy(io.Discard, r)
	}
	if neg != (err != nil) {
		ts.Fatalf("%s: gzip: %v", args[0], err)
	}
}

// cut FILE N DST writes the first N bytes of FILE to DST.
func cmdCut(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: cut FILE N DST")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	data := ts.ReadFile(args[0])
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), []byte(data[:min(n, len(data))]), 0o666))
}

// flip FILE N DST writes FILE to DST with the Nth byte from its end
// inverted.
func cmdFlip(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: flip FILE N DST")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	data := []byte(ts.ReadFile(args[0]))
	data[len(data)-n] ^= 0xff
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), data, 0o666))
}

// gzbomb DST MIB writes a gzip bomb to DST: a handoff header, then one
// line of MIB mebibytes, as one gzip member per MiB (a reader reads
// them as one stream), a KiB or so each.
func cmdGzipBomb(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: gzbomb DST MIB")
	}
	mib, err := strconv.Atoi(args[1])
	ts.Check(err)
	member := func(data []byte) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write(data)
		ts.Check(w.Close())
		return b.Bytes()
	}
	bomb := member([]byte(`{"format":"handoff","version":2}` + "\n"))
	bomb = append(bomb, bytes.Repeat(member(bytes.Repeat([]byte("x"), 1<<20)), mib)...)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), bomb, 0o666))
}
