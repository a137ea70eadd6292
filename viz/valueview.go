package viz

import (
	"fmt"

	"github.com/handoff-viz/handoff/tracer"
)

// writeValue writes the life of one value: each owner in turn, left to
// right, with the step and call site of each change of hands, its borrows,
// and the rules broken about it in red.
func writeValue(d *dotWriter, tl *tracer.Timeline, o *Options) error {
	th := o.theme()
	v, err := findValue(tl, o.Value)
	if err != nil {
		return err
	}
	name := valueName(tl, v.ID)
	graphHead(d, "value_view", o, "LR")
	d.printf("\tvalue%s;\n", attrs{"shape=box", "style=\"filled,rounded\""}.add("label", fmt.Sprintf(`%s\nv%d`, text(name), v.ID)).
		add("fillcolor", th.tokenFill).add("color", th.token))
	seq := func(i int) uint64 {
		if i >= 0 && i < len(tl.Events) {
			return tl.Events[i].Seq
		}
		return 0
	}
	prev := "value"
	for k, s := range v.Owners {
		owner, a := "", attrs{}
		switch s.Owner.Kind {
		case tracer.OwnerGoroutine:
			owner = fmt.Sprintf("g%d", s.Owner.G)
			if g := tl.Goroutine(s.Owner.G); g != nil && g.Name != "" {
				owner = g.Name + " (" + owner + ")"
			}
			a = a.add("shape", "ellipse")
		case tracer.OwnerChannel:
			owner = fmt.Sprintf("ch%d", s.Owner.Ch)
			if c := tl.Channel(s.Owner.Ch); c != nil {
				owner = "in " + chanName(c) + " (" + owner + ")"
			}
			a = a.add("shape", "box").add("style", "filled,rounded").add("color", th.chanLane).add("fillcolor", th.chanFill)
		}
		until := "the end"
		if s.To < len(tl.Events) {
			until = fmt.Sprintf("step %d", seq(s.To))
		}
		node := fmt.Sprintf("o%d", k+1)
		d.printf("\t%s%s;\n", node, a.add("label", fmt.Sprintf(`%s\nsteps %d to %s`, text(owner), seq(s.From), until)))
		how := ""
		if s.From >= 0 && s.From < len(tl.Events) {
			how = tl.Events[s.From].Kind.String()
			if how == "go" {
				how = "moved by go"
			}
		}
		lbl := fmt.Sprintf("%s, step %d", how, seq(s.From))
		if s.At != "" {
			lbl += `\n` + text(s.At)
		}
		d.printf("\t%s -> %s%s;\n", prev, node, attrs{}.add("label", lbl))
		prev = node
	}
	// How it ended: dropped, or still owned.
	last := len(v.Owners) - 1
	if last >= 0 && v.Owners[last].To < len(tl.Events) {
		e := &tl.Events[v.Owners[last].To]
		lbl := fmt.Sprintf("%s, step %d", e.Kind, e.Seq)
		if e.At != "" {
			lbl += `\n` + text(e.At)
		}
		d.printf("\tgone%s;\n", attrs{"shape=plaintext", "style=\"\""}.add("label", "dropped"))
		d.printf("\t%s -> gone%s;\n", prev, attrs{"style=dashed"}.add("label", lbl))
	}
	for k, b := range v.Borrows {
		kind := "&"
		if b.Mut {
			kind = "&mut"
		}
		until := "the end"
		if b.To < len(tl.Events) {
			until = fmt.Sprintf("step %d", seq(b.To))
		}
		d.printf("\tb%d%s;\n", k+1, attrs{"shape=note"}.add("label", fmt.Sprintf(`%s borrowed by g%d\nsteps %d to %s`, kind, b.G, seq(b.From), until)).
			add("color", th.borrow).add("fillcolor", th.bg))
		d.printf("\tvalue -> b%d%s;\n", k+1, attrs{"style=dotted", "arrowhead=none"}.add("color", th.borrow))
	}
	n := 0
	for _, i := range tl.Violations {
		e := &tl.Events[i]
		if e.V != v.ID {
			continue
		}
		n++
		lbl := fmt.Sprintf(`%s, step %d\n%s`, e.Rule, e.Seq, text(truncate(e.Msg, 70)))
		if e.At != "" {
			lbl += `\n` + text(e.At)
		}
		d.printf("\tbad%d%s;\n", n, attrs{"shape=octagon", "penwidth=2.5"}.add("label", lbl).add("color", th.bad).add("fontcolor", th.bad).add("fillcolor", th.bg))
		d.printf("\tvalue -> bad%d%s;\n", n, attrs{"style=bold"}.add("color", th.bad))
	}
	d.line("}")
	return d.err
}
