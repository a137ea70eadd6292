//go:build !unix

package hooks

import (
	"errors"
	"os"
)

// mapFile has no shared mapping to offer here: the recorder writes each
// record with a positioned write instead (see doc.go).
func mapFile(f *os.File, size int) ([]byte, error) {
	return nil, errors.New("no mmap on this system")
}

func unmapFile(m []byte) error { return nil }
