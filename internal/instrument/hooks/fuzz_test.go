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
	good := make([]byte, headerSize+8*unitSize)
	copy(good, recordMagic[:])
	le := binary.LittleEndian
	le.PutUint64(good[8:], recordVersion)
	le.PutUint64(good[16:], unitSize)
	le.PutUint64(good[24:], 8)
	le.PutUint64(good[32:], 8)
	// A record with a label (4 units), one never finished, a pad.
	le.PutUint32(good[headerSize:], uint32(KindRecvDone)|uint32(FlagOK)<<8|3<<16|commitMark<<24)
	copy(good[headerSize+headSize:], "abc")
	le.PutUint32(good[headerSize+4*unitSize:], 3|pendingMark<<24)
	le.PutUint32(good[headerSize+7*unitSize:], 1|padMark<<24)
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
		if uint64(n+rf.Unfinished())*headUnits > rf.Header().Units {
			t.Fatalf("%d records and %d unfinished in %d units", n, rf.Unfinished(), rf.Header().Units)
		}
	})
}
