package hooks

import "reflect"

// A Case is one case of a select, made by CaseSend, CaseRecv or CaseDone
// from the select's channel and value operands, evaluated in the
// program's order before the select runs.
type Case interface {
	reflectCase() reflect.SelectCase
	record(r *recorder, site int32, g uint64)
	// took stores what the case received (when it is a receive) and
	// records that it ran as case k.
	took(r *recorder, site int32, g uint64, k int, v reflect.Value, ok bool)
}

// RecvCase is a select's receive case; after the select chose it, V and
// OK are what `v, ok := <-ch` would have given.
type RecvCase[E any] struct {
	ch   <-chan E
	done bool
	V    E
	OK   bool
}

// SendCase is a select's send case.
type SendCase[E any] struct {
	ch chan<- E
	v  E
}

// CaseRecv is the case `<-ch` (or v, ok := <-ch).
func CaseRecv[E any](ch <-chan E) *RecvCase[E] { return &RecvCase[E]{ch: ch} }

// CaseDone is the case `<-ctx.Done()`: a receive recorded as the wait for
// a context's end.
func CaseDone[E any](ch <-chan E) *RecvCase[E] { return &RecvCase[E]{ch: ch, done: true} }

// CaseSend is the case `ch <- v`.
func CaseSend[E any](ch chan<- E, v E) *SendCase[E] { return &SendCase[E]{ch: ch, v: v} }

func (c *RecvCase[E]) reflectCase() reflect.SelectCase {
	return reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(c.ch)}
}

func (c *RecvCase[E]) record(r *recorder, site int32, g uint64) {
	dir := uint64(DirRecv)
	if c.done {
		dir = DirDone
	}
	r.put(KindSelectCase, 0, site, g, chanWord(c.ch), 0, dir, nil)
}

func (c *RecvCase[E]) took(r *recorder, site int32, g uint64, k int, v reflect.Value, ok bool) {
	if ok && v.IsValid() {
		reflect.ValueOf(&c.V).Elem().Set(v)
	}
	c.OK = ok
	if r == nil {
		return
	}
	flags := FlagRecv
	var label []byte
	var ident uint64
	if ok {
		var buf [labelSize + 16]byte
		var lf uint8
		label, ident, lf = describe(c.V, &buf)
		flags |= FlagOK | lf
	}
	r.put(KindSelectDone, flags, site, g, chanWord(c.ch), ident, uint64(k), label)
}

func (c *SendCase[E]) reflectCase() reflect.SelectCase {
	return reflect.SelectCase{Dir: reflect.SelectSend, Chan: reflect.ValueOf(c.ch), Send: reflect.ValueOf(&c.v).Elem()}
}

func (c *SendCase[E]) record(r *recorder, site int32, g uint64) {
	var buf [labelSize + 16]byte
	label, ident, flags := describe(c.v, &buf)
	r.put(KindSelectCase, flags, site, g, chanWord(c.ch), ident, DirSend, label)
}

func (c *SendCase[E]) took(r *recorder, site int32, g uint64, k int, _ reflect.Value, _ bool) {
	if r != nil {
		r.put(KindSelectDone, 0, site, g, chanWord(c.ch), 0, uint64(k), nil)
	}
}

// Select is a select statement with cases (and a default when
// hasDefault): it returns the number of the case that ran, from 1, or 0
// when the default ran. It records the cases, then tries them all without
// blocking (reflect.Select with a default case: a ready case is chosen at
// random, as select chooses); only when none is ready does it record that
// it blocks, and wait for one, or take the default.
func Select(site int32, hasDefault bool, cases ...Case) int {
	rcs := make([]reflect.SelectCase, len(cases), len(cases)+1)
	for i, c := range cases {
		rcs[i] = c.reflectCase()
	}
	rcs = append(rcs, reflect.SelectCase{Dir: reflect.SelectDefault})
	r := rec
	if r == nil {
		if !hasDefault {
			rcs = rcs[:len(cases)]
		}
		i, v, ok := reflect.Select(rcs)
		if i == len(cases) {
			return 0
		}
		cases[i].took(nil, site, 0, i+1, v, ok)
		return i + 1
	}
	g := r.goid()
	for _, c := range cases {
		c.record(r, site, g)
	}
	i, v, ok := reflect.Select(rcs)
	if i == len(cases) {
		if hasDefault {
			r.put(KindSelectSkip, 0, site, g, 0, 0, 0, nil)
			return 0
		}
		r.put(KindSelectBlock, 0, site, g, 0, 0, 0, nil)
		i, v, ok = reflect.Select(rcs[:len(cases)])
	}
	cases[i].took(r, site, g, i+1, v, ok)
	return i + 1
}

// Block records that the goroutine waits forever in `select {}`, which
// the program then runs.
func Block(site int32) {
	if r := rec; r != nil {
		r.put(KindSelectBlock, 0, site, r.goid(), 0, 0, 0, nil)
	}
}

// WaitDone is `<-ctx.Done()` outside a select: recorded as a select whose
// one case is the context's end.
func WaitDone[E any](ch <-chan E, site int32) E {
	c := CaseDone(ch)
	Select(site, false, c)
	return c.V
}
