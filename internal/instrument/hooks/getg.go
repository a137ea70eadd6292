//go:build amd64 || arm64

package hooks

// hasGetg says whether getgWord exists here.
const hasGetg = true

// getgWord returns the 8-byte word at byte offset off of the calling
// goroutine's runtime g. Written in assembly: the g is not a Go value this
// package can point at.
//
//go:noescape
func getgWord(off uintptr) uint64
