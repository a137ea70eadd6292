package hooks

import (
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if mode := childMode(); mode != "" {
		childMain(mode)
		return
	}
	goleak.VerifyTestMain(m)
}

// record starts recording into a fresh file of limit bytes and stops when
// the test ends. Tests that record do not run in parallel: rec is one.
func record(t testing.TB, limit int64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "records")
	if err := start(path, limit); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return path
}

func readRecords(t testing.TB, path string) (FileHeader, []Record, int) {
	t.Helper()
	f, err := OpenRecords(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []Record
	for r, err := range f.Records() {
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	return f.Header(), recs, f.Unfinished()
}

// waitForRecord waits (up to a minute: the machine may be loaded) until the
// file holds a record that match accepts.
func waitForRecord(t *testing.T, path string, what string, match func(Record) bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		_, recs, _ := readRecords(t, path)
		if slices.ContainsFunc(recs, match) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s record after a minute; records:\n%s", what, dump(recs))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitForEnds waits (up to a minute) until the file holds n End records.
func waitForEnds(t testing.TB, path string, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		_, recs, _ := readRecords(t, path)
		ends := 0
		for _, r := range recs {
			if r.Kind == KindEnd {
				ends++
			}
		}
		if ends == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d end records after a minute, want %d", ends, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func dump(recs []Record) string {
	var b strings.Builder
	for _, r := range recs {
		b.WriteString(recordLine(r))
		b.WriteByte('\n')
	}
	return b.String()
}

func recordLine(r Record) string {
	s := r.Kind.String()
	if r.Label != "" {
		s += " " + r.Label
	}
	if r.Flags&FlagOK != 0 {
		s += " ok"
	}
	return s
}

// byGoroutine splits records by goroutine, keeping their order, and says
// each record as recordLine does.
func byGoroutine(recs []Record) map[uint64][]string {
	m := make(map[uint64][]string)
	for _, r := range recs {
		m[r.Goid] = append(m[r.Goid], recordLine(r))
	}
	return m
}

func TestHandoffToBlockedReceiver(t *testing.T) {
	path := record(t, 1<<20)
	ch := MakeChan(make(chan int), 1)
	// The result comes back over a plain channel: the hooks add no
	// happens-before edge that the race detector could see.
	result := make(chan int, 1)
	go Go(func() { result <- Recv(ch, 3) }, 2)()
	waitForRecord(t, path, "recv-block", func(r Record) bool { return r.Kind == KindRecvBlock })
	Send(ch, 42, 4)
	waitForRecord(t, path, "end", func(r Record) bool { return r.Kind == KindEnd })

	hdr, recs, unfinished := readRecords(t, path)
	if unfinished != 0 || hdr.Truncated {
		t.Errorf("unfinished %d, truncated %v", unfinished, hdr.Truncated)
	}
	if got := <-result; got != 42 {
		t.Errorf("received %d, want 42", got)
	}
	main := stackGoid()
	if hdr.MainGoid != main {
		t.Errorf("header main goroutine %d, want %d", hdr.MainGoid, main)
	}
	g := byGoroutine(recs)
	if len(g) != 2 {
		t.Fatalf("records of %d goroutines, want 2:\n%s", len(g), dump(recs))
	}
	wantMain := []string{"chan-made", "spawn", "send-begin 42", "send-done"}
	if !slices.Equal(g[main], wantMain) {
		t.Errorf("main goroutine's records %q, want %q", g[main], wantMain)
	}
	var child uint64
	for id := range g {
		if id != main {
			child = id
		}
	}
	wantChild := []string{"start", "recv-block", "recv-done 42 ok", "end"}
	if !slices.Equal(g[child], wantChild) {
		t.Errorf("child's records %q, want %q", g[child], wantChild)
	}
	chanAddr := chanWord(ch)
	var spawnToken uint64
	for _, r := range recs {
		switch r.Kind {
		case KindChanMade:
			if r.Obj != chanAddr || r.Aux != 0 || r.Site != 1 {
				t.Errorf("chan-made obj %#x aux %d site %d, want %#x 0 1", r.Obj, r.Aux, r.Site, chanAddr)
			}
		case KindSpawn:
			spawnToken = r.Obj
		case KindStart, KindEnd:
			if r.Obj != spawnToken || r.Site != 2 {
				t.Errorf("%v token %d site %d, want the spawn's %d, site 2", r.Kind, r.Obj, r.Site, spawnToken)
			}
		case KindSendBegin, KindSendDone, KindRecvBlock, KindRecvDone:
			if r.Obj != chanAddr {
				t.Errorf("%v on %#x, want %#x", r.Kind, r.Obj, chanAddr)
			}
		}
		if (r.Kind == KindSendBegin || r.Kind == KindRecvDone) && r.Ident != 42 {
			t.Errorf("%v ident %d, want 42", r.Kind, r.Ident)
		}
	}
	if spawnToken == 0 {
		t.Error("no spawn token")
	}
	for i := 1; i < len(recs); i++ {
		if recs[i].Goid == recs[i-1].Goid && recs[i].Time < recs[i-1].Time {
			t.Errorf("record %d goes back in time", i)
		}
	}
}

func TestSendBlocksUntilReceived(t *testing.T) {
	path := record(t, 1<<20)
	ch := MakeChan(make(chan string, 1), 1)
	Send(ch, "fills the buffer", 2)
	go Go(func() { Send(ch, "waits", 3) }, 4)()
	waitForRecord(t, path, "send-block", func(r Record) bool { return r.Kind == KindSendBlock })
	first := Recv(ch, 5)
	second, ok := Recv2(ch, 6)
	waitForRecord(t, path, "end", func(r Record) bool { return r.Kind == KindEnd })
	if first != "fills the buffer" || second != "waits" || !ok {
		t.Fatalf("received %q then %q (%v)", first, second, ok)
	}
	_, recs, _ := readRecords(t, path)
	g := byGoroutine(recs)
	main := stackGoid()
	wantMain := []string{"chan-made", `send-begin "fills the buffer"`, "send-done", "spawn",
		`recv-done "fills the buffer" ok`, `recv-done "waits" ok`}
	if !slices.Equal(g[main], wantMain) {
		t.Errorf("main's records %q, want %q", g[main], wantMain)
	}
	for id, got := range g {
		if id == main {
			continue
		}
		want := []string{"start", `send-begin "waits"`, "send-block", "send-done", "end"}
		if !slices.Equal(got, want) {
			t.Errorf("sender's records %q, want %q", got, want)
		}
	}
	for _, r := range recs {
		if r.Kind == KindSendBegin && r.Aux != 1 {
			t.Errorf("send-begin cap %d, want 1", r.Aux)
		}
	}
}

func TestReceiveFromClosed(t *testing.T) {
	path := record(t, 1<<20)
	ch := MakeChan(make(chan int, 2), 1)
	Send(ch, 7, 2)
	Close(ch, 3)
	v, ok := Recv2(ch, 4)
	w, ok2 := Recv2(ch, 5)
	if v != 7 || !ok || w != 0 || ok2 {
		t.Fatalf("got %d %v, %d %v; want 7 true, 0 false", v, ok, w, ok2)
	}
	_, recs, _ := readRecords(t, path)
	got := byGoroutine(recs)[stackGoid()]
	want := []string{"chan-made", "send-begin 7", "send-done", "close", "recv-done 7 ok", "recv-done"}
	if !slices.Equal(got, want) {
		t.Errorf("records %q, want %q", got, want)
	}
}

func TestCloseOfClosedPanicsAfterItsRecord(t *testing.T) {
	path := record(t, 1<<20)
	ch := make(chan int)
	Close(ch, 1)
	msg := func() (msg any) {
		defer func() { msg = recover() }()
		Close(ch, 2)
		return nil
	}()
	err, ok := msg.(runtime.Error)
	if !ok || err.Error() != "close of closed channel" {
		t.Fatalf("second close panicked with %v, want Go's runtime error \"close of closed channel\"", msg)
	}
	_, recs, _ := readRecords(t, path)
	if len(recs) != 2 || recs[1].Kind != KindClose || recs[1].Site != 2 {
		t.Errorf("records:\n%s want two closes", dump(recs))
	}
}

func TestSendOnClosedPanicsAsGo(t *testing.T) {
	record(t, 1<<20)
	ch := make(chan int)
	close(ch)
	msg := func() (msg any) {
		defer func() { msg = recover() }()
		Send(ch, 1, 1)
		return nil
	}()
	if err, ok := msg.(runtime.Error); !ok || err.Error() != "send on closed channel" {
		t.Fatalf("send panicked with %v, want \"send on closed channel\"", msg)
	}
}

func TestFullFileDropsAndSaysSo(t *testing.T) {
	path := record(t, headerSize+10*headSize) // ten records without a label
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				MakeChan(make(chan int), 1)
			}
		}()
	}
	wg.Wait()
	hdr, recs, unfinished := readRecords(t, path)
	if !hdr.Truncated || len(recs) != 10 || unfinished != 0 {
		t.Errorf("truncated %v, %d records, %d unfinished; want true, 10, 0", hdr.Truncated, len(recs), unfinished)
	}
}

func TestNoRecordingWithoutFile(t *testing.T) {
	if rec != nil {
		t.Fatal("recording although no test started it")
	}
	ch := MakeChan(make(chan int, 1), 1)
	Send(ch, 1, 2)
	if v, ok := Recv2(ch, 3); v != 1 || !ok {
		t.Errorf("got %d %v", v, ok)
	}
	done := make(chan int)
	go Go(func(a, b int) { done <- a + b }, 4)(2, 3)
	if v := Recv(done, 5); v != 5 {
		t.Errorf("got %d, want 5", v)
	}
	Close(ch, 6)
}

type task func(string)

func TestGoKeepsArgumentsAndEnds(t *testing.T) {
	path := record(t, 1<<20)
	out := make(chan string)
	go Go(func(a int, b string) { out <- b + strings.Repeat("!", a) }, 1)(2, "hi")
	go Go(func(prefix string, xs ...int) { out <- prefix + string(rune('0'+len(xs))) }, 2)("n=", 1, 2, 3)
	go Go(task(func(s string) { out <- s }), 3)("named")
	go Go(func() { defer func() { out <- "goexit" }(); runtime.Goexit() }, 4)()
	var got []string
	for range 4 {
		got = append(got, <-out)
	}
	slices.Sort(got)
	want := []string{"goexit", "hi!!", "n=3", "named"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	for site := int32(1); site <= 4; site++ {
		waitForRecord(t, path, "end", func(r Record) bool { return r.Kind == KindEnd && r.Site == site })
	}
	var nilFunc func()
	if Go(nilFunc, 5) != nil {
		t.Error("a nil func came back non-nil: the go statement would not fail as Go's does")
	}
}

// TestGoidFastPath checks that once calibration settles on an offset, it
// agrees with runtime.Stack on many goroutines.
func TestGoidFastPath(t *testing.T) {
	if !hasGetg {
		t.Skip("no fast goroutine id path on " + runtime.GOARCH)
	}
	path := record(t, 1<<20)
	r := rec
	const n = 200
	mismatch := make(chan string, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go Go(func() {
			defer wg.Done()
			if fast, slow := r.goid(), stackGoid(); fast != slow {
				mismatch <- "goid " + itoa(fast) + " != runtime.Stack's " + itoa(slow)
			}
		}, 1)()
	}
	wg.Wait()
	// Each goroutine's End comes after its wg.Done: wait for them all, so
	// that none writes into the mapping once the test has unmapped it.
	waitForEnds(t, path, n)
	close(mismatch)
	for m := range mismatch {
		t.Error(m)
	}
	off := r.hdr.calFast
	if off == 0 || off == calOff {
		t.Fatalf("calibration did not settle (calFast %#x, mask %#x)", off, r.hdr.calMask)
	}
	t.Logf("goid at byte %d of g", off)
}

func itoa(x uint64) string { return strconv.FormatUint(x, 10) }

// TestFallbackWithoutMmap records through positioned writes, as on systems
// without mmap, and reads the same records back.
func TestFallbackWithoutMmap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "records")
	// Room for the five records below (19 units: two have a label of two
	// units) and three of the five ChanMades after them.
	if err := startWith(path, headerSize+28*unitSize, false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop() })
	if rec.mapping != nil || rec.file == nil {
		t.Fatal("startWith(..., false) mapped the file")
	}
	ch := MakeChan(make(chan Job, 1), 1)
	Send(ch, Job{ID: 7, Name: "x"}, 2)
	v, ok := Recv2(ch, 3)
	Close(ch, 4)
	if v.ID != 7 || !ok {
		t.Fatalf("received %v %v", v, ok)
	}
	hdr, recs, unfinished := readRecords(t, path)
	want := []string{"chan-made", `send-begin Job{ID:7 Name:"x"}`, "send-done", `recv-done Job{ID:7 Name:"x"} ok`, "close"}
	if got := byGoroutine(recs)[stackGoid()]; !slices.Equal(got, want) || hdr.Truncated || unfinished != 0 {
		t.Errorf("records %q (truncated %v, %d unfinished), want %q", got, hdr.Truncated, unfinished, want)
	}
	if recs[1].Ident != recs[3].Ident || recs[1].Aux != 1 {
		t.Errorf("send ident %#x, receive ident %#x, cap %d", recs[1].Ident, recs[3].Ident, recs[1].Aux)
	}
	for range 5 {
		MakeChan(make(chan int), 5)
	}
	hdr, recs, _ = readRecords(t, path)
	if !hdr.Truncated || len(recs) != 8 {
		t.Errorf("full fallback file: truncated %v, %d records; want true, 8", hdr.Truncated, len(recs))
	}
}
