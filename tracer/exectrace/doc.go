// Package exectrace imports Go execution traces (the files written by
// runtime/trace and `go test -trace`) into handoff's trace format.
//
// It is the only package of handoff that imports golang.org/x/exp/trace.
//
// A runtime trace records when each goroutine is created, blocks, is woken
// and ends, the reason it blocked and, for each wakeup, which goroutine woke
// it and that goroutine's stack. From those, [Convert] infers handoffs: a
// goroutine parked in a channel receive and woken by a goroutine in
// runtime.chansend has received that goroutine's value, exactly. Each inferred
// handoff becomes, in handoff's format, a `make` of one synthetic value by the
// sender, a `send` of it and a `recv` by the receiver, with a confidence:
//
//   - exact: a receiver was parked and a sender (or a select's send case)
//     woke it. The runtime copies the value straight to the parked receiver.
//   - slot: a sender was parked and a receiver woke it. On an unbuffered
//     channel this is the sender's own value; on a full buffered channel the
//     receiver took an older value and freed a slot for the sender's. A
//     runtime trace does not tell the two apart.
//   - ambiguous: both sides were in a select; the direction is a guess.
//
// A close is written only when the waker's stack starts at closechan's
// caller (closechan leaves its own frame out, every other channel operation
// shows its runtime entry point); a timer channel's delivery, sent by the
// runtime's timer code on whatever goroutine ran the timers, is counted as a
// timer's, never drawn as a handoff from that goroutine. How each form of
// wake-up shows in Go 1.26's traces is tested on programs in wakeups_test.go.
//
// What a runtime trace cannot show, and so no import can: which channel
// (no channel address is recorded; channels are grouped by the call site of
// the operation that waited), and the operations that never block (the fast
// path of a buffered channel, a close nobody waits on, an uncontended lock).
//
// Import is streaming: memory grows with the number of live goroutines,
// call sites and closes seen (a close is remembered, about 40 bytes, so that
// a closed channel group is never written to again), not with the file
// (x/exp/trace itself holds one generation,
// about a second of the program, at a time). [Options.From] and [Options.To]
// take a window of time.
package exectrace
