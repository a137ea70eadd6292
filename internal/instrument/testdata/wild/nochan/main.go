// Command nochan has nothing handoff records: no channel, no go
// statement, no lock. Traced, it must run as it does plainly and give an
// empty trace, not an error.
//
// want nothing recorded
package main

import (
	"fmt"
	"os"
	"strings"
)

func main() {
	fmt.Println(strings.Repeat("quiet ", 3))
	os.Exit(4)
}
