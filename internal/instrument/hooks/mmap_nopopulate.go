//go:build !linux

package hooks

// populate has no way to fault pages in ahead here: writers take their
// page faults as they come.
func populate(b []byte) bool { return false }
