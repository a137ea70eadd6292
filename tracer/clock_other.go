//go:build !amd64

package tracer

import "time"

var clockBase = time.Now()

// cputicks returns monotonic nanoseconds where there is no cycle counter
// to read.
func cputicks() int64 { return int64(time.Since(clockBase)) }

const clockName = "monotonic"
