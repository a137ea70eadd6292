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
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata/script", RequireExplicitExec: true})
}
