package tracer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// slowEvent decodes line the reference way, with encoding/json.
func slowEvent(line []byte, version int) (Event, error) {
	var raw rawEvent
	if err := json.Unmarshal(line, &raw); err != nil {
		return Event{}, err
	}
	return raw.event(version)
}

// everyField is an event with every field the writer writes, and strings
// that need escapes.
var everyField = Event{
	Seq: 7, T: 1234567890123, Kind: KindRecv, G: 3, Child: 4, Ch: 5, V: 6, Mu: 7,
	Scope: 8, Ref: 9, Vs: []ValueID{1, 2}, Refs: []RefID{3}, Cycle: []GoID{1, 2, 3},
	Cases: []SelectCase{{Dir: DirSend, Ch: 2, V: 6}, {Dir: DirRecv, Ch: 5}, {Dir: DirDone}},
	Case:  2, WG: 3, Name: "jobs ← results", Label: "&errorString{s:\"disk full\"}\n\t\\ \u2028 <&> \x01",
	On: OnRecv, Op: "op", Rule: "rule", Msg: "a message", Panic: "boom", At: "main.go:12",
	Mut: true, Close: true, Abort: true, Conf: ConfInferred, CapUnknown: true,
}

// TestLineDecoderReadsWhatHandoffWrites: every line the writer makes
// takes the fast path and reads back as the event written. A field added
// to the writer and not to the decoder fails here.
func TestLineDecoderReadsWhatHandoffWrites(t *testing.T) {
	events := []Event{everyField, {Seq: 1, Kind: KindChan, G: 1, Ch: 1, Cap: 0}, {Seq: 2, Kind: KindChan, G: 1, Ch: 2, Cap: 3, Name: "q"}}
	files, _ := filepath.Glob("testdata/*.jsonl")
	for _, name := range files {
		_, evs, err := ReadTrace(mustOpen(t, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		events = append(events, evs...)
	}
	var d lineDecoder
	for _, e := range events {
		line := AppendEventJSON(nil, &e)
		if !d.decode(line) {
			t.Fatalf("the fast path refused a line the writer wrote:\n%s", line)
		}
		got, err := d.raw.event(FormatVersion)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if !reflect.DeepEqual(got, e) {
			t.Fatalf("read back\n%+v\nwant\n%+v\nfrom %s", got, e, line)
		}
	}
}

func mustOpen(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestLineDecoderRefuses: lines that encoding/json reads in its own way,
// or refuses, are left to it.
func TestLineDecoderRefuses(t *testing.T) {
	for _, line := range []string{
		`{"Seq":1,"t":0,"kind":"go","g":1}`,           // another case
		`{"seq":1,"seq":2,"t":0,"kind":"go","g":1}`,   // repeated
		`{"seq":1,"t":0,"kind":"go","g":1,"extra":1}`, // unknown
		`{"seq":null,"t":0,"kind":"go","g":1}`,        // null
		`{"seq":1,"t":1e3,"kind":"go","g":1}`,         // exponent
		`{"seq":1,"t":1.0,"kind":"go","g":1}`,         // fraction
		`{"seq":1,"t":01,"kind":"go","g":1}`,          // leading zero
		`{"seq":-1,"t":0,"kind":"go","g":1}`,          // negative seq
		`{"seq":18446744073709551616,"t":0,"kind":"go","g":1}`,
		`{"seq":1,"t":9223372036854775808,"kind":"go","g":1}`,
		`{"seq":1,"t":0,"kind":"go","g":1,"label":"\ud83d\ude00"}`, // surrogates
		"{\"seq\":1,\"t\":0,\"kind\":\"go\",\"g\":1,\"label\":\"\xff\"}",
		"{\"seq\":1,\"t\":0,\"kind\":\"go\",\"g\":1,\"label\":\"a\tb\"}", // raw control byte
		`{"seq":1,"t":0,"kind":"go","g":1,"label":"\x"}`,
		`{"seq":1,"t":0,"kind":"go","g":1,}`,
		`{"seq":1,"t":0,"kind":"go","g":1} x`,
		`{"seq":1,"t":0,"kind":"go","g":1,"mut":tru}`,
		`{"seq":1,"t":0,"kind":"go","g":1,"vs":[1,]}`,
		`{"seq":1,"t":0,"kind":"go","g":1,"cases":[{"dir":"send","dir":"recv"}]}`,
		`[1]`,
		``,
	} {
		var d lineDecoder
		if d.decode([]byte(line)) {
			t.Errorf("the fast path read %s", line)
		}
	}
}

// FuzzLineDecoder: wherever the fast path reads a line, encoding/json
// reads it too, to the same event (or the same error of the event's
// rules).
func FuzzLineDecoder(f *testing.F) {
	f.Add(AppendEventJSON(nil, &everyField))
	f.Add([]byte(` { "seq" : 1 , "t" : -0 , "kind" : "go" , "g" : 1 , "vs" : [ ] , "cases" : [ { } ] } `))
	f.Add([]byte(`{"seq":1,"t":-9223372036854775808,"kind":"block","g":1,"label":"\u00e9\/\u0000"}`))
	files, _ := filepath.Glob("testdata/*.jsonl")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for i := 0; sc.Scan() && i < 30; i++ {
			f.Add(bytes.Clone(sc.Bytes()))
		}
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var d lineDecoder
		if !d.decode(line) {
			return
		}
		fast, fastErr := d.raw.event(FormatVersion)
		slow, slowErr := slowEvent(line, FormatVersion)
		if (fastErr == nil) != (slowErr == nil) || (fastErr != nil && fastErr.Error() != slowErr.Error()) {
			t.Fatalf("%q: fast path error %v, encoding/json %v", line, fastErr, slowErr)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q: fast path read\n%+v\nencoding/json\n%+v", line, fast, slow)
		}
	})
}
