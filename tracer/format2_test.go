package tracer

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

const header2 = `{"format":"handoff","version":2}` + "\n"

// A select's wait, the case that won it, a skipped select, a WaitGroup
// wait and a truncated end, written and read back.
const selectTrace = header2 + `{"seq":1,"t":0,"kind":"chan","g":1,"ch":1,"cap":0,"name":"jobs"}
{"seq":2,"t":1,"kind":"chan","g":1,"ch":2,"cap":0,"name":"quit"}
{"seq":3,"t":2,"kind":"make","g":1,"v":1,"label":"job"}
{"seq":4,"t":3,"kind":"go","g":1,"child":2,"name":"worker"}
{"seq":5,"t":4,"kind":"skip","g":1,"cases":[{"dir":"send","ch":1,"v":1}]}
{"seq":6,"t":5,"kind":"block","g":1,"cases":[{"dir":"send","ch":1,"v":1},{"dir":"recv","ch":2},{"dir":"recv"}],"on":"select"}
{"seq":7,"t":6,"kind":"block","g":2,"ch":1,"on":"recv"}
{"seq":8,"t":7,"kind":"send","g":1,"ch":1,"v":1,"case":1}
{"seq":9,"t":8,"kind":"recv","g":2,"ch":1,"v":1}
{"seq":10,"t":9,"kind":"block","g":1,"wg":1,"on":"wait"}
{"seq":11,"t":10,"kind":"block","g":2,"on":"lock","conf":"inferred"}
{"seq":12,"t":11,"kind":"truncated","g":1,"msg":"--timeout 1s ended the program"}
`

func TestFormat2RoundTrip(t *testing.T) {
	h, evs, err := ReadTrace(strings.NewReader(selectTrace))
	if err != nil {
		t.Fatal(err)
	}
	if h.Version != 2 {
		t.Errorf("version %d", h.Version)
	}
	if err := Validate(evs); err != nil {
		t.Errorf("valid trace rejected: %v", err)
	}
	sel := evs[5]
	want := []SelectCase{{Dir: DirSend, Ch: 1, V: 1}, {Dir: DirRecv, Ch: 2}, {Dir: DirRecv}}
	if sel.On != OnSelect || !reflect.DeepEqual(sel.Cases, want) {
		t.Errorf("select block read as %+v", sel)
	}
	if evs[7].Case != 1 || evs[9].WG != 1 || evs[4].Kind != KindSkip || evs[11].Kind != KindTruncated {
		t.Errorf("fields lost: %v %v %v %v", evs[7].Case, evs[9].WG, evs[4].Kind, evs[11].Kind)
	}
	var buf bytes.Buffer
	if err := WriteTrace(&buf, h, evs); err != nil {
		t.Fatal(err)
	}
	if buf.String() != selectTrace {
		t.Errorf("round trip changed the text:\n%s\nwant\n%s", buf.String(), selectTrace)
	}
}

func TestFormat1StillReads(t *testing.T) {
	in := `{"format":"handoff","version":1}
{"seq":1,"t":0,"kind":"make","g":1,"v":1,"label":"x"}
`
	if _, evs, err := ReadTrace(strings.NewReader(in)); err != nil || len(evs) != 1 {
		t.Fatalf("version 1: %d events, %v", len(evs), err)
	}
}

func TestFormat2Errors(t *testing.T) {
	const header1 = `{"format":"handoff","version":1}` + "\n"
	tests := []struct{ name, in, want string }{
		{"skip in version 1", header1 + `{"seq":1,"t":0,"kind":"skip","g":1,"cases":[{"dir":"recv","ch":1}]}`, "line 2: field kind: skip events need format version 2"},
		{"select in version 1", header1 + `{"seq":1,"t":0,"kind":"block","g":1,"on":"select","ch":1}`, `line 2: field on: "select" needs format version 2`},
		{"select without cases", header2 + `{"seq":1,"t":0,"kind":"block","g":1,"on":"select"}`, "line 2: field cases: missing or zero in a block event"},
		{"case without dir", header2 + `{"seq":1,"t":0,"kind":"skip","g":1,"cases":[{"ch":1}]}`, `line 2: field cases: case 1: dir must be "send", "recv" or "done"`},
		{"value on a receive case", header2 + `{"seq":1,"t":0,"kind":"skip","g":1,"cases":[{"dir":"recv","ch":1,"v":3}]}`, "line 2: field cases: case 1: a negative id, a value on a receive, or a channel on a done case"},
		{"case on a close", header2 + `{"seq":1,"t":0,"kind":"close","g":1,"ch":1,"case":2}`, "line 2: field case: 2 on a close event"},
		{"unknown confidence", header2 + `{"seq":1,"t":0,"kind":"end","g":1,"conf":"sure"}`, `line 2: field conf: want exact, slot, ambiguous or inferred, got "sure"`},
		{"lock without mutex", header2 + `{"seq":1,"t":0,"kind":"block","g":1,"on":"lock"}`, "line 2: field mu: missing or zero in a block event"},
		{"wait without group", header2 + `{"seq":1,"t":0,"kind":"block","g":1,"on":"wait"}`, "line 2: field wg: missing or zero in a block event"},
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

func TestValidateSelectAndTruncated(t *testing.T) {
	_, good, err := ReadTrace(strings.NewReader(selectTrace))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(evs []Event) []Event
		want   string
	}{
		{"wrong case number", func(evs []Event) []Event { evs[7].Case = 2; return evs }, "event #8 (send by g1): is not case 2 of the select it waited in (recv on ch2)"},
		{"no case number", func(evs []Event) []Event { evs[7].Case = 0; return evs }, "ends a wait in a select of 3 cases, but names case 0"},
		{"case of an unknown channel", func(evs []Event) []Event { evs[5].Cases[1].Ch = 9; return evs }, "event #6 (block by g1): case 2 recvs on ch9, which was never made"},
		{"offers what it does not own", func(evs []Event) []Event { evs[4].G = 2; return evs }, "event #5 (skip by g2): offers v1, owned by g1, without a violation"},
		{"after the end of what was seen", func(evs []Event) []Event {
			return append(evs, Event{Seq: 13, T: 12, Kind: KindEnd, G: 2})
		}, "event #13 (end by g2): follows the truncated event #12"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := tt.change(cloneEvents(good))
			err := Validate(evs)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate: %v, want %q", err, tt.want)
			}
		})
	}
}

func cloneEvents(evs []Event) []Event {
	out := make([]Event, len(evs))
	for i, e := range evs {
		e.Cases = append([]SelectCase(nil), e.Cases...)
		out[i] = e
	}
	return out
}

// ValidateEvents checks as Validate does, one event at a time, and
// returns the reader's error with what it found before it.
func TestValidateEventsStreams(t *testing.T) {
	for _, name := range []string{"testdata/bounded-producers.jsonl", "testdata/deadlock.jsonl", "testdata/scoped-split.jsonl"} {
		_, evs := readFile(t, name)
		rd := openFile(t, name)
		if a, b := Validate(evs), ValidateEvents(rd.Events()); !sameError(a, b) {
			t.Errorf("%s: Validate says %v, ValidateEvents %v", name, a, b)
		}
	}
	bad := header2 + `{"seq":1,"t":0,"kind":"recv","g":1,"ch":1,"v":3}
{"seq":2,"t":1,"kind":"teleport","g":1}
`
	rd, err := NewReader(strings.NewReader(bad))
	if err != nil {
		t.Fatal(err)
	}
	err = ValidateEvents(rd.Events())
	if err == nil || !strings.Contains(err.Error(), `line 3: field kind: unknown kind "teleport"`) || !strings.Contains(err.Error(), "receives from ch1, which was never made") {
		t.Errorf("ValidateEvents: %v", err)
	}
}

// A goroutine that acts before the go event that spawns it is caught at
// the go event, in one pass.
func TestValidateSpawnAfterActing(t *testing.T) {
	evs := []Event{
		{Seq: 1, Kind: KindMake, G: 2, V: 1},
		{Seq: 2, Kind: KindGo, G: 1, Child: 2},
	}
	if err := Validate(evs); err == nil || !strings.Contains(err.Error(), "spawns g2, which already acted") {
		t.Errorf("Validate: %v", err)
	}
}

func TestEventsStopsWhenAsked(t *testing.T) {
	rd := openFile(t, "testdata/bounded-producers.jsonl")
	n := 0
	for _, err := range rd.Events() {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 3 {
			break
		}
	}
	e, err := rd.Next()
	if err != nil || e.Seq != 4 {
		t.Errorf("after 3 events the reader gives #%d, %v", e.Seq, err)
	}
}

func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Error() == b.Error() || errors.Is(a, b)
}

func openFile(t *testing.T, name string) *Reader {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	rd, err := NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	return rd
}

func readFile(t *testing.T, name string) (Header, []Event) {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, evs, err := ReadTrace(f)
	if err != nil {
		t.Fatal(err)
	}
	return h, evs
}
