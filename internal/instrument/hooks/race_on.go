//go:build race

package hooks

// raceBuild: the label formatter does not read through pointers, slices or
// maps, since reading memory the sender may still write would be a race the
// program does not have.
const raceBuild = true
