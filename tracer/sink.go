package tracer

import (
	"io"
	"sync"
)

// Sink receives the events of a run in file order. The tracer calls Emit
// from one goroutine at a time, never from the traced program's goroutines,
// and Close once at the end. A Sink must not keep evs after Emit returns: the
// tracer reuses the slice (the events themselves may be kept).
type Sink interface {
	Emit(evs []Event) error
	Close() error
}

// MemorySink keeps every event in memory. It is safe for concurrent use.
type MemorySink struct {
	mu  sync.Mutex
	evs []Event
}

// Emit implements [Sink].
func (m *MemorySink) Emit(evs []Event) error {
	m.mu.Lock()
	m.evs = append(m.evs, evs...)
	m.mu.Unlock()
	return nil
}

// Close implements [Sink].
func (m *MemorySink) Close() error { return nil }

// Events returns a copy of the events received so far.
func (m *MemorySink) Events() []Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Event(nil), m.evs...)
}

// JSONLSink writes events as a trace file (docs/trace-format.md).
type JSONLSink struct {
	w      *Writer
	closer io.Closer
}

// NewJSONLSink writes the header to w at once. When w is also an
// io.Closer, Close closes it.
func NewJSONLSink(w io.Writer, h Header) (*JSONLSink, error) {
	tw, err := NewWriter(w, h)
	if err != nil {
		return nil, err
	}
	s := &JSONLSink{w: tw}
	if c, ok := w.(io.Closer); ok {
		s.closer = c
	}
	return s, nil
}

// Emit implements [Sink].
func (s *JSONLSink) Emit(evs []Event) error {
	for i := range evs {
		if err := s.w.Write(&evs[i]); err != nil {
			return err
		}
	}
	return s.w.Flush()
}

// Close implements [Sink].
func (s *JSONLSink) Close() error {
	err := s.w.Flush()
	if s.closer != nil {
		if cerr := s.closer.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// Tee sends every event to each of sinks in turn.
func Tee(sinks ...Sink) Sink { return tee(sinks) }

type tee []Sink

func (t tee) Emit(evs []Event) error {
	var first error
	for _, s := range t {
		if err := s.Emit(evs); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (t tee) Close() error {
	var first error
	for _, s := range t {
		if err := s.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
