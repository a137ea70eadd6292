// Package hooks is what `handoff trace` puts into a program it traces: the
// functions that the rewritten program calls in place of its channel
// operations and go statements, and the reader of what they record.
//
// The rewriter turns `make(chan T, n)` into MakeChan(make(chan T, n), site),
// `ch <- v` into Send(ch, v, site), `<-ch` into Recv(ch, site), `v, ok :=
// <-ch` into Recv2(ch, site), `close(ch)` into Close(ch, site) and `go f(a)`
// into `go Go(f, site)(a)`. site indexes a table of source positions that
// the rewriter keeps; the hooks only record it. Each hook does the program's
// own operation exactly once, blocking when the original would and
// panicking with Go's own message when the original would. Once the
// program runs, the hooks start no goroutine and no timer and take no lock
// (start's one helper goroutine has ended before main begins), so Go still
// says "all goroutines are asleep - deadlock!" when the program deadlocks,
// and they
// never call a method of the program's values (a String method that takes
// a lock cannot deadlock the traced program).
//
// The package is built into the traced program from a copy of its files
// (every non-test .go and .s file) with a module of its own, so it imports
// the standard library only.
//
// # Starting
//
// The package's init reads HANDOFF_RECORD, the path of the record file, and
// HANDOFF_RECORD_LIMIT, the file's size in bytes (default
// DefaultRecordLimit, 1 GiB), and removes both from the environment, so the
// program sees the environment it was given. Without HANDOFF_RECORD the
// hooks record nothing and only do the operations. A file that cannot be
// opened, or a limit that is not a byte count, is said on stderr once, and
// nothing is recorded; a file that cannot be mapped is written without mmap
// (see below).
//
// # The record file
//
// The file is sized to the limit at start (sparse: only written pages take
// room) and mapped MAP_SHARED, so every record written into the mapping is
// in the file however the process ends: main returning, os.Exit, a panic,
// a fatal error, SIGKILL. Its size bounds the memory the hooks use. On
// Linux 5.14 and later the mapping is faulted in a MiB at a time ahead of the
// writers (madvise MADV_POPULATE_WRITE): the writer whose record enters a
// MiB populates the next one, one system call instead of 256 page faults, which
// on a virtual machine cost more than the records themselves. When it
// is full, the header's truncated flag is set and later records are
// dropped; the program is never blocked or stopped.
//
// All numbers are little-endian. The header is the first 4096 bytes:
//
//	offset size
//	     0    8  magic "HNDFREC1"
//	     8    8  version (2)
//	    16    8  unit size (16)
//	    24    8  next unit: writers reserve a record's units by atomic add
//	    32    8  capacity in units
//	    40    4  truncated flag (1: records were dropped)
//	    48    8  spawn token counter
//	    56    8  the main goroutine's id (the goroutine that ran init)
//	    64    8  wall clock at start, UnixNano
//	    72    4  flags: 1 = units are counted by the file's size (fallback),
//	             2 = record times are TSC ticks
//	    80   32  goroutine id calibration (see below)
//	   112    4  1 once populating ahead failed (an older kernel)
//	   116    4  1 while a writer updates a clock pair
//	   120    8  TSC at start (flag 2)
//	   128    8  clock pair sequence: pair seq%2 is the latest whole one
//	   136   32  two clock pairs: TSC, nanoseconds since start (flag 2)
//
// Then the records, in the order writers reserved them, each a 48-byte head
// and its label in 16-byte units: 48 bytes without a label, up to 96 with
// one (a send's value, a receive's). The head:
//
//	 0  u32 commit: kind | flags<<8 | label length<<16 | 0xA5<<24, stored
//	        last; until then units | 0x5A<<24 (pending)
//	 4  i32 site
//	 8  u64 goroutine id
//	16  u64 obj: the channel's address, or the spawn token
//	24  i64 time: nanoseconds since start, monotonic; TSC ticks (flag 2)
//	32  u64 ident: the value's identity
//	40  u64 aux: a channel's capacity (ChanMade, SendBegin)
//	48  the label, its length in the commit word, in units of 16 bytes
//
// A record whose commit word is pending, or 0, was reserved by a writer
// that never finished it (the process ended in between); the reader passes
// over it (a pending word says how many units; after a 0 it passes over
// units until the next head: a label's first byte is text, never a kind,
// which is below 0x20) and counts it (RecordFile.Unfinished). A word
// n | 0x50<<24 pads the last n units of a full file, which the record that
// found it full did not fit. Record order is the order of reservation,
// which per goroutine is program order; across goroutines it is only what
// each writer's atomic add happened to get.
//
// # Time
//
// On amd64 with an invariant TSC (CPUID says so) a record's time is the
// TSC, read in a few nanoseconds, where the monotonic clock costs tens
// under a hypervisor (kvm-clock). The header keeps the TSC at start and a
// pair of TSC and monotonic readings, renewed every 4096 units (64 KiB)
// by the writer whose record crosses them (a first pair is measured for 100 µs at start), and
// the reader turns ticks into nanoseconds since start with the rate they
// give. Elsewhere records carry the monotonic clock's nanoseconds.
//
// # What each hook records
//
//   - MakeChan: ChanMade, Aux the capacity.
//   - Send: SendBegin (the value's label and ident, Aux cap(ch)) before
//     trying; a non-blocking try; if that failed, SendBlock and the blocking
//     send; then SendDone. A nil channel writes SendBlock and blocks forever.
//   - Recv, Recv2: a non-blocking try; if that failed, RecvBlock and the
//     blocking receive; then RecvDone with the label and ident of the value
//     received and FlagOK, or no value and no FlagOK when the channel was
//     closed.
//   - Close: Close, written before closing, so a close of a closed or nil
//     channel leaves its record and then panics as Go's close does.
//   - Go: Spawn in the parent with a fresh token; in the child Start with the
//     same token first and End last (deferred: also on panic and
//     runtime.Goexit).
//
// The hooks cannot make a send and the runtime's hand-over one step: between
// SendBegin and SendDone another goroutine's records may come. Tying a
// receive to its send is the converter's job, by ident and order.
//
// # Labels and idents
//
// A label is the value written by this package's own formatter, at most 48
// bytes (cut with "…" and FlagLabelCut), with bounded work: three levels,
// four elements of a slice or array, 64 bytes of a string. Integers, floats,
// quoted strings, bools, structs as Job{ID:3 Name:"a"} (the type's name
// when it is 16 bytes or shorter), arrays and slices as [1 2 3 4 …+2],
// values whose type implements error by their contents, never by calling
// Error (a pointer to a struct as one level of the struct,
// &errorString{s:"disk full"}; otherwise, and in a race build, the type's
// name), nil pointers, maps and channels as "nil". A map shows its type and
// length and is never iterated: the sender may still be writing it, and
// iterating could end the program with "concurrent map iteration and map
// write".
//
// Race builds: in a program built with -race the formatter never reads
// through a pointer, a slice or a map (that memory may still be written by
// the sender, and the race detector would report a race that the program
// does not have). A pointer shows as *Job@0xc000012345, a slice as
// []int(len=3), a map as map[string]int@0xc000012345. In a normal build a
// pointer at the top of the value shows one level of its pointee, &Job{ID:3},
// and a slice its first elements.
//
// An ident is 64 bits, equal for equal values: integers, bools and floats
// are their own bits; pointers, channels, maps, funcs and unsafe.Pointers
// their address; a slice hashes its array's address and length; anything
// else (strings, structs, arrays, interfaces) an FNV-1a hash of its
// contents (strings up to 64 KiB, arrays up to 65536 elements, 16 levels),
// which two different values may share, rarely.
//
// # Goroutine ids
//
// Every record carries the runtime's goroutine id. runtime.Stack gives it
// exactly but costs microseconds. On amd64 and arm64 a few lines of
// assembly read a word of the running goroutine's g instead, at an offset
// calibrated at run time: at start the offsets whose word equals the id
// runtime.Stack reports, in the goroutine that runs init and in a second
// one that start runs and waits for (so the fast path is settled before
// main, also in a program whose goroutines are all started by code that is
// not rewritten); at each new goroutine's Start (which calls runtime.Stack
// once) the candidates narrow. The fast path is used once
// exactly one offset is left and two goroutines with different ids agreed
// on it; each later Start checks it, and one disagreement turns it off for
// good. Until then, and elsewhere, ids come from runtime.Stack.
//
// # The race detector
//
// The hooks' shared state (the cursor, the token counter, the
// calibration) lives in the mapped file, and is read and written with
// sync/atomic. The race detector does not track memory outside Go's heap,
// so these atomics add no happens-before edge between the program's
// goroutines, and a race in the program is still reported.
//
// # Without mmap
//
// Where there is no mmap (systems that are not unix), on big-endian
// machines, or when mapping fails (a 1 GiB mapping on a 32-bit machine),
// each record is written to the file with one positioned write (WriteAt);
// records still survive any end of the process, since each is in the
// kernel once its write returns, but recording costs a system call per
// record. The header's flag 1 says the file holds only the units written,
// and its cursor and token counter live on the Go heap, where under -race
// their atomics are happens-before edges that may hide a race of the
// program.
//
// # What the hooks cannot see
//
// Only rewritten code calls them: channels of packages that are not
// rewritten (dependencies, the standard library), reflect.Select and
// reflect's Send and Recv, and cgo are invisible. select statements are not
// recorded yet.
package hooks
