package instrument

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/handoff-viz/handoff/tracer"
)

// TestFormsBehaveTheSame builds testdata/forms, which uses every form of
// channel operation the rewriter knows, plainly and instrumented, and
// compares what the two print.
// It does so under two go lines: range's loop variable is shared by all
// iterations before Go 1.22 and one per iteration since, and the rewritten
// loop must keep either.
func TestFormsBehaveTheSame(t *testing.T) {
	for _, goLine := range []string{"1.18", "1.21", "1.22"} {
		t.Run("go"+goLine, func(t *testing.T) { testForms(t, goLine) })
	}
}

func testForms(t *testing.T, goLine string) {
	dir := t.TempDir()
	src, err := os.ReadFile("testdata/forms/main.go")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), src, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/forms\n\ngo "+goLine+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	plain := exec.Command("go", "run", ".")
	plain.Dir = dir
	plain.Env = append(os.Environ(), "GOWORK=off")
	want, err := plain.CombinedOutput()
	if err != nil {
		t.Fatalf("go run: %v\n%s", err, want)
	}
	work := t.TempDir()
	b, err := Instrument(context.Background(), Options{Dir: dir, Work: work})
	if err != nil {
		t.Fatal(err)
	}
	got, err := exec.Command(b.Binary).CombinedOutput()
	if err != nil {
		t.Fatalf("instrumented: %v\n%s", err, got)
	}
	// And recording: the same output, and a valid trace.
	var recorded bytes.Buffer
	records := filepath.Join(work, "records")
	end, err := b.Run(context.Background(), RunOptions{Stdout: &recorded, Stderr: &recorded, Records: records})
	if err != nil || end.ExitCode != 0 {
		t.Fatalf("recording: %v %+v\n%s", err, end, recorded.String())
	}
	if recorded.String() != string(want) {
		t.Errorf("recorded output differs:\n--- plain\n%s--- recorded\n%s", want, recorded.String())
	}
	var evs []tracer.Event
	if _, err := Convert(records, b.Sites, end, func(e *tracer.Event) error { evs = append(evs, *e); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := tracer.Validate(evs); err != nil {
		t.Fatalf("the trace of forms is not valid: %v", err)
	}
	if wantClosures := map[string]string{"1.18": "8 8\n", "1.21": "8 8\n", "1.22": "7 8\n"}[goLine]; !strings.Contains(string(want), wantClosures) {
		t.Errorf("the plain build does not print %q: the test no longer tells the two loop semantics apart", wantClosures)
	}
	if string(got) != string(want) {
		t.Errorf("instrumented output differs:\n--- plain\n%s--- instrumented\n%s", want, got)
	}
	if b.Files != 1 || len(b.Sites) < 20 {
		t.Errorf("rewrote %d files with %d sites, want 1 file and at least 20 sites", b.Files, len(b.Sites)-1)
	}
	if len(b.Skips) != 1 || !strings.Contains(b.Skips[0].Why, "built-in close") {
		t.Errorf("skips %v, want the go close(fin)", b.Skips)
	}
	rewritten, err := os.ReadFile(filepath.Join(work, "src", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := os.ReadFile(filepath.Join(dir, "main.go"))
	if a, b := strings.Count(string(orig), "\n"), strings.Count(string(rewritten), "\n"); a != b {
		t.Errorf("the rewritten file has %d lines, the original %d", b, a)
	}
	if t.Failed() {
		t.Logf("rewritten:\n%s", rewritten)
	}
}
