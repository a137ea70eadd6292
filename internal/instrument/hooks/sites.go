package hooks

// KindSite records carry the site table of a binary built by handoff
// build, so that its record file reads on its own: Label is a piece of
// the table (JSON), Aux its number from 0, Ident how many pieces there
// are.
const KindSite RecordKind = 20

// Sites writes the site table into the records. handoff build's generated
// init of the main package calls it, before main runs.
func Sites(table string) {
	r := rec
	if r == nil {
		return
	}
	g := r.goid()
	n := (len(table) + labelSize - 1) / labelSize
	for i := 0; i < n; i++ {
		end := (i + 1) * labelSize
		if end > len(table) {
			end = len(table)
		}
		r.put(KindSite, 0, 0, g, 0, uint64(n), uint64(i), []byte(table[i*labelSize:end]))
	}
}
