package hooks

import (
	"math"
	"reflect"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// Bounds on the work of one label or ident.
const (
	labelDepth    = 3       // nesting shown in a label
	labelElems    = 4       // elements of a slice or array shown in a label
	labelString   = 64      // bytes of a string quoted in a label
	identDepth    = 16      // nesting hashed into an ident
	identElems    = 1 << 16 // array elements hashed into an ident
	identString   = 1 << 16 // bytes of a string hashed into an ident
	labelTypeName = 16      // longest struct type name put before its fields
)

var errorType = reflect.TypeFor[error]()

// describe returns the label and ident of v, and FlagLabelCut if the label
// was shortened. It calls none of v's methods.
func describe[E any](v E, buf *[labelSize + 16]byte) (label []byte, ident uint64, flags uint8) {
	// The common kinds without reflect.
	switch x := any(v).(type) {
	case int:
		return strconv.AppendInt(buf[:0], int64(x), 10), uint64(x), 0
	case int64:
		return strconv.AppendInt(buf[:0], x, 10), uint64(x), 0
	case int32:
		return strconv.AppendInt(buf[:0], int64(x), 10), uint64(x), 0
	case uint64:
		return strconv.AppendUint(buf[:0], x, 10), x, 0
	case bool:
		if x {
			return append(buf[:0], "true"...), 1, 0
		}
		return append(buf[:0], "false"...), 0, 0
	case string:
		// As value and identOf below would: quoted, cut; hashed in full.
		l := labeler{buf: buf[:0]}
		if len(x) > labelString {
			l.buf = strconv.AppendQuote(l.buf, x[:labelString])
		} else {
			l.buf = strconv.AppendQuote(l.buf, x)
		}
		label, flags = l.finish()
		h := fnv{sum: fnvOffset}
		h.byte(byte(reflect.String))
		h.str(x)
		return label, h.sum, flags
	case struct{}:
		return append(buf[:0], "{}"...), 0, 0
	}
	// A copy, and a buffer of its own, for reflect: what reflect sees
	// escapes to the heap, and the fast path above should not pay for it.
	w := v
	rv := reflect.ValueOf(&w).Elem()
	l := labeler{buf: make([]byte, 0, labelSize+16)}
	l.value(rv, 0, true)
	label, flags = l.finish()
	return label, identOf(rv), flags
}

// labeler writes a bounded label; it stops walking once the label is longer
// than fits, and finish cuts it.
type labeler struct {
	buf []byte
}

func (l *labeler) full() bool { return len(l.buf) > labelSize }

func (l *labeler) str(s string) { l.buf = append(l.buf, s...) }

func (l *labeler) hex(p uintptr) {
	l.buf = append(l.buf, "0x"...)
	l.buf = strconv.AppendUint(l.buf, uint64(p), 16)
}

// finish cuts the label to labelSize bytes at a rune boundary, ending in "…".
func (l *labeler) finish() ([]byte, uint8) {
	if len(l.buf) <= labelSize {
		return l.buf, 0
	}
	const ellipsis = "…"
	n := labelSize - len(ellipsis)
	for n > 0 && !utf8.RuneStart(l.buf[n]) {
		n--
	}
	return append(l.buf[:n], ellipsis...), FlagLabelCut
}

// value writes v. deref says whether a pointer may be followed (the top
// level of a normal build only).
func (l *labeler) value(v reflect.Value, depth int, deref bool) {
	if l.full() {
		return
	}
	if !v.IsValid() {
		l.str("nil")
		return
	}
	t := v.Type()
	if t.Kind() != reflect.Interface && t.Implements(errorType) {
		// An error by its contents, never its Error method (the user's
		// code): a pointer to a struct shows one level of the struct, as
		// any pointer does (&errorString{s:"disk full"}); otherwise, and
		// in a race build, the type.
		if isNilable(v) && v.IsNil() {
			l.str("nil")
			return
		}
		if v.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct && deref && !raceBuild && depth < labelDepth {
			l.str("&")
			l.value(v.Elem(), depth+1, false)
			return
		}
		l.str(t.String())
		return
	}
	switch v.Kind() {
	case reflect.Bool:
		l.buf = strconv.AppendBool(l.buf, v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		l.buf = strconv.AppendInt(l.buf, v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		l.buf = strconv.AppendUint(l.buf, v.Uint(), 10)
	case reflect.Float32:
		l.buf = strconv.AppendFloat(l.buf, v.Float(), 'g', -1, 32)
	case reflect.Float64:
		l.buf = strconv.AppendFloat(l.buf, v.Float(), 'g', -1, 64)
	case reflect.Complex64, reflect.Complex128:
		c := v.Complex()
		l.str("(")
		l.buf = strconv.AppendFloat(l.buf, real(c), 'g', -1, 64)
		if imag(c) >= 0 || math.IsNaN(imag(c)) {
			l.str("+")
		}
		l.buf = strconv.AppendFloat(l.buf, imag(c), 'g', -1, 64)
		l.str("i)")
	case reflect.String:
		s := v.String()
		if len(s) > labelString {
			s = s[:labelString]
		}
		l.buf = strconv.AppendQuote(l.buf, s)
	case reflect.Chan, reflect.Func, reflect.UnsafePointer:
		if v.IsNil() {
			l.str("nil")
			return
		}
		l.str(kindWord(v.Kind()))
		l.str("@")
		l.hex(v.Pointer())
	case reflect.Map:
		if v.IsNil() {
			l.str("nil")
			return
		}
		// Never iterated: the sender may still write it, and iterating
		// then could end the program with "concurrent map iteration and
		// map write". Its length is a plain read outside race builds.
		l.str(t.String())
		if raceBuild {
			l.str("@")
			l.hex(v.Pointer())
			return
		}
		l.str("(len=")
		l.buf = strconv.AppendInt(l.buf, int64(v.Len()), 10)
		l.str(")")
	case reflect.Pointer:
		if v.IsNil() {
			l.str("nil")
			return
		}
		if !deref || raceBuild || depth >= labelDepth {
			l.str("*")
			l.str(shortName(t.Elem()))
			l.str("@")
			l.hex(v.Pointer())
			return
		}
		l.str("&")
		l.value(v.Elem(), depth+1, false)
	case reflect.Interface:
		if v.IsNil() {
			l.str("nil")
			return
		}
		l.value(v.Elem(), depth, deref)
	case reflect.Struct:
		if name := t.Name(); name != "" && len(name) <= labelTypeName {
			l.str(name)
		}
		if depth >= labelDepth {
			l.str("{…}")
			return
		}
		l.str("{")
		for i := 0; i < v.NumField() && !l.full(); i++ {
			if i > 0 {
				l.str(" ")
			}
			l.str(t.Field(i).Name)
			l.str(":")
			l.value(v.Field(i), depth+1, false)
		}
		l.str("}")
	case reflect.Slice:
		if v.IsNil() {
			l.str("[]")
			return
		}
		if raceBuild {
			// The elements are behind a pointer the sender may still write.
			l.str(t.String())
			l.str("(len=")
			l.buf = strconv.AppendInt(l.buf, int64(v.Len()), 10)
			l.str(")")
			return
		}
		l.elems(v, depth)
	case reflect.Array:
		l.elems(v, depth)
	default:
		l.str(t.String())
	}
}

func (l *labeler) elems(v reflect.Value, depth int) {
	if depth >= labelDepth {
		l.str("[…]")
		return
	}
	l.str("[")
	n := v.Len()
	for i := 0; i < n && !l.full(); i++ {
		if i > 0 {
			l.str(" ")
		}
		if i == labelElems {
			l.str("…+")
			l.buf = strconv.AppendInt(l.buf, int64(n-i), 10)
			break
		}
		l.value(v.Index(i), depth+1, false)
	}
	l.str("]")
}

func kindWord(k reflect.Kind) string {
	switch k {
	case reflect.Chan:
		return "chan"
	case reflect.Func:
		return "func"
	}
	return "unsafe.Pointer"
}

func isNilable(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Chan, reflect.Func, reflect.Map, reflect.Pointer, reflect.Interface, reflect.Slice, reflect.UnsafePointer:
		return true
	}
	return false
}

// shortName is t's name without its package path, or its literal form.
func shortName(t reflect.Type) string {
	if n := t.Name(); n != "" {
		return n
	}
	return t.String()
}

// identOf is a 64-bit identity of v, equal for equal values: integers and
// floats are their own bits; pointers, channels, maps and funcs their
// pointer; a slice its array pointer and length; anything else an FNV-1a
// hash of its contents (strings, struct fields, array elements), which two
// different values may share, rarely.
func identOf(v reflect.Value) uint64 {
	switch v.Kind() {
	case reflect.Bool:
		if v.Bool() {
			return 1
		}
		return 0
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return uint64(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint()
	case reflect.Float32, reflect.Float64:
		return math.Float64bits(v.Float())
	case reflect.Pointer, reflect.Chan, reflect.Map, reflect.Func, reflect.UnsafePointer:
		return uint64(v.Pointer())
	}
	h := fnv{sum: fnvOffset}
	h.value(v, 0)
	return h.sum
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// fnv is FNV-1a over a walk of a value that follows no pointer.
type fnv struct{ sum uint64 }

func (h *fnv) byte(b byte) {
	h.sum ^= uint64(b)
	h.sum *= fnvPrime
}

func (h *fnv) u64(x uint64) {
	for i := 0; i < 8; i++ {
		h.byte(byte(x >> (8 * i)))
	}
}

func (h *fnv) str(s string) {
	h.u64(uint64(len(s)))
	if len(s) > identString {
		s = s[:identString]
	}
	for i := 0; i < len(s); i++ {
		h.byte(s[i])
	}
}

func (h *fnv) value(v reflect.Value, depth int) {
	if !v.IsValid() {
		h.byte(0)
		return
	}
	k := v.Kind()
	h.byte(byte(k))
	if depth >= identDepth {
		return
	}
	switch k {
	case reflect.Bool:
		if v.Bool() {
			h.byte(1)
		} else {
			h.byte(0)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		h.u64(uint64(v.Int()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		h.u64(v.Uint())
	case reflect.Float32, reflect.Float64:
		h.u64(math.Float64bits(v.Float()))
	case reflect.Complex64, reflect.Complex128:
		c := v.Complex()
		h.u64(math.Float64bits(real(c)))
		h.u64(math.Float64bits(imag(c)))
	case reflect.String:
		h.str(v.String())
	case reflect.Pointer, reflect.Chan, reflect.Map, reflect.Func, reflect.UnsafePointer:
		h.u64(uint64(v.Pointer()))
	case reflect.Slice:
		h.u64(uint64(v.Pointer()))
		h.u64(uint64(v.Len()))
	case reflect.Interface:
		if v.IsNil() {
			h.byte(0)
			return
		}
		e := v.Elem()
		h.u64(typeWord(e.Type()))
		h.value(e, depth+1)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			h.value(v.Field(i), depth+1)
		}
	case reflect.Array:
		n := v.Len()
		h.u64(uint64(n))
		for i := 0; i < n && i < identElems; i++ {
			h.value(v.Index(i), depth+1)
		}
	}
}

// typeWord is the address of t's type descriptor: equal types share it.
func typeWord(t reflect.Type) uint64 {
	return uint64(uintptr((*[2]unsafe.Pointer)(unsafe.Pointer(&t))[1]))
}
