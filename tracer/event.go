package tracer

import (
	"fmt"
	"strings"
)

// Kind says what an [Event] records. The zero value, KindBad, is never valid.
// New kinds may be added in later versions of the format; readers reject
// kinds they do not know.
type Kind uint8

// The kinds of event. Their names in the trace format are given by
// [Kind.String].
const (
	KindBad       Kind = iota
	KindGo             // G spawned Child (Name, moved values Vs, borrowed values Refs, Scope if scoped)
	KindEnd            // G ended (Panic if it panicked, Aborted if the tracer stopped it)
	KindJoin           // G joined Child (Panic if the child panicked)
	KindChan           // G made channel Ch (Name, Cap; Cap < 0 is unbounded)
	KindMake           // G made value V (Label)
	KindSend           // G sent V on Ch: the channel owns V
	KindRecv           // G received V from Ch and owns it; Closed with V == 0 when Ch was closed and empty (or, with Case and no Ch, a select's done case ran)
	KindClose          // G closed Ch
	KindBlock          // G blocked: On says on what (send, recv, lock, join), with Ch, Mu or Child
	KindUse            // G read or changed V (Op: read or write)
	KindBorrow         // G borrowed V (Mut for a mutable borrow), Ref names the borrow
	KindRelease        // G released borrow Ref of V
	KindDrop           // G dropped V: nobody owns it any more
	KindMutex          // G made mutex Mu (Name)
	KindLock           // G locked Mu
	KindUnlock         // G unlocked Mu
	KindScope          // G opened scope Scope
	KindScopeEnd       // G closed scope Scope after joining its goroutines
	KindViolation      // a rule of ownership was broken: Rule, Msg, and V, Ch, Child or Cycle where they apply
	KindDiscard        // the tracer took V out of Ch to stop a run (G is the goroutine it woke): nobody owns V
	KindSkip           // G's select took its default: none of Cases was ready, nothing changed hands (format 2)
	KindTruncated      // the trace stops here, though the program went on (Msg says why): nothing after it was seen (format 2)
	numKinds
)

var kindNames = [...]string{
	KindBad:       "bad",
	KindGo:        "go",
	KindEnd:       "end",
	KindJoin:      "join",
	KindChan:      "chan",
	KindMake:      "make",
	KindSend:      "send",
	KindRecv:      "recv",
	KindClose:     "close",
	KindBlock:     "block",
	KindUse:       "use",
	KindBorrow:    "borrow",
	KindRelease:   "release",
	KindDrop:      "drop",
	KindMutex:     "mutex",
	KindLock:      "lock",
	KindUnlock:    "unlock",
	KindScope:     "scope",
	KindScopeEnd:  "scope-end",
	KindViolation: "violation",
	KindDiscard:   "discard",
	KindSkip:      "skip",
	KindTruncated: "truncated",
}

// String returns the kind's name in the trace format.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// ParseKind returns the kind with the given name, or KindBad.
func ParseKind(s string) Kind {
	for k := KindGo; k < numKinds; k++ {
		if kindNames[k] == s {
			return k
		}
	}
	return KindBad
}

// GoID identifies a traced goroutine. The first goroutine of a run is 1.
type GoID int64

// NoGoroutine is the GoID of no goroutine.
const NoGoroutine GoID = 0

// ChanID identifies a traced channel; 0 is none.
type ChanID int64

// ValueID identifies a traced value; 0 is none.
type ValueID int64

// MutexID identifies a traced mutex; 0 is none.
type MutexID int64

// ScopeID identifies a scope opened by [G.Scope]; 0 is none.
type ScopeID int64

// RefID identifies one borrow of a value; 0 is none.
type RefID int64

// WaitGroupID identifies a traced sync.WaitGroup; 0 is none.
type WaitGroupID int64

// Time is a duration in nanoseconds since the trace started.
type Time int64

// Sub returns t - u.
func (t Time) Sub(u Time) Time { return t - u }

// The names of the rules [Check] and the tracer report.
const (
	RuleUseAfterSend    = "use-after-send"
	RuleBorrowEscapes   = "borrow-escapes"
	RuleSendOnClosed    = "send-on-closed"
	RuleCloseClosed     = "close-of-closed"
	RuleLeakedGoroutine = "leaked-goroutine"
	RuleDeadlock        = "deadlock"
	RuleUseAfterDrop    = "use-after-drop"
	RuleBorrowConflict  = "borrow-conflict"
	RuleUnlockUnlocked  = "unlock-of-unlocked"
)

// Block reasons, the On field of a KindBlock event.
const (
	OnSend = "send"
	OnRecv = "recv"
	OnLock = "lock"
	OnJoin = "join"
	// Format 2.
	OnSelect = "select" // a select with no default: Cases lists what it waits for
	OnRLock  = "rlock"  // RWMutex.RLock: Mu
	OnWait   = "wait"   // WaitGroup.Wait: WG
	OnCond   = "cond"   // Cond.Wait: Mu is the Cond's lock, when known
)

// Confidences, the Conf field: how sure the source of an event is of it.
// Events a program recorded itself carry none.
const (
	ConfExact     = "exact"     // read from the source, not guessed
	ConfSlot      = "slot"      // the channel and the moment are certain, which value is not
	ConfAmbiguous = "ambiguous" // one of several readings the source allows
	ConfInferred  = "inferred"  // deduced from what the source shows around it (format 2)
)

// Directions of a [SelectCase].
const (
	DirSend = "send"
	DirRecv = "recv"
	// DirDone is a receive from a context's Done channel, which the trace
	// does not follow (it has no Ch): the wait's deadline or cancellation.
	DirDone = "done"
)

// SelectCase is one case of a select: a send of V on Ch, or a receive from
// Ch. Ch is 0 for a nil channel, a case that is never ready.
type SelectCase struct {
	Dir string  // DirSend, DirRecv or DirDone
	Ch  ChanID  // the channel; 0 for a nil channel
	V   ValueID // send: the value offered
}

// Event is one line of a trace. Which fields are set depends on Kind; the
// trace format (docs/trace-format.md) lists them. Events are plain data and
// safe to copy.
type Event struct {
	Seq   uint64    // 1, 2, 3, ... in file order
	T     Time      // nanoseconds since the trace started, non-decreasing in Seq order
	Kind  Kind      // what happened
	G     GoID      // the goroutine that acted
	Child GoID      // go, join: the other goroutine; block on join: the one waited for
	Ch    ChanID    // chan, send, recv, close, block on send/recv
	V     ValueID   // make, send, recv, use, borrow, release, drop, violation
	Mu    MutexID   // mutex, lock, unlock, block on lock
	Scope ScopeID   // go (when scoped), scope, scope-end
	Ref   RefID     // borrow, release, use through a borrow
	Vs    []ValueID // go: values moved into the child
	Refs  []RefID   // go: borrows lent to the child
	Cycle []GoID    // violation deadlock: the goroutines of the wait-for cycle, in order
	// Cases lists a select's cases, in the program's order: on a block on
	// a select, and on a skip (format 2).
	Cases []SelectCase
	// Case is, on the send or recv that completed a select, which of its
	// cases won, counting from 1; 0 when the operation was no select's. A
	// done case that won is a recv with Closed set and no Ch.
	Case  int
	WG    WaitGroupID // block on wait: the WaitGroup waited for (format 2)
	Cap   int         // chan: capacity (0 unbuffered, < 0 unbounded)
	Name  string      // go, chan, mutex: a name for people
	Label string      // make: a label for the value
	On    string      // block: send, recv, lock or join
	Op    string      // use: read or write
	Rule  string      // violation: the rule's name
	Msg   string      // violation: one line of plain English
	Panic string      // end, join: the panic value, formatted
	At    string      // call site, file:line
	Mut   bool        // borrow: a mutable borrow
	Close bool        // recv: the channel was closed and empty, nothing was received
	Abort bool        // end: the tracer stopped the goroutine (after a deadlock)
	// Conf says how sure the source is of an event it did not record
	// itself: ConfExact, ConfSlot, ConfAmbiguous or ConfInferred
	// (docs/import.md); empty when the program recorded it. Format 1 put
	// it on sends and receives only; format 2 allows it on every event.
	Conf string
	// CapUnknown marks a chan event whose capacity the source could not see
	// (Cap is then 0).
	CapUnknown bool
}

// String formats e on one line for people, as `handoff run` prints it.
func (e *Event) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d g%d %s", e.Seq, e.G, e.Kind)
	switch e.Kind {
	case KindGo:
		fmt.Fprintf(&b, " g%d %q", e.Child, e.Name)
		for _, v := range e.Vs {
			fmt.Fprintf(&b, " v%d", v)
		}
	case KindEnd:
		if e.Panic != "" {
			fmt.Fprintf(&b, " panic=%q", e.Panic)
		}
	case KindJoin:
		fmt.Fprintf(&b, " g%d", e.Child)
	case KindChan:
		fmt.Fprintf(&b, " ch%d %q cap=%d", e.Ch, e.Name, e.Cap)
	case KindMake:
		fmt.Fprintf(&b, " v%d %q", e.V, e.Label)
	case KindSend, KindRecv:
		fmt.Fprintf(&b, " v%d ch%d", e.V, e.Ch)
		if e.Case > 0 {
			fmt.Fprintf(&b, " case=%d", e.Case)
		}
	case KindClose:
		fmt.Fprintf(&b, " ch%d", e.Ch)
	case KindBlock:
		fmt.Fprintf(&b, " on=%s", e.On)
		appendCases(&b, e.Cases)
	case KindSkip:
		b.WriteString(" default")
		appendCases(&b, e.Cases)
	case KindTruncated:
		fmt.Fprintf(&b, " %s", e.Msg)
	case KindViolation:
		fmt.Fprintf(&b, " %s: %s", e.Rule, e.Msg)
	}
	return b.String()
}

func appendCases(b *strings.Builder, cases []SelectCase) {
	for _, c := range cases {
		fmt.Fprintf(b, " %s:ch%d", c.Dir, c.Ch)
		if c.V != 0 {
			fmt.Fprintf(b, ":v%d", c.V)
		}
	}
}

// DescribeCases names a select's cases for people, in the program's order,
// joined by " | ": `send "job-1" on "jobs"`, `recv from "quit"`, `its
// context's Done`, `recv on a nil channel`. chanName and valueName name
// channels and values (valueName is not called for untraced elements).
func DescribeCases(cases []SelectCase, chanName func(ChanID) string, valueName func(ValueID) string) string {
	parts := make([]string, 0, len(cases))
	for _, c := range cases {
		switch {
		case c.Dir == DirDone:
			parts = append(parts, "its context's Done")
		case c.Ch == 0:
			parts = append(parts, c.Dir+" on a nil channel")
		case c.Dir == DirSend && c.V != 0:
			parts = append(parts, fmt.Sprintf("send %s on %s", valueName(c.V), chanName(c.Ch)))
		case c.Dir == DirSend:
			parts = append(parts, "send on "+chanName(c.Ch))
		default:
			parts = append(parts, "recv from "+chanName(c.Ch))
		}
	}
	return strings.Join(parts, " | ")
}
