// Command benchsummary reads `go test -bench` output and prints one line per
// benchmark that pairs a bare baseline with other variants in the same run:
//
//	handoff-bench unbuffered-handoff traced/bare=1.18 runtime-trace/bare=2.31
//
// A benchmark counts as a pair when it has a sub-benchmark named "bare";
// with -count > 1 each variant's median is used. Lines for benchmarks that
// report allocations add allocs/op of the traced variant. `make bench` pipes
// into it.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// A result line: BenchmarkName/variant-2   N   12.3 ns/op ...; a benchmark
// without variants counts as the variant "".
var line = regexp.MustCompile(`^Benchmark([^/\s]+?)(?:/(\S+?))?(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(.*)$`)

type samples struct {
	ns     []float64
	allocs []float64
}

func main() {
	if err := summarize(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchsummary:", err)
		os.Exit(1)
	}
}

func summarize(r io.Reader, w io.Writer) error {
	results := map[string]map[string]*samples{}
	var order []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		name, variant := m[1], m[2]
		ns, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			return fmt.Errorf("bad ns/op in %q", sc.Text())
		}
		if results[name] == nil {
			results[name] = map[string]*samples{}
			order = append(order, name)
		}
		s := results[name][variant]
		if s == nil {
			s = &samples{}
			results[name][variant] = s
		}
		s.ns = append(s.ns, ns)
		if a := regexp.MustCompile(`([\d.]+) allocs/op`).FindStringSubmatch(m[4]); a != nil {
			v, _ := strconv.ParseFloat(a[1], 64)
			s.allocs = append(s.allocs, v)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	for _, name := range order {
		vs := results[name]
		if single := vs[""]; single != nil {
			fmt.Fprintf(w, "handoff-bench %s ns/op=%.1f", kebab(name), median(single.ns))
			if len(single.allocs) > 0 {
				fmt.Fprintf(w, " allocs/op=%g", median(single.allocs))
			}
			fmt.Fprintln(w)
			continue
		}
		bare := vs["bare"]
		if bare == nil {
			continue
		}
		fmt.Fprintf(w, "handoff-bench %s", kebab(name))
		var names []string
		for v := range vs {
			if v != "bare" {
				names = append(names, v)
			}
		}
		slices.SortFunc(names, func(a, b string) int { return rank(a) - rank(b) })
		for _, v := range names {
			fmt.Fprintf(w, " %s/bare=%.2f", v, median(vs[v].ns)/median(bare.ns))
		}
		fmt.Fprintf(w, " bare=%.1fns", median(bare.ns))
		if t := vs["traced"]; t != nil {
			fmt.Fprintf(w, " traced=%.1fns", median(t.ns))
			if len(t.allocs) > 0 {
				fmt.Fprintf(w, " traced-allocs/op=%g", median(t.allocs))
			}
		}
		fmt.Fprintln(w)
	}
	return nil
}

// rank puts "traced" first, then the others by name.
func rank(v string) int {
	if v == "traced" {
		return -1 << 20
	}
	return int(v[0])
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// kebab turns UnbufferedHandoff into unbuffered-handoff.
func kebab(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('-')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
