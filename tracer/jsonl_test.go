package tracer

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestTraceFileRoundTrip(t *testing.T) {
	evs := mustRun(t, func(g *G) {
		ch := NewChan[*Value[string]](g, "jobs <&> \"quoted\"", 1)
		h := g.Go("worker\n2", func(g *G) {
			v, _ := ch.Recv(g)
			v.Get(g)
		})
		v := Make(g, "ünïcödé \x01 label", "x")
		ch.Send(g, v)
		h.Join(g)
	})
	var buf bytes.Buffer
	if err := WriteTrace(&buf, Header{Source: "test"}, evs); err != nil {
		t.Fatal(err)
	}
	h, back, err := ReadTrace(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if h.Format != FormatName || h.Version != FormatVersion || h.Source != "test" {
		t.Errorf("header %+v", h)
	}
	if !reflect.DeepEqual(back, evs) {
		for i := range evs {
			if i < len(back) && !reflect.DeepEqual(back[i], evs[i]) {
				t.Errorf("event %d:\n got %+v\nwant %+v", i, back[i], evs[i])
				break
			}
		}
		t.Fatalf("round trip changed the events (%d vs %d)", len(back), len(evs))
	}
}

func TestReaderErrorsNameTheLineAndField(t *testing.T) {
	const header = `{"format":"handoff","version":1}` + "\n"
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "empty trace"},
		{"not json", "hello\n", "line 1: header is not a handoff trace header"},
		{"other format", `{"format":"pprof","version":1}`, `line 1: field format: want "handoff", got "pprof"`},
		{"future version", `{"format":"handoff","version":9}`, "line 1: field version: this handoff reads versions 1 to 2, the trace is version 9"},
		{"bad json", header + `{"seq":1,`, "line 2: not valid JSON"},
		{"missing seq", header + `{"t":0,"kind":"end","g":1}`, "line 2: field seq: missing"},
		{"missing g", header + `{"seq":1,"t":0,"kind":"end"}`, "line 2: field g: missing"},
		{"wrong type", header + `{"seq":"one","t":0,"kind":"end","g":1}`, "line 2: field seq: string is not a valid uint64"},
		{"unknown kind", header + `{"seq":1,"t":0,"kind":"teleport","g":1}`, `line 2: field kind: unknown kind "teleport"`},
		{"seq gap", header + `{"seq":1,"t":0,"kind":"end","g":1}` + "\n" + `{"seq":3,"t":0,"kind":"end","g":2}`, "line 3: field seq: want 2 after 1, got 3"},
		{"time goes back", header + `{"seq":1,"t":5,"kind":"end","g":1}` + "\n" + `{"seq":2,"t":4,"kind":"end","g":2}`, "line 3: field t: 4 goes back in time"},
		{"send without ch", header + `{"seq":1,"t":0,"kind":"send","g":1,"v":2}`, "line 2: field ch: missing or zero in a send event"},
		{"block on what", header + `{"seq":1,"t":0,"kind":"block","g":1,"on":"nap"}`, `line 2: field on: want send, recv, select, lock, rlock, wait, cond or join, got "nap"`},
		{"negative g", header + `{"seq":1,"t":0,"kind":"end","g":-4}`, "line 2: field g: goroutine id must be positive"},
		{"array line", header + `[1,2]`, "line 2: a JSON array where an object was expected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ReadTrace(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestReaderKeepsWhatCameBeforeABadLine(t *testing.T) {
	in := `{"format":"handoff","version":1}
{"seq":1,"t":0,"kind":"make","g":1,"v":1,"label":"x"}
{"seq":2,"t":1,"kind":"drop","g":1,"v":1}
{"seq":3,"t":2,"kind":"drop","g":1`
	_, evs, err := ReadTrace(strings.NewReader(in))
	if err == nil || len(evs) != 2 {
		t.Fatalf("got %d events, err %v; want 2 events and an error", len(evs), err)
	}
}

func TestReaderLineLimit(t *testing.T) {
	long := `{"format":"handoff","version":1}` + "\n" + `{"seq":1,"t":0,"kind":"make","g":1,"v":1,"label":"` + strings.Repeat("x", 200) + `"}` + "\n"
	rd, err := NewReaderSize(strings.NewReader(long), 100)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rd.Next(); err == nil || !strings.Contains(err.Error(), "line 2: longer than 100 bytes") {
		t.Errorf("err = %v", err)
	}
}

func TestReaderEOF(t *testing.T) {
	rd, err := NewReader(strings.NewReader(`{"format":"handoff","version":1}` + "\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rd.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("err = %v, want io.EOF", err)
	}
}

// FuzzReader checks that no input makes the reader, the timeline, the
// validator or the checker panic, and that what the reader accepts writes
// back to the same events.
func FuzzReader(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.jsonl")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"format":"handoff","version":1}` + "\n" + `{"seq":1,"t":0,"kind":"recv","g":1,"ch":1,"v":3}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, evs, err := ReadTrace(bytes.NewReader(data))
		tl := BuildTimeline(evs)
		for _, v := range tl.Values {
			tl.OwnerAt(v.ID, len(evs)/2)
		}
		for _, c := range tl.Channels {
			tl.ChannelContents(c.ID, len(evs)-1)
		}
		Validate(evs)
		Check(evs)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := WriteTrace(&buf, h, evs); err != nil {
			t.Fatal(err)
		}
		_, back, err := ReadTrace(&buf)
		if err != nil {
			t.Fatalf("rewritten trace does not read back: %v", err)
		}
		if len(back) != len(evs) {
			t.Fatalf("%d events read back, want %d", len(back), len(evs))
		}
	})
}
