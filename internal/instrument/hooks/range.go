package hooks

// Range is the start of `for v := range ch`, rewritten as a three-clause
// loop: it receives the first value, and returns the channel so that the
// loop evaluates ch once, as range does.
func Range[E any](ch <-chan E, site int32) (<-chan E, E, bool) {
	v, ok := Recv2(ch, site)
	return ch, v, ok
}

// Next is each later iteration of the loop Range began. When the channel
// is closed it returns last, the loop variable's value, so that the
// variable keeps its last value, as range leaves it (before Go 1.22 one
// variable serves every iteration, and closures see it after the loop).
func Next[E any](ch <-chan E, last E, site int32) (E, bool) {
	v, ok := Recv2(ch, site)
	if !ok {
		return last, false
	}
	return v, true
}
