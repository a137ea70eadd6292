package tracer

import (
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

func TestRulesAreReportedNotCrashes(t *testing.T) {
	tests := []struct {
		name string
		run  func(g *G)
		want string
	}{
		{"send on closed", func(g *G) {
			ch := NewChan[int](g, "c", 1)
			ch.Close(g)
			ch.Send(g, 1)
		}, RuleSendOnClosed},
		{"close twice", func(g *G) {
			ch := NewChan[int](g, "c", 0)
			ch.Close(g)
			ch.Close(g)
		}, RuleCloseClosed},
		{"use after move", func(g *G) {
			v := Make(g, "v", 1)
			h := g.Go("taker", func(g *G) { v.Get(g) }, v)
			h.Join(g)
			v.Set(g, 2)
		}, RuleUseAfterMove},
		{"use after send", func(g *G) {
			ch := NewChan[*Value[int]](g, "c", 1)
			v := Make(g, "v", 1)
			ch.Send(g, v)
			v.Get(g)
			ch.Recv(g)
		}, RuleUseAfterSend},
		{"use after drop", func(g *G) {
			v := Make(g, "v", 1)
			v.Drop(g)
			v.Get(g)
		}, RuleUseAfterDrop},
		{"not the owner", func(g *G) {
			v := Make(g, "v", 1)
			h := g.Go("thief", func(g *G) { v.Set(g, 3) })
			h.Join(g)
		}, RuleNotOwner},
		{"unlock unlocked", func(g *G) {
			m := NewMutex(g, "m")
			m.Unlock(g)
		}, RuleUnlockUnlocked},
		{"two mutable borrows", func(g *G) {
			v := Make(g, "v", 1)
			a := v.BorrowMut(g)
			b := v.BorrowMut(g)
			a.Release(g)
			b.Release(g)
		}, RuleBorrowConflict},
		{"write through shared borrow", func(g *G) {
			v := Make(g, "v", 1)
			r := v.Borrow(g)
			r.Update(g, func(x *int) { *x++ })
		}, RuleBorrowConflict},
		{"lend to unscoped goroutine", func(g *G) {
			v := Make(g, "v", 1)
			r := v.Borrow(g)
			g.Go("escapee", func(g *G) { r.Get(g) }, r).Join(g)
		}, RuleBorrowEscapes},
		{"never joined", func(g *G) {
			g.Go("orphan", func(g *G) {})
		}, RuleLeakedGoroutine},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := mustRun(t, tt.run)
			if got := violations(evs); !slices.Contains(got, tt.want) {
				t.Errorf("violations %v, want %s\n%s", got, tt.want, dump(evs))
			}
			for _, e := range evs {
				if e.Kind == KindViolation && (e.Msg == "" || strings.Contains(e.Msg, "%!")) {
					t.Errorf("violation without a proper message: %+v", e)
				}
			}
		})
	}
}

func TestJoinReturnsThePanic(t *testing.T) {
	var err error
	evs := mustRun(t, func(g *G) {
		err = g.Go("boom", func(g *G) { panic("kaboom") }).Join(g)
	})
	var pe *PanicError
	if !errors.As(err, &pe) || pe.Value != "kaboom" || pe.Goroutine != "boom" {
		t.Fatalf("Join error %v", err)
	}
	var end, join bool
	for _, e := range evs {
		end = end || e.Kind == KindEnd && e.Panic == "kaboom"
		join = join || e.Kind == KindJoin && e.Panic == "kaboom"
	}
	if !end || !join {
		t.Errorf("panic not in end (%v) and join (%v) events", end, join)
	}
}

func TestDeadlockOnChannelsIsStopped(t *testing.T) {
	res, err := Run(func(g *G) {
		a := NewChan[int](g, "a", 0)
		b := NewChan[int](g, "b", 1)
		h := g.Go("other", func(g *G) {
			a.Recv(g)
			b.Send(g, 1)
		})
		b.Recv(g) // waits for other, which waits for main
		a.Send(g, 1)
		h.Join(g)
	}, WithDeadlockTimeout(50e6))
	if !errors.Is(err, ErrDeadlock) {
		t.Fatalf("err = %v, want ErrDeadlock", err)
	}
	if err := Validate(res.Events); err != nil {
		t.Fatal(err)
	}
	var msg string
	for _, e := range res.Events {
		if e.Rule == RuleDeadlock {
			msg = e.Msg
		}
	}
	if !strings.Contains(msg, `waits to receive on channel "b"`) || !strings.Contains(msg, `waits to receive on channel "a"`) {
		t.Errorf("deadlock message %q", msg)
	}
}

func TestScopeJoinsAndReleases(t *testing.T) {
	var out []int
	evs := mustRun(t, func(g *G) {
		v := Make(g, "v", []int{1, 2, 3, 4, 5})
		g.Scope(func(s *Scope) {
			l, r := SplitAt(g, v, 3)
			s.Go("l", func(g *G) { l.Update(g, func(x *[]int) { (*x)[0] = 10 }) }, l)
			s.Go("r", func(g *G) { r.Update(g, func(x *[]int) { (*x)[1] = 50 }) }, r)
		})
		out = v.Get(g)
	})
	if !slices.Equal(out, []int{10, 2, 3, 4, 50}) {
		t.Errorf("got %v", out)
	}
	if v := violations(evs); len(v) > 0 {
		t.Errorf("violations %v", v)
	}
	k := kinds(evs)
	if k[KindJoin] != 2 || k[KindRelease] != 2 || k[KindScopeEnd] != 1 {
		t.Errorf("joins %d releases %d scope ends %d", k[KindJoin], k[KindRelease], k[KindScopeEnd])
	}
	tl := BuildTimeline(evs)
	if b := tl.Values[0].Borrows; len(b) != 2 || b[0].To >= len(evs) {
		t.Errorf("borrows %+v", b)
	}
}

// TestManySendersManyReceivers stresses the merger where it has to guess
// least: several senders and receivers on one buffered channel.
func TestManySendersManyReceivers(t *testing.T) {
	for range 5 {
		var got atomic.Int64
		evs := mustRun(t, func(g *G) {
			ch := NewChan[int](g, "shared", 2)
			var senders, receivers []*Handle
			for range 3 {
				senders = append(senders, g.Go("sender", func(g *G) {
					for i := range 300 {
						ch.Send(g, i)
					}
				}))
				receivers = append(receivers, g.Go("receiver", func(g *G) {
					for range ch.All(g) {
						got.Add(1)
					}
				}))
			}
			for _, h := range senders {
				h.Join(g)
			}
			ch.Close(g)
			for _, h := range receivers {
				h.Join(g)
			}
		}, WithCallSites(false))
		if got.Load() != 900 {
			t.Fatalf("received %d", got.Load())
		}
		if len(violations(evs)) > 0 {
			t.Fatalf("violations %v", violations(evs))
		}
	}
}

func TestValidateFindsBrokenStreams(t *testing.T) {
	good := []Event{
		{Seq: 1, Kind: KindChan, G: 1, Ch: 1, Cap: 1},
		{Seq: 2, Kind: KindMake, G: 1, V: 1},
		{Seq: 3, Kind: KindMake, G: 1, V: 2},
		{Seq: 4, Kind: KindSend, G: 1, Ch: 1, V: 1},
		{Seq: 5, Kind: KindRecv, G: 1, Ch: 1, V: 1},
	}
	if err := Validate(good); err != nil {
		t.Fatalf("good stream: %v", err)
	}
	tests := []struct {
		name string
		edit func([]Event) []Event
		want string
	}{
		{"receive before send", func(e []Event) []Event { e[3], e[4] = e[4], e[3]; e[3].Seq, e[4].Seq = 4, 5; return e }, "receive before send"},
		{"over capacity", func(e []Event) []Event {
			return append(e[:4], Event{Seq: 5, Kind: KindSend, G: 1, Ch: 1, V: 2})
		}, "more than its capacity"},
		{"sender does not own", func(e []Event) []Event {
			e[3].G = 2
			return append(e[:0:0], append([]Event{{Seq: 1, Kind: KindGo, G: 1, Child: 2}}, renumber(e)...)...)
		}, "owned by g1"},
		{"seq gap", func(e []Event) []Event { e[2].Seq = 9; return e }, "seq 9 follows 2"},
		{"time back", func(e []Event) []Event { e[1].T = 5; return e }, "goes back"},
		{"join before end", func(e []Event) []Event {
			return append(e, Event{Seq: 6, Kind: KindGo, G: 1, Child: 2}, Event{Seq: 7, Kind: KindJoin, G: 1, Child: 2})
		}, "joins g2 before it ended"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := tt.edit(slices.Clone(good))
			if err := Validate(evs); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate = %v, want %q", err, tt.want)
			}
		})
	}
}

func renumber(evs []Event) []Event {
	for i := range evs {
		evs[i].Seq = uint64(i + 2)
	}
	return evs
}

// TestStoppingABlockedSenderDiscards: to stop a run where a sender waits on
// a full channel, the tracer takes the head value out; the trace says so
// with a discard event and still makes sense.
func TestStoppingABlockedSenderDiscards(t *testing.T) {
	res, err := Run(func(g *G) {
		ch := NewChan[*Value[string]](g, "full", 1)
		h := g.Go("producer", func(g *G) {
			ch.Send(g, Make(g, "first", "first"))
			ch.Send(g, Make(g, "second", "second")) // nobody receives: blocks forever
		})
		h.Join(g)
	}, WithDeadlockTimeout(50e6))
	if !errors.Is(err, ErrDeadlock) {
		t.Fatalf("err = %v, want ErrDeadlock", err)
	}
	if err := Validate(res.Events); err != nil {
		t.Fatalf("%v\n%s", err, dump(res.Events))
	}
	var discard *Event // the first one: the tracer may take out more
	for i := range res.Events {
		if res.Events[i].Kind == KindDiscard && discard == nil {
			discard = &res.Events[i]
		}
	}
	if discard == nil || discard.G != 2 {
		t.Fatalf("no discard of the head by the tracer for g2:\n%s", dump(res.Events))
	}
	tl := BuildTimeline(res.Events)
	if o := tl.OwnerAt(discard.V, len(res.Events)-1); o.Kind != OwnerNone {
		t.Errorf("the discarded value is owned by %+v", o)
	}
	if tl.Value(discard.V).Label != "first" {
		t.Errorf("discarded %q, want the head, first", tl.Value(discard.V).Label)
	}
}
