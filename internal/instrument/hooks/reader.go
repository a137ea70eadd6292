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
	Slots     uint64    // slots reserved by writers (committed or not, within the file)
}

// RecordFile reads a record file, one record at a time.
type RecordFile struct {
	f     *os.File
	path  string
	hdr   FileHeader
	slots uint64 // slots to read
	// nsPerTick, when not 0, turns a slot's time from TSC ticks since
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
	if s := le.Uint64(b[16:]); s != slotSize {
		return nil, bad("slot size %d, want %d", s, slotSize)
	}
	next, capacity := le.Uint64(b[24:]), le.Uint64(b[32:])
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("record file %s: %w", path, err)
	}
	inFile := uint64(st.Size()-headerSize) / slotSize
	slots := min(next, capacity)
	if le.Uint32(b[72:])&headerGrowing != 0 {
		// Written slot by slot: the file holds what was written.
		slots = min(capacity, inFile)
	} else if inFile < slots {
		return nil, bad("cut short: the header counts %d records, the file holds %d", slots, inFile)
	}
	rf := &RecordFile{
		f:    f,
		path: path,
		hdr: FileHeader{
			Truncated: le.Uint32(b[40:]) != 0,
			MainGoid:  le.Uint64(b[56:]),
			Start:     time.Unix(0, int64(le.Uint64(b[64:]))),
			Slots:     slots,
		},
		slots: slots,
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

// Records streams the committed records in slot order (the order in which
// writers reserved their slots), reading the file in chunks. Slots reserved
// but never committed (the writer was stopped between the two) are skipped
// and counted by Unfinished. A slot that is neither is an error, and ends
// the stream.
func (f *RecordFile) Records() iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		f.unfinished = 0
		br := bufio.NewReaderSize(io.NewSectionReader(f.f, headerSize, int64(f.slots*slotSize)), 64<<10)
		var b [slotSize]byte
		le := binary.LittleEndian
		for i := uint64(0); i < f.slots; i++ {
			if _, err := io.ReadFull(br, b[:]); err != nil {
				yield(Record{}, fmt.Errorf("record file %s: record %d: %w", f.path, i, err))
				return
			}
			commit := le.Uint32(b[0:])
			if commit == 0 {
				f.unfinished++
				continue
			}
			labelLen := int(commit>>16) & 0xff
			if commit>>24 != commitMark || labelLen > labelSize {
				yield(Record{}, fmt.Errorf("record file %s: record %d: bad commit word %#08x", f.path, i, commit))
				return
			}
			r := Record{
				Kind:  RecordKind(commit),
				Flags: uint8(commit >> 8),
				Site:  int32(le.Uint32(b[4:])),
				Goid:  le.Uint64(b[8:]),
				Obj:   le.Uint64(b[16:]),
				Time:  int64(le.Uint64(b[24:])),
				Ident: le.Uint64(b[32:]),
				Aux:   le.Uint64(b[40:]),
				Label: string(b[48 : 48+labelLen]),
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

// nanos turns a slot's TSC reading into nanoseconds since start.
func (f *RecordFile) nanos(ticks int64) int64 {
	if ticks <= f.tickStart {
		return 0
	}
	return int64(float64(ticks-f.tickStart) * f.nsPerTick)
}

// Unfinished is the number of slots reserved but never committed, known
// once Records has run to the end.
func (f *RecordFile) Unfinished() int { return f.unfinished }

// Close closes the file.
func (f *RecordFile) Close() error { return f.f.Close() }
