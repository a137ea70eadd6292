package gz

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func compress(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, done := NewWriter(&b, "x.jsonl.gz")
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := done(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func readAll(data []byte) ([]byte, error) {
	r, err := NewReader(bufio.NewReader(bytes.NewReader(data)))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

func TestRoundTrip(t *testing.T) {
	plain := []byte(strings.Repeat(`{"seq":1,"t":0,"kind":"spawn"}`+"\n", 1000))
	z := compress(t, plain)
	if !Magic(z) || len(z) >= len(plain)/10 {
		t.Fatalf("compressed %d bytes to %d, magic %v", len(plain), len(z), Magic(z))
	}
	got, err := readAll(z)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("read back %d bytes, err %v; want the %d written", len(got), err, len(plain))
	}
	// A name without .gz writes as is; plain bytes read as they are.
	var b bytes.Buffer
	w, done := NewWriter(&b, "x.jsonl")
	w.Write(plain)
	done()
	if !bytes.Equal(b.Bytes(), plain) {
		t.Error("NewWriter compressed a name without .gz")
	}
	if got, err := readAll(plain); err != nil || !bytes.Equal(got, plain) {
		t.Errorf("plain input: %d bytes, %v", len(got), err)
	}
}

func TestCorrupt(t *testing.T) {
	plain := []byte(strings.Repeat("line of a trace with some variety 1234567890\n", 2000))
	z := compress(t, plain)
	flipped := bytes.Clone(z)
	flipped[len(flipped)-6] ^= 0xff // in the CRC-32 of the trailer
	garbled := bytes.Clone(z)
	for i := 20; i < 60; i++ {
		garbled[i] ^= 0x5a
	}
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"truncated", z[:len(z)/2], "cut short"},
		{"header only", z[:5], "cut short"},
		{"checksum", flipped, "checksum"},
		{"garbled", garbled, "corrupt"},
		{"bad header", []byte{0x1f, 0x8b, 0x99, 0, 0, 0, 0, 0, 0, 0, 0}, "bad gzip header"},
	} {
		_, err := readAll(c.data)
		var ce *CorruptError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want a CorruptError saying %q", c.name, err, c.want)
		}
	}
}

func TestLimitReader(t *testing.T) {
	data := bytes.Repeat([]byte("x"), 1000)
	got, err := io.ReadAll(LimitReader(bytes.NewReader(data), 1000))
	if err != nil || len(got) != 1000 {
		t.Errorf("exactly the limit: %d bytes, %v", len(got), err)
	}
	got, err = io.ReadAll(LimitReader(bytes.NewReader(data), 999))
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Limit != 999 || len(got) != 999 {
		t.Errorf("one byte over: %d bytes, %v; want 999 bytes and a TooLargeError", len(got), err)
	}
	// One byte at a time, the way a small buffer reads.
	r := LimitReader(bytes.NewReader(data), 10)
	var n int
	for {
		k, err := r.Read(make([]byte, 1))
		n += k
		if err != nil {
			if !errors.As(err, &tl) || n != 10 {
				t.Errorf("byte by byte: %d bytes, %v", n, err)
			}
			break
		}
	}
}
