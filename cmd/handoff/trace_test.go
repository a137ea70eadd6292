package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/handoff-viz/handoff/tracer"
	"github.com/handoff-viz/handoff/tracer/remote"
)

// programs are the user programs of internal/instrument's tests.
const programs = "../../internal/instrument/testdata/programs"

// TestTraceCommand traces an unmodified program with the command a user
// types: the program's output and exit status pass through, the trace is
// written and valid, and the leaks are named on stderr with file:line.
func TestTraceCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "leak.jsonl.gz")
	var stdout, stderr bytes.Buffer
	code := run([]string{"trace", "-C", filepath.Join(programs, "pipeline-leak"), "-o", out, "."}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit status %d, want the program's 0; stderr:\n%s", code, stderr.String())
	}
	if stdout.String() != "1\n4\n9\ngoroutines: 3\n" {
		t.Errorf("stdout %q, want the program's", stdout.String())
	}
	for _, want := range []string{
		"written to " + out,
		"leaked-goroutine (event #", "at internal/stages/stages.go:11): goroutine g2",
		"at internal/stages/stages.go:24): goroutine g3",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr.String())
		}
	}
	_, evs, err := loadInput(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := tracer.Validate(evs); err != nil {
		t.Fatal(err)
	}
	var check bytes.Buffer
	if code := run([]string{"check", out}, &check, &check); code != exitViolations || strings.Count(check.String(), "leaked-goroutine") != 2 {
		t.Errorf("check of the trace: status %d, want %d with two leaks:\n%s", code, exitViolations, check.String())
	}

	// The program's own exit status and arguments.
	stdout.Reset()
	stderr.Reset()
	out2 := filepath.Join(t.TempDir(), "sieve.jsonl")
	if code := run([]string{"trace", "-q", "-C", filepath.Join(programs, "prime-sieve"), "-o", out2, ".", "-limit", "20"}, &stdout, &stderr); code != 0 || stdout.String() != "2\n3\n5\n7\n11\n13\n17\n19\n" {
		t.Errorf("prime-sieve -limit 20: status %d, stdout %q; stderr:\n%s", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"trace", "-C", filepath.Join(programs, "early-exit"), "-o", filepath.Join(t.TempDir(), "x.jsonl"), "."}, &stdout, &stderr); code != 3 {
		t.Errorf("early-exit: status %d, want the program's 3; stderr:\n%s", code, stderr.String())
	}
}

// TestTraceTimeout ends a program that hangs without Go noticing (a
// goroutine sleeps, so not all are asleep): status 124, and the trace says
// where main waited.
func TestTraceTimeout(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/hang\n\ngo 1.22\n")
	write("main.go", `package main

import (
	"fmt"
	"time"
)

func main() {
	go func() {
		for {
			time.Sleep(time.Hour)
		}
	}()
	never := make(chan int)
	fmt.Println("waiting")
	<-never
}
`)
	out := filepath.Join(dir, "hang.jsonl")
	var stdout, stderr bytes.Buffer
	code := run([]string{"trace", "-C", dir, "--timeout", "3s", "-o", out}, &stdout, &stderr)
	if code != exitTimeout {
		t.Errorf("status %d, want %d; stderr:\n%s", code, exitTimeout, stderr.String())
	}
	for _, want := range []string{"--timeout 3s ended the program", "at main.go:16): goroutine g1 \"main\" was still blocked on recv when --timeout 3s ended the program"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr.String())
		}
	}
}

// TestTraceBadInput: every mistake is a handoff: error saying what is
// wrong, status 2, no panic, and the user's files unchanged.
func TestTraceBadInput(t *testing.T) {
	notModule := t.TempDir()
	oldGo := t.TempDir()
	os.WriteFile(filepath.Join(oldGo, "go.mod"), []byte("module example.com/old\n\ngo 1.16\n"), 0o644)
	os.WriteFile(filepath.Join(oldGo, "main.go"), []byte("package main\n\nfunc main() { c := make(chan int, 1); c <- 1 }\n"), 0o644)
	broken := t.TempDir()
	os.WriteFile(filepath.Join(broken, "go.mod"), []byte("module example.com/broken\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(broken, "main.go"), []byte("package main\n\nfunc main() { undefinedThing() }\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"trace", "--timeout", "-1s"}, "--timeout must not be negative"},
		{[]string{"trace", "--limit", "10"}, "--limit 10 is too small"},
		{[]string{"trace", "--no-such-flag"}, "flag provided but not defined"},
		{[]string{"trace", "-C", filepath.Join(notModule, "missing")}, "not a directory"},
		{[]string{"trace", "-C", notModule}, "go.mod"},
		{[]string{"trace", "-C", oldGo}, "needs 1.18 or later"},
		{[]string{"trace", "-C", broken}, "undefinedThing"},
		{[]string{"trace", "-C", filepath.Join(programs, "prime-sieve"), "./no/such/package"}, "no/such/package"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(tc.args, &stdout, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%q: status %d, stderr %q; want %d and %q", tc.args, code, stderr.String(), exitUsage, tc.want)
		}
	}
	if data, _ := os.ReadFile(filepath.Join(oldGo, "go.mod")); string(data) != "module example.com/old\n\ngo 1.16\n" {
		t.Errorf("go.mod changed: %q", data)
	}
	if entries, _ := os.ReadDir(broken); len(entries) != 2 {
		t.Errorf("the module's directory holds %d entries after a failed trace, want its 2 files", len(entries))
	}
}

// TestTestCommand runs a module's tests traced: the tests run (and pass),
// a trace per package is written, a goroutine a test leaks is named with
// its line in the test file, and flags after -- reach the test binary.
func TestTestCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/squares\n\ngo 1.22\n")
	write("squares.go", `package squares

// Squares sends the square of each number it receives.
func Squares(in <-chan int) <-chan int {
	out := make(chan int)
	go func() {
		defer close(out)
		for n := range in {
			out <- n * n
		}
	}()
	return out
}
`)
	write("squares_test.go", `package squares

import "testing"

func TestSquares(t *testing.T) {
	in := make(chan int)
	go func() {
		for i := 1; i <= 3; i++ {
			in <- i
		}
		close(in)
	}()
	sum := 0
	for sq := range Squares(in) {
		sum += sq
	}
	if sum != 14 {
		t.Fatalf("sum %d", sum)
	}
}

func TestFirstOnly(t *testing.T) {
	in := make(chan int, 2)
	in <- 2
	in <- 3
	if got := <-Squares(in); got != 4 {
		t.Fatalf("got %d", got)
	}
}
`)
	var stdout, stderr bytes.Buffer
	code := run([]string{"test", "-C", dir, "-o", dir, "--", "-v"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("status %d; stdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "--- PASS: TestFirstOnly") {
		t.Errorf("-v did not reach the test binary:\n%s", stdout.String())
	}
	if !strings.Contains(stderr.String(), "at squares.go:9): goroutine") || !strings.Contains(stderr.String(), "blocked on send") {
		t.Errorf("the goroutine TestFirstOnly leaks (it sends 9, nobody receives) is not named:\n%s", stderr.String())
	}
	// A trace per test, by its name: the leak is in TestFirstOnly's.
	for test, leaks := range map[string]int{"TestSquares": 0, "TestFirstOnly": 1} {
		out := filepath.Join(dir, "squares."+test+".handoff.jsonl.gz")
		_, evs, err := loadInput(out)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(tracer.Check(evs)); n != leaks {
			t.Errorf("%s: %d findings, want %d", out, n, leaks)
		}
	}

	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"test", "-C", dir, "-o", dir, "--", "-run", "TestSquares"}, &stdout, &stderr); code != 0 || strings.Contains(stderr.String(), "leaked-goroutine") || strings.Contains(stderr.String(), "TestFirstOnly") {
		t.Errorf("-run TestSquares: status %d, want 0, no leak and no TestFirstOnly; stderr:\n%s", code, stderr.String())
	}

	// One trace for the package.
	stderr.Reset()
	if code := run([]string{"test", "-C", dir, "-o", dir, "--per-package"}, &stdout, &stderr); code != 0 || strings.Count(stderr.String(), "leaked-goroutine") != 1 {
		t.Errorf("--per-package: status %d, want 0 and the one leak; stderr:\n%s", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "squares.test.handoff.jsonl.gz")); err != nil {
		t.Error(err)
	}
}

// TestBuildCommand builds a binary that records when HANDOFF_TRACE is set,
// runs it as a user would, elsewhere, and reads its record file with the
// commands that read traces.
func TestBuildCommand(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "pipeline")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"build", "-C", filepath.Join(programs, "pipeline-leak"), "-o", bin}, &stdout, &stderr); code != 0 {
		t.Fatalf("build: status %d; stderr:\n%s", code, stderr.String())
	}
	// Without HANDOFF_TRACE it runs as built and records nothing.
	plain := exec.Command(bin)
	plain.Dir = dir
	if out, err := plain.Output(); err != nil || string(out) != "1\n4\n9\ngoroutines: 3\n" {
		t.Fatalf("the binary without HANDOFF_TRACE: %v, %q", err, out)
	}
	rec := filepath.Join(dir, "run.rec")
	traced := exec.Command(bin)
	traced.Dir = dir
	traced.Env = append(os.Environ(), "HANDOFF_TRACE="+rec)
	if out, err := traced.Output(); err != nil || string(out) != "1\n4\n9\ngoroutines: 3\n" {
		t.Fatalf("the binary with HANDOFF_TRACE: %v, %q", err, out)
	}
	var check bytes.Buffer
	if code := run([]string{"check", rec}, &check, &check); code != exitViolations ||
		!strings.Contains(check.String(), "at internal/stages/stages.go:11): goroutine g2") || !strings.Contains(check.String(), "at internal/stages/stages.go:24): goroutine g3") {
		t.Errorf("check of the record file: status %d, want %d and the two leaks with their lines:\n%s", code, exitViolations, check.String())
	}
	_, evs, err := loadInput(rec)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, e := range evs {
		if e.Kind == tracer.KindChan {
			names[e.Name] = true
		}
	}
	if !names["nums"] || !names["squares"] {
		t.Errorf("channels %v, want nums and squares named from the binary's own site table", names)
	}
}

// TestTraceServe sends the trace to a running handoff serve: a viewer open
// on it sees the run, every event of the trace file.
func TestTraceServe(t *testing.T) {
	srv := startServe(t)
	viewer, _, err := websocket.DefaultDialer.Dial("ws://"+srv.addr+"/ws", srv.header())
	if err != nil {
		t.Fatal(err)
	}
	defer viewer.Close()
	t.Setenv(remote.TokenEnvVar, "")
	out := filepath.Join(t.TempDir(), "pipeline.jsonl")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"trace", "-C", filepath.Join(programs, "pipeline-leak"), "-o", out, "--serve", srv.addr}, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "sent to the handoff serve at "+srv.addr) {
		t.Fatalf("status %d; stderr:\n%s", code, stderr.String())
	}
	_, evs, err := loadInput(out)
	if err != nil {
		t.Fatal(err)
	}
	n := readLiveSession(t, viewer, "handoff trace .")
	if n != len(evs) {
		t.Errorf("the viewer saw %d events, the trace has %d", n, len(evs))
	}
}
