package main

import "strings"

func readOne() int {
	rch <- strings.NewReader("hello")
	r := <-rch
	return r.(*strings.Reader).Len()
}
