package viz

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/handoff-viz/handoff/tracer"
)

var (
	dotEdgeRE = regexp.MustCompile(`(?m)^\t(p\d+) -> (p\d+) \[(.*)\];$`)
	tooltipRE = regexp.MustCompile(`tooltip="#\d+ ([a-z-]+)`)
)

// edgeLook is what an edge looks like without its colour: its attributes
// less color, fontcolor, tooltip and label, sorted.
func edgeLook(attrList string) string {
	var keep []string
	for _, a := range strings.Split(attrList, ", ") {
		k, _, _ := strings.Cut(a, "=")
		switch k {
		case "color", "fontcolor", "tooltip", "label":
			continue
		}
		keep = append(keep, a)
	}
	slices.Sort(keep)
	return strings.Join(keep, " ")
}

// TestPrintTellsArrowsApart: in every theme, and so in print (black on
// white), a send, a receive, a close and a go look different without their
// colours, in the picture and in the legend.
func TestPrintTellsArrowsApart(t *testing.T) {
	tl := tracer.BuildTimeline(synth(60, false))
	for _, theme := range Themes {
		dot := string(dotOf(t, tl, Options{Theme: theme}))
		looks := map[string]map[string]bool{} // kind of event -> looks
		var legend []string                   // looks of the legend's arrows
		for _, m := range dotEdgeRE.FindAllStringSubmatch(dot, -1) {
			a := m[3]
			if strings.Contains(a, "dir=none") {
				continue // lines, not arrows
			}
			tip := tooltipRE.FindStringSubmatch(a)
			if tip == nil {
				legend = append(legend, edgeLook(a))
				continue
			}
			kind := tip[1]
			if kind == "recv" && strings.Contains(a, `style="dashed"`) {
				kind = "recv closed"
			}
			if looks[kind] == nil {
				looks[kind] = map[string]bool{}
			}
			looks[kind][edgeLook(a)] = true
		}
		for _, k := range []string{"send", "recv", "close", "go"} {
			if len(looks[k]) == 0 {
				t.Fatalf("%s: no %s arrow in the DOT", theme, k)
			}
		}
		for look := range looks["send"] {
			if looks["recv"][look] {
				t.Errorf("%s: a send and a receive both look like [%s] without colour", theme, look)
			}
			if looks["go"][look] {
				t.Errorf("%s: a send and a go both look like [%s] without colour", theme, look)
			}
		}
		for look := range looks["recv"] {
			if looks["close"][look] {
				t.Errorf("%s: a receive and a close both look like [%s] without colour", theme, look)
			}
		}
		// The legend: send, receive, close, go/join, each different.
		if len(legend) != 4 {
			t.Errorf("%s: legend has %d arrows, want 4 (send, receive, close, go / join): %q", theme, len(legend), legend)
		}
		seen := map[string]bool{}
		for _, l := range legend {
			if seen[l] {
				t.Errorf("%s: two legend arrows look like [%s] without colour", theme, l)
			}
			seen[l] = true
		}
		for k, l := range map[string]string{"send": first(looks["send"]), "receive": first(looks["recv"])} {
			if !seen[l] {
				t.Errorf("%s: the legend has no arrow that looks like a %s [%s]; it has %q", theme, k, l, legend)
			}
		}
	}
	// Graphviz draws a receive's hollow arrowhead unfilled.
	svg := string(renderBytes(t, tl, FormatSVG, Options{Theme: "print"}))
	if !strings.Contains(svg, `<polygon fill="none" stroke="#000000"`) {
		t.Errorf("print SVG has no hollow arrowhead")
	}
}

func first(m map[string]bool) string {
	for k := range m {
		return k
	}
	return ""
}
