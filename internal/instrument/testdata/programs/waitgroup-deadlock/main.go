// Command waitgroup-deadlock counts the lines of a few inputs in parallel.
// One input is invalid, and the worker that reads it returns before it has
// deferred wg.Done(): the WaitGroup never reaches zero and main waits
// forever.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
)

var inputs = map[string]string{
	"a.txt": "one\ntwo\nthree\n",
	"b.txt": "",
	"c.txt": "four\nfive\n",
}

func countLines(name string) (int, error) {
	text := inputs[name]
	if text == "" {
		return 0, errors.New("empty input")
	}
	return strings.Count(text, "\n"), nil
}

func worker(name string, counts map[string]int, mu *sync.Mutex, wg *sync.WaitGroup) {
	n, err := countLines(name)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return
	}
	defer wg.Done()

	mu.Lock()
	counts[name] = n
	mu.Unlock()
}

func main() {
	names := []string{"a.txt", "b.txt", "c.txt"}
	fmt.Println("counting", len(names), "inputs")

	counts := make(map[string]int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	wg.Add(len(names))
	for _, name := range names {
		go worker(name, counts, &mu, &wg)
	}
	wg.Wait() // handoff:deadlock

	total := 0
	for _, n := range counts {
		total += n
	}
	fmt.Println("total lines:", total)
}
