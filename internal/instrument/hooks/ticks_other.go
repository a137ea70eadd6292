//go:build !amd64

package hooks

// hasTicks says whether cputicks exists here: not on this architecture, so
// records carry the monotonic clock's nanoseconds.
const hasTicks = false

func cputicks() int64 { return 0 }

func invariantTSC() bool { return false }
