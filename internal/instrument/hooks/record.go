package hooks

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"
	"unsafe"
)

// rec is the recorder, nil when nothing is recorded. It is set before any
// hook runs (by init, or by a test before it starts goroutines) and never
// changes while hooks run, so reading it is no synchronisation.
var rec *recorder

// recorder writes records into the file. Its shared counters live in hdr:
// in the mmap'd file, where sync/atomic operations are invisible to the
// race detector, or (fallback) on the Go heap.
type recorder struct {
	hdr     *header
	slots   unsafe.Pointer // the records, after the header in the mapping; nil in the fallback
	mapping []byte         // the whole mapping, for unmap; nil in the fallback
	file    *os.File       // the fallback's file, written with WriteAt
	start   time.Time
	ticks   bool // record times are TSC ticks (headerTicks)
}

func init() {
	// HANDOFF_RECORD is set by handoff trace and handoff test;
	// HANDOFF_TRACE by a user running a binary of handoff build.
	path := os.Getenv("HANDOFF_RECORD")
	if path == "" {
		path = os.Getenv("HANDOFF_TRACE")
	}
	if path == "" {
		return
	}
	limitText := os.Getenv("HANDOFF_RECORD_LIMIT")
	// The program sees the environment it was given.
	os.Unsetenv("HANDOFF_RECORD")
	os.Unsetenv("HANDOFF_TRACE")
	os.Unsetenv("HANDOFF_RECORD_LIMIT")
	limit := int64(DefaultRecordLimit)
	if limitText != "" {
		n, err := strconv.ParseInt(limitText, 10, 64)
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "handoff hooks: HANDOFF_RECORD_LIMIT=%q is not a positive byte count; recording nothing\n", limitText)
			return
		}
		limit = n
	}
	if err := start(path, limit); err != nil {
		fmt.Fprintf(os.Stderr, "handoff hooks: %v; recording nothing\n", err)
	}
}

// start opens the record file at path, sizes it to hold as many 16-byte units as
// limit bytes allow and starts recording. The calling goroutine is the
// file's main goroutine.
func start(path string, limit int64) error {
	return startWith(path, limit, littleEndian())
}

// startWith is start, mapping the file only if tryMmap (the mapping's
// layout is the machine's, so only little-endian machines may).
func startWith(path string, limit int64, tryMmap bool) error {
	if limit < headerSize+maxRecordSize {
		return fmt.Errorf("record limit %d bytes is below the %d bytes of a header and one record", limit, headerSize+maxRecordSize)
	}
	capacity := uint64(limit-headerSize) / unitSize
	size := int64(headerSize + capacity*unitSize)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return fmt.Errorf("open record file: %w", err)
	}
	// Zero what an earlier run left, then make the file sparse at full size.
	if err := f.Truncate(0); err != nil {
		f.Close()
		return fmt.Errorf("record file %s: %w", path, err)
	}
	r := &recorder{start: time.Now()}
	if tryMmap {
		if err := f.Truncate(size); err != nil {
			f.Close()
			return fmt.Errorf("record file %s: %w", path, err)
		}
		m, err := mapFile(f, int(size))
		if err == nil {
			r.mapping = m
			r.hdr = (*header)(unsafe.Pointer(&m[0]))
			r.slots = unsafe.Pointer(&m[headerSize])
		}
	}
	if r.mapping == nil {
		// No mmap here (or a big-endian machine): positioned writes.
		r.file = f
		r.hdr = new(header)
		r.hdr.flags = headerGrowing
	}
	h := r.hdr
	h.magic = recordMagic
	h.version = recordVersion
	h.unitSize = unitSize
	h.capacity = capacity
	h.startWall = r.start.UnixNano()
	h.calMask = ^uint64(0) &^ 1 // word 0 (the stack bound) is never the id
	if r.mapping != nil {
		// The first step; the writer of the first record populates the second.
		n := uint64(len(r.mapping) - headerSize)
		if n > populateStep {
			n = populateStep
		}
		if !populate(r.mapping[headerSize : headerSize+n]) {
			h.noPopulate = 1
		}
	}
	if r.mapping != nil && hasTicks && invariantTSC() {
		r.ticks = true
		h.flags |= headerTicks
		var starts [clockTries]time.Time
		ticks, i := readTogether(func(i int) { starts[i] = time.Now() })
		h.tickStart, r.start = ticks, starts[i]
		h.startWall = r.start.UnixNano()
		// A first pair, so that even a short run has the TSC's rate.
		for time.Since(r.start) < pairSpan {
		}
		r.clockPair()
	}
	id := stackGoid()
	h.mainGoid = id
	r.calibrate(id)
	if hasGetg {
		// A second goroutine, ended before start returns, settles the fast
		// goroutine id path now, for programs whose goroutines all come from
		// code that is not rewritten (no Start of ours to calibrate).
		done := make(chan struct{})
		go func() {
			r.calibrate(stackGoid())
			close(done)
		}()
		<-done
	}
	if r.file != nil {
		if _, err := f.WriteAt(encodeHeader(h), 0); err != nil {
			f.Close()
			return fmt.Errorf("record file %s: %w", path, err)
		}
	} else {
		// The mapping outlives the descriptor.
		f.Close()
	}
	rec = r
	return nil
}

// stop ends recording and unmaps the file. Only tests call it, once every
// goroutine that used the hooks has finished.
func stop() error {
	r := rec
	rec = nil
	if r == nil {
		return nil
	}
	if r.file != nil {
		return r.file.Close()
	}
	return unmapFile(r.mapping)
}

func littleEndian() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}

// put writes one record. It never blocks: a full file sets the truncated
// flag and drops the record.
func (r *recorder) put(kind RecordKind, flags uint8, site int32, goid, obj, ident, aux uint64, label []byte) {
	h := r.hdr
	if len(label) > labelSize {
		label = label[:labelSize]
	}
	units := uint64(headUnits + (len(label)+unitSize-1)/unitSize)
	end := atomic.AddUint64(&h.next, units)
	idx := end - units
	if end > h.capacity {
		r.full(idx)
		return
	}
	var now int64
	if r.ticks {
		now = cputicks()
		if idx/pairEvery != end/pairEvery {
			r.clockPair()
		}
	} else {
		now = int64(time.Since(r.start))
	}
	commit := uint32(kind) | uint32(flags)<<8 | uint32(len(label))<<16 | commitMark<<24
	if r.file != nil {
		var b [maxRecordSize]byte
		le := binary.LittleEndian
		le.PutUint32(b[0:], commit)
		le.PutUint32(b[4:], uint32(site))
		le.PutUint64(b[8:], goid)
		le.PutUint64(b[16:], obj)
		le.PutUint64(b[24:], uint64(now))
		le.PutUint64(b[32:], ident)
		le.PutUint64(b[40:], aux)
		copy(b[headSize:], label)
		// A failed write loses this record only; the program goes on.
		r.file.WriteAt(b[:units*unitSize], int64(headerSize+idx*unitSize))
		return
	}
	off := idx * unitSize
	if idx == 0 || off/populateStep != (end*unitSize)/populateStep {
		r.populateAhead(end * unitSize)
	}
	s := (*slot)(unsafe.Add(r.slots, off))
	// Until the commit, the head says how many units the record takes, so
	// that a reader can pass over a record its writer never finished.
	s.commit = uint32(units) | pendingMark<<24
	s.site = site
	s.goid = goid
	s.obj = obj
	s.time = now
	s.ident = ident
	s.aux = aux
	if len(label) > 0 {
		copy(unsafe.Slice((*byte)(unsafe.Add(r.slots, off+headSize)), len(label)), label)
	}
	atomic.StoreUint32(&s.commit, commit)
}

// full drops a record that does not fit, reserved at unit idx, and sets the
// truncated flag. The first record that did not fit pads the units it
// leaves at the end of the mapping, so that the reader knows them for what
// they are.
func (r *recorder) full(idx uint64) {
	h := r.hdr
	if idx < h.capacity && r.file == nil {
		atomic.StoreUint32((*uint32)(unsafe.Add(r.slots, idx*unitSize)), uint32(h.capacity-idx)|padMark<<24)
	}
	if atomic.LoadUint32(&h.truncated) == 0 {
		atomic.StoreUint32(&h.truncated, 1)
		if r.file != nil {
			var b [4]byte
			binary.LittleEndian.PutUint32(b[:], 1)
			r.file.WriteAt(b[:], int64(unsafe.Offsetof(h.truncated)))
		}
	}
}

// populateAhead faults in the step of the mapping after the one that
// holds byte offset off of the slots, so that writers find its pages mapped. One
// writer does it per step; it costs that writer one madvise (about 0.2 ms
// for a MiB), never a wait on another goroutine.
func (r *recorder) populateAhead(off uint64) {
	h := r.hdr
	if atomic.LoadUint32(&h.noPopulate) != 0 {
		return
	}
	slots := r.mapping[headerSize:]
	from := (off/populateStep + 1) * populateStep
	if from >= uint64(len(slots)) {
		return
	}
	to := from + populateStep
	if to > uint64(len(slots)) {
		to = uint64(len(slots))
	}
	if !populate(slots[from:to]) {
		atomic.StoreUint32(&h.noPopulate, 1)
	}
}

// clockPair reads the TSC and the monotonic clock together into the
// header's spare pair and makes it the latest, so that a process that ends
// in the middle leaves the previous pair whole. A writer that finds another
// one at it skips: the next pair will come pairEvery units later.
func (r *recorder) clockPair() {
	h := r.hdr
	if !atomic.CompareAndSwapUint32(&h.pairLock, 0, 1) {
		return
	}
	seq := atomic.LoadUint64(&h.pairSeq) + 1
	p := &h.clockPairs[seq%2]
	var nanos [clockTries]int64
	ticks, i := readTogether(func(i int) { nanos[i] = int64(time.Since(r.start)) })
	atomic.StoreInt64(&p.ticks, ticks)
	atomic.StoreInt64(&p.nanos, nanos[i])
	atomic.StoreUint64(&h.pairSeq, seq)
	atomic.StoreUint32(&h.pairLock, 0)
}

// readTogether calls read(i), which reads the monotonic clock, between
// two TSC readings, for i from 0 to clockTries-1, and returns the TSC at
// the middle of the try whose two TSC readings are closest, and that try's
// i: a goroutine preempted in the middle of one would pair two instants
// far apart.
func readTogether(read func(i int)) (ticks int64, try int) {
	gap := int64(-1)
	for i := 0; i < clockTries; i++ {
		before := cputicks()
		read(i)
		after := cputicks()
		if d := after - before; gap < 0 || d < gap {
			ticks, try, gap = before+d/2, i, d
		}
	}
	return ticks, try
}

// clockTries is how many times readTogether tries.
const clockTries = 3

// token hands out the next spawn token (never 0).
func (r *recorder) token() uint64 {
	return atomic.AddUint64(&r.hdr.tokens, 1)
}

// encodeHeader is the header as the file holds it, little-endian.
func encodeHeader(h *header) []byte {
	b := make([]byte, headerSize)
	le := binary.LittleEndian
	copy(b[0:], h.magic[:])
	le.PutUint64(b[8:], h.version)
	le.PutUint64(b[16:], h.unitSize)
	le.PutUint64(b[24:], atomic.LoadUint64(&h.next))
	le.PutUint64(b[32:], h.capacity)
	le.PutUint32(b[40:], atomic.LoadUint32(&h.truncated))
	le.PutUint64(b[48:], atomic.LoadUint64(&h.tokens))
	le.PutUint64(b[56:], h.mainGoid)
	le.PutUint64(b[64:], uint64(h.startWall))
	le.PutUint32(b[72:], h.flags)
	return b
}

// goid is the calling goroutine's id: read from g at the calibrated offset
// once calibration has settled on one, else parsed from runtime.Stack.
func (r *recorder) goid() uint64 {
	if hasGetg {
		if off := atomic.LoadUint64(&r.hdr.calFast); off != 0 && off != calOff {
			return getgWord(uintptr(off))
		}
	}
	return stackGoid()
}

// calibrate narrows the candidate offsets of the goroutine id in the
// runtime's g with id, the calling goroutine's id as runtime.Stack gives it,
// and checks the fast path once it is chosen. The fast path is chosen when
// exactly one offset is left and two goroutines with different ids agreed on
// it; one disagreement turns it off for good.
func (r *recorder) calibrate(id uint64) {
	if !hasGetg || id == 0 {
		return
	}
	h := r.hdr
	switch off := atomic.LoadUint64(&h.calFast); off {
	case calOff:
		return
	case 0:
	default:
		if getgWord(uintptr(off)) != id {
			atomic.StoreUint64(&h.calFast, calOff)
		}
		return
	}
	var match uint64
	for i := 1; i < calWords; i++ {
		if getgWord(uintptr(i*8)) == id {
			match |= 1 << i
		}
	}
	var left uint64
	for {
		old := atomic.LoadUint64(&h.calMask)
		left = old & match
		if atomic.CompareAndSwapUint64(&h.calMask, old, left) {
			break
		}
	}
	if left == 0 {
		atomic.StoreUint64(&h.calFast, calOff)
		return
	}
	if !atomic.CompareAndSwapUint64(&h.calFirst, 0, id) && atomic.LoadUint64(&h.calFirst) != id {
		atomic.StoreUint32(&h.calTwo, 1)
	}
	if atomic.LoadUint32(&h.calTwo) == 1 && bits.OnesCount64(left) == 1 {
		atomic.CompareAndSwapUint64(&h.calFast, 0, uint64(bits.TrailingZeros64(left)*8))
	}
}

// calWords is how many words of g calibration looks at: the goroutine id
// sits near byte 152 in the Go versions this was written for, and g is
// larger than calWords*8 bytes, so the reads stay inside it.
const calWords = 48

// stackGoid parses the calling goroutine's id from runtime.Stack ("goroutine
// 18 [running]:"). It costs microseconds: the fast path avoids it.
func stackGoid() uint64 {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	id, err := parseGoroutineLine(buf[:n])
	if err != nil {
		return 0
	}
	return id
}

func parseGoroutineLine(b []byte) (uint64, error) {
	const prefix = "goroutine "
	if len(b) < len(prefix) || string(b[:len(prefix)]) != prefix {
		return 0, errors.New("no goroutine line")
	}
	b = b[len(prefix):]
	var id uint64
	i := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		id = id*10 + uint64(b[i]-'0')
	}
	if i == 0 {
		return 0, errors.New("no goroutine id")
	}
	return id, nil
}
