package instrument

import "embed"

// hooksSource is the hooks package, written into every instrumented build
// as a module of its own.
//
//go:embed hooks
var hooksSource embed.FS

const hooksSourceDir = "hooks"
