// Package tracer records how values change hands between goroutines and
// turns the record into ownership timelines.
//
// An instrumented program runs under a [Tracer]. Every goroutine it traces is
// a [G] (the first one comes from [Run] or [Tracer.Main]); a G spawns others
// with [G.Go] (moving [Value]s into them, like Rust's thread::spawn(move ...)),
// joins them with [Handle.Join] (a panic comes back as an error), opens scopes
// whose goroutines may borrow ([G.Scope]), sends and receives over typed
// channels ([Chan]) and locks traced mutexes ([Mutex]).
//
// Recording is cheap: each G appends fixed-size records to a buffer of its
// own, timestamped with the CPU's cycle counter where there is one, and
// nothing on the hot path is shared between goroutines. When buffers are
// flushed, a merger puts every record into one causally consistent order (a
// receive after its send, values leaving a channel in the order they entered
// it, a join after the child's end, a lock after the previous unlock) and
// hands [Event]s to a [Sink].
//
// Until [Tracer.Close] the tracer keeps every record in memory (48 bytes an
// event), except in live mode ([WithLive]), where records leave as soon as
// the merger has placed them. A run that cannot be merged exactly (a race
// the rules cannot see) says so in its header's note.
//
// The rest of the package is pure: [ReadTrace] and [Writer] read and write the
// JSON Lines trace format (docs/trace-format.md), [BuildTimeline] turns any
// event stream into per-value owner intervals, per-goroutine states and
// per-channel occupancy, [Validate] checks the model's invariants, and [Check]
// lists the broken rules of ownership.
//
// Package tracer imports nothing else of this module.
package tracer
