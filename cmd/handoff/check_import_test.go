package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// lockOrderTrace is the Go execution trace of a two-mutex deadlock
// (tracer/exectrace/testdata/lockorder/main.go).
const lockOrderTrace = "../../tracer/exectrace/testdata/lockorder.trace"

// TestCheckLockDeadlock: check of an imported lock-order deadlock names
// the lock and the line of every finding, and marks the deadlock inferred.
func TestCheckLockDeadlock(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"check", lockOrderTrace}, &stdout, &stderr); code != exitViolations {
		t.Fatalf("exit %d, want %d (violations); stderr: %s", code, exitViolations, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	findings := lines[:len(lines)-1] // the last line sums up
	fileLine := regexp.MustCompile(`\(event #\d+ at [^)]*main\.go:\d+\)`)
	leaks, deadlocks := 0, 0
	for _, l := range findings {
		if !fileLine.MatchString(l) {
			t.Errorf("no file:line in %q", l)
		}
		switch {
		case strings.HasPrefix(l, "leaked-goroutine "):
			leaks++
			if !regexp.MustCompile(`waits for a lock at main\.go:\d+, called from main\.go:\d+`).MatchString(l) {
				t.Errorf("leak %q: want the lock wait's line and its caller's", l)
			}
		case strings.HasPrefix(l, "deadlock "):
			deadlocks++
			if !strings.Contains(l, "wait for locks") || !strings.Contains(l, "inferred") {
				t.Errorf("deadlock %q: want the locks named and the finding marked inferred", l)
			}
		}
	}
	if leaks != 2 || deadlocks != 1 {
		t.Errorf("got %d leaks and %d deadlocks, want 2 and 1:\n%s", leaks, deadlocks, stdout.String())
	}
}

// TestImportLockDeadlock: import's summary names the lock waits and the
// inferred deadlock.
func TestImportLockDeadlock(t *testing.T) {
	var stdout, stderr bytes.Buffer
	out := t.TempDir() + "/out.jsonl"
	if code := run([]string{"import", lockOrderTrace, "-o", out}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if n := strings.Count(stderr.String(), ": sync (lock) at "); n != 2 {
		t.Errorf("want 2 leak candidates in sync (lock), got %d:\n%s", n, stderr.String())
	}
	if !strings.Contains(stderr.String(), "waiting for locks with nothing running that could release them (inferred") {
		t.Errorf("summary lacks the inferred lock deadlock:\n%s", stderr.String())
	}
}
