//go:build unix

package graphvizcache

import (
	"io/fs"
	"syscall"
)

// supported: Unix has a temporary directory shared by every user.
const supported = true

// owner returns the uid that owns the file fi describes.
func owner(fi fs.FileInfo) (uid int, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}
