package exectrace

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handoff-viz/handoff/tracer"
)

// The programs of the sync wait tests. Each wait is on a line marked with
// a comment that the tests look up (lineOf), so that moving code keeps
// them right.

// lockAB takes a, waits until lockBA holds b, then takes b; lockBA the
// other way round: they deadlock. The second lock is released; the first
// stays held for the test to release after the trace.
func lockAB(a, b *sync.Mutex, holding *sync.WaitGroup) {
	a.Lock()
	holding.Done()
	holding.Wait()
	b.Lock() // mark: lock-b
	b.Unlock()
}

func lockBA(a, b *sync.Mutex, holding *sync.WaitGroup) {
	b.Lock()
	holding.Done()
	holding.Wait()
	a.Lock() // mark: lock-a
	a.Unlock()
}

// waitForAll waits for a group that one Done short of zero.
func waitForAll(wg *sync.WaitGroup) {
	wg.Wait() // mark: wg-wait
}

func readLocked(rw *sync.RWMutex) {
	rw.RLock() // mark: rlock
	rw.RUnlock()
}

func writeLocked(rw *sync.RWMutex) {
	rw.Lock() // mark: wlock
	rw.Unlock()
}

func waitSignal(c *sync.Cond, ready *bool) {
	c.L.Lock()
	for !*ready {
		c.Wait() // mark: cond-wait
	}
	c.L.Unlock()
}

func onceWaiter(once *sync.Once) {
	once.Do(func() {}) // mark: once
}

// lineOf returns "syncwaits_test.go:N", N the line marked "mark: name".
func lineOf(t *testing.T, name string) string {
	t.Helper()
	f, err := os.Open("syncwaits_test.go")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if strings.HasSuffix(sc.Text(), "// mark: "+name) {
			return fmt.Sprintf("syncwaits_test.go:%d", n)
		}
	}
	t.Fatalf("no line marked %q", name)
	return ""
}

// waitUntil polls cond for up to a minute: the machine may be loaded.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// waitParked waits until a goroutine is parked in fn in the wait named
// status (its status in a stack dump: "sync.Mutex.Lock", ...).
func waitParked(t *testing.T, fn, status string) {
	t.Helper()
	buf := make([]byte, 1<<20)
	waitUntil(t, fmt.Sprintf("a goroutine parked in %s in %s", status, fn), func() bool {
		dump := string(buf[:runtime.Stack(buf, true)])
		for _, g := range strings.Split(dump, "\n\n") {
			header, _, _ := strings.Cut(g, "\n")
			if strings.Contains(header, "["+status) && strings.Contains(g, "exectrace."+fn+"(") {
				return true
			}
		}
		return false
	})
}

// blocks returns the block events of g.
func blocks(evs []tracer.Event, g tracer.GoID) []tracer.Event {
	var out []tracer.Event
	for _, e := range evs {
		if e.Kind == tracer.KindBlock && e.G == g {
			out = append(out, e)
		}
	}
	return out
}

// violations returns the violation events of rule.
func violations(evs []tracer.Event, rule string) []tracer.Event {
	var out []tracer.Event
	for _, e := range evs {
		if e.Kind == tracer.KindViolation && e.Rule == rule {
			out = append(out, e)
		}
	}
	return out
}

// lockOrderDeadlock runs the two-mutex deadlock under runtime/trace and
// returns the trace; the test's cleanup releases the goroutines.
func lockOrderDeadlock(t *testing.T) []byte {
	var a, b sync.Mutex
	var holding, done sync.WaitGroup
	holding.Add(2)
	done.Add(2)
	raw := record(t, func() {
		go func() { defer done.Done(); lockAB(&a, &b, &holding) }()
		go func() { defer done.Done(); lockBA(&a, &b, &holding) }()
		waitParked(t, "lockAB", "sync.Mutex.Lock")
		waitParked(t, "lockBA", "sync.Mutex.Lock")
	})
	// Each goroutine holds its first lock and waits for the other's: a
	// sync.Mutex may be unlocked by any goroutine, so free both.
	a.Unlock()
	b.Unlock()
	done.Wait()
	return raw
}

func TestLockOrderDeadlock(t *testing.T) {
	evs, rep := imported(t, lockOrderDeadlock(t))
	lineOfG := map[tracer.GoID]string{}
	var waiters []tracer.GoID
	for _, line := range []string{lineOf(t, "lock-b"), lineOf(t, "lock-a")} {
		for _, b := range rep.Blocked {
			if b.Wait == tracer.OnLock && strings.HasSuffix(b.At, "/"+line) {
				waiters = append(waiters, b.G)
				lineOfG[b.G] = line
			}
		}
	}
	if len(waiters) != 2 {
		t.Fatalf("want a goroutine parked in a lock wait at each of both lines, got %v; blocked: %+v", lineOfG, rep.Blocked)
	}
	for _, g := range waiters {
		line := lineOfG[g]
		bs := blocks(evs, g)
		last := bs[len(bs)-1]
		if last.On != tracer.OnLock || !strings.HasSuffix(last.At, "/"+line) || last.Conf != tracer.ConfExact {
			t.Errorf("g%d's last block: got on=%q at=%q conf=%q, want a lock at %s, exact", g, last.On, last.At, last.Conf, line)
		}
	}
	leaks := map[tracer.GoID]tracer.Event{}
	for _, v := range violations(evs, tracer.RuleLeakedGoroutine) {
		leaks[v.G] = v
	}
	for _, g := range waiters {
		line := lineOfG[g]
		v, ok := leaks[g]
		if !ok {
			t.Errorf("no leaked-goroutine violation for g%d", g)
			continue
		}
		if want := "waits for a lock at " + line + ", called from "; !strings.Contains(v.Msg, want) || !strings.HasSuffix(v.At, "/"+line) || v.Conf != tracer.ConfInferred {
			t.Errorf("g%d's leak: got msg %q at %q conf %q, want %q at %s, inferred", g, v.Msg, v.At, v.Conf, want, line)
		}
	}
	dl := violations(evs, tracer.RuleDeadlock)
	if len(dl) != 1 {
		t.Fatalf("want one deadlock violation, got %+v", dl)
	}
	d := dl[0]
	if d.Conf != tracer.ConfInferred || len(d.Cycle) != 0 || !strings.Contains(d.Msg, "wait for locks") {
		t.Errorf("deadlock: got conf %q cycle %v msg %q, want inferred, no cycle, about locks", d.Conf, d.Cycle, d.Msg)
	}
	for _, g := range waiters {
		if want := fmt.Sprintf("g%d at %s", g, lineOfG[g]); !strings.Contains(d.Msg, want) {
			t.Errorf("deadlock msg %q does not name %q", d.Msg, want)
		}
	}
	// What check reports: every finding has its line, and each waiter is
	// reported once, by the importer's message.
	for _, f := range tracer.Check(evs) {
		if f.At == "" {
			t.Errorf("finding without a line: %s", f)
		}
		if f.Rule == tracer.RuleLeakedGoroutine && strings.Contains(f.Msg, "when the trace ended") && !strings.Contains(f.Msg, "waits for") {
			for _, g := range waiters {
				if f.G == g {
					t.Errorf("g%d reported twice: %s", g, f)
				}
			}
		}
	}
}

func TestWaitGroupDeadlock(t *testing.T) {
	var wg, done sync.WaitGroup
	wg.Add(2)
	done.Add(1)
	raw := record(t, func() {
		go func() { defer done.Done(); waitForAll(&wg) }()
		wg.Done() // one of two: Wait never returns
		waitParked(t, "waitForAll", "sync.WaitGroup.Wait")
	})
	wg.Done()
	done.Wait()
	evs, rep := imported(t, raw)
	line := lineOf(t, "wg-wait")
	var g tracer.GoID
	for _, b := range rep.Blocked {
		if b.Wait == tracer.OnWait {
			g = b.G
		}
	}
	if g == 0 {
		t.Fatalf("no goroutine parked in WaitGroup.Wait: %+v", rep.Blocked)
	}
	if bs := blocks(evs, g); len(bs) == 0 || bs[len(bs)-1].On != tracer.OnWait || !strings.HasSuffix(bs[len(bs)-1].At, "/"+line) {
		t.Errorf("g%d's blocks %+v: want the last on wait at %s", g, bs, line)
	}
	var found bool
	for _, v := range violations(evs, tracer.RuleLeakedGoroutine) {
		if v.G == g {
			found = true
			if !strings.Contains(v.Msg, "waits for a WaitGroup at "+line) || !strings.HasSuffix(v.At, "/"+line) {
				t.Errorf("leak: got %q at %q, want the Wait line %s", v.Msg, v.At, line)
			}
		}
	}
	if !found {
		t.Errorf("no leaked-goroutine violation for g%d", g)
	}
	if dl := violations(evs, tracer.RuleDeadlock); len(dl) != 0 {
		t.Errorf("a WaitGroup wait is not a lock deadlock: %+v", dl)
	}
}

// TestSyncWaitsRead runs a goroutine in each other wait, each woken
// within the trace: each becomes a block on its kind, at its line.
func TestSyncWaitsRead(t *testing.T) {
	var rw sync.RWMutex
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	ready := false
	var once sync.Once
	var wg sync.WaitGroup
	onceRunning := make(chan struct{})
	onceRelease := make(chan struct{})
	raw := record(t, func() {
		rw.Lock()
		wg.Add(1)
		go func() { defer wg.Done(); readLocked(&rw) }()
		waitParked(t, "readLocked", "sync.RWMutex.RLock")
		rw.Unlock()
		wg.Wait()

		rw.RLock()
		wg.Add(1)
		go func() { defer wg.Done(); writeLocked(&rw) }()
		waitParked(t, "writeLocked", "sync.RWMutex.Lock")
		rw.RUnlock()
		wg.Wait()

		wg.Add(1)
		go func() { defer wg.Done(); waitSignal(cond, &ready) }()
		waitParked(t, "waitSignal", "sync.Cond.Wait")
		mu.Lock()
		ready = true
		cond.Signal()
		mu.Unlock()
		wg.Wait()

		wg.Add(2)
		go func() {
			defer wg.Done()
			once.Do(func() { close(onceRunning); <-onceRelease })
		}()
		<-onceRunning
		go func() { defer wg.Done(); onceWaiter(&once) }()
		waitParked(t, "onceWaiter", "sync.Mutex.Lock")
		close(onceRelease)
		wg.Wait()
	})
	evs, _ := imported(t, raw)
	want := map[string]string{ // line: wait
		lineOf(t, "rlock"):     tracer.OnRLock,
		lineOf(t, "wlock"):     tracer.OnLock,
		lineOf(t, "cond-wait"): tracer.OnCond,
		lineOf(t, "once"):      tracer.OnLock,
	}
	// A Cond.Wait woken by Signal takes its lock again, and may wait for
	// it on the same line: every wait seen at a line is kept.
	got := map[string][]string{}
	for _, e := range evs {
		if e.Kind != tracer.KindBlock || e.Conf != tracer.ConfExact {
			continue
		}
		for line := range want {
			if strings.HasSuffix(e.At, "/"+line) {
				got[line] = append(got[line], e.On)
			}
		}
	}
	for line, on := range want {
		if !slices.Contains(got[line], on) {
			t.Errorf("at %s: got blocks on %q, want one on %q ", line, got[line], on)
		}
	}
	if v := violations(evs, tracer.RuleLeakedGoroutine); len(v) != 0 {
		t.Errorf("every wait ended within the trace, but: %+v", v)
	}
}

// TestOngoingHasNoSyncLeaks: a snapshot of a program that went on (a
// flight recorder's) keeps its sync waits but claims no leak or deadlock.
func TestOngoingHasNoSyncLeaks(t *testing.T) {
	raw := lockOrderDeadlock(t)
	for _, opts := range []Options{{Ongoing: true}, {Origin: 1}} {
		var evs []tracer.Event
		rep, err := Convert(bytes.NewReader(raw), opts, func(e *tracer.Event) error {
			evs = append(evs, *e)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if v := append(violations(evs, tracer.RuleLeakedGoroutine), violations(evs, tracer.RuleDeadlock)...); len(v) != 0 || len(rep.Stuck) != 0 {
			t.Errorf("%+v: want no leak or deadlock, got %+v, stuck %v", opts, v, rep.Stuck)
		}
		if rep.SyncWaits < 2 {
			t.Errorf("%+v: %d sync waits, want the two lock waits still read", opts, rep.SyncWaits)
		}
	}
}
