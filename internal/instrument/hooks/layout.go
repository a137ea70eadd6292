package hooks

import (
	"strconv"
	"time"
)

// The record file's layout. doc.go describes it for readers of the file;
// the constants here are the one place that defines it.
const (
	headerSize = 4096
	// A record is a 48-byte head and its label in 16-byte units: 3 units
	// without a label, up to 6 with one.
	unitSize      = 16
	headSize      = 48
	headUnits     = headSize / unitSize
	labelSize     = 48
	maxRecordSize = headSize + labelSize
	maxUnits      = maxRecordSize / unitSize
	// populateStep is how far ahead of the writers the mapping is faulted
	// in: the writer whose record enters a new step populates the next one.
	populateStep = 1 << 20
	// pairEvery is how many units apart the writers take a new clock pair,
	// so that the TSC's rate is measured over the whole run.
	pairEvery = 4096
	// pairSpan is how long start measures the TSC's rate for the first
	// pair: a program that writes few records has only that one.
	pairSpan      = 100 * time.Microsecond
	recordVersion = 2
	commitMark    = 0xA5
	// pendingMark, with the record's units in the low byte, is the head's
	// first word from its reservation until its commit; padMark, with a count
	// of units, fills the end of a full file that a record did not fit.
	pendingMark = 0x5A
	padMark     = 0x50
	// DefaultRecordLimit is the size of the record file, and so the memory
	// the hooks may map, when HANDOFF_RECORD_LIMIT does not say otherwise.
	DefaultRecordLimit = 1 << 30
)

var recordMagic = [8]byte{'H', 'N', 'D', 'F', 'R', 'E', 'C', '1'}

// header is the first headerSize bytes of a record file, as they lie in
// memory on a little-endian machine. Its counters are updated with
// sync/atomic only.
type header struct {
	magic      [8]byte      // 0
	version    uint64       // 8
	unitSize   uint64       // 16
	next       uint64       // 24: the next free unit; writers reserve with atomic add
	capacity   uint64       // 32: units in the file
	truncated  uint32       // 40: 1 once a record was dropped for want of room
	_          uint32       // 44
	tokens     uint64       // 48: the last spawn token handed out
	mainGoid   uint64       // 56: the goroutine that started the hooks
	startWall  int64        // 64: wall clock at start, UnixNano
	flags      uint32       // 72: headerGrowing
	_          uint32       // 76
	calMask    uint64       // 80: goid calibration: candidate word offsets in g
	calFirst   uint64       // 88: the first goroutine id that narrowed calMask
	calTwo     uint32       // 96: 1 once a second, different id narrowed it
	_          uint32       // 100
	calFast    uint64       // 104: byte offset of goid in g; 0 none yet; calOff disabled
	noPopulate uint32       // 112: 1 once populating ahead failed: writers fault pages in themselves
	pairLock   uint32       // 116: 1 while a writer updates a clock pair
	tickStart  int64        // 120: TSC ticks at start, time 0 (headerTicks)
	pairSeq    uint64       // 128: clockPairs[pairSeq%2] is the latest complete pair
	clockPairs [2]clockPair // 136
}

// clockPair is one reading of the TSC and the monotonic clock (nanoseconds
// since start) taken together: with tickStart it gives the TSC's rate.
type clockPair struct {
	ticks int64
	nanos int64
}

// headerGrowing marks a file written record by record with positioned writes
// (the fallback without mmap): its units are those the file's size holds,
// whatever next says.
const headerGrowing = 1

// headerTicks marks a file whose record times are TSC ticks: the reader turns
// them into nanoseconds since start from tickStart and the latest clock
// pair.
const headerTicks = 2

// calOff in header.calFast means the fast goroutine id path disagreed with
// runtime.Stack once and is off for good.
const calOff = ^uint64(0)

// slot is the head of one record as it lies in the file on a
// little-endian machine; its label, if any, follows it.
type slot struct {
	commit uint32 // units | pendingMark<<24, then kind | flags<<8 | labelLen<<16 | commitMark<<24, stored last
	site   int32
	goid   uint64
	obj    uint64
	time   int64
	ident  uint64
	aux    uint64
}

// RecordKind says what a record records. New kinds may be added (select
// comes next); a reader should pass over kinds it does not know. Kinds stay
// below 0x20: the reader tells a record's head from a label's text by it.
type RecordKind uint8

const (
	KindBad         RecordKind = iota // never written
	KindChanMade                      // make(chan): Obj the channel, Aux its capacity
	KindSpawn                         // go statement, in the parent: Obj the spawn token
	KindStart                         // first record of a spawned goroutine: Obj its spawn token
	KindEnd                           // last record of a spawned goroutine: Obj its spawn token
	KindSendBegin                     // a send is about to try: Label, Ident the value, Aux cap(ch)
	KindSendBlock                     // the send was not ready and now blocks
	KindSendDone                      // the send happened: Ident the value
	KindRecvBlock                     // a receive was not ready and now blocks
	KindRecvDone                      // a receive happened: Label, Ident the value; FlagOK unless closed
	KindClose                         // close(ch), written before closing
	KindSelectCase                    // one case of a select about to try, in the program's order: Obj its channel (0: nil), Aux its direction (DirSend, DirRecv, DirDone); a send case's Label and Ident
	KindSelectBlock                   // no case was ready and the select has no default: it blocks (also select {}, with no case records)
	KindSelectDone                    // the select's case Aux (from 1) ran: Obj its channel; FlagRecv for a receive, with FlagOK, Label and Ident when it got a value
	KindSelectSkip                    // no case was ready: the select's default ran
)

// Directions of a select's case, in a KindSelectCase record's Aux.
const (
	DirSend = 1
	DirRecv = 2
	DirDone = 3 // a receive from a context's Done channel
)

var kindNames = [...]string{
	KindBad:         "bad",
	KindChanMade:    "chan-made",
	KindSpawn:       "spawn",
	KindStart:       "start",
	KindEnd:         "end",
	KindSendBegin:   "send-begin",
	KindSendBlock:   "send-block",
	KindSendDone:    "send-done",
	KindRecvBlock:   "recv-block",
	KindRecvDone:    "recv-done",
	KindClose:       "close",
	KindSelectCase:  "select-case",
	KindSelectBlock: "select-block",
	KindSelectDone:  "select-done",
	KindSelectSkip:  "select-skip",
	KindLockBlock:   "lock-block",
	KindLocked:      "locked",
	KindUnlock:      "unlock",
	KindWaitBegin:   "wait-begin",
	KindWaitDone:    "wait-done",
}

func (k RecordKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "RecordKind(" + strconv.Itoa(int(k)) + ")"
}

// Record flags.
const (
	FlagOK       uint8 = 1 // a receive got a value (not the zero value of a closed channel)
	FlagLabelCut uint8 = 2 // the label was shortened to fit
	FlagRecv     uint8 = 4 // a select's receive case ran
)
