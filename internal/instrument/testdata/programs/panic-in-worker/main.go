// Command panic-in-worker parses records in a background goroutine while
// main waits for the result. One record is missing a field, the parser
// indexes past the end of it, and the panic ends the whole program.
package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

type person struct {
	name string
	age  int
}

func parse(line string) person {
	fields := strings.Split(line, ",")
	age, _ := strconv.Atoi(fields[1])
	return person{name: fields[0], age: age}
}

// load parses lines one by one, as slowly as a real lookup would, and sends
// the people it found on out.
func load(lines []string, out chan<- []person) {
	var people []person
	for _, line := range lines {
		time.Sleep(20 * time.Millisecond)
		p := parse(line)
		fmt.Printf("%s is %d\n", p.name, p.age)
		people = append(people, p)
	}
	out <- people
}

func main() {
	lines := []string{"alice,30", "bob,25", "carol"}
	loaded := make(chan []person)
	go load(lines, loaded)
	people := <-loaded // handoff:leak
	fmt.Println("loaded", len(people), "people")
}
