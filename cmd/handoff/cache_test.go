//go:build linux

package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// These tests run the handoff binary (this test binary, which acts as
// handoff when it is called so: see TestMain) as separate users of one
// machine: each with its own HOME, all with the same TMPDIR, as on a
// shared machine. As root they also run it as nobody, so that permissions
// are real. go-graphviz, left alone, compiles Graphviz into
// $TMPDIR/go-graphviz at start and loads whatever it finds there.

// nobody is the unprivileged user the tests run handoff as, when they can.
const nobody = 65534

// cacheWorld is a directory every user can reach, holding a copy of the
// handoff binary and a shared temporary directory like /tmp.
type cacheWorld struct {
	root   string
	exe    string
	shared string // the TMPDIR every user has
}

func newCacheWorld(t *testing.T) *cacheWorld {
	t.Helper()
	root, err := os.MkdirTemp("", "handoff-cache-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	w := &cacheWorld{root: root, exe: filepath.Join(root, "bin", "handoff"), shared: filepath.Join(root, "tmp")}
	mustChmod(t, root, 0o755)
	mustMkdir(t, filepath.Dir(w.exe), 0o755)
	mustMkdir(t, w.shared, os.ModeSticky|0o777)
	exe, err := plainHandoff()
	if err != nil {
		t.Fatal(err)
	}
	copyFile(t, exe, w.exe, 0o755)
	return w
}

// plainHandoff builds handoff once without the race detector, because
// Graphviz compiled at start by a race-instrumented wazero takes some
// 30 s on a loaded machine, against about a second. Without a go command
// it falls back on this test binary, which runs as handoff too.
var plainHandoff = sync.OnceValues(func() (string, error) {
	gocmd, err := exec.LookPath("go")
	if err != nil {
		return os.Executable()
	}
	dir, err := os.MkdirTemp("", "handoff-bin-")
	if err != nil {
		return "", err
	}
	testCleanups = append(testCleanups, func() { os.RemoveAll(dir) })
	exe := filepath.Join(dir, "handoff")
	if out, err := exec.Command(gocmd, "build", "-o", exe, ".").CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return exe, nil
})

// home makes a home directory owned by uid.
func (w *cacheWorld) home(t *testing.T, name string, uid int) string {
	t.Helper()
	h := filepath.Join(w.root, name)
	mustMkdir(t, h, 0o700)
	if uid != os.Geteuid() {
		if err := os.Chown(h, uid, uid); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// result is what one run of handoff did.
type result struct {
	code           int
	stdout, stderr string
}

// run runs handoff as uid with HOME home (none if "") and the shared TMPDIR.
func (w *cacheWorld) run(t *testing.T, uid int, home string, args ...string) result {
	t.Helper()
	env := []string{"PATH=" + os.Getenv("PATH"), "TMPDIR=" + w.shared}
	if home != "" {
		env = append(env, "HOME="+home)
	}
	return w.runEnv(t, uid, env, args...)
}

func (w *cacheWorld) runEnv(t *testing.T, uid int, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(w.exe, args...)
	cmd.Env = env
	cmd.Dir = w.root
	if uid != os.Geteuid() {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run handoff %s: %v", strings.Join(args, " "), err)
		}
		code = ee.ExitCode()
	}
	return result{code, stdout.String(), stderr.String()}
}

// render runs handoff render as uid and checks that it drew an SVG. It
// returns what handoff wrote on stderr.
func (w *cacheWorld) render(t *testing.T, uid int, home, out string) string {
	t.Helper()
	r := w.run(t, uid, home, "render", "pipeline", "-o", out)
	if r.code != 0 {
		t.Fatalf("handoff render as uid %d: exit %d\nstderr:\n%s", uid, r.code, r.stderr)
	}
	svg, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(svg, []byte("</svg>")) {
		t.Fatalf("handoff render as uid %d wrote no SVG (%d bytes)", uid, len(svg))
	}
	return r.stderr
}

// noSharedCache fails if anything named go-graphviz is in the shared
// temporary directory, other than what the test put there itself.
func (w *cacheWorld) noSharedCache(t *testing.T) {
	t.Helper()
	if _, err := os.Lstat(filepath.Join(w.shared, "go-graphviz")); err == nil {
		t.Errorf("%s/go-graphviz exists: Graphviz was compiled into the shared temporary directory", w.shared)
	}
}

// privateEntry checks that home's cache is private to uid and holds one
// compiled Graphviz, and returns the entry's path relative to the
// go-graphviz directory (wazero-VERSION-ARCH-OS/HASH).
func privateEntry(t *testing.T, home string, uid int) string {
	t.Helper()
	gv := filepath.Join(home, ".cache", "handoff", "go-graphviz")
	matches, err := filepath.Glob(filepath.Join(gv, "wazero-*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	var entries []string
	for _, m := range matches {
		if !strings.HasSuffix(m, ".tmp") {
			entries = append(entries, m)
		}
	}
	if len(entries) != 1 {
		t.Fatalf("want one compiled Graphviz in %s, found %q", gv, matches)
	}
	for _, d := range []string{filepath.Join(home, ".cache", "handoff"), gv, filepath.Dir(entries[0])} {
		fi, err := os.Lstat(d)
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if !fi.IsDir() || fi.Mode().Perm() != 0o700 || int(st.Uid) != uid {
			t.Errorf("%s: mode %v, uid %d; want a directory, 0700, uid %d", d, fi.Mode(), st.Uid, uid)
		}
	}
	rel, err := filepath.Rel(gv, entries[0])
	if err != nil {
		t.Fatal(err)
	}
	return rel
}

// asRoot skips t unless the test runs as root, which it needs to run
// handoff as another user.
func asRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to run handoff as another user (uid 65534)")
	}
}

// TestGraphvizCachePerUser: each user compiles Graphviz into a cache of
// their own, private to them; nothing goes to the shared TMPDIR; a second
// user works whoever came first, and whatever an old handoff left there.
func TestGraphvizCachePerUser(t *testing.T) {
	w := newCacheWorld(t)
	me := os.Geteuid()
	homeA := w.home(t, "home-a", me)
	if stderr := w.render(t, me, homeA, filepath.Join(homeA, "a.svg")); stderr != "" {
		t.Errorf("first user: stderr:\n%s", stderr)
	}
	w.noSharedCache(t)
	entry := privateEntry(t, homeA, me)

	homeB := w.home(t, "home-b", me)
	r := w.run(t, me, homeB, "list")
	if r.code != 0 || r.stderr != "" || !strings.Contains(r.stdout, "pipeline") {
		t.Errorf("second HOME, same uid: handoff list: exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	privateEntry(t, homeB, me)
	w.noSharedCache(t)

	t.Run("another uid", func(t *testing.T) {
		asRoot(t)
		// What handoff before this fix left behind when root ran it
		// first: root's directories, 0755 and 0700, in the shared
		// TMPDIR. A second user got "permission denied" and a panic.
		old := filepath.Join(w.shared, "go-graphviz", filepath.Dir(entry))
		mustMkdir(t, filepath.Dir(old), 0o755)
		mustMkdir(t, old, 0o700)
		copyFile(t, filepath.Join(homeA, ".cache", "handoff", "go-graphviz", entry), filepath.Join(w.shared, "go-graphviz", entry), 0o600)

		homeN := w.home(t, "home-nobody", nobody)
		r := w.run(t, nobody, homeN, "list")
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("nobody: handoff list: exit %d\nstderr:\n%s", r.code, r.stderr)
		}
		if stderr := w.render(t, nobody, homeN, filepath.Join(homeN, "n.svg")); stderr != "" {
			t.Errorf("nobody: handoff render: stderr:\n%s", stderr)
		}
		privateEntry(t, homeN, nobody)
	})
}

// TestGraphvizCachePlantedFileIgnored: files another user plants where
// go-graphviz used to keep its cache are never loaded: neither garbage
// (which made go-graphviz panic) nor a well-formed entry whose machine code
// is a trap (which it would have run).
func TestGraphvizCachePlantedFileIgnored(t *testing.T) {
	w := newCacheWorld(t)
	me := os.Geteuid()
	homeA := w.home(t, "home-a", me)
	w.render(t, me, homeA, filepath.Join(homeA, "a.svg"))
	entry := privateEntry(t, homeA, me)
	good, err := os.ReadFile(filepath.Join(homeA, ".cache", "handoff", "go-graphviz", entry))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		plant []byte
	}{
		{"garbage", bytes.Repeat([]byte("not machine code "), 1000)},
		{"trap", trapEntry(t, good)},
	} {
		t.Run(c.name, func(t *testing.T) {
			planted := filepath.Join(w.shared, "go-graphviz", entry)
			os.RemoveAll(filepath.Join(w.shared, "go-graphviz"))
			mustMkdir(t, filepath.Join(w.shared, "go-graphviz"), 0o777)
			mustMkdir(t, filepath.Dir(planted), 0o777)
			if err := os.WriteFile(planted, c.plant, 0o666); err != nil {
				t.Fatal(err)
			}
			if me == 0 { // planted by another user, as an attacker would
				for _, p := range []string{filepath.Dir(filepath.Dir(planted)), filepath.Dir(planted), planted} {
					if err := os.Chown(p, nobody, nobody); err != nil {
						t.Fatal(err)
					}
				}
			}
			home := w.home(t, "home-"+c.name, me)
			if stderr := w.render(t, me, home, filepath.Join(home, "out.svg")); stderr != "" {
				t.Errorf("stderr:\n%s", stderr)
			}
			privateEntry(t, home, me)
			after, err := os.ReadFile(planted)
			if err != nil || !bytes.Equal(after, c.plant) {
				t.Errorf("the planted file was touched (err %v)", err)
			}
		})
	}
}

// trapEntry returns a copy of a wazero cache entry whose machine code is
// all int3 (a trap on amd64, garbage elsewhere), with a checksum that
// matches, so that wazero would load it and run it. The layout is wazero
// v1.10.1's: magic, version, function count, offsets, code length, code,
// CRC-32C.
func trapEntry(t *testing.T, entry []byte) []byte {
	t.Helper()
	b := bytes.Clone(entry)
	if !bytes.HasPrefix(b, []byte("WAZEVO")) {
		t.Fatalf("not a wazero cache entry")
	}
	at := 6 + 1 + int(b[6])
	funcs := int(binary.LittleEndian.Uint32(b[at:]))
	at += 4 + 8*funcs
	n := int(binary.LittleEndian.Uint64(b[at:]))
	at += 8
	code := b[at : at+n]
	for i := range code {
		code[i] = 0xcc
	}
	binary.LittleEndian.PutUint32(b[at+n:], crc32.Checksum(code, crc32.MakeTable(crc32.Castagnoli)))
	return b
}

// TestGraphvizCacheUnusable: when the private cache cannot be trusted or
// used, handoff says so in one line on stderr, loads nothing from it, and
// still draws.
func TestGraphvizCacheUnusable(t *testing.T) {
	w := newCacheWorld(t)
	me := os.Geteuid()
	// Learn the name go-graphviz's compiled Graphviz has on this machine,
	// to plant garbage under that very name in each unusable cache.
	first := w.home(t, "home-first", me)
	w.render(t, me, first, filepath.Join(first, "first.svg"))
	entry := privateEntry(t, first, me)
	plant := func(t *testing.T, handoffDir string) {
		p := filepath.Join(handoffDir, "go-graphviz", entry)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, bytes.Repeat([]byte("garbage "), 512), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name     string
		root     bool
		setup    func(t *testing.T, home string) // makes home/.cache/handoff unusable
		env      func(home string) []string      // nil: HOME and the shared TMPDIR
		warnings []string                        // what the one warning line says
	}{
		{
			name: "writable by others",
			setup: func(t *testing.T, home string) {
				d := filepath.Join(home, ".cache", "handoff")
				mustMkdir(t, filepath.Dir(d), 0o700)
				mustMkdir(t, d, 0o777)
				plant(t, d)
			},
			warnings: []string{"handoff is writable by group or others (mode 0777)"},
		},
		{
			name: "owned by another user",
			root: true,
			setup: func(t *testing.T, home string) {
				d := filepath.Join(home, ".cache", "handoff")
				mustMkdir(t, filepath.Dir(d), 0o700)
				mustMkdir(t, d, 0o700)
				plant(t, d)
				if err := os.Chown(d, nobody, nobody); err != nil {
					t.Fatal(err)
				}
			},
			warnings: []string{"handoff is owned by uid 65534, not by you (uid 0)"},
		},
		{
			name: "symbolic link",
			setup: func(t *testing.T, home string) {
				elsewhere := filepath.Join(home, "elsewhere")
				mustMkdir(t, elsewhere, 0o700)
				plant(t, elsewhere)
				mustMkdir(t, filepath.Join(home, ".cache"), 0o700)
				if err := os.Symlink(elsewhere, filepath.Join(home, ".cache", "handoff")); err != nil {
					t.Fatal(err)
				}
			},
			warnings: []string{"handoff is a symbolic link, not a directory"},
		},
		{
			name: "not writable by its owner",
			setup: func(t *testing.T, home string) {
				d := filepath.Join(home, ".cache", "handoff")
				mustMkdir(t, filepath.Dir(d), 0o700)
				mustMkdir(t, d, 0o700)
				plant(t, d)
				mustChmod(t, d, 0o500)
			},
			warnings: []string{"handoff is not readable, writable and searchable by you (mode 0500)"},
		},
		{
			name: "a file",
			setup: func(t *testing.T, home string) {
				mustMkdir(t, filepath.Join(home, ".cache"), 0o700)
				if err := os.WriteFile(filepath.Join(home, ".cache", "handoff"), nil, 0o600); err != nil {
					t.Fatal(err)
				}
			},
			warnings: []string{"handoff is not a directory"},
		},
		{
			name:     "HOME does not exist",
			env:      func(home string) []string { return []string{"HOME=" + filepath.Join(home, "gone")} },
			warnings: []string{"make the cache directory", "no such file or directory"},
		},
		{
			name:     "no HOME",
			env:      func(string) []string { return []string{} },
			warnings: []string{"neither $XDG_CACHE_HOME nor $HOME are defined"},
		},
		{
			name: "damaged entry of its own",
			setup: func(t *testing.T, home string) {
				d := filepath.Join(home, ".cache", "handoff")
				mustMkdir(t, filepath.Dir(d), 0o700)
				mustMkdir(t, d, 0o700)
				plant(t, d)
			},
			warnings: []string{"removed damaged Graphviz cache entries", "not a wazero cache entry"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.root {
				asRoot(t)
			}
			home := w.home(t, "home-"+strings.ReplaceAll(c.name, " ", "-"), me)
			if c.setup != nil {
				c.setup(t, home)
			}
			env := []string{"HOME=" + home}
			if c.env != nil {
				env = c.env(home)
			}
			env = append(env, "PATH="+os.Getenv("PATH"), "TMPDIR="+w.shared)
			out := filepath.Join(w.root, "out-"+strings.ReplaceAll(c.name, " ", "-")+".svg")
			r := w.runEnv(t, me, env, "render", "pipeline", "-o", out)
			if r.code != 0 {
				t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
			}
			if svg, err := os.ReadFile(out); err != nil || !bytes.Contains(svg, []byte("</svg>")) {
				t.Fatalf("no SVG drawn (%v)", err)
			}
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "handoff: warning: ") {
				t.Fatalf("want one warning line on stderr, got:\n%s", r.stderr)
			}
			for _, want := range c.warnings {
				if !strings.Contains(lines[0], want) {
					t.Errorf("the warning does not say %q:\n%s", want, lines[0])
				}
			}
			w.noSharedCache(t)
			if c.name == "damaged entry of its own" {
				privateEntry(t, home, me) // compiled afresh
			}
		})
	}
}

// TestGraphvizCacheFullDisk: when the cache cannot be written (here a
// file size limit of 4 MB, below the 6 MB of compiled Graphviz), handoff
// warns and draws without a cache; go-graphviz alone panicked.
func TestGraphvizCacheFullDisk(t *testing.T) {
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Skip("no prlimit (util-linux) to limit the file size")
	}
	w := newCacheWorld(t)
	home := w.home(t, "home", os.Geteuid())
	out := filepath.Join(home, "out.svg")
	cmd := exec.Command(prlimit, "--fsize=4000000", w.exe, "render", "pipeline", "-o", out)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "TMPDIR=" + w.shared}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\nstderr:\n%s", err, stderr.String())
	}
	if !strings.HasPrefix(stderr.String(), "handoff: warning: ") || !strings.Contains(stderr.String(), "cannot write the cache") ||
		strings.Count(stderr.String(), "\n") != 1 {
		t.Errorf("want one warning that the cache cannot be written, got:\n%s", stderr.String())
	}
	if svg, err := os.ReadFile(out); err != nil || !bytes.Contains(svg, []byte("</svg>")) {
		t.Fatalf("no SVG drawn (%v)", err)
	}
}

func mustMkdir(t *testing.T, d string, mode os.FileMode) {
	t.Helper()
	if err := os.Mkdir(d, mode); err != nil {
		t.Fatal(err)
	}
	mustChmod(t, d, mode) // past the umask
}

func mustChmod(t *testing.T, p string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
