package exectrace

import (
	"context"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handoff-viz/handoff/tracer"
)

// The programs of TestWakeups: each goroutine parks in one form of channel
// operation and is woken by another form, n times. Before each operation
// the waker waits until the other side has parked (awaitParked).
// Each is a named function, so that the import names it.

const wakeRounds = 8

// pause lets the other side park first.
func pause() { time.Sleep(300 * time.Microsecond) }

// awaitParked returns once the goroutine running recvParked or sendParked
// is parked in a channel operation, so that the next operation of the
// waker is the one that wakes it; a fixed pause is not enough on a loaded
// machine. It gives up after a minute and lets the test see what happened.
func awaitParked() {
	buf := make([]byte, 1<<16)
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Microsecond) {
		n := runtime.Stack(buf, true)
		for _, g := range strings.Split(string(buf[:n]), "\n\n") {
			parked := strings.Contains(g, "[chan receive") || strings.Contains(g, "[chan send")
			if parked && (strings.Contains(g, "exectrace.recvParked(") || strings.Contains(g, "exectrace.sendParked(")) {
				return
			}
		}
	}
}

func recvParked(ch chan int, wg *sync.WaitGroup) {
	defer wg.Done()
	for range wakeRounds {
		<-ch
	}
}

func sendParked(ch chan int, wg *sync.WaitGroup) {
	defer wg.Done()
	for i := range wakeRounds {
		ch <- i
	}
}

func wakeBySend(ch chan int, wg *sync.WaitGroup) {
	defer wg.Done()
	for i := range wakeRounds {
		awaitParked()
		ch <- i
	}
}

func wakeByRecv(ch chan int, wg *sync.WaitGroup) {
	defer wg.Done()
	for range wakeRounds {
		awaitParked()
		<-ch
	}
}

func wakeByRecvOK(ch chan int, wg *sync.WaitGroup) {
	defer wg.Done()
	for range wakeRounds {
		awaitParked()
		if _, ok := <-ch; !ok {
			return
		}
	}
}

// wakeByNonBlockingSend is the fan-in forwarding of issue 11: a send that
// gives up when nobody is ready, retried until it delivers.
func wakeByNonBlockingSend(ch chan int, wg *sync.WaitGroup) {
	defer wg.Done()
	for i := 0; i < wakeRounds; {
		awaitParked()
		select {
		case ch <- i:
			i++
		default:
		}
	}
}

func wakeByNonBlockingRecv(ch chan int, wg *sync.WaitGroup) {
	defer wg.Done()
	for i := 0; i < wakeRounds; {
		awaitParked()
		select {
		case <-ch:
			i++
		default:
		}
	}
}

func wakeBySelectSend(ch chan int, wg *sync.WaitGroup) {
	defer wg.Done()
	never := make(chan int)
	for i := range wakeRounds {
		awaitParked()
		select {
		case ch <- i:
		case <-never:
		}
	}
}

func wakeBySelectRecv(ch chan int, wg *sync.WaitGroup) {
	defer wg.Done()
	never := make(chan int)
	for range wakeRounds {
		awaitParked()
		select {
		case <-ch:
		case <-never:
		}
	}
}

func wakeByReflectSend(ch chan int, wg *sync.WaitGroup) {
	defer wg.Done()
	rv := reflect.ValueOf(ch)
	for i := range wakeRounds {
		awaitParked()
		rv.Send(reflect.ValueOf(i))
	}
}

func wakeByReflectTrySend(ch chan int, wg *sync.WaitGroup) {
	defer wg.Done()
	rv := reflect.ValueOf(ch)
	for i := 0; i < wakeRounds; {
		awaitParked()
		if rv.TrySend(reflect.ValueOf(i)) {
			i++
		}
	}
}

func wakeByReflectRecv(ch chan int, wg *sync.WaitGroup) {
	defer wg.Done()
	rv := reflect.ValueOf(ch)
	for range wakeRounds {
		awaitParked()
		rv.Recv()
	}
}

func wakeByReflectTryRecv(ch chan int, wg *sync.WaitGroup) {
	defer wg.Done()
	rv := reflect.ValueOf(ch)
	for i := 0; i < wakeRounds; {
		awaitParked()
		if _, ok := rv.TryRecv(); ok {
			i++
		}
	}
}

func wakeByReflectSelectSend(ch chan int, wg *sync.WaitGroup) {
	defer wg.Done()
	for i := range wakeRounds {
		awaitParked()
		reflect.Select([]reflect.SelectCase{{Dir: reflect.SelectSend, Chan: reflect.ValueOf(ch), Send: reflect.ValueOf(i)}})
	}
}

func wakeByReflectSelectRecv(ch chan int, wg *sync.WaitGroup) {
	defer wg.Done()
	for range wakeRounds {
		awaitParked()
		reflect.Select([]reflect.SelectCase{{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ch)}})
	}
}

func TestWakeups(t *testing.T) {
	for _, tc := range []struct {
		name           string
		start          func(chan int, *sync.WaitGroup) // starts the two goroutines
		sender, recver string                          // their names
		conf           string
	}{
		{"chansend1 wakes a receiver", func(ch chan int, wg *sync.WaitGroup) { go recvParked(ch, wg); go wakeBySend(ch, wg) }, "exectrace.wakeBySend", "exectrace.recvParked", "exact"},
		{"chanrecv1 wakes a sender", func(ch chan int, wg *sync.WaitGroup) { go sendParked(ch, wg); go wakeByRecv(ch, wg) }, "exectrace.sendParked", "exectrace.wakeByRecv", "slot"},
		{"chanrecv2 wakes a sender", func(ch chan int, wg *sync.WaitGroup) { go sendParked(ch, wg); go wakeByRecvOK(ch, wg) }, "exectrace.sendParked", "exectrace.wakeByRecvOK", "slot"},
		{"selectnbsend wakes a receiver", func(ch chan int, wg *sync.WaitGroup) { go recvParked(ch, wg); go wakeByNonBlockingSend(ch, wg) }, "exectrace.wakeByNonBlockingSend", "exectrace.recvParked", "exact"},
		{"selectnbrecv wakes a sender", func(ch chan int, wg *sync.WaitGroup) { go sendParked(ch, wg); go wakeByNonBlockingRecv(ch, wg) }, "exectrace.sendParked", "exectrace.wakeByNonBlockingRecv", "slot"},
		{"selectgo send wakes a receiver", func(ch chan int, wg *sync.WaitGroup) { go recvParked(ch, wg); go wakeBySelectSend(ch, wg) }, "exectrace.wakeBySelectSend", "exectrace.recvParked", "exact"},
		{"selectgo recv wakes a sender", func(ch chan int, wg *sync.WaitGroup) { go sendParked(ch, wg); go wakeBySelectRecv(ch, wg) }, "exectrace.sendParked", "exectrace.wakeBySelectRecv", "slot"},
		{"reflect Send wakes a receiver", func(ch chan int, wg *sync.WaitGroup) { go recvParked(ch, wg); go wakeByReflectSend(ch, wg) }, "exectrace.wakeByReflectSend", "exectrace.recvParked", "exact"},
		{"reflect TrySend wakes a receiver", func(ch chan int, wg *sync.WaitGroup) { go recvParked(ch, wg); go wakeByReflectTrySend(ch, wg) }, "exectrace.wakeByReflectTrySend", "exectrace.recvParked", "exact"},
		{"reflect Recv wakes a sender", func(ch chan int, wg *sync.WaitGroup) { go sendParked(ch, wg); go wakeByReflectRecv(ch, wg) }, "exectrace.sendParked", "exectrace.wakeByReflectRecv", "slot"},
		{"reflect TryRecv wakes a sender", func(ch chan int, wg *sync.WaitGroup) { go sendParked(ch, wg); go wakeByReflectTryRecv(ch, wg) }, "exectrace.sendParked", "exectrace.wakeByReflectTryRecv", "slot"},
		{"reflect Select send wakes a receiver", func(ch chan int, wg *sync.WaitGroup) { go recvParked(ch, wg); go wakeByReflectSelectSend(ch, wg) }, "exectrace.wakeByReflectSelectSend", "exectrace.recvParked", "exact"},
		{"reflect Select recv wakes a sender", func(ch chan int, wg *sync.WaitGroup) { go sendParked(ch, wg); go wakeByReflectSelectRecv(ch, wg) }, "exectrace.sendParked", "exectrace.wakeByReflectSelectRecv", "slot"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := record(t, func() {
				ch := make(chan int)
				var wg sync.WaitGroup
				wg.Add(2)
				tc.start(ch, &wg)
				wg.Wait()
			})
			evs, rep := imported(t, raw)
			sender := goroutineNamed(t, evs, tc.sender)[0]
			recver := goroutineNamed(t, evs, tc.recver)[0]
			got := handoffs(evs)
			if k := got[edge{sender, recver, tc.conf}]; k < wakeRounds/2 {
				t.Errorf("%s handoffs g%d→g%d: %d of %d, want at least %d; all: %v; report %+v", tc.conf, sender, recver, k, wakeRounds, wakeRounds/2, got, rep)
			}
			// The side meant to park first usually has, but on a loaded
			// machine the other side may park instead: the same handoff is
			// then seen from the other wake-up, exact when a send woke a
			// parked receiver and slot when a receive woke a parked sender.
			// Any other pair, direction or confidence is wrong.
			for e, k := range got {
				if e.from != sender || e.to != recver || (e.conf != "exact" && e.conf != "slot") {
					t.Errorf("%d handoffs %v that the program does not make", k, e)
				}
			}
			// Nothing in these programs closes a channel.
			if rep.Closes != 0 {
				t.Errorf("report counts %d closes, want 0", rep.Closes)
			}
			for _, e := range evs {
				if e.Kind == tracer.KindClose || e.Close {
					t.Errorf("%s: a close the program never made", e.String())
				}
				// The call site is the user's line, not reflect's or the runtime's.
				if (e.Kind == tracer.KindSend || e.Kind == tracer.KindRecv) && !strings.Contains(e.At, "wakeups_test.go:") {
					t.Errorf("%s at %q, want a line of wakeups_test.go", e.String(), e.At)
				}
			}
		})
	}
}

func closeAfterPause(ch chan int, wg *sync.WaitGroup) {
	defer wg.Done()
	pause()
	close(ch)
}

func closeByReflect(ch chan int, wg *sync.WaitGroup) {
	defer wg.Done()
	pause()
	reflect.ValueOf(ch).Close()
}

func waitDone(ctx context.Context, wg *sync.WaitGroup) {
	defer wg.Done()
	<-ctx.Done()
}

func cancelAfterPause(cancel context.CancelFunc, wg *sync.WaitGroup) {
	defer wg.Done()
	pause()
	cancel()
}

func selectUntilClosed(ch chan int, wg *sync.WaitGroup) {
	defer wg.Done()
	never := make(chan int)
	select {
	case <-ch:
	case <-never:
	}
}

// closes counts close events by g and empty receives by the others, by
// channel.
func closes(evs []tracer.Event) (closed map[tracer.GoID][]tracer.ChanID, empty map[tracer.GoID][]tracer.ChanID) {
	closed, empty = map[tracer.GoID][]tracer.ChanID{}, map[tracer.GoID][]tracer.ChanID{}
	for _, e := range evs {
		switch {
		case e.Kind == tracer.KindClose:
			closed[e.G] = append(closed[e.G], e.Ch)
		case e.Kind == tracer.KindRecv && e.Close:
			empty[e.G] = append(empty[e.G], e.Ch)
		}
	}
	return closed, empty
}

func TestCloseWakeups(t *testing.T) {
	const receivers = 3
	for _, tc := range []struct {
		name   string
		run    func(wg *sync.WaitGroup)
		closer string
	}{
		{"close wakes every parked receiver", func(wg *sync.WaitGroup) {
			ch := make(chan int)
			wg.Add(receivers + 1)
			for range receivers {
				go recvParked(ch, wg)
			}
			go closeAfterPause(ch, wg)
		}, "exectrace.closeAfterPause"},
		{"reflect Close", func(wg *sync.WaitGroup) {
			ch := make(chan int)
			wg.Add(receivers + 1)
			for range receivers {
				go recvParked(ch, wg)
			}
			go closeByReflect(ch, wg)
		}, "exectrace.closeByReflect"},
		{"context cancel closes Done", func(wg *sync.WaitGroup) {
			ctx, cancel := context.WithCancel(context.Background())
			wg.Add(receivers + 1)
			for range receivers {
				go waitDone(ctx, wg)
			}
			go cancelAfterPause(cancel, wg)
		}, "exectrace.cancelAfterPause"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := record(t, func() {
				var wg sync.WaitGroup
				tc.run(&wg)
				wg.Wait()
			})
			evs, rep := imported(t, raw)
			closer := goroutineNamed(t, evs, tc.closer)[0]
			closed, empty := closes(evs)
			if len(closed) != 1 || len(closed[closer]) != 1 {
				t.Fatalf("closes by goroutine: %v, want one by g%d (report %+v)", closed, closer, rep)
			}
			ch := closed[closer][0]
			n := 0
			for g, chs := range empty {
				for _, c := range chs {
					if c != ch {
						t.Errorf("g%d receives closed from ch%d, want ch%d", g, c, ch)
					}
					n++
				}
			}
			// The scheduler may run a receiver late, after the close: it
			// then never parks. Most park.
			if n < 1 || n > receivers || rep.Closes != n {
				t.Errorf("%d empty receives (report: %d closes), want 1 to %d, one per receiver woken", n, rep.Closes, receivers)
			}
			if k := len(handoffs(evs)); k != 0 {
				t.Errorf("%d handoffs, want none: %v", k, handoffs(evs))
			}
			for _, e := range evs {
				if (e.Kind == tracer.KindClose || e.Close) && e.Conf != "exact" {
					t.Errorf("%s: conf %q, want exact", e.String(), e.Conf)
				}
			}
		})
	}
	t.Run("close wakes a select", func(t *testing.T) {
		raw := record(t, func() {
			ch := make(chan int)
			var wg sync.WaitGroup
			wg.Add(2)
			go selectUntilClosed(ch, &wg)
			go closeAfterPause(ch, &wg)
			wg.Wait()
		})
		evs, rep := imported(t, raw)
		if rep.Closes != 1 {
			t.Errorf("report counts %d closes, want 1", rep.Closes)
		}
		if k := len(handoffs(evs)); k != 0 {
			t.Errorf("%d handoffs, want none: %v", k, handoffs(evs))
		}
	})
}

func waitAfter() {
	for range wakeRounds {
		<-time.After(300 * time.Microsecond)
	}
}

func waitTicker() {
	tk := time.NewTicker(300 * time.Microsecond)
	defer tk.Stop()
	for range wakeRounds {
		<-tk.C
	}
}

func waitTimerSelect(quit chan int) {
	for range wakeRounds {
		select {
		case <-time.After(300 * time.Microsecond):
		case <-quit:
		}
	}
}

// spin keeps a goroutine running while the timers fire, so that one could
// be (wrongly) taken for their sender.
func spin(stop chan int) {
	x := 0
	for {
		select {
		case <-stop:
			return
		default:
		}
		for i := range 10000 {
			x += i
		}
	}
}

// TestTimerWakeups: since Go 1.23 a timer channel's value arrives through
// a non-blocking send from the runtime's timer code, on whatever goroutine
// (or none) runs the timers. It is a timer's wake, never a handoff from a
// goroutine nor a close.
func TestTimerWakeups(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(quit chan int)
	}{
		{"time.After", func(chan int) { waitAfter() }},
		{"Ticker", func(chan int) { waitTicker() }},
		{"select on time.After", waitTimerSelect},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := record(t, func() {
				quit, stop := make(chan int), make(chan int)
				var wg sync.WaitGroup
				wg.Go(func() { spin(stop) })
				tc.run(quit)
				stop <- 1
				wg.Wait()
			})
			evs, rep := imported(t, raw)
			if rep.TimerWakes < wakeRounds/2 {
				t.Errorf("report counts %d timer wakes, want at least %d of %d: %+v", rep.TimerWakes, wakeRounds/2, wakeRounds, rep)
			}
			if rep.TimerStacks > rep.TimerWakes {
				t.Errorf("%d timer wakes seen on a stack, more than the %d timer wakes", rep.TimerStacks, rep.TimerWakes)
			}
			// The only handoff is stop <- 1 (at most one).
			if got := handoffs(evs); len(got) > 1 {
				t.Errorf("handoffs %v, want at most stop's", got)
			}
			if rep.Closes != 0 {
				t.Errorf("report counts %d closes, want 0", rep.Closes)
			}
		})
	}
}

// TestWakeOp classifies the top frames that the programs above show on
// their wakers' stacks (Go 1.26), and the timer code's frames, which can sit
// under a channel operation's frame of a goroutine that merely ran timers.
func TestWakeOp(t *testing.T) {
	for fn, want := range map[string]op{
		"runtime.chansend1":                 opSend,
		"runtime.selectnbsend":              opSend,
		"reflect.chansend0":                 opSend,
		"runtime.chanrecv1":                 opRecv,
		"runtime.chanrecv2":                 opRecv,
		"runtime.selectnbrecv":              opRecv,
		"reflect.chanrecv":                  opRecv,
		"runtime.selectgo":                  opSelect,
		"reflect.chanclose":                 opClose,
		"runtime.closechan":                 opClose,
		"main.stop":                         opClose, // closechan's caller: its own frame is left out
		"context.(*cancelCtx).cancel":       opClose,
		"sync.(*Mutex).Unlock":              opSync,
		"runtime.goexit1":                   opOther, // an unknown runtime path is not a close
		"internal/poll.runtime_pollUnblock": opOther,
	} {
		if got := wakeOp(fn); got != want {
			t.Errorf("wakeOp(%q) = %d, want %d", fn, got, want)
		}
	}
	for fn, want := range map[string]bool{
		"time.sendTime":                 true,
		"runtime.(*timer).unlockAndRun": true,
		"runtime.(*timer).maybeRunChan": true,
		"runtime.(*timers).run":         true,
		"runtime.selectnbsend":          false,
		"main.main":                     false,
	} {
		if got := timerFunc(fn); got != want {
			t.Errorf("timerFunc(%q) = %v, want %v", fn, got, want)
		}
	}
}
