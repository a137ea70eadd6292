//go:build !race

package hooks

// raceBuild: in a normal build the label formatter shows a pointer's
// pointee (one level) and a slice's first elements.
const raceBuild = false
