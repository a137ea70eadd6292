package tracer

import (
	"strings"
	"testing"
)

// TestManyBlockedSenders: thousands of goroutines wait at once for room
// in a bounded channel, plain and live. In live mode they sleep until a
// receive wakes one (they used to poll every 200us, and 10,000 of them did
// not finish in 180 s); in both, the merger wakes one sender per value
// taken out and a sender waits for the one send it follows (it used to
// wake every waiting sender at every change of the channel: 10,000
// senders took 13 s of CPU to merge, now 1 s). Every value arrives once,
// in a valid trace, with nothing forced. The race detector allows 8,128
// goroutines at once, so 3,000 here; BenchmarkLiveManyGoroutines measures
// 10,000.
func TestManyBlockedSenders(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			const n = 3000
			res, err := Run(func(g *G) {
				ch := NewChan[int](g, "jobs", 4)
				hs := make([]*Handle, n)
				for i := range n {
					hs[i] = g.Go("sender", func(g *G) { ch.Send(g, i) })
				}
				seen := make([]bool, n)
				for range n {
					x, ok := ch.Recv(g)
					if !ok || seen[x] {
						t.Errorf("received %d, %v: twice, or from a closed channel", x, ok)
						continue
					}
					seen[x] = true
				}
				for _, h := range hs {
					if err := h.Join(g); err != nil {
						t.Error(err)
					}
				}
			}, append([]Option{WithCallSites(false)}, m.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			if err := Validate(res.Events); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(res.Header.Note, "against the merger's rules") {
				t.Errorf("the merger forced records: %s", res.Header.Note)
			}
			sends, blocks := 0, 0
			for _, e := range res.Events {
				switch {
				case e.Kind == KindSend:
					sends++
				case e.Kind == KindBlock && e.On == OnSend:
					blocks++
				}
			}
			if sends != n || blocks == 0 {
				t.Errorf("%d sends and %d blocked senders recorded; want %d sends, some blocked", sends, blocks, n)
			}
		})
	}
}

// A close wakes every live-mode waiter: the receivers blocked on an empty
// channel all see it closed.
func TestLiveCloseWakesAllReceivers(t *testing.T) {
	const n = 50
	res, err := Run(func(g *G) {
		ch := NewChan[int](g, "jobs", 2)
		hs := make([]*Handle, n)
		for i := range n {
			hs[i] = g.Go("receiver", func(g *G) {
				if _, ok := ch.Recv(g); ok {
					t.Error("received from a channel nobody sent on")
				}
			})
		}
		ch.Close(g)
		for _, h := range hs {
			h.Join(g)
		}
	}, WithLive(0), WithCallSites(false))
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(res.Events); err != nil {
		t.Fatal(err)
	}
	closed := 0
	for _, e := range res.Events {
		if e.Kind == KindRecv && e.Close {
			closed++
		}
	}
	if closed != n {
		t.Errorf("%d receivers saw the close, want %d", closed, n)
	}
}
