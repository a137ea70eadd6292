// Package graphvizcache keeps go-graphviz's compiled WebAssembly out of the
// shared temporary directory.
//
// go-graphviz v0.2.10 compiles Graphviz, built to WebAssembly, in its own
// package initialisation, and keeps the machine code wazero makes of it in
// os.TempDir()/go-graphviz: a directory shared by every user of the machine,
// created by whoever ran first, and read back without any check of who
// wrote it. It has no option to change that. So this package runs before
// it and points TMPDIR, for the span of that initialisation, at a
// directory only the current user can write: the user's cache directory
// (os.UserCacheDir) under handoff/, created 0700 and checked (a real
// directory, owned by the user, not writable by group or others) before it
// is trusted. When no such directory can be had, TMPDIR points at a path
// under /dev/null instead, where go-graphviz can neither find nor make a
// cache, and it compiles Graphviz afresh (about a second); [Warning] says
// why. Package viz, the one importer of go-graphviz, calls [Restore] in its
// own initialisation, which puts TMPDIR back.
//
// Why this package runs first: since Go 1.21 the spec orders package
// initialisation by import path, each step initialising the first package
// in that order whose imports are all initialised. This package imports
// only standard packages that github.com/tetratelabs/wazero imports too,
// and its path sorts before wazero's, so it is initialised before wazero
// and therefore before go-graphviz's internal/wasm, which imports wazero.
// The tests of cmd/handoff check the outcome on the built binary.
//
// Only Unix has the shared temporary directory this guards against; on
// other systems the package changes nothing.
package graphvizcache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// tmpdirVar is the variable os.TempDir reads on Unix.
const tmpdirVar = "TMPDIR"

// state is what init decided, for Restore, Warning and Dir.
var state struct {
	dir        string // handed to go-graphviz as TMPDIR; "" when there is no cache
	warning    string // why there is no cache, or what was mended; "" when all is well
	oldTMPDIR  string
	hadTMPDIR  bool
	toRestore  bool // TMPDIR was changed here and not yet put back
	wasChecked bool // init ran the checks (false on systems where nothing is done)
}

func init() {
	if !supported {
		return
	}
	state.wasChecked = true
	state.oldTMPDIR, state.hadTMPDIR = os.LookupEnv(tmpdirVar)
	tmpdir, note, err := userCache()
	switch {
	case err != nil:
		state.warning = "no Graphviz compilation cache, every start compiles Graphviz (about a second): " + err.Error()
		tmpdir = noCacheDir()
	case note != "":
		state.warning = note
		state.dir = tmpdir
	default:
		state.dir = tmpdir
	}
	if err := os.Setenv(tmpdirVar, tmpdir); err != nil {
		// Only a NUL in the value makes Setenv fail; say so rather
		// than pretend the cache is private.
		state.warning = fmt.Sprintf("cannot point go-graphviz away from the shared temporary directory: %v", err)
		state.dir = ""
		return
	}
	state.toRestore = true
}

// Restore puts TMPDIR back as it was before this package's initialisation.
// Package viz calls it from its own initialisation, which runs after
// go-graphviz's. It is safe to call more than once.
func Restore() {
	if !state.toRestore {
		return
	}
	state.toRestore = false
	if state.hadTMPDIR {
		os.Setenv(tmpdirVar, state.oldTMPDIR)
	} else {
		os.Unsetenv(tmpdirVar)
	}
}

// Warning returns one line saying why go-graphviz runs without a
// compilation cache, or what was wrong with the cache and mended; "" when
// the cache was used as it is. Command handoff prints it on stderr.
func Warning() string { return state.warning }

// Dir returns the directory handed to go-graphviz as its temporary
// directory: it keeps its cache in Dir()/go-graphviz. It is "" when
// go-graphviz runs without a cache, or where this package does nothing.
func Dir() string { return state.dir }

// userCache makes or checks handoff's directory in the user's cache
// directory and returns it. note, when not empty, tells of a damaged cache
// entry that was removed.
func userCache() (dir, note string, err error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", "", err
	}
	return prepare(base)
}

// prepare makes sure base/handoff/go-graphviz and the wazero directories
// in it are private to this user, checks the cache entries there, and
// returns base/handoff.
func prepare(base string) (dir, note string, err error) {
	if err := checkBase(base); err != nil {
		return "", "", err
	}
	dir = filepath.Join(base, "handoff")
	gv := filepath.Join(dir, "go-graphviz") // the name go-graphviz joins to TMPDIR
	for _, d := range []string{dir, gv} {
		if err := makePrivate(d); err != nil {
			return "", "", err
		}
	}
	note, err = checkEntries(gv)
	if err != nil {
		return "", "", err
	}
	return dir, note, nil
}

// checkBase checks the user's cache directory, making it (0700) if it is
// missing but its parent is there. It may be a symbolic link, the user's
// choice; what it leads to must be owned by the user or by root, and not
// writable by others unless sticky (as /tmp is), so that nobody else can
// swap handoff's directory in it.
func checkBase(base string) error {
	fi, err := os.Stat(base)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.Mkdir(base, 0o700); err != nil {
			return fmt.Errorf("make the cache directory: %w", err)
		}
		fi, err = os.Stat(base)
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", base)
	}
	if uid, ok := owner(fi); ok && uid != os.Geteuid() && uid != 0 {
		return fmt.Errorf("%s is owned by uid %d, not by you (uid %d) or root", base, uid, os.Geteuid())
	}
	if fi.Mode().Perm()&0o022 != 0 && fi.Mode()&fs.ModeSticky == 0 {
		return fmt.Errorf("%s is writable by others (mode %04o) and not sticky", base, fi.Mode().Perm())
	}
	return nil
}

// makePrivate makes directory d (0700) unless it exists, then checks it
// as [checkPrivate] does.
func makePrivate(d string) error {
	if err := os.Mkdir(d, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("make %s: %w", d, err)
	}
	fi, err := os.Lstat(d)
	if err != nil {
		return err
	}
	return checkPrivate(d, fi)
}

// checkPrivate says whether d, described by fi from Lstat, is a directory
// only this user can change and this user can use: a real directory (not a
// symbolic link), owned by the user, not writable by group or others, and
// readable, writable and searchable by the user.
func checkPrivate(d string, fi fs.FileInfo) error {
	mode := fi.Mode()
	switch {
	case mode&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symbolic link, not a directory", d)
	case !mode.IsDir():
		return fmt.Errorf("%s is not a directory", d)
	}
	if uid, ok := owner(fi); ok && uid != os.Geteuid() {
		return fmt.Errorf("%s is owned by uid %d, not by you (uid %d)", d, uid, os.Geteuid())
	}
	if mode.Perm()&0o022 != 0 {
		return fmt.Errorf("%s is writable by group or others (mode %04o)", d, mode.Perm())
	}
	if mode.Perm()&0o700 != 0o700 {
		return fmt.Errorf("%s is not readable, writable and searchable by you (mode %04o)", d, mode.Perm())
	}
	return nil
}

// noCacheDir returns a path under a file that is not a directory, so that
// go-graphviz, looking for TMPDIR/go-graphviz, can neither find it nor make
// it, and runs without a cache.
func noCacheDir() string {
	candidates := []string{os.DevNull}
	if exe, err := os.Executable(); err == nil {
		candidates = append(candidates, exe)
	}
	for _, f := range candidates {
		if fi, err := os.Stat(f); err == nil && !fi.IsDir() {
			return filepath.Join(f, "no-cache")
		}
	}
	return filepath.Join(os.DevNull, "no-cache")
}

// isEntryName reports whether name is the name wazero gives a cache entry:
// the hex of a SHA-256.
func isEntryName(name string) bool {
	if len(name) != 64 {
		return false
	}
	return strings.Trim(name, "0123456789abcdef") == ""
}
