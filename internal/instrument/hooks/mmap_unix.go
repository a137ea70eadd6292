//go:build unix

package hooks

import (
	"os"
	"syscall"
)

// mapFile maps the first size bytes of f shared, so that every record
// written into the mapping is in the file whatever ends the process.
func mapFile(f *os.File, size int) ([]byte, error) {
	return syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
}

func unmapFile(m []byte) error {
	return syscall.Munmap(m)
}
