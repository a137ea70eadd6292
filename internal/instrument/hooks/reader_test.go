package hooks

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReaderErrors(t *testing.T) {
	dir := t.TempDir()
	good := make([]byte, headerSize+2*slotSize)
	copy(good, recordMagic[:])
	le := binary.LittleEndian
	le.PutUint64(good[8:], recordVersion)
	le.PutUint64(good[16:], slotSize)
	le.PutUint64(good[24:], 2)
	le.PutUint64(good[32:], 2)
	with := func(f func(b []byte) []byte) []byte {
		return f(append([]byte(nil), good...))
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"garbage", []byte("this is not a record file, it is text that goes on for a while"), "not a record file"},
		{"empty", nil, "cut short: the header has 0"},
		{"wrong magic", with(func(b []byte) []byte { copy(b, "HNDFREC9"); return b }), "not a record file"},
		{"cut header", good[:100], "cut short: the header has 100 of its 4096 bytes"},
		{"wrong version", with(func(b []byte) []byte { le.PutUint64(b[8:], 7); return b }), "version 7"},
		{"wrong slot size", with(func(b []byte) []byte { le.PutUint64(b[16:], 64); return b }), "slot size 64"},
		{"cut records", good[:headerSize+slotSize+10], "cut short: the header counts 2 records, the file holds 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-"))
			if err := os.WriteFile(path, tt.data, 0o666); err != nil {
				t.Fatal(err)
			}
			f, err := OpenRecords(path)
			if err == nil {
				f.Close()
				t.Fatalf("no error, want one saying %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %q, want one naming %s and saying %q", err, path, tt.want)
			}
		})
	}
	if _, err := OpenRecords(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing file: error %v", err)
	}
}

func TestReaderBadSlotAndUnfinished(t *testing.T) {
	dir := t.TempDir()
	b := make([]byte, headerSize+3*slotSize)
	copy(b, recordMagic[:])
	le := binary.LittleEndian
	le.PutUint64(b[8:], recordVersion)
	le.PutUint64(b[16:], slotSize)
	le.PutUint64(b[24:], 3)
	le.PutUint64(b[32:], 3)
	le.PutUint32(b[headerSize:], uint32(KindClose)|commitMark<<24)
	// slot 1 reserved, never committed
	le.PutUint32(b[headerSize+2*slotSize:], 0x12345678)
	path := filepath.Join(dir, "rec")
	if err := os.WriteFile(path, b, 0o666); err != nil {
		t.Fatal(err)
	}
	f, err := OpenRecords(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var n int
	var last error
	for r, err := range f.Records() {
		if err != nil {
			last = err
			break
		}
		if r.Kind != KindClose {
			t.Errorf("kind %v, want close", r.Kind)
		}
		n++
	}
	if n != 1 || f.Unfinished() != 1 || last == nil || !strings.Contains(last.Error(), "record 2: bad commit word 0x12345678") {
		t.Errorf("%d records, %d unfinished, error %v", n, f.Unfinished(), last)
	}
}
