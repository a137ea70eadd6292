package tracer

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// mustRun runs fn under a tracer and checks the trace's invariants.
func mustRun(t *testing.T, fn func(g *G), opts ...Option) []Event {
	t.Helper()
	res, err := Run(fn, opts...)
	if err != nil && !errors.Is(err, ErrDeadlock) {
		t.Fatalf("Run: %v", err)
	}
	if err := Validate(res.Events); err != nil {
		t.Fatalf("invalid trace: %v\n%s", err, dump(res.Events))
	}
	return res.Events
}

func dump(evs []Event) string {
	var b strings.Builder
	for i := range evs {
		fmt.Fprintln(&b, evs[i].String())
	}
	return b.String()
}

func kinds(evs []Event) map[Kind]int {
	n := map[Kind]int{}
	for _, e := range evs {
		n[e.Kind]++
	}
	return n
}

func violations(evs []Event) []string {
	var rules []string
	for _, e := range evs {
		if e.Kind == KindViolation {
			rules = append(rules, e.Rule)
		}
	}
	return rules
}

func TestHandoffUnbuffered(t *testing.T) {
	evs := mustRun(t, func(g *G) {
		ch := NewChan[*Value[string]](g, "messages", 0)
		h := g.Go("sender", func(g *G) {
			ch.Send(g, Make(g, "ready", "ready"))
		})
		v, ok := ch.Recv(g)
		if !ok || v.Get(g) != "ready" {
			t.Errorf("Recv = %v, %v", v, ok)
		}
		if err := h.Join(g); err != nil {
			t.Error(err)
		}
	})
	if v := violations(evs); len(v) > 0 {
		t.Errorf("violations %v\n%s", v, dump(evs))
	}
	tl := BuildTimeline(evs)
	if len(tl.Values) != 1 {
		t.Fatalf("values = %d, want 1", len(tl.Values))
	}
	owners := tl.Values[0].Owners
	want := []OwnerKind{OwnerGoroutine, OwnerChannel, OwnerGoroutine}
	if len(owners) != 3 {
		t.Fatalf("owner spans = %+v\n%s", owners, dump(evs))
	}
	for i, o := range owners {
		if o.Owner.Kind != want[i] {
			t.Errorf("span %d kind %v, want %v", i, o.Owner.Kind, want[i])
		}
	}
	if owners[0].Owner.G != 2 || owners[2].Owner.G != 1 {
		t.Errorf("owners %+v", owners)
	}
}

func TestBoundedManyProducers(t *testing.T) {
	for _, capacity := range []int{0, 1, 3, -1} {
		t.Run(fmt.Sprint("cap", capacity), func(t *testing.T) {
			const producers, each = 3, 200
			evs := mustRun(t, func(g *G) {
				ch := NewChan[int](g, "jobs", capacity)
				var hs []*Handle
				for p := range producers {
					hs = append(hs, g.Go(fmt.Sprint("producer", p), func(g *G) {
						for i := range each {
							ch.Send(g, i)
						}
					}))
				}
				closer := g.Go("closer", func(g *G) {
					for _, h := range hs {
						h.Join(g)
					}
					ch.Close(g)
				})
				n := 0
				for range ch.All(g) {
					n++
				}
				if n != producers*each {
					t.Errorf("received %d", n)
				}
				closer.Join(g)
			}, WithCallSites(false))
			k := kinds(evs)
			if k[KindSend] != producers*each || k[KindRecv] != producers*each+1 {
				t.Errorf("sends %d recvs %d", k[KindSend], k[KindRecv])
			}
			if v := violations(evs); len(v) != 0 {
				t.Errorf("violations %v", v)
			}
		})
	}
}
