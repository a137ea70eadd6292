package viz

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/handoff-viz/handoff/tracer"
)

// graphHead writes the opening of a view laid out by dot.
func graphHead(d *dotWriter, name string, o *Options, rankdir string) {
	th, fs := o.theme(), o.fontSize()
	d.printf("digraph %s {\n", name)
	g := attrs{"layout=dot", "nodesep=0.4", "ranksep=0.6", "pad=0.25"}.add("rankdir", rankdir).
		add("bgcolor", th.bg).add("fontname", "Helvetica").num("fontsize", fs*1.4).add("fontcolor", th.fg)
	if o.Title != "" {
		g = g.add("label", text(o.Title)).add("labelloc", "t").add("labeljust", "l")
	}
	if s := sizeAttr(o); s != "" {
		g = g.add("size", s)
	}
	d.printf("\tgraph%s;\n", g)
	d.printf("\tnode%s;\n", attrs{"style=filled", "penwidth=1.4"}.add("fontname", "Helvetica").num("fontsize", fs).
		add("fontcolor", th.fg).add("color", th.fg).add("fillcolor", th.laneFill))
	d.printf("\tedge%s;\n", attrs{"arrowsize=0.8", "penwidth=1.4"}.add("fontname", "Helvetica").num("fontsize", fs*0.85).
		add("color", th.fg).add("fontcolor", th.fg))
}

// writeGraph writes who talks to whom: goroutines and channels as nodes,
// edges weighted by how many values moved, spawns, and mutexes with their
// users. Goroutines that broke a rule are outlined in red.
func writeGraph(d *dotWriter, tl *tracer.Timeline, o *Options) error {
	th := o.theme()
	lo, hi, err := window(tl, o)
	if err != nil {
		return err
	}
	var keepG map[tracer.GoID]bool
	var keepC map[tracer.ChanID]bool
	if o.Focus != "" {
		if keepG, keepC, err = focusSet(tl, o.Focus); err != nil {
			return err
		}
	}
	okG := func(id tracer.GoID) bool { return id != 0 && (keepG == nil || keepG[id]) }
	okC := func(id tracer.ChanID) bool { return id != 0 && (keepC == nil || keepC[id]) }

	type key struct {
		g  tracer.GoID
		ch tracer.ChanID
		mu tracer.MutexID
	}
	sends, recvs, locks := map[key]int{}, map[key]int{}, map[key]int{}
	spawns := map[[2]tracer.GoID][]tracer.ValueID{}
	var spawnOrder [][2]tracer.GoID
	usedG, usedC, usedM := map[tracer.GoID]bool{}, map[tracer.ChanID]bool{}, map[tracer.MutexID]bool{}
	bad := map[tracer.GoID]string{}
	for i := lo; i < hi; i++ {
		e := &tl.Events[i]
		if okG(e.G) {
			usedG[e.G] = true
		}
		switch e.Kind {
		case tracer.KindSend:
			if okG(e.G) && okC(e.Ch) {
				sends[key{g: e.G, ch: e.Ch}]++
				usedC[e.Ch] = true
			}
		case tracer.KindRecv:
			if okG(e.G) && okC(e.Ch) && !e.Close {
				recvs[key{g: e.G, ch: e.Ch}]++
				usedC[e.Ch] = true
			}
		case tracer.KindChan:
			if okC(e.Ch) {
				usedC[e.Ch] = true
			}
		case tracer.KindGo:
			if okG(e.G) && okG(e.Child) {
				k := [2]tracer.GoID{e.G, e.Child}
				if _, ok := spawns[k]; !ok {
					spawnOrder = append(spawnOrder, k)
				}
				spawns[k] = append(spawns[k], e.Vs...)
				usedG[e.Child] = true
			}
		case tracer.KindLock:
			if okG(e.G) {
				locks[key{g: e.G, mu: e.Mu}]++
				usedM[e.Mu] = true
			}
		case tracer.KindViolation:
			for _, id := range append([]tracer.GoID{e.G}, e.Cycle...) {
				if okG(id) && bad[id] == "" {
					bad[id] = e.Rule
				}
			}
		}
	}
	graphHead(d, "graph_view", o, "LR")
	for _, g := range tl.Goroutines {
		if !usedG[g.ID] {
			continue
		}
		a := attrs{"shape=ellipse"}.add("label", fmt.Sprintf(`%s\ng%d`, text(goName(g)), g.ID))
		if r := bad[g.ID]; r != "" {
			a = a.add("color", th.bad).add("fontcolor", th.bad).add("penwidth", "3").add("tooltip", "broke "+r)
		}
		d.printf("\tg%d%s;\n", g.ID, a)
	}
	for _, c := range tl.Channels {
		if !usedC[c.ID] {
			continue
		}
		d.printf("\tch%d%s;\n", c.ID, attrs{"shape=box", "style=\"filled,rounded\""}.
			add("label", fmt.Sprintf(`%s\n%s`, text(chanName(c)), capText(c.Cap))).
			add("color", th.chanLane).add("fillcolor", th.chanFill).add("fontcolor", th.chanLane))
	}
	for _, m := range tl.Mutexes {
		if !usedM[m.ID] {
			continue
		}
		name := m.Name
		if name == "" {
			name = fmt.Sprintf("mu%d", m.ID)
		}
		d.printf("\tmu%d%s;\n", m.ID, attrs{"shape=diamond"}.add("label", text(name)).add("color", th.lock).add("fillcolor", th.bg))
	}
	weight := func(n int) float64 { return math.Round((1.2+math.Log2(float64(n)))*10) / 10 }
	type row struct {
		k key
		n int
	}
	sorted := func(m map[key]int) []row {
		var rs []row
		for k, n := range m {
			rs = append(rs, row{k, n})
		}
		slices.SortFunc(rs, func(a, b row) int {
			if c := cmp.Compare(a.k.g, b.k.g); c != 0 {
				return c
			}
			if c := cmp.Compare(a.k.ch, b.k.ch); c != 0 {
				return c
			}
			return cmp.Compare(a.k.mu, b.k.mu)
		})
		return rs
	}
	plural := func(n int) string {
		if n == 1 {
			return "1 value"
		}
		return fmt.Sprintf("%d values", n)
	}
	for _, r := range sorted(sends) {
		d.printf("\tg%d -> ch%d%s;\n", r.k.g, r.k.ch, attrs{}.add("label", plural(r.n)).num("penwidth", weight(r.n)).add("color", th.send).add("fontcolor", th.send))
	}
	for _, r := range sorted(recvs) {
		d.printf("\tch%d -> g%d%s;\n", r.k.ch, r.k.g, attrs{"arrowhead=empty"}.num("arrowsize", max(1, weight(r.n)/2)).add("label", plural(r.n)).num("penwidth", weight(r.n)).add("color", th.recv).add("fontcolor", th.recv))
	}
	for _, k := range spawnOrder {
		lbl := "go"
		if vs := spawns[k]; len(vs) > 0 {
			lbl = "go, moves " + plural(len(vs))
		}
		d.printf("\tg%d -> g%d%s;\n", k[0], k[1], attrs{"style=dashed"}.add("label", lbl).add("color", th.spawn))
	}
	for _, r := range sorted(locks) {
		d.printf("\tg%d -> mu%d%s;\n", r.k.g, r.k.mu, attrs{"dir=none", "style=dotted"}.add("label", fmt.Sprintf("locked %d times", r.n)).
			num("penwidth", weight(r.n)).add("color", th.lock))
	}
	d.line("}")
	return d.err
}
