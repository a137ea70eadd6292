// Command lock-order moves money between two accounts from two goroutines at
// once. Each transfer locks its source account first and then its
// destination, so transfers in opposite directions take the two locks in
// opposite orders: each goroutine holds one lock and waits for the other.
package main

import (
	"fmt"
	"sync"
)

type Account struct {
	mu      sync.Mutex
	name    string
	balance int
}

// transfer moves amount from one account to another. started is a barrier
// that lets both transfers take their first lock before either takes its
// second, so the deadlock happens on every run, not only on unlucky ones.
func transfer(from, to *Account, amount int, started *sync.WaitGroup) {
	from.mu.Lock()
	defer from.mu.Unlock()
	started.Done()
	started.Wait()

	to.mu.Lock() // handoff:deadlock
	defer to.mu.Unlock()
	from.balance -= amount
	to.balance += amount
}

func main() {
	alice := &Account{name: "alice", balance: 100}
	bob := &Account{name: "bob", balance: 50}
	fmt.Printf("%s: %d, %s: %d\n", alice.name, alice.balance, bob.name, bob.balance)

	var started, done sync.WaitGroup
	started.Add(2)
	done.Add(2)
	go func() {
		defer done.Done()
		transfer(alice, bob, 30, &started)
	}()
	go func() {
		defer done.Done()
		transfer(bob, alice, 20, &started)
	}()
	done.Wait() // handoff:deadlock

	fmt.Printf("%s: %d, %s: %d\n", alice.name, alice.balance, bob.name, bob.balance)
}
