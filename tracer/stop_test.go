package tracer

import (
	"errors"
	"testing"
	"time"
)

// A run stopped after a deadlock records nothing the program did not do:
// the deferred calls that run while its goroutines unwind (a close, a
// send, a drop) are not in the trace, and the goroutines end as stopped.
func TestStoppedRunRecordsNoUnwinding(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			res, err := Run(func(g *G) {
				never := NewChan[int](g, "never", 0)
				out := NewChan[int](g, "out", 4)
				h := g.Go("worker", func(g *G) {
					defer out.Close(g)
					defer func() { out.Send(g, 2) }()
					never.Recv(g)
				})
				defer out.Close(g)
				v := Make(g, "v", 1)
				defer v.Drop(g)
				h.Join(g)
			}, append([]Option{WithDeadlockTimeout(100 * time.Millisecond)}, m.opts...)...)
			if !errors.Is(err, ErrDeadlock) {
				t.Fatalf("err = %v, want ErrDeadlock", err)
			}
			if err := Validate(res.Events); err != nil {
				t.Fatal(err)
			}
			ends := 0
			for _, e := range res.Events {
				switch e.Kind {
				case KindClose, KindSend, KindDrop:
					t.Errorf("the unwinding was recorded: %s", e.String())
				case KindEnd:
					ends++
					if !e.Abort {
						t.Errorf("g%d ended, not stopped", e.G)
					}
				}
			}
			if ends != 2 {
				t.Errorf("%d ends, want 2", ends)
			}
		})
	}
}
