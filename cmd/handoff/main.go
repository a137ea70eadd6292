// Command handoff records, checks and draws who owns each value in a
// concurrent Go program, and when. See doc.go.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/handoff-viz/handoff/internal/graphvizcache"
)

// A command is one subcommand of handoff. run returns the exit status.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands is the table of subcommands; each file adds its own in init.
var commands []command

func register(c command) {
	commands = append(commands, c)
	slices.SortFunc(commands, func(a, b command) int { return strings.Compare(a.name, b.name) })
}

// Exit statuses.
const (
	exitOK         = 0
	exitViolations = 1 // handoff check found broken rules
	exitUsage      = 2 // bad flags, bad input
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	// Graphviz was compiled, or loaded from the cache, before main ran;
	// if the cache could not be used as it was, say why.
	if w := graphvizcache.Warning(); w != "" {
		fmt.Fprintf(stderr, "handoff: warning: %s\n", w)
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "handoff: unknown command %q (run 'handoff help' for the list)\n", args[0])
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "handoff shows who owns each value in a concurrent Go program, and when.")
	fmt.Fprintln(w, "\nUsage:\n\n\thandoff <command> [flags] [arguments]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "\t%-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'handoff <command> --help' for a command's flags.")
}

// newFlagSet returns a FlagSet that reports errors instead of exiting, and
// prints its usage to stderr with the command's synopsis.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("handoff "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: handoff %s %s\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, letting flags and positional arguments mix
// ("run NAME --format jsonl"). It returns the positional arguments, and an
// exit status to return at once when ok is false.
func parseFlags(fs *flag.FlagSet, args []string) (pos []string, status int, ok bool) {
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			return nil, exitOK, false
		}
		if err != nil {
			return nil, exitUsage, false
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, 0, true
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), 0, true
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// fail prints a handoff: error and returns status.
func fail(stderr io.Writer, status int, format string, args ...any) int {
	fmt.Fprintf(stderr, "handoff: "+format+"\n", args...)
	return status
}
