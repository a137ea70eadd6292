// Command namedbool receives with comma-ok into variables of named types:
// ok of a named bool type (the untyped bool of v, ok = <-ch is
// assignable to it), v of an interface type receiving from a chan of a
// concrete type, in plain assignments and in select cases. A person
// should see the values received. In an if's init (no room for a
// block) the receive is left alone and a skip says so: 4 is sent in the
// trace and never received there.
//
// want recv ch: 1 | 2 | 3
package main

import "fmt"

type Found bool

func main() {
	ch := make(chan int, 3)
	ch <- 1
	ch <- 2
	ch <- 3
	var v any
	var ok Found
	v, ok = <-ch
	fmt.Println(v, ok)
	select {
	case v, ok = <-ch:
		fmt.Println(v, ok)
	}
	var n int
	var found Found
	n, found = <-ch
	fmt.Println(n, found)
	ch <- 4
	if v, ok = <-ch; ok {
		fmt.Println("in an if's init", v)
	}
}
