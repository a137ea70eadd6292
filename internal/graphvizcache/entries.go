package graphvizcache

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
)

// wazero, when it reads a cache entry it cannot parse, fails the
// compilation, and go-graphviz panics; when it cannot write one, the same.
// In the private directory nobody else can plant a file, but a disk error
// or a full disk can still leave one damaged or make writing fail. So
// before go-graphviz runs, the entries for this wazero version are read
// through as wazero reads them (the layout below is wazero v1.10.1's
// internal/engine/wazevo/engine_cache.go), a damaged one is removed, and
// when there is no entry to load, so that wazero will write one, a trial
// file of probeSize bytes is written first.

// entryMagic opens every entry wazero's compiler writes.
var entryMagic = []byte("WAZEVO")

// entryCRC is the checksum wazero puts after the machine code.
var entryCRC = crc32.MakeTable(crc32.Castagnoli)

// probeSize is the size of the trial write: twice the 6.2 MB entry that
// go-graphviz v0.2.10 makes on linux/amd64, with room to spare.
const probeSize = 16 << 20

// checkEntries checks the wazero directories in gv (go-graphviz's cache
// directory) and the entries in this wazero version's. It returns a note
// when it removed a damaged entry, and an error when the cache cannot be
// used.
func checkEntries(gv string) (note string, err error) {
	dirs, err := os.ReadDir(gv)
	if err != nil {
		return "", err
	}
	for _, d := range dirs {
		if !strings.HasPrefix(d.Name(), "wazero-") {
			continue
		}
		p := filepath.Join(gv, d.Name())
		fi, err := os.Lstat(p)
		if err != nil {
			return "", err
		}
		if err := checkPrivate(p, fi); err != nil {
			return "", err
		}
	}
	version := wazeroVersion()
	// The directory wazero's NewCompilationCacheWithDir uses.
	vdir := filepath.Join(gv, "wazero-"+version+"-"+runtime.GOARCH+"-"+runtime.GOOS)
	if err := makePrivate(vdir); err != nil {
		return "", err
	}
	files, err := os.ReadDir(vdir)
	if err != nil {
		return "", err
	}
	loadable := 0
	var removed []string
	for _, f := range files {
		if !isEntryName(f.Name()) {
			continue // wazero opens entries by name only; others are never read
		}
		p := filepath.Join(vdir, f.Name())
		current, err := checkEntry(p, version)
		if err == nil {
			if current {
				loadable++
			}
			continue
		}
		if rmErr := os.RemoveAll(p); rmErr != nil {
			return "", fmt.Errorf("damaged cache entry %s (%v) cannot be removed: %w", p, err, rmErr)
		}
		removed = append(removed, fmt.Sprintf("%s (%v)", p, err))
	}
	if loadable == 0 {
		if err := probeWrite(vdir, probeSize); err != nil {
			return "", fmt.Errorf("cannot write the cache in %s: %w", vdir, err)
		}
	}
	if len(removed) > 0 {
		note = "removed damaged Graphviz cache entries, this start compiles Graphviz again: " + strings.Join(removed, "; ")
	}
	return note, nil
}

// wazeroVersion returns the version wazero names its cache directory and
// entries after, found the way wazero's internal/version finds it.
func wazeroVersion() string {
	missing := func(v string) bool { return v == "" || v == "(devel)" }
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	v := ""
	for _, dep := range info.Deps {
		if strings.Contains(dep.Path, "github.com/tetratelabs/wazero") {
			v = dep.Version
		}
	}
	if missing(v) {
		v = info.Main.Version
	}
	if missing(v) {
		return "dev"
	}
	return v
}

// checkEntry reads the cache entry at p as wazero would. It returns
// current == false for an entry of another wazero version, which wazero
// deletes and replaces without error, and an error for one wazero would
// fail on.
func checkEntry(p, version string) (current bool, err error) {
	fi, err := os.Lstat(p)
	if err != nil {
		return false, err
	}
	if !fi.Mode().IsRegular() {
		return false, errors.New("not a regular file")
	}
	f, err := os.Open(p)
	if err != nil {
		return false, err
	}
	defer f.Close()
	left := fi.Size()
	// read takes the next n bytes, failing if the file has fewer.
	read := func(n int64) ([]byte, error) {
		if n > left {
			return nil, errors.New("truncated")
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(f, b); err != nil {
			return nil, err
		}
		left -= n
		return b, nil
	}
	// wazero reads its whole header, sized for its own version, at once.
	header, err := read(int64(len(entryMagic) + 1 + len(version) + 4))
	if err != nil {
		return false, err
	}
	if !bytes.Equal(header[:len(entryMagic)], entryMagic) {
		return false, errors.New("not a wazero cache entry")
	}
	vlen := int(header[len(entryMagic)])
	vend := len(entryMagic) + 1 + vlen
	if vend >= len(header) || string(header[len(entryMagic)+1:vend]) != version {
		return false, nil
	}
	funcs := int64(binary.LittleEndian.Uint32(header[len(header)-4:]))
	if funcs*8 > left {
		return false, errors.New("truncated function table")
	}
	if _, err := f.Seek(funcs*8, io.SeekCurrent); err != nil {
		return false, err
	}
	left -= funcs * 8
	b, err := read(8)
	if err != nil {
		return false, err
	}
	codeLen := binary.LittleEndian.Uint64(b)
	if codeLen > uint64(left) {
		return false, errors.New("truncated machine code")
	}
	if codeLen > 0 {
		sum := crc32.New(entryCRC)
		if _, err := io.CopyN(sum, f, int64(codeLen)); err != nil {
			return false, err
		}
		left -= int64(codeLen)
		b, err := read(4)
		if err != nil {
			return false, err
		}
		if binary.LittleEndian.Uint32(b) != sum.Sum32() {
			return false, errors.New("checksum mismatch")
		}
	}
	b, err = read(1)
	if err != nil {
		return false, err
	}
	if b[0] == 1 {
		if codeLen == 0 {
			return false, errors.New("source map without machine code")
		}
		b, err := read(8)
		if err != nil {
			return false, err
		}
		if n := binary.LittleEndian.Uint64(b); n > uint64(left)/16 {
			return false, errors.New("truncated source map")
		}
	}
	return true, nil
}

// probeWrite writes size bytes to a file in dir, syncs it and removes it.
func probeWrite(dir string, size int) (err error) {
	f, err := os.CreateTemp(dir, "probe-*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil && !errors.Is(cerr, os.ErrClosed) {
			err = cerr
		}
		os.Remove(f.Name())
	}()
	chunk := make([]byte, 1<<20)
	for size > 0 {
		n := min(size, len(chunk))
		if _, err := f.Write(chunk[:n]); err != nil {
			return err
		}
		size -= n
	}
	return f.Sync()
}
