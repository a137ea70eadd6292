package traceevent

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Summary counts what [Validate] found in a file.
type Summary struct {
	Events   int            // elements of traceEvents
	ByPhase  map[string]int // events per ph
	Flows    int            // flow arrows: an "s" and its "f"
	Threads  int            // named threads
	MaxTS    float64        // the latest ts (or ts+dur), in microseconds
	Counters map[string]int // counter events per name
}

// rawEvent is one element of traceEvents, as Validate reads it.
type rawEvent struct {
	Name *string         `json:"name"`
	Cat  string          `json:"cat"`
	Ph   *string         `json:"ph"`
	TS   *json.Number    `json:"ts"`
	Dur  *json.Number    `json:"dur"`
	PID  *json.Number    `json:"pid"`
	TID  *json.Number    `json:"tid"`
	ID   *json.Number    `json:"id"`
	BP   string          `json:"bp"`
	S    string          `json:"s"`
	Args json.RawMessage `json:"args"`
}

// Validate checks that data is a Trace Event file (the JSON object form) as
// this package means to write it and as Perfetto's and chrome://tracing's
// importers read it. It decodes the whole file: a tool for tests and for
// checking an export, not for traces larger than memory. It checks:
//
//   - the top level: an object with a traceEvents array and a
//     displayTimeUnit of "ms" or "ns";
//   - every event: name, ph, ts (a number of microseconds, finite and not
//     negative), integer pid and tid; dur (not negative) on "X"; args an
//     object of numbers on "C"; s one of t, p, g on "i"; a known ph;
//   - "B"/"E": on each thread, in file order, timestamps do not go back and
//     every E closes a B;
//   - "X": on each thread, two slices either do not overlap or one holds
//     the other;
//   - flows: each id has exactly one "s" and one "f", with the same name
//     and cat; the f has bp "e" and is not before the s; each lies
//     strictly inside an "X" slice on its thread, the slice it binds to;
//   - every thread an event uses (other than process metadata) has a
//     thread_name.
func Validate(data []byte) (Summary, error) {
	sum := Summary{ByPhase: map[string]int{}, Counters: map[string]int{}}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var top struct {
		TraceEvents     []rawEvent `json:"traceEvents"`
		DisplayTimeUnit *string    `json:"displayTimeUnit"`
	}
	if err := dec.Decode(&top); err != nil {
		return sum, fmt.Errorf("not a JSON object with a traceEvents array: %w", err)
	}
	if top.TraceEvents == nil {
		return sum, errors.New("no traceEvents array")
	}
	if u := top.DisplayTimeUnit; u == nil || (*u != "ms" && *u != "ns") {
		return sum, errors.New(`displayTimeUnit: want "ms" or "ns"`)
	}
	type thread struct{ pid, tid int64 }
	type slice struct {
		ts, end int64
		cat     string
	}
	type flowHalf struct {
		name, cat string
		ts        int64
		th        thread
		n         int
	}
	slicesOf := map[thread][]slice{}
	instantsOf := map[thread][]int64{}
	named := map[thread]bool{}
	used := map[thread]int{} // the index of the first event that uses it
	stacks := map[thread][]string{}
	lastBE := map[thread]int64{}
	var maxNS int64
	starts, ends := map[string]*flowHalf{}, map[string]*flowHalf{}
	sum.Events = len(top.TraceEvents)
	for i, e := range top.TraceEvents {
		where := func(format string, args ...any) error {
			return fmt.Errorf("traceEvents[%d]: "+format, append([]any{i}, args...)...)
		}
		if e.Name == nil || *e.Name == "" {
			return sum, where("no name")
		}
		if e.Ph == nil {
			return sum, where("no ph")
		}
		ph := *e.Ph
		sum.ByPhase[ph]++
		ts, err := micros(e.TS)
		if err != nil {
			return sum, where("ts: %v", err)
		}
		pid, err := integer(e.PID)
		if err != nil {
			return sum, where("pid: %v", err)
		}
		tid, err := integer(e.TID)
		if err != nil {
			return sum, where("tid: %v", err)
		}
		th := thread{pid, tid}
		if ph != "M" {
			if _, ok := used[th]; !ok {
				used[th] = i
			}
		}
		maxNS = max(maxNS, ts)
		switch ph {
		case "M":
			if *e.Name == "thread_name" {
				var a struct{ Name string }
				if json.Unmarshal(e.Args, &a) != nil || a.Name == "" {
					return sum, where("thread_name without args.name")
				}
				if !named[th] {
					sum.Threads++
				}
				named[th] = true
			}
		case "X":
			dur, err := micros(e.Dur)
			if err != nil {
				return sum, where("dur: %v", err)
			}
			slicesOf[th] = append(slicesOf[th], slice{ts, ts + dur, e.Cat})
			maxNS = max(maxNS, ts+dur)
		case "B", "E":
			if ts < lastBE[th] {
				return sum, where("%s at %v goes back on pid %d tid %d (previous at %v)", ph, ts, pid, tid, lastBE[th])
			}
			lastBE[th] = ts
			if ph == "B" {
				stacks[th] = append(stacks[th], *e.Name)
			} else {
				if len(stacks[th]) == 0 {
					return sum, where("E with no open B on pid %d tid %d", pid, tid)
				}
				stacks[th] = stacks[th][:len(stacks[th])-1]
			}
		case "C":
			var args map[string]json.Number
			d := json.NewDecoder(bytes.NewReader(e.Args))
			d.UseNumber()
			if err := d.Decode(&args); err != nil || len(args) == 0 {
				return sum, where("counter args must be an object of numbers")
			}
			sum.Counters[*e.Name]++
		case "i", "I":
			if e.S != "" && e.S != "t" && e.S != "p" && e.S != "g" {
				return sum, where("instant scope %q: want t, p or g", e.S)
			}
			if e.S == "" || e.S == "t" {
				instantsOf[th] = append(instantsOf[th], ts)
			}
		case "s", "f":
			if e.ID == nil {
				return sum, where("flow event without id")
			}
			id := e.ID.String()
			m := starts
			if ph == "f" {
				m = ends
				if e.BP != "e" {
					return sum, where(`flow end without bp "e": it would bind to the next slice, not its own`)
				}
			}
			if h := m[id]; h != nil {
				return sum, where("flow id %s has two %q events", id, ph)
			}
			m[id] = &flowHalf{name: *e.Name, cat: e.Cat, ts: ts, th: th, n: i}
		case "b", "e", "n", "t", "P", "O", "N", "D", "R", "c", "(", ")":
		default:
			return sum, where("unknown ph %q", ph)
		}
	}
	sum.MaxTS = float64(maxNS) / 1000
	for th, i := range used {
		if !named[th] {
			return sum, fmt.Errorf("traceEvents[%d]: pid %d tid %d has no thread_name", i, th.pid, th.tid)
		}
	}
	for th, st := range stacks {
		if len(st) > 0 {
			return sum, fmt.Errorf("pid %d tid %d: B %q never ended", th.pid, th.tid, st[len(st)-1])
		}
	}
	for th, ss := range slicesOf {
		// Longest first among equal starts: the parent comes first.
		slices.SortFunc(ss, func(a, b slice) int {
			return cmp.Or(cmp.Compare(a.ts, b.ts), cmp.Compare(b.end, a.end))
		})
		var open []slice
		for _, s := range ss {
			for len(open) > 0 && open[len(open)-1].end <= s.ts {
				open = open[:len(open)-1]
			}
			if n := len(open); n > 0 && s.end > open[n-1].end {
				p := open[n-1]
				return sum, fmt.Errorf("pid %d tid %d: X slices [%v, %v] and [%v, %v] overlap without nesting", th.pid, th.tid, p.ts, p.end, s.ts, s.end)
			}
			open = append(open, s)
		}
	}
	for _, is := range instantsOf {
		slices.Sort(is)
	}
	// bound says whether h lies strictly inside a handoff slice of its
	// thread with no instant of that thread between the slice's start and
	// h: Perfetto binds a flow event to the innermost slice open at its
	// time, and a thread instant is a slice too.
	bound := func(h *flowHalf) bool {
		ss := slicesOf[h.th]
		i, _ := slices.BinarySearchFunc(ss, h.ts, func(s slice, ts int64) int { return cmp.Compare(s.ts, ts) })
		for j := i - 1; j >= 0 && j >= i-8; j-- {
			s := ss[j]
			if s.ts < h.ts && h.ts < s.end && s.cat == "handoff" {
				is := instantsOf[h.th]
				k, _ := slices.BinarySearch(is, s.ts)
				return k == len(is) || is[k] > h.ts
			}
		}
		return false
	}
	ids := make([]string, 0, len(starts))
	for id := range starts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		s, f := starts[id], ends[id]
		if f == nil {
			return sum, fmt.Errorf("traceEvents[%d]: flow %s starts and never ends", s.n, id)
		}
		if s.name != f.name || s.cat != f.cat {
			return sum, fmt.Errorf("flow %s: start is %q/%q, end %q/%q: Perfetto pairs them by id, name and cat", id, s.name, s.cat, f.name, f.cat)
		}
		if f.ts < s.ts {
			return sum, fmt.Errorf("flow %s ends (%v) before it starts (%v)", id, f.ts, s.ts)
		}
		for _, h := range []*flowHalf{s, f} {
			if !bound(h) {
				return sum, fmt.Errorf("traceEvents[%d]: flow %s at %v ns is inside no handoff slice of pid %d tid %d, or an instant comes between", h.n, id, h.ts, h.th.pid, h.th.tid)
			}
		}
		sum.Flows++
	}
	for id, f := range ends {
		if starts[id] == nil {
			return sum, fmt.Errorf("traceEvents[%d]: flow %s ends and never starts", f.n, id)
		}
	}
	return sum, nil
}

// micros reads a timestamp or duration in microseconds and returns it in
// nanoseconds, rounded as Perfetto's importer rounds it.
func micros(n *json.Number) (int64, error) {
	if n == nil {
		return 0, errors.New("missing")
	}
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("%q is not a number", n.String())
	}
	if f < 0 {
		return 0, fmt.Errorf("negative: %v", f)
	}
	return int64(math.Round(f * 1000)), nil
}

// integer reads a pid or tid, which must be a JSON integer.
func integer(n *json.Number) (int64, error) {
	if n == nil {
		return 0, errors.New("missing")
	}
	if strings.ContainsAny(n.String(), ".eE") {
		return 0, fmt.Errorf("%s is not an integer", n)
	}
	return n.Int64()
}
