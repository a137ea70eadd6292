package hooks

import (
	"errors"
	"strings"
	"testing"
	"time"
)

type Job struct {
	ID   int
	Name string
}

// loud would deadlock or panic if a label called it.
type loud struct{ N int }

func (loud) String() string { panic("String called") }
func (loud) Error() string  { panic("Error called") }

type named int

func label[E any](v E) (string, uint8) {
	var buf [labelSize + 16]byte
	l, _, f := describe(v, &buf)
	return string(l), f
}

func ident[E any](v E) uint64 {
	var buf [labelSize + 16]byte
	_, id, _ := describe(v, &buf)
	return id
}

func TestLabels(t *testing.T) {
	var nilJob *Job
	var nilMap map[string]int
	var nilChan chan int
	tests := []struct {
		name  string
		label string
		got   string
	}{
		{"int", "3", first(label(3))},
		{"named int", "-4", first(label(named(-4)))},
		{"float", "2.5", first(label(2.5))},
		{"string", `"a\"b"`, first(label(`a"b`))},
		{"bool", "true", first(label(true))},
		{"struct", `Job{ID:3 Name:"a"}`, first(label(Job{3, "a"}))},
		{"anonymous struct", `{X:1}`, first(label(struct{ X int }{1}))},
		{"array", `[1 2 3]`, first(label([3]int{1, 2, 3}))},
		{"long array", `[1 2 3 4 …+2]`, first(label([6]int{1, 2, 3, 4, 5, 6}))},
		{"error by its type", "hooks.loud", first(label(loud{1}))},
		{"nil error", "nil", first(label(error(nil)))},
		{"nil pointer", "nil", first(label(nilJob))},
		{"nil map", "nil", first(label(nilMap))},
		{"nil chan", "nil", first(label(nilChan))},
		{"any holding a struct", `Job{ID:1 Name:""}`, first(label(any(Job{ID: 1})))},
		{"complex", "(1+2i)", first(label(1 + 2i))},
	}
	if raceBuild {
		tests = append(tests,
			struct{ name, label, got string }{"slice (race build)", "[]int(len=3)", first(label([]int{1, 2, 3}))},
			struct{ name, label, got string }{"error (race build): its type", "*errors.errorString", first(label(errors.New("secret")))},
		)
	} else {
		tests = append(tests,
			struct{ name, label, got string }{"pointer", `&Job{ID:3 Name:"a"}`, first(label(&Job{3, "a"}))},
			struct{ name, label, got string }{"error: one level of its struct, not its Error method", `&errorString{s:"secret"}`, first(label(errors.New("secret")))},
			struct{ name, label, got string }{"slice", "[1 2 3]", first(label([]int{1, 2, 3}))},
			struct{ name, label, got string }{"map", "map[string]int(len=1)", first(label(map[string]int{"a": 1}))},
		)
	}
	for _, tt := range tests {
		if tt.got != tt.label {
			t.Errorf("%s: label %q, want %q", tt.name, tt.got, tt.label)
		}
	}
	if raceBuild {
		got, _ := label(&Job{3, "a"})
		if !strings.HasPrefix(got, "*Job@0x") {
			t.Errorf("pointer in a race build: label %q, want *Job@0x…", got)
		}
	}
}

func first(s string, _ uint8) string { return s }

type private struct {
	n    int
	s    string
	i    any
	p    *Job
	m    map[int]int
	f    func()
	c    chan int
	self *private
}

// TestLabelsOfAnything checks that awkward values (unexported fields, the
// standard library's structs, cycles, deep nesting) make a bounded label
// without a panic.
func TestLabelsOfAnything(t *testing.T) {
	cyc := &private{n: 1, s: "x", i: Job{}, m: map[int]int{1: 2}, f: func() {}, c: make(chan int)}
	cyc.self = cyc
	deep := any(1)
	for range 100 {
		deep = []any{deep, struct{ A any }{deep}}
	}
	values := []any{cyc, *cyc, time.Now(), deep, [3][3][3]int{}, struct{}{}, new(any), []error{nil, errors.New("e")}, uintptr(3), float32(1.5), complex64(1i)}
	for _, v := range values {
		got, _ := label(v)
		if len(got) > labelSize || got == "" {
			t.Errorf("%T: label %q", v, got)
		}
		ident(v)
		t.Logf("%T: %s", v, got)
	}
}

func TestLabelCut(t *testing.T) {
	got, flags := label(strings.Repeat("é", 100))
	if len(got) > labelSize || flags != FlagLabelCut || !strings.HasSuffix(got, "…") {
		t.Errorf("label %q (%d bytes), flags %d: want at most %d bytes ending in … and FlagLabelCut", got, len(got), flags, labelSize)
	}
	for _, r := range got {
		if r == '\uFFFD' {
			t.Errorf("label %q cut inside a rune", got)
		}
	}
	if got, flags := label("short"); flags != 0 || got != `"short"` {
		t.Errorf("short string: %q flags %d", got, flags)
	}
}

func TestIdents(t *testing.T) {
	seen := make(map[uint64]int)
	for i := range 100000 {
		id := ident(i)
		if j, dup := seen[id]; dup {
			t.Fatalf("ints %d and %d share ident %#x", i, j, id)
		}
		seen[id] = i
	}
	a := strings.Repeat("x", 100) + "1"
	b := strings.Repeat("x", 100) + "1"
	c := strings.Repeat("x", 100) + "2"
	type text string // through reflect, not the string fast path
	if ident(a) != ident(text(a)) || first(label(c)) != first(label(text(c))) {
		t.Error("a string's label or ident differs between the fast path and reflect")
	}
	if ident(a) != ident(b) {
		t.Error("equal strings, different idents")
	}
	if ident(a) == ident(c) {
		t.Error("strings differing past the label share an ident")
	}
	if ident(Job{1, "a"}) != ident(Job{1, "a"}) || ident(Job{1, "a"}) == ident(Job{2, "a"}) {
		t.Error("struct idents do not follow the values")
	}
	p := &Job{}
	if ident(p) != ident(p) || ident(p) == ident(&Job{}) {
		t.Error("pointer idents are not the pointer")
	}
	if ident(any(Job{1, "a"})) != ident(any(Job{1, "a"})) || ident(any(1)) == ident(any(2)) {
		t.Error("interface idents do not follow the values")
	}
}
