//go:build !unix

package graphvizcache

import "io/fs"

// supported: elsewhere (Windows) the temporary directory os.TempDir
// returns is the user's own, so nothing is changed.
const supported = false

// owner is not known here.
func owner(fs.FileInfo) (uid int, ok bool) { return 0, false }
