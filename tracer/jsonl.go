package tracer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"strconv"
	"unicode/utf8"
)

// FormatName and FormatVersion are the header's "format" and "version":
// writers write FormatVersion; readers read every version from
// MinFormatVersion to FormatVersion (docs/trace-format.md says what each
// added).
const (
	FormatName       = "handoff"
	FormatVersion    = 2
	MinFormatVersion = 1
)

// MaxLineSize is the longest line [Reader] accepts by default.
const MaxLineSize = 1 << 20

// Header is the first line of a trace file.
type Header struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	// Source says where the trace came from: a scenario's name, a program's
	// name or an imported file.
	Source string `json:"source,omitempty"`
	// Clock says how timestamps were taken: "tsc" (the CPU's cycle counter,
	// converted to nanoseconds), "monotonic", or "imported".
	Clock string `json:"clock,omitempty"`
	// Note is free text for people, for example what an importer could not see.
	Note string `json:"note,omitempty"`
}

// Writer writes a trace in the JSON Lines format. Write the events in order;
// Writer does not check them (see [Validate]).
type Writer struct {
	w   *bufio.Writer
	buf []byte
	err error
}

// NewWriter writes h as the first line to w and returns a Writer for the
// events. Format and Version are filled in when empty.
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	if h.Format == "" {
		h.Format = FormatName
	}
	if h.Version == 0 {
		h.Version = FormatVersion
	}
	line, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("write trace header: %w", err)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(line)
	if err := bw.WriteByte('\n'); err != nil {
		return nil, fmt.Errorf("write trace header: %w", err)
	}
	return &Writer{w: bw}, nil
}

// Write appends one event line.
func (w *Writer) Write(e *Event) error {
	if w.err != nil {
		return w.err
	}
	w.buf = AppendEventJSON(w.buf[:0], e)
	w.buf = append(w.buf, '\n')
	if _, err := w.w.Write(w.buf); err != nil {
		w.err = fmt.Errorf("write trace: %w", err)
	}
	return w.err
}

// Flush writes buffered lines to the underlying writer.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if err := w.w.Flush(); err != nil {
		w.err = fmt.Errorf("write trace: %w", err)
	}
	return w.err
}

// AppendEventJSON appends e as one JSON object, without a newline.
func AppendEventJSON(b []byte, e *Event) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, e.Seq, 10)
	b = append(b, `,"t":`...)
	b = strconv.AppendInt(b, int64(e.T), 10)
	b = append(b, `,"kind":"`...)
	b = append(b, e.Kind.String()...)
	b = append(b, `","g":`...)
	b = strconv.AppendInt(b, int64(e.G), 10)
	b = appendIntField(b, "child", int64(e.Child))
	b = appendIntField(b, "ch", int64(e.Ch))
	b = appendIntField(b, "v", int64(e.V))
	b = appendIntField(b, "mu", int64(e.Mu))
	b = appendIntField(b, "scope", int64(e.Scope))
	b = appendIntField(b, "ref", int64(e.Ref))
	if len(e.Vs) > 0 {
		b = append(b, `,"vs":[`...)
		b = append(appendIDs(b, e.Vs), ']')
	}
	if len(e.Refs) > 0 {
		b = append(b, `,"refs":[`...)
		b = append(appendIDs(b, e.Refs), ']')
	}
	if len(e.Cycle) > 0 {
		b = append(b, `,"cycle":[`...)
		b = append(appendIDs(b, e.Cycle), ']')
	}
	if len(e.Cases) > 0 {
		b = append(b, `,"cases":[`...)
		for i, c := range e.Cases {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"dir":`...)
			b = appendJSONString(b, c.Dir)
			b = appendIntField(b, "ch", int64(c.Ch))
			b = appendIntField(b, "v", int64(c.V))
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = appendIntField(b, "case", int64(e.Case))
	b = appendIntField(b, "wg", int64(e.WG))
	if e.Kind == KindChan {
		b = append(b, `,"cap":`...)
		b = strconv.AppendInt(b, int64(e.Cap), 10)
	}
	b = appendStringField(b, "name", e.Name)
	b = appendStringField(b, "label", e.Label)
	b = appendStringField(b, "on", e.On)
	b = appendStringField(b, "op", e.Op)
	b = appendStringField(b, "rule", e.Rule)
	b = appendStringField(b, "msg", e.Msg)
	b = appendStringField(b, "panic", e.Panic)
	b = appendStringField(b, "at", e.At)
	if e.Mut {
		b = append(b, `,"mut":true`...)
	}
	if e.Close {
		b = append(b, `,"closed":true`...)
	}
	if e.Abort {
		b = append(b, `,"aborted":true`...)
	}
	b = appendStringField(b, "conf", e.Conf)
	if e.CapUnknown {
		b = append(b, `,"cap_unknown":true`...)
	}
	return append(b, '}')
}

// appendIDs appends ids separated by commas.
func appendIDs[T ~int64](b []byte, ids []T) []byte {
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(id), 10)
	}
	return b
}

func appendIntField(b []byte, name string, v int64) []byte {
	if v == 0 {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return strconv.AppendInt(b, v, 10)
}

func appendStringField(b []byte, name, s string) []byte {
	if s == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendJSONString(b, s)
}

const hexDigits = "0123456789abcdef"

// safeJSON says which bytes stand for themselves in a JSON string as
// appendJSONString writes it (ASCII but for quotes, backslash, controls and
// the HTML-sensitive <, >, &).
var safeJSON = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// AppendJSONString appends s to b as a JSON string, escaped as the trace
// format writes strings; invalid UTF-8 becomes U+FFFD. Other writers of
// JSON (tracer/traceevent) share it.
func AppendJSONString(b []byte, s string) []byte { return appendJSONString(b, s) }

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		// Copy the run of bytes that need no escaping in one go.
		j := i
		for j < len(s) && safeJSON[s[j]] {
			j++
		}
		b = append(b, s[i:j]...)
		if i = j; i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// Reader reads a trace in the JSON Lines format, one event at a time, and
// checks each line: its JSON, its fields' types, that seq counts up by one,
// that t does not go back, that the kind is known and carries the fields it
// needs. Errors name the line and the field.
type Reader struct {
	r       *bufio.Reader
	header  Header
	line    int
	maxLine int
	lastSeq uint64
	lastT   Time
	fast    lineDecoder
}

// NewReader reads and checks the header line of a trace.
func NewReader(r io.Reader) (*Reader, error) {
	return NewReaderSize(r, MaxLineSize)
}

// NewReaderSize is [NewReader] with a limit on the length of a line.
func NewReaderSize(r io.Reader, maxLine int) (*Reader, error) {
	rd := &Reader{r: bufio.NewReaderSize(r, 64<<10), maxLine: maxLine}
	line, err := rd.readLine()
	if err == io.EOF {
		return nil, errors.New("empty trace: no header line")
	}
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&rd.header); err != nil {
		return nil, fmt.Errorf("line 1: header is not a handoff trace header: %v", jsonProblem(err))
	}
	if rd.header.Format != FormatName {
		return nil, fmt.Errorf("line 1: field format: want %q, got %q", FormatName, rd.header.Format)
	}
	if v := rd.header.Version; v < MinFormatVersion || v > FormatVersion {
		return nil, fmt.Errorf("line 1: field version: this handoff reads versions %d to %d, the trace is version %d", MinFormatVersion, FormatVersion, v)
	}
	return rd, nil
}

// Header returns the trace's header.
func (r *Reader) Header() Header { return r.header }

// readLine returns the next non-empty line without its newline. The line
// may be the reader's buffer, valid until the next read: the callers
// decode it at once.
func (r *Reader) readLine() ([]byte, error) {
	for {
		var line []byte
		for {
			frag, err := r.r.ReadSlice('\n')
			if len(line)+len(frag) > r.maxLine+1 {
				r.line++
				return nil, fmt.Errorf("line %d: longer than %d bytes", r.line, r.maxLine)
			}
			if line == nil && err == nil {
				line = frag // a whole line in the buffer: no copy
				break
			}
			line = append(line, frag...)
			if err == bufio.ErrBufferFull {
				continue
			}
			if err == io.EOF {
				if len(line) == 0 {
					return nil, io.EOF
				}
				break
			}
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", r.line+1, err)
			}
			break
		}
		r.line++
		line = bytes.TrimSpace(line)
		if len(line) > 0 {
			return line, nil
		}
	}
}

// rawEvent is an event line as JSON; pointers tell absent from zero.
type rawEvent struct {
	Seq   *uint64    `json:"seq"`
	T     *int64     `json:"t"`
	Kind  *string    `json:"kind"`
	G     *int64     `json:"g"`
	Child int64      `json:"child"`
	Ch    int64      `json:"ch"`
	V     int64      `json:"v"`
	Mu    int64      `json:"mu"`
	Scope int64      `json:"scope"`
	Ref   int64      `json:"ref"`
	Vs    []int64    `json:"vs"`
	Refs  []int64    `json:"refs"`
	Cycle []int64    `json:"cycle"`
	Cases []jsonCase `json:"cases"`
	Case  int        `json:"case"`
	WG    int64      `json:"wg"`
	Cap   *int       `json:"cap"`
	Name  string     `json:"name"`
	Label string     `json:"label"`
	On    string     `json:"on"`
	Op    string     `json:"op"`
	Rule  string     `json:"rule"`
	Msg   string     `json:"msg"`
	Panic string     `json:"panic"`
	At    string     `json:"at"`
	Mut   bool       `json:"mut"`
	Close bool       `json:"closed"`
	Abort bool       `json:"aborted"`
	Conf  string     `json:"conf"`
	CapU  bool       `json:"cap_unknown"`
}

// jsonCase is a select case as JSON.
type jsonCase struct {
	Dir *string `json:"dir"`
	Ch  int64   `json:"ch"`
	V   int64   `json:"v"`
}

// Next returns the next event, or io.EOF after the last one.
func (r *Reader) Next() (Event, error) {
	line, err := r.readLine()
	if err != nil {
		return Event{}, err
	}
	raw := &r.fast.raw
	if !r.fast.decode(line) {
		raw = new(rawEvent)
		if err := json.Unmarshal(line, raw); err != nil {
			return Event{}, fmt.Errorf("line %d: %v", r.line, jsonProblem(err))
		}
	}
	e, err := raw.event(r.header.Version)
	if err != nil {
		return Event{}, fmt.Errorf("line %d: %v", r.line, err)
	}
	if e.Seq != r.lastSeq+1 {
		return Event{}, fmt.Errorf("line %d: field seq: want %d after %d, got %d", r.line, r.lastSeq+1, r.lastSeq, e.Seq)
	}
	if e.T < r.lastT {
		return Event{}, fmt.Errorf("line %d: field t: %d goes back in time (previous event at %d)", r.line, e.T, r.lastT)
	}
	r.lastSeq, r.lastT = e.Seq, e.T
	return e, nil
}

func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			return fmt.Sprintf("field %s: %s is not a valid %s", te.Field, te.Value, te.Type)
		}
		return fmt.Sprintf("a JSON %s where an object was expected", te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("not valid JSON at byte %d: %v", se.Offset, err)
	}
	return err.Error()
}

// event checks raw as a line of a trace of the given format version.
func (raw *rawEvent) event(version int) (Event, error) {
	switch {
	case raw.Seq == nil:
		return Event{}, errors.New("field seq: missing")
	case raw.T == nil:
		return Event{}, errors.New("field t: missing")
	case raw.Kind == nil:
		return Event{}, errors.New("field kind: missing")
	case raw.G == nil:
		return Event{}, errors.New("field g: missing")
	}
	k := ParseKind(*raw.Kind)
	if k == KindBad {
		return Event{}, fmt.Errorf("field kind: unknown kind %q", *raw.Kind)
	}
	if k >= KindSkip && version < 2 {
		return Event{}, fmt.Errorf("field kind: %s events need format version 2, the header says %d", k, version)
	}
	if *raw.T < 0 {
		return Event{}, fmt.Errorf("field t: negative time %d", *raw.T)
	}
	e := Event{
		Seq: *raw.Seq, T: Time(*raw.T), Kind: k, G: GoID(*raw.G),
		Child: GoID(raw.Child), Ch: ChanID(raw.Ch), V: ValueID(raw.V), Mu: MutexID(raw.Mu),
		Scope: ScopeID(raw.Scope), Ref: RefID(raw.Ref),
		Name: raw.Name, Label: raw.Label, On: raw.On, Op: raw.Op, Rule: raw.Rule, Msg: raw.Msg,
		Panic: raw.Panic, At: raw.At, Mut: raw.Mut, Close: raw.Close, Abort: raw.Abort,
		Conf: raw.Conf, CapUnknown: raw.CapU, Case: raw.Case, WG: WaitGroupID(raw.WG),
	}
	for _, v := range raw.Vs {
		e.Vs = append(e.Vs, ValueID(v))
	}
	for _, v := range raw.Refs {
		e.Refs = append(e.Refs, RefID(v))
	}
	for _, v := range raw.Cycle {
		e.Cycle = append(e.Cycle, GoID(v))
	}
	for i, c := range raw.Cases {
		if c.Dir == nil || (*c.Dir != DirSend && *c.Dir != DirRecv && *c.Dir != DirDone) {
			return Event{}, fmt.Errorf("field cases: case %d: dir must be %q, %q or %q", i+1, DirSend, DirRecv, DirDone)
		}
		if c.Ch < 0 || c.V < 0 || (c.V != 0 && *c.Dir != DirSend) || (c.Ch != 0 && *c.Dir == DirDone) {
			return Event{}, fmt.Errorf("field cases: case %d: a negative id, a value on a receive, or a channel on a done case", i+1)
		}
		e.Cases = append(e.Cases, SelectCase{Dir: *c.Dir, Ch: ChanID(c.Ch), V: ValueID(c.V)})
	}
	if raw.Cap != nil {
		e.Cap = *raw.Cap
	}
	switch e.Conf {
	case "", ConfExact, ConfSlot, ConfAmbiguous:
	case ConfInferred:
		if version < 2 {
			return Event{}, fmt.Errorf("field conf: %q needs format version 2", e.Conf)
		}
	default:
		return Event{}, fmt.Errorf("field conf: want exact, slot, ambiguous or inferred, got %q", e.Conf)
	}
	if version < 2 && (len(e.Cases) > 0 || e.Case != 0 || e.WG != 0) {
		return Event{}, errors.New("fields cases, case and wg need format version 2")
	}
	if e.Case < 0 || (e.Case > 0 && k != KindSend && k != KindRecv) {
		return Event{}, fmt.Errorf("field case: %d on a %s event (a positive case number, on a send or recv)", e.Case, k)
	}
	if e.G <= 0 {
		return Event{}, fmt.Errorf("field g: goroutine id must be positive, got %d", e.G)
	}
	need := func(field string, ok bool) error {
		if ok {
			return nil
		}
		return fmt.Errorf("field %s: missing or zero in a %s event", field, k)
	}
	var err error
	switch k {
	case KindGo:
		err = errors.Join(need("child", e.Child > 0))
	case KindJoin:
		err = need("child", e.Child > 0)
	case KindChan:
		err = errors.Join(need("ch", e.Ch > 0), need("cap", raw.Cap != nil))
	case KindMake, KindUse, KindDrop:
		err = need("v", e.V > 0)
	case KindSend:
		err = errors.Join(need("ch", e.Ch > 0), need("v", e.V > 0))
	case KindRecv:
		// A select's done case that ran is a receive with no channel.
		err = errors.Join(need("ch", e.Ch > 0 || e.Close && e.Case > 0), need("v", e.V > 0 || e.Close))
	case KindClose:
		err = need("ch", e.Ch > 0)
	case KindBlock:
		if version < 2 && (e.On == OnSelect || e.On == OnRLock || e.On == OnWait || e.On == OnCond) {
			err = fmt.Errorf("field on: %q needs format version 2", e.On)
			break
		}
		switch e.On {
		case OnSend, OnRecv:
			err = need("ch", e.Ch > 0)
		case OnLock, OnRLock:
			// A Go execution trace shows a goroutine waiting for a lock,
			// not which: an inferred wait may leave the mutex out.
			err = need("mu", e.Mu > 0 || e.Conf != "")
		case OnJoin:
			err = need("child", e.Child > 0)
		case OnSelect:
			err = need("cases", len(e.Cases) > 0)
		case OnWait:
			err = need("wg", e.WG > 0 || e.Conf != "")
		case OnCond:
		default:
			err = fmt.Errorf("field on: want send, recv, select, lock, rlock, wait, cond or join, got %q", e.On)
		}
	case KindBorrow, KindRelease:
		err = errors.Join(need("v", e.V > 0), need("ref", e.Ref > 0))
	case KindMutex, KindLock, KindUnlock:
		err = need("mu", e.Mu > 0)
	case KindScope, KindScopeEnd:
		err = need("scope", e.Scope > 0)
	case KindViolation:
		err = need("rule", e.Rule != "")
	case KindDiscard:
		err = errors.Join(need("ch", e.Ch > 0), need("v", e.V > 0))
	case KindSkip:
		err = need("cases", len(e.Cases) > 0)
	}
	if err != nil {
		return Event{}, err
	}
	return e, nil
}

// Events returns the rest of the trace as an iterator. Each step yields an
// event and a nil error; a malformed line yields the zero Event and its
// error, and ends the iteration. The end of the input ends it without an
// error. Events does not hold what it has yielded: a caller keeps what it
// needs.
//
//	for e, err := range rd.Events() {
//		if err != nil {
//			return err
//		}
//		...
//	}
func (r *Reader) Events() iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for {
			e, err := r.Next()
			if err == io.EOF {
				return
			}
			if !yield(e, err) || err != nil {
				return
			}
		}
	}
}

// ReadTrace reads a whole trace. On a malformed line it returns the events
// before it together with the error.
func ReadTrace(r io.Reader) (Header, []Event, error) {
	rd, err := NewReader(r)
	if err != nil {
		return Header{}, nil, err
	}
	var evs []Event
	for {
		e, err := rd.Next()
		if err == io.EOF {
			return rd.header, evs, nil
		}
		if err != nil {
			return rd.header, evs, err
		}
		evs = append(evs, e)
	}
}

// WriteTrace writes a whole trace.
func WriteTrace(w io.Writer, h Header, evs []Event) error {
	tw, err := NewWriter(w, h)
	if err != nil {
		return err
	}
	for i := range evs {
		if err := tw.Write(&evs[i]); err != nil {
			return err
		}
	}
	return tw.Flush()
}
