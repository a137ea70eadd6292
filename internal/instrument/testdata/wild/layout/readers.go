package main

import "io"

// rch's element type is io.Reader; readers_send.go, which does not
// import io, sends a *strings.Reader on it: the rewriter cannot write the
// element type there and leaves that send alone.
var rch = make(chan io.Reader, 1)
