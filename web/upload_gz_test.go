package web

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// gzipped compresses each part as a gzip member of its own, one after the
// other (a reader of gzip reads them as one stream).
func gzipped(t testing.TB, parts ...[]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, p := range parts {
		w := gzip.NewWriter(&b)
		if _, err := w.Write(p); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

// noise returns n bytes that do not compress.
func noise(n int) []byte {
	b := make([]byte, n)
	x := uint32(1)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
		if b[i] == '\n' {
			b[i] = ' ' // one long line, read to the limit
		}
	}
	return b
}

// A gzip bomb: a handoff header, then n lines of a MiB of spaces (which a
// reader skips as empty), about a KiB for each MiB.
func gzipBomb(t testing.TB, mib int) []byte {
	header := []byte(`{"format":"handoff","version":2}` + "\n")
	member := gzipped(t, append(bytes.Repeat([]byte(" "), 1<<20-1), '\n'))
	return append(gzipped(t, header), bytes.Repeat(member, mib)...)
}

// TestParseGzip: an opened file may be gzip-compressed, told by its first
// bytes; it is read as the plain file is, and bounded once decompressed as
// well as compressed.
func TestParseGzip(t *testing.T) {
	cfg := testConfig()
	cfg.MaxUpload = 4 << 10
	_, ts := start(t, cfg)
	plain := traceFile(t, useAfterSend())
	z := gzipped(t, plain)

	code, want := post(t, ts.URL+"/api/parse", plain)
	if code != 200 {
		t.Fatalf("plain: %d %s", code, want)
	}
	code, got := post(t, ts.URL+"/api/parse", z)
	if code != 200 || !bytes.Equal(got, want) {
		t.Errorf("gzipped: %d %s\nwant the plain file's answer %s", code, got, want)
	}
	code, got = post(t, ts.URL+"/api/svg", z)
	if code != 200 || !bytes.HasPrefix(got, []byte("<svg")) {
		t.Errorf("svg of a gzipped file: %d %.100s", code, got)
	}

	// 4 KiB of events compress to well under 4 KiB: the limit applies to
	// the decompressed trace as well.
	big := traceFile(t, synth(4, 200))
	bigZ := gzipped(t, big)
	if len(big) <= 4<<10 || len(bigZ) >= 4<<10 {
		t.Fatalf("the test needs a trace over 4 KiB that compresses under it: %d -> %d bytes", len(big), len(bigZ))
	}
	bomb := gzipBomb(t, 1)
	if len(bomb) >= 4<<10 {
		t.Fatalf("bomb of %d bytes", len(bomb))
	}
	for _, tc := range []struct {
		name, path string
		body       []byte
		code       int
		want       string
	}{
		{"over the limit once decompressed", "/api/parse", bigZ, 413, "open trace: the gzip-compressed trace file is larger than the limit of 4 KiB once decompressed"},
		{"bomb", "/api/parse", bomb, 413, "larger than the limit of 4 KiB once decompressed"},
		{"svg of a bomb", "/api/svg", bomb, 413, "export svg: the gzip-compressed trace file is larger than the limit of 4 KiB once decompressed"},
		{"truncated", "/api/parse", z[:len(z)/2], 400, "open trace: the uploaded file: the gzip-compressed file is cut short"},
		{"bad header", "/api/parse", []byte{0x1f, 0x8b, 0x63, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 400, "open trace: the uploaded file: the gzip-compressed file is corrupt: a bad gzip header"},
		{"over the limit compressed", "/api/parse", gzipped(t, []byte(`{"format":"handoff","version":2}`+"\n"), noise(8<<10)), 413, "open trace: the trace file is larger than the limit of 4 KiB"},
	} {
		code, body := post(t, ts.URL+tc.path, tc.body)
		var e struct{ Error string }
		json.Unmarshal(body, &e)
		if code != tc.code || !strings.Contains(e.Error, tc.want) {
			t.Errorf("%s: %d %q, want %d %q", tc.name, code, e.Error, tc.code, tc.want)
		}
	}
}

// TestGzipBombStopsAtTheLimit: a 1 GiB bomb in a 1 MB request is cut off
// at the default limit (64 MiB) once decompressed, and answered 413,
// rather than read to its end; and 413 even when the server takes longer
// to decompress and read it than a body may pause (as under -race on a
// loaded machine): its own work counts as the body's progress.
func TestGzipBombStopsAtTheLimit(t *testing.T) {
	cfg := testConfig()
	cfg.MaxUpload = 64 << 20 // the default
	_, ts := start(t, cfg)
	bomb := gzipBomb(t, 1024)
	start := time.Now()
	code, body := post(t, ts.URL+"/api/parse", bomb)
	var e struct{ Error string }
	json.Unmarshal(body, &e)
	if code != 413 || !strings.Contains(e.Error, "larger than the limit of 64 MiB once decompressed") {
		t.Errorf("a %d-byte bomb of 1 GiB: %d %q", len(bomb), code, e.Error)
	}
	t.Logf("a %d-byte bomb of 1 GiB: answered %d in %v", len(bomb), code, time.Since(start))
}
