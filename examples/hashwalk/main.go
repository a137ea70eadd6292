// Command hashwalk prints the SHA-256 of every file under a directory. It is
// the kind of program a person writes: a walker feeds paths to a pool of
// hashing workers over a channel, and a collector gathers their results.
// Its test runs it under runtime/trace and imports the trace with handoff;
// with -handoff it runs a version written with handoff's tracer, whose
// events the Go execution trace then carries exactly.
//
// Usage:
//
//	hashwalk [-workers N] [-handoff] DIR
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

type result struct {
	path string
	sum  string
	err  error
}

// walk sends the path of every regular file under root.
func walk(root string, paths chan<- string, errc chan<- error) {
	defer close(paths)
	errc <- walkFunc(root, func(p string) { paths <- p })
}

// walkFunc calls fn with the path of every regular file under root.
func walkFunc(root string, fn func(path string)) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			fn(p)
		}
		return nil
	})
}

// worker hashes the files it receives.
func worker(paths <-chan string, results chan<- result, wg *sync.WaitGroup) {
	defer wg.Done()
	for p := range paths {
		sum, err := hashFile(p)
		results <- result{p, sum, err}
	}
}

func hashFile(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// collect gathers the results until the channel is closed.
func collect(results <-chan result, out chan<- []result) {
	var all []result
	for r := range results {
		all = append(all, r)
	}
	out <- all
}

// hashTree hashes every file under root with n workers.
func hashTree(root string, n int) ([]result, error) {
	paths := make(chan string)
	results := make(chan result)
	errc := make(chan error, 1)
	out := make(chan []result)
	var wg sync.WaitGroup
	go walk(root, paths, errc)
	for range n {
		wg.Add(1)
		go worker(paths, results, &wg)
	}
	go collect(results, out)
	wg.Wait()
	close(results)
	all := <-out
	if err := <-errc; err != nil {
		return all, fmt.Errorf("walk %s: %w", root, err)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].path < all[j].path })
	return all, nil
}

func main() {
	workers := flag.Int("workers", 4, "hash with `n` goroutines")
	traced := flag.Bool("handoff", false, "run the version written with handoff's tracer")
	flag.Parse()
	if flag.NArg() != 1 || *workers < 1 {
		fmt.Fprintln(os.Stderr, "usage: hashwalk [-workers N] [-handoff] DIR")
		os.Exit(2)
	}
	var all []result
	var err error
	if *traced {
		all, _, err = hashTreeTraced(flag.Arg(0), *workers)
	} else {
		all, err = hashTree(flag.Arg(0), *workers)
	}
	for _, r := range all {
		if r.err != nil {
			fmt.Fprintf(os.Stderr, "hashwalk: %v\n", r.err)
			continue
		}
		fmt.Printf("%s  %s\n", r.sum, r.path)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "hashwalk: %v\n", err)
		os.Exit(1)
	}
}
