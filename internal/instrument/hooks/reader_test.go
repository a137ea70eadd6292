package hooks

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestReaderErrors(t *testing.T) {
	dir := t.TempDir()
	good := make([]byte, headerSize+2*headSize)
	copy(good, recordMagic[:])
	le := binary.LittleEndian
	le.PutUint64(good[8:], recordVersion)
	le.PutUint64(good[16:], unitSize)
	le.PutUint64(good[24:], 2*headUnits)
	le.PutUint64(good[32:], 2*headUnits)
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
		{"wrong unit size", with(func(b []byte) []byte { le.PutUint64(b[16:], 64); return b }), "unit size 64"},
		{"cut records", good[:headerSize+headSize+10], "cut short: the header counts 6 units of records, the file holds 3"},
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

// recordFile writes a record file of the given units after a header that
// counts them all, and opens it.
func recordFile(t *testing.T, units []byte) *RecordFile {
	t.Helper()
	b := make([]byte, headerSize, headerSize+len(units))
	copy(b, recordMagic[:])
	le := binary.LittleEndian
	le.PutUint64(b[8:], recordVersion)
	le.PutUint64(b[16:], unitSize)
	le.PutUint64(b[24:], uint64(len(units)/unitSize))
	le.PutUint64(b[32:], uint64(len(units)/unitSize))
	b = append(b, units...)
	path := filepath.Join(t.TempDir(), "rec")
	if err := os.WriteFile(path, b, 0o666); err != nil {
		t.Fatal(err)
	}
	f, err := OpenRecords(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// readAll reads f's records: their kinds and labels, and the error that
// ended them.
func readAll(f *RecordFile) ([]string, error) {
	var got []string
	for r, err := range f.Records() {
		if err != nil {
			return got, err
		}
		got = append(got, r.Kind.String()+" "+r.Label)
	}
	return got, nil
}

func TestReaderBadSlotAndUnfinished(t *testing.T) {
	le := binary.LittleEndian
	u := make([]byte, 16*unitSize)
	le.PutUint32(u[0:], uint32(KindClose)|commitMark<<24) // units 0-2
	// units 3-7: reserved for a record with a label, never written; a label
	// written, its head not (the writer stopped in between)
	copy(u[4*unitSize:], `"abc"`)
	le.PutUint32(u[8*unitSize:], 3|pendingMark<<24) // units 8-10: reserved, not committed
	le.PutUint32(u[11*unitSize:], uint32(KindSendBegin)|2<<16|commitMark<<24)
	copy(u[11*unitSize+headSize:], "42") // units 11-14
	le.PutUint32(u[15*unitSize:], 0x12345678)
	f := recordFile(t, u)
	got, err := readAll(f)
	want := []string{"close ", "send-begin 42"}
	if !slices.Equal(got, want) || f.Unfinished() != 2 || err == nil || !strings.Contains(err.Error(), "unit 15: bad commit word 0x12345678") {
		t.Errorf("records %q, %d unfinished, error %v; want %q, 2 unfinished, a bad commit word at unit 15", got, f.Unfinished(), err, want)
	}
}

func TestReaderPadAndCutRecord(t *testing.T) {
	le := binary.LittleEndian
	u := make([]byte, 5*unitSize)
	le.PutUint32(u[0:], uint32(KindClose)|commitMark<<24)
	le.PutUint32(u[3*unitSize:], 2|padMark<<24) // the end of a full file
	f := recordFile(t, u)
	if got, err := readAll(f); len(got) != 1 || err != nil || f.Unfinished() != 0 {
		t.Errorf("padded file: records %q, error %v, %d unfinished; want one close", got, err, f.Unfinished())
	}
	u = make([]byte, 5*unitSize)
	le.PutUint32(u[0:], uint32(KindClose)|commitMark<<24)
	le.PutUint32(u[3*unitSize:], uint32(KindRecvDone)|5<<16|commitMark<<24) // 4 units, 2 left
	f = recordFile(t, u)
	if got, err := readAll(f); len(got) != 1 || err == nil || !strings.Contains(err.Error(), "unit 3: a record of 4 units, 2 left") {
		t.Errorf("cut record: records %q, error %v", got, err)
	}
}
