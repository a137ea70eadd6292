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
	KindRecv           // G received V from Ch and owns it; Closed with V == 0 when Ch was closed and empty
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
)

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
	Cap   int       // chan: capacity (0 unbuffered, < 0 unbounded)
	Name  string    // go, chan, mutex: a name for people
	Label string    // make: a label for the value
	On    string    // block: send, recv, lock or join
	Op    string    // use: read or write
	Rule  string    // violation: the rule's name
	Msg   string    // violation: one line of plain English
	Panic string    // end, join: the panic value, formatted
	At    string    // call site, file:line
	Mut   bool      // borrow: a mutable borrow
	Close bool      // recv: the channel was closed and empty, nothing was received
	Abort bool      // end: the tracer stopped the goroutine (after a deadlock)
	// Conf says how sure an importer is of an event it inferred (the make,
	// send and recv of a handoff, a close): "exact", "slot" or "ambiguous"
	// (docs/import.md); empty when recorded.
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
	case KindClose:
		fmt.Fprintf(&b, " ch%d", e.Ch)
	case KindBlock:
		fmt.Fprintf(&b, " on=%s", e.On)
	case KindViolation:
		fmt.Fprintf(&b, " %s: %s", e.Rule, e.Msg)
	}
	return b.String()
}
