// Command early-exit starts a logging goroutine, fails to load its
// configuration, and calls os.Exit(3). os.Exit runs no deferred calls: the
// log channel is never closed, the logger stays blocked receiving, and the
// lines it buffered are never flushed.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"time"
)

// logger writes each line it receives from lines to w, and flushes w when
// lines is closed.
func logger(lines <-chan string, w *bufio.Writer) {
	defer w.Flush()
	for line := range lines { // handoff:leak
		fmt.Fprintln(w, line)
	}
}

func main() {
	path := flag.String("config", "early-exit.conf", "the configuration `file`")
	flag.Parse()

	logs := make(chan string)
	defer close(logs)
	go logger(logs, bufio.NewWriter(os.Stdout))

	fmt.Println("loading", *path)
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		_, err = os.ReadFile(*path)
		if err == nil {
			break
		}
		logs <- fmt.Sprintf("attempt %d: %v", attempt, err)
		time.Sleep(time.Duration(attempt) * 10 * time.Millisecond)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "early-exit:", err)
		os.Exit(3)
	}
	fmt.Println("configuration loaded")
}
