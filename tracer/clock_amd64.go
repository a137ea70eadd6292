package tracer

// cputicks reads the CPU's time stamp counter: about 20 ns, against 40-50
// for time.Since. Invariant TSCs tick at a constant rate on every core; the
// merger converts ticks to nanoseconds against the monotonic clock.
//
//go:noescape
func cputicks() int64

const clockName = "tsc"
