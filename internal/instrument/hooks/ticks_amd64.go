package hooks

// hasTicks says whether cputicks exists here.
const hasTicks = true

// cputicks reads the CPU's time stamp counter, a few nanoseconds against
// the tens that the monotonic clock costs under a hypervisor's clock
// (kvm-clock). Invariant TSCs tick at one constant rate on every core; the
// reader turns ticks into nanoseconds from the pairs in the header.
//
//go:noescape
func cputicks() int64

// invariantTSC says whether the CPU says its TSC is invariant (CPUID
// 0x80000007, EDX bit 8): without it the TSC may change rate or stop, and
// records carry the monotonic clock's nanoseconds instead.
func invariantTSC() bool
