package hooks

import (
	"runtime"
	"testing"
	"time"
	"unsafe"
)

// TestHeaderOffsets holds the header struct to the offsets doc.go gives
// readers of the file.
func TestHeaderOffsets(t *testing.T) {
	var h header
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"next", unsafe.Offsetof(h.next), 24},
		{"truncated", unsafe.Offsetof(h.truncated), 40},
		{"tokens", unsafe.Offsetof(h.tokens), 48},
		{"mainGoid", unsafe.Offsetof(h.mainGoid), 56},
		{"startWall", unsafe.Offsetof(h.startWall), 64},
		{"flags", unsafe.Offsetof(h.flags), 72},
		{"calMask", unsafe.Offsetof(h.calMask), 80},
		{"calFast", unsafe.Offsetof(h.calFast), 104},
		{"noPopulate", unsafe.Offsetof(h.noPopulate), 112},
		{"tickStart", unsafe.Offsetof(h.tickStart), 120},
		{"pairSeq", unsafe.Offsetof(h.pairSeq), 128},
		{"clockPairs", unsafe.Offsetof(h.clockPairs), 136},
	} {
		if c.got != c.want {
			t.Errorf("header.%s at offset %d, doc.go says %d", c.name, c.got, c.want)
		}
	}
	if unsafe.Sizeof(h) > headerSize {
		t.Errorf("header is %d bytes, more than the %d of the file's header", unsafe.Sizeof(h), headerSize)
	}
}

// TestTickTimes: with the TSC as clock, the times read back are
// nanoseconds since start, as the monotonic clock measures them.
func TestTickTimes(t *testing.T) {
	if !hasTicks || !invariantTSC() {
		t.Skip("no invariant TSC here: records carry the monotonic clock")
	}
	path := record(t, 1<<20)
	r := rec
	before := time.Since(r.start)
	r.put(KindChanMade, 0, 1, r.goid(), 1, 0, 0, nil)
	time.Sleep(20 * time.Millisecond)
	r.put(KindChanMade, 0, 1, r.goid(), 2, 0, 0, nil)
	after := time.Since(r.start)
	_, recs, _ := readRecords(t, path)
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2", len(recs))
	}
	first, second := time.Duration(recs[0].Time), time.Duration(recs[1].Time)
	// The rate comes from a 100 µs pair: a few percent is its error bound.
	if first < 0 || first > before+time.Millisecond {
		t.Errorf("first record at %v, taken before %v", first, before)
	}
	if gap := second - first; gap < 19*time.Millisecond || second > after+5*time.Millisecond {
		t.Errorf("records at %v and %v: want 20 ms or more apart, the second by %v", first, second, after)
	}
}

// TestGoidSettledAtStart: the fast goroutine id path is settled when start
// returns, with no goroutine spawned through the hooks, and it gives the
// id runtime.Stack gives, here and on a goroutine the hooks did not start.
func TestGoidSettledAtStart(t *testing.T) {
	if !hasGetg {
		t.Skip("no fast goroutine id path on " + runtime.GOARCH)
	}
	record(t, 1<<20)
	r := rec
	if off := r.hdr.calFast; off == 0 || off == calOff {
		t.Fatalf("calibration did not settle at start (calFast %#x, mask %#x)", off, r.hdr.calMask)
	}
	if fast, slow := r.goid(), stackGoid(); fast != slow {
		t.Errorf("goid %d, runtime.Stack's %d", fast, slow)
	}
	ids := make(chan [2]uint64)
	go func() { ids <- [2]uint64{r.goid(), stackGoid()} }()
	if got := <-ids; got[0] != got[1] {
		t.Errorf("on a plain goroutine: goid %d, runtime.Stack's %d", got[0], got[1])
	}
}

// TestKindsBelowText: the reader tells a head from a label's bytes by a
// kind below 0x20 (a label is text), so every kind must be.
func TestKindsBelowText(t *testing.T) {
	if n := len(kindNames); n > 0x20 {
		t.Errorf("%d kinds: the last, %v, is not below 0x20", n, RecordKind(n-1))
	}
}
