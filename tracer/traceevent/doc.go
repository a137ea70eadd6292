// Package traceevent writes a handoff trace in Chrome's Trace Event format
// (the JSON object form), the format chrome://tracing and ui.perfetto.dev
// import. It streams: [Writer.Write] takes one event at a time, in the
// trace's order, and writes JSON as soon as what it describes is complete.
//
// # The mapping
//
// The whole program is one process (pid 1) named after the trace's source
// (its metadata on tid 1: Perfetto's JSON importer takes the pid as the tid
// when an event gives none).
// Timestamps are microseconds since the trace began, written with three
// decimals so that nanoseconds survive; displayTimeUnit is "ns".
//
//   - Each goroutine is a thread: tid is its goroutine id, its name is the
//     one handoff gives it ("g3 worker-1", "g1 main"), its sort index its id.
//     Its life is cut into complete events (ph "X", cat "state") that never
//     overlap: "running" (not blocked on a traced operation: it may still
//     wait for a CPU) and "blocked: recv on "jobs"" and the like, from a
//     block event to the goroutine's next event, as handoff's timeline has
//     it.
//   - Each send and receive is a short slice of its own on its goroutine
//     (cat "handoff"), from the event to the goroutine's next event but at
//     most [HandoffWidth] long, with the value's label, its id, the channel
//     and the call site in args. A handoff is a flow arrow (ph "s" then "f"
//     with bp "e", cat and name "handoff", one id per handoff) from the send
//     slice to the receive slice. Flow events bind to the slice that
//     encloses them, so each sits 1 ns inside its own slice, and a send or
//     receive slice lasts at least [MinWidth]: when events of one goroutine
//     share a timestamp, the slices after it on that track are pushed later
//     by those few nanoseconds rather than made to overlap.
//   - A mutex is a thread of its own (tid 1<<30 + mutex id, named
//     "mutex mu1 "a""), with a slice "held by g2 left" per lock to unlock:
//     holds of several mutexes by one goroutine overlap in time, and on one
//     track they would nest wrongly.
//   - Each channel is a counter (ph "C") named "ch1 "jobs"", args
//     {"occupancy": n}: the values it holds, sent and not yet received.
//   - Violations are instant events on the goroutine that broke the rule
//     (ph "i", s "t", cat "violation", args rule and msg). Other events
//     (go, join, close, make, use, borrow, release, drop, discard, scope,
//     a panic or an abort at the end) are instants of cat "event" on their
//     goroutine, after any send or receive slice it has open.
//
// Metadata (ph "M": process_name, process_sort_index, thread_name,
// thread_sort_index) is written when a goroutine or mutex is first seen.
// Events are written in the order their content is known, not sorted by
// time: the format does not ask for it and both importers sort.
//
// # Memory
//
// A Writer holds: one entry per live goroutine (its open slice), one name
// per goroutine seen, one entry per channel and mutex, one entry per value
// sent and not yet received (the send half of its flow arrow), and the
// labels of at most [MaxLabels] values (the latest made and not dropped;
// an older value is named by its id). It never holds the events. The
// label ring is what bounds an import, which makes a value per handoff
// and never drops one.
package traceevent
