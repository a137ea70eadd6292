package tracer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Both modes: every select test runs plain and live.
var modes = []struct {
	name string
	opts []Option
}{
	{"plain", nil},
	{"live", []Option{WithLive(0)}},
}

func runMode(t *testing.T, opts []Option, fn func(g *G)) []Event {
	t.Helper()
	res, err := Run(fn, append([]Option{WithDeadlockTimeout(2 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(res.Events); err != nil {
		t.Fatalf("invalid trace: %v", err)
	}
	return res.Events
}

// A producer selects between sending a job and a quit signal; the
// consumer takes five jobs, then quits it. Every value offered in a select
// that waited is sent by the case the trace names.
func TestSelectSendOrQuit(t *testing.T) {
	for _, m := range modes {
		for _, capacity := range []int{0, 2} {
			t.Run(fmt.Sprintf("%s/cap=%d", m.name, capacity), func(t *testing.T) {
				var got []string
				evs := runMode(t, m.opts, func(g *G) {
					jobs := NewChan[*Value[string]](g, "jobs", capacity)
					quit := NewChan[int](g, "quit", 0)
					producer := g.Go("producer", func(g *G) {
						for i := 0; ; i++ {
							job := Make(g, fmt.Sprintf("job-%d", i), "work")
							var stop bool
							switch Select(g, jobs.SendCase(job), quit.RecvCase(nil, &stop)) {
							case 0:
							case 1:
								job.Drop(g)
								return
							}
						}
					})
					for range 5 {
						job, _ := jobs.Recv(g)
						got = append(got, job.Label())
					}
					quit.Send(g, 1)
					producer.Join(g)
				})
				if strings.Join(got, " ") != "job-0 job-1 job-2 job-3 job-4" {
					t.Errorf("received %v", got)
				}
				sends, quitRecv := 0, 0
				for _, e := range evs {
					switch {
					case e.Kind == KindSend && e.Case == 1:
						sends++
					case e.Kind == KindRecv && e.Case == 2:
						quitRecv++
					case e.Kind == KindBlock && e.On == OnSelect:
						if len(e.Cases) != 2 || e.Cases[0].Dir != DirSend || e.Cases[0].V == 0 || e.Cases[1].Dir != DirRecv {
							t.Errorf("select wait with cases %+v", e.Cases)
						}
					}
				}
				// The buffered channel may hold up to two more than were
				// taken when quit comes; they stay there.
				if sends < 5 || sends > 5+capacity || quitRecv != 1 {
					t.Errorf("%d sends by case 1 and %d quits by case 2", sends, quitRecv)
				}
			})
		}
	}
}

// A select with a default on a full channel skips, and the value it
// offered stays with its sender: no violation, and it can send it later.
func TestSelectDefaultSkips(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			var skipped int
			evs := runMode(t, m.opts, func(g *G) {
				ch := NewChan[*Value[int]](g, "full", 1)
				ch.Send(g, Make(g, "first", 1))
				v := Make(g, "second", 2)
				for range 3 {
					if Select(g, ch.SendCase(v), Default()) == 1 {
						skipped++
					}
				}
				ch.Recv(g)
				v.Update(g, func(x *int) { *x++ }) // still ours
				ch.Send(g, v)
				ch.Recv(g)
			})
			if skipped != 3 {
				t.Errorf("default ran %d times, want 3", skipped)
			}
			n := 0
			for _, e := range evs {
				if e.Kind == KindSkip {
					n++
					if len(e.Cases) != 1 || e.Cases[0].Dir != DirSend || e.Cases[0].V == 0 {
						t.Errorf("skip with cases %+v", e.Cases)
					}
				}
				if e.Kind == KindViolation {
					t.Errorf("violation: %s", e.Msg)
				}
			}
			if n != 3 {
				t.Errorf("%d skip events, want 3", n)
			}
		})
	}
}

// A worker waits on a channel nobody sends on and on a context with a
// timeout: the context ends the wait, and the tracer does not call the
// wait a deadlock, however long the timeout compared with its watchdog.
func TestSelectDoneEndsTheWait(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			var which int
			res, err := Run(func(g *G) {
				never := NewChan[int](g, "never", 1)
				ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
				defer cancel()
				which = Select(g, never.RecvCase(nil, nil), Done(ctx))
			}, append([]Option{WithDeadlockTimeout(50 * time.Millisecond)}, m.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			if which != 1 {
				t.Errorf("Select returned %d, want 1 (the context)", which)
			}
			if err := Validate(res.Events); err != nil {
				t.Fatal(err)
			}
			for _, e := range res.Events {
				if e.Kind == KindViolation {
					t.Errorf("violation: %s", e.Msg)
				}
			}
		})
	}
}

// Two goroutines each wait in a select on channels only the other could
// use: the watchdog reports the deadlock and stops the run.
func TestSelectDeadlock(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			res, err := Run(func(g *G) {
				a := NewChan[int](g, "a", 0)
				b := NewChan[int](g, "b", 1)
				h := g.Go("other", func(g *G) {
					Select(g, a.RecvCase(nil, nil), b.RecvCase(nil, nil))
				})
				Select(g, a.RecvCase(nil, nil), b.RecvCase(nil, nil))
				h.Join(g)
			}, append([]Option{WithDeadlockTimeout(100 * time.Millisecond)}, m.opts...)...)
			if !errors.Is(err, ErrDeadlock) {
				t.Fatalf("err = %v, want ErrDeadlock", err)
			}
			if err := Validate(res.Events); err != nil {
				t.Fatal(err)
			}
			found := false
			for _, e := range res.Events {
				if e.Kind == KindViolation && e.Rule == RuleDeadlock {
					found = strings.Contains(e.Msg, "waits in a select")
				}
			}
			if !found {
				t.Error("no deadlock violation naming the select")
			}
		})
	}
}

// Among cases ready at once Select picks at random, as Go does.
func TestSelectPicksAtRandom(t *testing.T) {
	counts := [2]int{}
	runMode(t, nil, func(g *G) {
		a := NewChan[int](g, "a", 1)
		b := NewChan[int](g, "b", 1)
		for range 200 {
			a.Send(g, 1)
			b.Send(g, 2)
			i := Select(g, a.RecvCase(nil, nil), b.RecvCase(nil, nil))
			counts[i]++
			if i == 0 {
				b.Recv(g)
			} else {
				a.Recv(g)
			}
		}
	})
	// Each side with probability 1/2: fewer than 60 of 200 happens once in
	// about 10^9 runs.
	if counts[0] < 60 || counts[1] < 60 {
		t.Errorf("case 0 ran %d times, case 1 %d: not a fair choice", counts[0], counts[1])
	}
}

// A send case on a closed channel is reported, as Chan.Send reports it,
// instead of panicking; a receive case on a closed channel runs with
// ok false; a nil channel's case is never ready.
func TestSelectClosedAndNil(t *testing.T) {
	evs := runMode(t, nil, func(g *G) {
		c := NewChan[int](g, "closed", 1)
		c.Close(g)
		var nilChan *Chan[int]
		ok := true
		if i := Select(g, nilChan.RecvCase(nil, nil), c.RecvCase(nil, &ok)); i != 1 || ok {
			t.Errorf("receive from a closed channel: case %d, ok %v", i, ok)
		}
		if i := Select(g, nilChan.SendCase(1), c.SendCase(7)); i != 1 {
			t.Errorf("send on a closed channel ran case %d", i)
		}
	})
	rules := []string{}
	for _, e := range evs {
		if e.Kind == KindViolation {
			rules = append(rules, e.Rule)
		}
		if e.Kind == KindRecv && (!e.Close || e.Case != 2) {
			t.Errorf("receive %+v: want closed, by case 2", e)
		}
	}
	if strings.Join(rules, ",") != RuleSendOnClosed {
		t.Errorf("violations %v, want one send-on-closed", rules)
	}
}

// Offering a value g does not own is reported like any use of it.
func TestSelectOffersWhatItOwns(t *testing.T) {
	res, _ := Run(func(g *G) {
		ch := NewChan[*Value[int]](g, "ch", 1)
		v := Make(g, "v", 1)
		ch.Send(g, v)
		Select(g, ch.SendCase(v), Default())
		ch.Recv(g)
	})
	if err := Validate(res.Events); err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Events {
		if e.Kind == KindViolation && e.Rule == RuleUseAfterSend && strings.Contains(e.Msg, "offers in a select") {
			return
		}
	}
	t.Error("no use-after-send for a value offered after it was sent")
}
