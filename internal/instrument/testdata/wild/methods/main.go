// Command methods is a small server in the style of net/http's: a named
// channel type with methods, a server whose loop is started as a method
// value (go s.loop()), handlers started as go h.ServeOne(req), and a
// method value stored in a variable and started later. A person should
// see the server's goroutine named s.loop receive each request and each
// handler answer on the request's reply queue.
//
// want recv inbox: request{id:1 reply:chan@… | request{id:2 reply:chan@…
// want recv q: "served 1" | "served 2"
// want recv stop: {}
// want go s.loop | s.h.ServeOne | start | put | Queue.Put
package main

import (
	"fmt"
	"sort"
)

// Queue is a channel of strings with methods.
type Queue chan string

func (q Queue) Put(s string) { q <- s }
func (q Queue) Get() string  { return <-q }

type request struct {
	id    int
	reply Queue
}

type handler struct{ prefix string }

func (h *handler) ServeOne(r request) { r.reply.Put(fmt.Sprintf("%s %d", h.prefix, r.id)) }

type server struct {
	inbox chan request
	stop  chan struct{}
	h     *handler
	done  chan bool
}

func (s *server) loop() {
	defer close(s.done)
	for {
		select {
		case r := <-s.inbox:
			go s.h.ServeOne(r)
		case <-s.stop:
			return
		}
	}
}

func main() {
	s := &server{inbox: make(chan request), stop: make(chan struct{}), h: &handler{"served"}, done: make(chan bool)}
	go s.loop()
	q := make(Queue, 2)
	s.inbox <- request{1, q}
	s.inbox <- request{2, q}
	got := []string{q.Get(), q.Get()}
	sort.Strings(got)
	fmt.Println(got)

	stop := s.stop
	closer := func() { stop <- struct{}{} }
	start := closer
	go start()
	<-s.done

	// A method expression and a method value of a value receiver.
	q2 := make(Queue, 1)
	put := q2.Put
	go put("via method value")
	fmt.Println(q2.Get())
	go Queue.Put(q2, "via method expression")
	fmt.Println(<-q2)
}
