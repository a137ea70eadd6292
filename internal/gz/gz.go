// Package gz lets handoff's readers and writers of trace files see through
// gzip compression. A reader tells a compressed file by gzip's magic bytes
// (0x1f 0x8b), whatever its name, and decompresses it as it reads, never
// holding it whole; a writer compresses when the file's name ends in
// ".gz". Everything is compress/gzip from the standard library.
package gz

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Magic reports whether head, the first bytes of a file, starts like a
// gzip stream.
func Magic(head []byte) bool {
	return len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b
}

// NewReader returns the bytes r holds: decompressed as they are read when
// they start with gzip's magic bytes, else r itself. The result is
// buffered as r is, so callers can peek at it to tell formats apart.
// A stream that is corrupt or cut short fails, here or while reading, with
// a [*CorruptError].
func NewReader(r *bufio.Reader) (*bufio.Reader, error) {
	head, _ := r.Peek(2)
	if !Magic(head) {
		return r, nil
	}
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, corrupt(err)
	}
	return bufio.NewReaderSize(errorReader{zr}, r.Size()), nil
}

// A CorruptError says that a gzip stream cannot be decompressed: it is
// corrupt, or the file was cut short.
type CorruptError struct{ Err error }

func (e *CorruptError) Error() string {
	var ce flate.CorruptInputError
	switch {
	case errors.Is(e.Err, io.ErrUnexpectedEOF):
		return "the gzip-compressed file is cut short (truncated)"
	case errors.Is(e.Err, gzip.ErrChecksum):
		return "the gzip-compressed file is corrupt: its checksum or length does not match its data"
	case errors.Is(e.Err, gzip.ErrHeader):
		return "the gzip-compressed file is corrupt: a bad gzip header"
	case errors.As(e.Err, &ce):
		return fmt.Sprintf("the gzip-compressed file is corrupt: bad compressed data at byte %d", int64(ce))
	}
	return "the gzip-compressed file is corrupt: " + e.Err.Error()
}

func (e *CorruptError) Unwrap() error { return e.Err }

// corrupt makes a decompression error a *CorruptError; errors of the
// underlying reader (a request body too large, too slow) and io.EOF pass
// as they are.
func corrupt(err error) error {
	var ce flate.CorruptInputError
	var ie flate.InternalError
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) ||
		errors.As(err, &ce) || errors.As(err, &ie) {
		return &CorruptError{Err: err}
	}
	return err
}

// errorReader makes a gzip reader's errors *CorruptErrors.
type errorReader struct{ r io.Reader }

func (e errorReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		err = corrupt(err)
	}
	return n, err
}

// A TooLargeError says that a stream holds more than its limit of bytes.
type TooLargeError struct{ Limit int64 }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("more than %d bytes once decompressed", e.Limit)
}

// LimitReader returns a reader of r that fails with a [*TooLargeError]
// when r holds more than n bytes. Unlike io.LimitReader it says so rather
// than stopping quietly: a trace cut short would look like another trace.
func LimitReader(r io.Reader, n int64) io.Reader { return &limitReader{r: r, left: n, limit: n} }

type limitReader struct {
	r           io.Reader
	left, limit int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, &TooLargeError{Limit: l.limit}
	}
	// Read one byte more than is left, to tell "exactly n" from "more".
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n + int(l.left), &TooLargeError{Limit: l.limit}
	}
	return n, err
}

// NewWriter returns a writer to w that compresses with gzip when name
// ends in ".gz", else w itself. Call close when done to write the end of
// the compressed stream; it does not close w.
func NewWriter(w io.Writer, name string) (zw io.Writer, close func() error) {
	if !strings.HasSuffix(name, ".gz") {
		return w, func() error { return nil }
	}
	g, _ := gzip.NewWriterLevel(w, level) // a valid level: no error
	return g, g.Close
}

// level is the compression level writers use: on an import of 88 MB of
// JSON Lines, level 3 wrote 11.1x smaller in 1.0-2.2 s, the default (6)
// 12.2x in 3.6-4.7 s (docs/trace-format.md).
const level = 3
