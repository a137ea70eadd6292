package hooks

import (
	"reflect"
	"unsafe"
)

// chanWord is a channel's address: a channel value is one pointer.
func chanWord[C any](c C) uint64 {
	return uint64(*(*uintptr)(unsafe.Pointer(&c)))
}

// MakeChan records that c was just made (by make(chan E, n)) at site and
// returns c unchanged.
func MakeChan[C ~chan E, E any](c C, site int32) C {
	if r := rec; r != nil {
		r.put(KindChanMade, 0, site, r.goid(), chanWord(c), 0, uint64(cap(c)), nil)
	}
	return c
}

// Send is `ch <- v`: SendBegin before trying, SendBlock if the send was not
// ready at once, SendDone once it happened.
func Send[E any](ch chan<- E, v E, site int32) {
	r := rec
	if r == nil {
		ch <- v
		return
	}
	g, obj := r.goid(), chanWord(ch)
	var buf [labelSize + 16]byte
	label, ident, flags := describe(v, &buf)
	r.put(KindSendBegin, flags, site, g, obj, ident, uint64(cap(ch)), label)
	select {
	case ch <- v:
	default:
		r.put(KindSendBlock, 0, site, g, obj, ident, 0, nil)
		ch <- v
	}
	r.put(KindSendDone, 0, site, g, obj, ident, 0, nil)
}

// Recv is `<-ch`.
func Recv[E any](ch <-chan E, site int32) E {
	v, _ := Recv2(ch, site)
	return v
}

// Recv2 is `v, ok := <-ch`: RecvBlock if the receive was not ready at once,
// then RecvDone with the value (FlagOK unless the channel was closed).
func Recv2[E any](ch <-chan E, site int32) (E, bool) {
	r := rec
	if r == nil {
		v, ok := <-ch
		return v, ok
	}
	g, obj := r.goid(), chanWord(ch)
	var v E
	var ok bool
	select {
	case v, ok = <-ch:
	default:
		r.put(KindRecvBlock, 0, site, g, obj, 0, uint64(cap(ch)), nil)
		v, ok = <-ch
	}
	var flags uint8
	var label []byte
	var ident uint64
	if ok {
		var buf [labelSize + 16]byte
		label, ident, flags = describe(v, &buf)
		flags |= FlagOK
	}
	r.put(KindRecvDone, flags, site, g, obj, ident, uint64(cap(ch)), label)
	return v, ok
}

// Close is `close(ch)`. The record is written first, so a close that
// panics (a nil or closed channel) still leaves it.
func Close[E any](ch chan<- E, site int32) {
	if r := rec; r != nil {
		r.put(KindClose, 0, site, r.goid(), chanWord(ch), 0, 0, nil)
	}
	close(ch)
}

// Go is the function value of a go statement: `go f(a, b)` becomes
// `go hooks.Go(f, site)(a, b)`, so that f and its arguments are still
// evaluated in the parent. It records the spawn now, in the parent, and
// returns a function of f's type that records the child's start, calls f
// with the same arguments and records the child's end, also when f panics
// or calls runtime.Goexit. A nil f is returned as it is, so that the go
// statement fails as Go makes it fail.
func Go[F any](f F, site int32) F {
	r := rec
	if r == nil {
		return f
	}
	if fn, ok := any(f).(func()); ok {
		if fn == nil {
			return f
		}
		tok := r.spawn(site)
		var w func() = func() {
			r.begin(tok, site)
			defer r.end(tok, site)
			fn()
		}
		return any(w).(F)
	}
	fv := reflect.ValueOf(f)
	if fv.Kind() != reflect.Func || fv.IsNil() {
		return f
	}
	tok := r.spawn(site)
	variadic := fv.Type().IsVariadic()
	w := reflect.MakeFunc(fv.Type(), func(args []reflect.Value) []reflect.Value {
		r.begin(tok, site)
		defer r.end(tok, site)
		if variadic {
			return fv.CallSlice(args)
		}
		return fv.Call(args)
	})
	return w.Interface().(F)
}

func (r *recorder) spawn(site int32) uint64 {
	tok := r.token()
	r.put(KindSpawn, 0, site, r.goid(), tok, 0, 0, nil)
	return tok
}

// begin is the child's first record. A new goroutine can afford one
// runtime.Stack call, which also calibrates the fast goroutine id path.
func (r *recorder) begin(tok uint64, site int32) {
	id := stackGoid()
	r.calibrate(id)
	r.put(KindStart, 0, site, id, tok, 0, 0, nil)
}

func (r *recorder) end(tok uint64, site int32) {
	r.put(KindEnd, 0, site, r.goid(), tok, 0, 0, nil)
}
