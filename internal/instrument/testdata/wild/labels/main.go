// Command labels sends values whose labels must be cut: a big struct, a
// long string, a slice of a thousand numbers, a map, an error, a nil
// pointer, and a pointer to a struct the sender changes after the
// receiver has it (the receiver acknowledges first: no race). A person
// should see each value by its contents, shortened, and the pointer's
// label as it was when sent.
//
// want recv big: Big{ID:7 Name:"a big record" Tags:["x" "y"] A…
// want recv words: "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…
// want recv nums: […
// want recv errs: &errorString{s:"disk full"}
// want recv ptrs: &Account{Owner:"ann" Balance:10} | nil
//
// An error shows by one level of its fields, never through its Error
// method (the program's code): "disk full" is in errorString's s.
package main

import (
	"errors"
	"fmt"
	"strings"
)

type Big struct {
	ID    int
	Name  string
	Tags  []string
	Attrs map[string]int
	Inner struct {
		A, B, C [8]int64
	}
}

type Account struct {
	Owner   string
	Balance int
}

func main() {
	big := make(chan Big, 1)
	b := Big{ID: 7, Name: "a big record", Tags: []string{"x", "y"}, Attrs: map[string]int{"k": 1}}
	b.Inner.C[7] = 99
	big <- b
	fmt.Println((<-big).Inner.C[7])

	words := make(chan string, 1)
	words <- strings.Repeat("x", 5000)
	fmt.Println(len(<-words))

	nums := make(chan []int, 1)
	s := make([]int, 1000)
	for i := range s {
		s[i] = i
	}
	nums <- s
	fmt.Println(len(<-nums))

	maps := make(chan map[string][]int, 1)
	maps <- map[string][]int{"a": {1}, "b": {2, 3}}
	fmt.Println(len(<-maps))

	errs := make(chan error, 1)
	errs <- errors.New("disk full")
	fmt.Println(<-errs)

	ptrs := make(chan *Account)
	ack := make(chan bool)
	go func() {
		a := <-ptrs
		ack <- true
		<-ack
		fmt.Println(a.Balance)
		ack <- true
	}()
	acct := &Account{Owner: "ann", Balance: 10}
	ptrs <- acct
	<-ack
	acct.Balance = 99
	ack <- true
	<-ack

	var nilAcct *Account
	go func() { ptrs <- nilAcct }()
	fmt.Println(<-ptrs == nil)
}
