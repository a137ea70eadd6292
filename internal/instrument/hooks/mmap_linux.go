//go:build linux

package hooks

import (
	"syscall"
	"unsafe"
)

// madvPopulateWrite is MADV_POPULATE_WRITE (Linux 5.14): fault the pages of
// a range in writable, as writes would, in one system call.
const madvPopulateWrite = 23

// populate faults b's pages in writable ahead of the writers, so that they
// do not each take a page fault. It reports false when the kernel cannot
// (older than 5.14: EINVAL), and the recorder stops asking.
func populate(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	_, _, errno := syscall.Syscall(syscall.SYS_MADVISE, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), madvPopulateWrite)
	return errno == 0
}
