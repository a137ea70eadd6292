package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the scripts under testdata/script run handoff as a
// command, the way a user does.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"handoff": func() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the command-line end-to-end scripts: exit statuses,
// what goes to stdout and stderr, files written.
// testscript sets HOME to /no-home; the scripts share one user cache
// directory instead, so that Graphviz is compiled once, not per command,
// and handoff has no reason to warn about its cache.
func TestScripts(t *testing.T) {
	cache := t.TempDir()
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("XDG_CACHE_HOME", cache)
			return nil
		},
	})
}
