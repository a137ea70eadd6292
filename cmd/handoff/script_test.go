package main

import (
	"os"
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
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("XDG_CACHE_HOME", cache)
			return nil
		},
	})
}
