package hooks

import (
	"sync/atomic"
	"testing"
)

// BenchmarkHandoff pairs an unbuffered handoff through the hooks, recording,
// with the same handoff in plain Go. Run with a fixed count that fits the
// file (each handoff writes four or five records of 48 to 96 bytes), e.g.
// -benchtime=200000x; the benchmark fails if records were dropped.
func BenchmarkHandoff(b *testing.B) {
	b.Run("plain", func(b *testing.B) {
		ch := make(chan int)
		done := make(chan struct{})
		go func() {
			for range ch {
			}
			close(done)
		}()
		i := 0
		for b.Loop() {
			ch <- i
			i++
		}
		close(ch)
		<-done
	})
	b.Run("hooks", func(b *testing.B) {
		path := record(b, 256<<20)
		ch := make(chan int)
		done := make(chan struct{})
		// Spawned as the rewriter spawns: its Start calibrates the fast
		// goroutine id path.
		go Go(func() {
			for {
				if _, ok := Recv2(ch, 2); !ok {
					break
				}
			}
			close(done)
		}, 3)()
		i := 0
		for b.Loop() {
			Send(ch, i, 1)
			i++
		}
		close(ch)
		<-done
		b.StopTimer()
		if hdr, _, _ := readRecords(b, path); hdr.Truncated {
			b.Fatal("the record file filled up: use a smaller -benchtime count")
		}
		if off := rec.hdr.calFast; hasGetg && (off == 0 || off == calOff) {
			b.Fatal("the fast goroutine id path did not settle")
		}
	})
}

func BenchmarkLabel(b *testing.B) {
	var buf [labelSize + 16]byte
	b.Run("int", func(b *testing.B) {
		for b.Loop() {
			describe(12345, &buf)
		}
	})
	b.Run("string", func(b *testing.B) {
		for b.Loop() {
			describe("a message of some length", &buf)
		}
	})
	b.Run("struct", func(b *testing.B) {
		j := Job{ID: 3, Name: "compile"}
		for b.Loop() {
			describe(j, &buf)
		}
	})
	b.Run("pointer", func(b *testing.B) {
		j := &Job{ID: 3, Name: "compile"}
		for b.Loop() {
			describe(j, &buf)
		}
	})
}

// BenchmarkRecord is the cost of writing one record (goroutine id, clock,
// slot) with no channel operation around it.
func BenchmarkRecord(b *testing.B) {
	path := record(b, 256<<20)
	r := rec
	// Two goroutines spawned through the hooks settle the fast id path.
	for range 2 {
		go Go(func() {}, 1)()
	}
	waitForEnds(b, path, 2)
	label := []byte("42")
	for b.Loop() {
		r.put(KindSendBegin, 0, 1, r.goid(), 2, 3, 4, label)
	}
	if atomic.LoadUint32(&r.hdr.truncated) != 0 {
		b.Fatal("the record file filled up: use a smaller -benchtime count")
	}
}
