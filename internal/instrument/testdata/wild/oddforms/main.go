// Command oddforms writes channel operations in the legal but unusual
// places real code puts them: parenthesised channels, receives inside
// composite literals and as map indexes, v, ok = <-ch into existing
// variables and struct fields, a receive in an if or switch init, a
// function literal called at once with a channel, a receive of a
// receive, select cases assigning to a map element and to fields, and
// local variables named close and make that shadow the built-ins. A
// person should see every value below received from its channel.
//
// want recv ch: 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 | 14
// want recv chch: chan@…
package main

import "fmt"

type pair struct {
	v  int
	ok bool
}

func fill(ch chan int, vs ...int) {
	for _, v := range vs {
		(ch) <- v
	}
}

func main() {
	ch := make(chan int, 16)
	fill(ch, 1, 2, 3, 4)
	xs := []int{<-ch, <-(ch)}
	m := map[int]string{1: "one", 3: "three"}
	fmt.Println(xs, m[<-ch])
	var v int
	var ok bool
	v, ok = <-ch
	fmt.Println(v, ok)

	func(c chan<- int) { c <- 5; c <- 6 }(ch)
	var p pair
	p.v, p.ok = <-ch
	fmt.Println(p)
	if x := <-ch; x == 6 {
		fmt.Println("six")
	}
	ch <- 7
	switch y := (<-ch); {
	case y > 5:
		fmt.Println("big", y)
	}

	chch := make(chan chan int, 1)
	chch <- ch
	ch <- 8
	fmt.Println(<-<-chch)

	counts := map[string]int{}
	ps := []*pair{{}}
	ch <- 9
	ch <- 10
	for i := 0; i < 2; i++ {
		select {
		case counts["k"] = <-ch:
		}
		fmt.Println(counts)
	}
	ch <- 11
	select {
	case ps[0].v, ps[0].ok = <-ch:
	}
	fmt.Println(*ps[0])

	{
		close := func(c chan int) int { return len(c) }
		make := func(n int) []int { return []int{n} }
		ch <- 12
		fmt.Println(close(ch), make(3))
		fmt.Println(<-ch)
	}
	fmt.Println(len([]int{<-func() chan int { ch <- 13; return ch }()}))
	var nilch chan int
	ch <- 14
	select {
	case <-nilch:
		fmt.Println("never")
	case v := <-ch:
		fmt.Println("got", v)
	}
	arr := [1]int{}
	ch <- 15
	arr[0], ok = <-ch
	fmt.Println(arr, ok)
	close(ch)
	_, ok = <-ch
	fmt.Println(ok)
}
