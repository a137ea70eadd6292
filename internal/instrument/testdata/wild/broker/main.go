// Command broker is a pub/sub broker: a map of subscriber channels behind
// a mutex, Subscribe and Unsubscribe, Publish sending to every
// subscriber, each subscriber's channel closed with defer close by the
// broker. A person should see each message delivered to both
// subscribers, then their channels closed.
//
// want recv sub: "news-1" | "news-1" | "news-2" | "news-2"
package main

import (
	"fmt"
	"sort"
	"sync"
)

type Broker struct {
	mu   sync.Mutex
	subs map[int]chan string
	next int
}

func NewBroker() *Broker { return &Broker{subs: make(map[int]chan string)} }

func (b *Broker) Subscribe() (int, <-chan string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.next++
	sub := make(chan string, 4)
	b.subs[b.next] = sub
	return b.next, sub
}

func (b *Broker) Publish(msg string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, ch := range b.subs {
		ch <- msg
	}
}

func (b *Broker) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for id, ch := range b.subs {
		delete(b.subs, id)
		func() {
			defer close(ch)
		}()
	}
}

func main() {
	b := NewBroker()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var seen []string
	for i := 0; i < 2; i++ {
		id, ch := b.Subscribe()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for msg := range ch {
				mu.Lock()
				seen = append(seen, fmt.Sprint(id, ":", msg))
				mu.Unlock()
			}
		}()
	}
	b.Publish("news-1")
	b.Publish("news-2")
	b.Close()
	wg.Wait()
	sort.Strings(seen)
	fmt.Println(seen)
}
