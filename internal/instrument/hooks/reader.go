package hooks

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"time"
)

// Record is one record read back from a record file.
type Record struct {
	Kind  RecordKind
	Flags uint8
	Site  int32 // the rewriter's site index
	Goid  uint64
	Obj   uint64 // the channel's address, or the spawn token
	Time  int64  // nanoseconds since the hooks started, monotonic
	Ident uint64
	Aux   uint64
	Label string
}

// FileHeader is what a record file's header says.
type FileHeader struct {
	Truncated bool      // records were dropped: the file was full
	MainGoid  uint64    // the goroutine that started the hooks (main's)
	Start     time.Time // wall clock when the hooks started
	Units     uint64    // 16-byte units reserved by writers (committed or not, within the file)
}

// RecordFile reads a record file, one record at a time.
type RecordFile struct {
	f     *os.File
	path  string
	hdr   FileHeader
	units uint64 // units to read
	// nsPerTick, when not 0, turns a record's time from TSC ticks since
	// tickStart into nanoseconds (headerTicks).
	nsPerTick  float64
	tickStart  int64
	unfinished int
}

// OpenRecords opens the record file at path and reads its header. Its
// errors name the file and what is wrong with it.
func OpenRecords(path string) (*RecordFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open record file: %w", err)
	}
	rf, err := readHeader(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	return rf, nil
}

func readHeader(f *os.File, path string) (*RecordFile, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("record file %s: %s", path, fmt.Sprintf(format, args...))
	}
	var b [headerSize]byte
	n, err := io.ReadFull(f, b[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("record file %s: %w", path, err)
	}
	if n >= len(recordMagic) && [8]byte(b[:8]) != recordMagic {
		return nil, bad("not a record file (starts with %q, want %q)", b[:8], recordMagic[:])
	}
	if n < headerSize {
		return nil, bad("cut short: the header has %d of its %d bytes", n, headerSize)
	}
	le := binary.LittleEndian
	if v := le.Uint64(b[8:]); v != recordVersion {
		return nil, bad("version %d, this reader knows %d", v, recordVersion)
	}
	if s := le.Uint64(b[16:]); s != unitSize {
		return nil, bad("unit size %d, want %d", s, unitSize)
	}
	next, capacity := le.Uint64(b[24:]), le.Uint64(b[32:])
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("record file %s: %w", path, err)
	}
	inFile := uint64(st.Size()-headerSize) / unitSize
	units := min(next, capacity)
	if le.Uint32(b[72:])&headerGrowing != 0 {
		// Written record by record: the file holds what was written.
		units = min(capacity, inFile)
	} else if inFile < units {
		return nil, bad("cut short: the header counts %d units of records, the file holds %d", units, inFile)
	}
	rf := &RecordFile{
		f:    f,
		path: path,
		hdr: FileHeader{
			Truncated: le.Uint32(b[40:]) != 0,
			MainGoid:  le.Uint64(b[56:]),
			Start:     time.Unix(0, int64(le.Uint64(b[64:]))),
			Units:     units,
		},
		units: units,
	}
	if le.Uint32(b[72:])&headerTicks != 0 {
		// Slot times are TSC ticks: nanoseconds from the latest clock pair.
		rf.tickStart = int64(le.Uint64(b[120:]))
		pair := 136 + 16*(le.Uint64(b[128:])%2)
		ticks, nanos := int64(le.Uint64(b[pair:])), int64(le.Uint64(b[pair+8:]))
		if ticks <= rf.tickStart || nanos <= 0 {
			return nil, bad("no clock calibration: TSC %d at start, pair %d ticks = %d ns", rf.tickStart, ticks, nanos)
		}
		rf.nsPerTick = float64(nanos) / float64(ticks-rf.tickStart)
	}
	return rf, nil
}

// Header returns what the file's header says.
func (f *RecordFile) Header() FileHeader { return f.hdr }

// Records streams the committed records in the order in which writers
// reserved them, reading the file in chunks. A record reserved but never
// committed (the writer was stopped between the two) is skipped and counted
// by Unfinished: its head says how many units to pass over, or, if the
// writer was stopped before it said, the reader passes over units until
// the next head (a label's bytes are text, never a head's first word). A
// unit that is none of these is an error, and ends the stream.
func (f *RecordFile) Records() iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		f.unfinished = 0
		br := bufio.NewReaderSize(io.NewSectionReader(f.f, headerSize, int64(f.units*unitSize)), 64<<10)
		var b [maxRecordSize]byte
		le := binary.LittleEndian
		fail := func(at uint64, format string, args ...any) {
			yield(Record{}, fmt.Errorf("record file %s: unit %d: %s", f.path, at, fmt.Sprintf(format, args...)))
		}
		lost := false // passing over the units of a record never finished
		for at := uint64(0); at < f.units; {
			if _, err := io.ReadFull(br, b[:unitSize]); err != nil {
				fail(at, "%v", err)
				return
			}
			w := le.Uint32(b[0:])
			n, known := headUnitsOf(w)
			if !known {
				if w == 0 || lost {
					// Reserved and never written, or the rest of such a record.
					if !lost {
						f.unfinished++
					}
					lost = true
					at++
					continue
				}
				fail(at, "bad commit word %#08x", w)
				return
			}
			lost = false
			if at+n > f.units {
				fail(at, "a record of %d units, %d left in the file", n, f.units-at)
				return
			}
			if _, err := io.ReadFull(br, b[unitSize:n*unitSize]); err != nil {
				fail(at, "%v", err)
				return
			}
			at += n
			switch w >> 24 {
			case pendingMark:
				f.unfinished++
				continue
			case padMark:
				continue
			}
			labelLen := int(w>>16) & 0xff
			r := Record{
				Kind:  RecordKind(w),
				Flags: uint8(w >> 8),
				Site:  int32(le.Uint32(b[4:])),
				Goid:  le.Uint64(b[8:]),
				Obj:   le.Uint64(b[16:]),
				Time:  int64(le.Uint64(b[24:])),
				Ident: le.Uint64(b[32:]),
				Aux:   le.Uint64(b[40:]),
				Label: string(b[headSize : headSize+labelLen]),
			}
			if f.nsPerTick != 0 {
				r.Time = f.nanos(r.Time)
			}
			if !yield(r, nil) {
				return
			}
		}
	}
}

// headUnitsOf reads a head's first word: how many units its record takes,
// and whether it is a head at all (committed, pending or padding). A
// committed head's kind is below 0x20, where a label's first byte (text)
// never is.
func headUnitsOf(w uint32) (uint64, bool) {
	switch w >> 24 {
	case commitMark:
		kind, labelLen := w&0xff, int(w>>16)&0xff
		if kind == 0 || kind >= 0x20 || labelLen > labelSize {
			return 0, false
		}
		return uint64(headUnits + (labelLen+unitSize-1)/unitSize), true
	case pendingMark:
		n := uint64(w & 0xffffff)
		return n, n >= headUnits && n <= maxUnits
	case padMark:
		n := uint64(w & 0xffffff)
		return n, n >= 1 && n < maxUnits
	}
	return 0, false
}

// nanos turns a record's TSC reading into nanoseconds since start.
func (f *RecordFile) nanos(ticks int64) int64 {
	if ticks <= f.tickStart {
		return 0
	}
	return int64(float64(ticks-f.tickStart) * f.nsPerTick)
}

// Unfinished is the number of records reserved but never committed, known
// once Records has run to the end.
func (f *RecordFile) Unfinished() int { return f.unfinished }

// Close closes the file.
func (f *RecordFile) Close() error { return f.f.Close() }
