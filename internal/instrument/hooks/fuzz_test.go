package hooks

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRecords reads arbitrary files as record files: the reader returns an
// error or records, and never panics.
func FuzzRecords(f *testing.F) {
	good := make([]byte, headerSize+2*slotSize)
	copy(good, recordMagic[:])
	le := binary.LittleEndian
	le.PutUint64(good[8:], recordVersion)
	le.PutUint64(good[16:], slotSize)
	le.PutUint64(good[24:], 2)
	le.PutUint64(good[32:], 2)
	le.PutUint32(good[headerSize:], uint32(KindRecvDone)|uint32(FlagOK)<<8|3<<16|commitMark<<24)
	copy(good[headerSize+48:], "abc")
	f.Add(good)
	f.Add(good[:headerSize])
	f.Add([]byte("HNDFREC1"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "fuzz")
		if err := os.WriteFile(path, data, 0o666); err != nil {
			t.Fatal(err)
		}
		rf, err := OpenRecords(path)
		if err != nil {
			return
		}
		defer rf.Close()
		n := 0
		for r, err := range rf.Records() {
			if err != nil {
				break
			}
			if len(r.Label) > labelSize {
				t.Fatalf("label of %d bytes", len(r.Label))
			}
			n++
		}
		if uint64(n+rf.Unfinished()) > rf.Header().Slots {
			t.Fatalf("%d records and %d unfinished in %d slots", n, rf.Unfinished(), rf.Header().Slots)
		}
	})
}
