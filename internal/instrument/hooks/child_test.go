package hooks

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
)

// buildChild builds this package's test binary without -race.
func buildChild(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build a child without -race")
	}
	if _, err := os.Stat("hooks.go"); err != nil {
		t.Skip("not run from the package's directory (as go test runs it): cannot build a child without -race")
	}
	bin := filepath.Join(t.TempDir(), "hooks-norace.test")
	out, err := exec.Command(goTool, "test", "-c", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go test -c: %v\n%s", err, out)
	}
	return bin
}

// The child processes: the test binary run again with HOOKS_TEST_CHILD set,
// recording through the hooks' own init (HANDOFF_RECORD), and ending the way
// the mode says.
func childMode() string { return os.Getenv("HOOKS_TEST_CHILD") }

func childMain(mode string) {
	if mode == "badlimit" {
		// The hooks said why on stderr and record nothing; the program runs.
		if rec != nil || os.Getenv("HANDOFF_RECORD") != "" || os.Getenv("HANDOFF_RECORD_LIMIT") != "" {
			os.Stderr.WriteString("child: recording, or the variables are still set\n")
			os.Exit(9)
		}
		ch := MakeChan(make(chan int, 1), 1)
		Send(ch, 1, 2)
		os.Exit(Recv(ch, 3) + 3)
	}
	if os.Getenv("HANDOFF_RECORD") != "" || rec == nil {
		os.Stderr.WriteString("child: the hooks did not start from HANDOFF_RECORD, or left it in the environment\n")
		os.Exit(9)
	}
	ch := MakeChan(make(chan int), 1)
	done := MakeChan(make(chan bool), 2)
	go Go(func() {
		for i := range 3 {
			Send(ch, i, 3)
		}
		Send(done, true, 4)
	}, 5)()
	for range 3 {
		Recv(ch, 6)
	}
	Recv(done, 7)
	switch mode {
	case "race":
		unsynchronised()
		os.Exit(0)
	case "deadlock":
		Recv(ch, 8) // nobody will send: all goroutines are asleep
	case "nilsend":
		var never chan int
		Send(never, 1, 8) // blocks forever, as a send on a nil channel does
	case "exit":
		Close(done, 9)
		os.Exit(3)
	case "panic":
		Close(done, 9)
		wait := make(chan int)
		go Go(func() { panic("the child panics") }, 10)()
		<-wait
	case "kill":
		Close(done, 9)
		p, _ := os.FindProcess(os.Getpid())
		p.Kill()
		select {}
	}
	os.Exit(8)
}

// shared is written by two goroutines that only the hooks stand between.
var shared int

// unsynchronised writes shared from a child goroutine, then, once the
// child's later record is in the file (seen through atomics on the mapping,
// which the race detector does not track), from the main goroutine, after a
// hook of its own. Nothing orders the two writes but the hooks' shared
// state: the race detector must report them.
func unsynchronised() {
	r := rec
	spawned := atomic.LoadUint64(&r.hdr.next)
	go Go(func() {
		shared = 1
		MakeChan(make(chan int), 11)
	}, 10)()
	// Units: spawned is the Spawn's head, then the child's Start, then its
	// ChanMade, each a head without a label.
	made := (*slot)(unsafe.Add(r.slots, (spawned+2*headUnits)*unitSize))
	for atomic.LoadUint32(&made.commit) == 0 {
		runtime.Gosched()
	}
	MakeChan(make(chan int), 12)
	shared = 2
}

func TestRecordsSurviveTheEnd(t *testing.T) {
	tests := []struct {
		mode     string
		exit     int
		stderr   string
		lastMain string // the last record of the main goroutine
	}{
		{"deadlock", 2, "all goroutines are asleep - deadlock!", "recv-block"},
		{"nilsend", 2, "[chan send (nil chan)]", "send-block"},
		{"exit", 3, "", "close"},
		{"panic", 2, "panic: the child panics", "spawn"},
		{"kill", -1, "", "close"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			if tt.mode == "kill" && os.PathSeparator != '/' {
				t.Skip("kill is SIGKILL on unix only")
			}
			path := filepath.Join(t.TempDir(), "records")
			child := os.Args[0]
			if (tt.mode == "deadlock" || tt.mode == "nilsend") && raceBuild {
				// Go's race runtime never says "all goroutines are asleep"
				// (a plain program deadlocking under -race hangs too), so
				// this child is the same test binary built without -race.
				child = buildChild(t)
			}
			// A child that fails to end is killed, not waited for forever.
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, child, "-test.run=^$", "-test.timeout=0")
			cmd.Env = append(os.Environ(), "HOOKS_TEST_CHILD="+tt.mode, "HANDOFF_RECORD="+path, "HANDOFF_RECORD_LIMIT=1048576")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != tt.exit {
				t.Fatalf("child ended with %v, want exit status %d; stderr:\n%s", err, tt.exit, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr %q, want %q in it", stderr.String(), tt.stderr)
			}
			hdr, recs, unfinished := readRecords(t, path)
			if unfinished != 0 || hdr.Truncated {
				t.Errorf("%d unfinished, truncated %v", unfinished, hdr.Truncated)
			}
			g := byGoroutine(recs)
			mainRecs := g[hdr.MainGoid]
			if len(mainRecs) == 0 || mainRecs[len(mainRecs)-1] != tt.lastMain && !strings.HasPrefix(mainRecs[len(mainRecs)-1], tt.lastMain+" ") {
				t.Errorf("main goroutine %d's records %q, want the last to be %s", hdr.MainGoid, mainRecs, tt.lastMain)
			}
			var delivered []string
			for _, r := range recs {
				if r.Kind == KindRecvDone && r.Goid == hdr.MainGoid {
					delivered = append(delivered, r.Label)
				}
			}
			if want := []string{"0", "1", "2", "true"}; !slices.Equal(delivered, want) {
				t.Errorf("main received %q, want %q", delivered, want)
			}
			// The panicking goroutine's End is written on its way out (the
			// sender's may not be: the panic can end the process first).
			if tt.mode == "panic" && !slices.ContainsFunc(recs, func(r Record) bool { return r.Kind == KindEnd && r.Site == 10 }) {
				t.Errorf("no end record of the panicking goroutine:\n%s", dump(recs))
			}
		})
	}
}

// TestHooksHideNoRace checks that a race of the program is still reported
// when the hooks' shared state is all that lies between its two writes.
func TestHooksHideNoRace(t *testing.T) {
	if !raceBuild {
		t.Skip("needs -race")
	}
	path := filepath.Join(t.TempDir(), "records")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$", "-test.timeout=0")
	cmd.Env = append(os.Environ(), "HOOKS_TEST_CHILD=race", "HANDOFF_RECORD="+path, "HANDOFF_RECORD_LIMIT=1048576", "GORACE=exitcode=66")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 66 || !bytes.Contains(out, []byte("WARNING: DATA RACE")) {
		t.Fatalf("child ended with %v, want the race detector's report and exit status 66; output:\n%s", err, out)
	}
}

func TestBadLimitRecordsNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "records")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$", "-test.timeout=0")
	cmd.Env = append(os.Environ(), "HOOKS_TEST_CHILD=badlimit", "HANDOFF_RECORD="+path, "HANDOFF_RECORD_LIMIT=1GB")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 4 {
		t.Fatalf("child ended with %v, want exit status 4; output:\n%s", err, out)
	}
	want := `handoff hooks: HANDOFF_RECORD_LIMIT="1GB" is not a positive byte count; recording nothing`
	if !strings.Contains(string(out), want) {
		t.Errorf("output %q, want %q", out, want)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("record file made anyway (%v)", err)
	}
}
