package tracer

import (
	"testing"
	"time"
)

// TestMutexQueuedCountsRecordedWaits checks the handshake a scenario uses
// to make contention certain: while g1 holds the lock, Queued reaches 1
// only once g2 waits for it, with its block already recorded.
func TestMutexQueuedCountsRecordedWaits(t *testing.T) {
	evs := mustRun(t, func(g *G) {
		mu := NewMutex(g, "m")
		mu.Lock(g)
		if n := mu.Queued(); n != 0 {
			t.Errorf("Queued = %d with nobody waiting", n)
		}
		h := g.Go("waiter", func(g *G) {
			mu.Lock(g)
			mu.Unlock(g)
		})
		deadline := time.Now().Add(30 * time.Second)
		for mu.Queued() < 1 {
			if time.Now().After(deadline) {
				t.Error("the waiter never queued for the lock")
				break
			}
			time.Sleep(100 * time.Microsecond)
		}
		mu.Unlock(g)
		h.Join(g)
		if n := mu.Queued(); n != 0 {
			t.Errorf("Queued = %d after the waiter had the lock", n)
		}
	})
	blocks := 0
	for _, e := range evs {
		if e.Kind == KindBlock && e.On == OnLock && e.G == 2 {
			blocks++
		}
	}
	if blocks != 1 {
		t.Errorf("%d lock waits of the waiter recorded, want 1\n%s", blocks, dump(evs))
	}
}
