package tracer

import (
	"fmt"
	"strings"
)

// waitForCycle explains a deadlock among the blocked goroutines gs: it
// follows who waits for whom (a lock to its holder, a join to the child)
// and returns the first cycle it finds, with a sentence per step. Waits on
// channels name no peer: when there is no cycle through locks and joins,
// every blocked goroutine is listed with what it waits on.
// t.mu is held.
func (t *Tracer) waitForCycle(gs []*G) ([]GoID, string) {
	sortGs(gs)
	byID := map[GoID]*G{}
	for _, g := range gs {
		byID[g.id] = g
	}
	next := func(g *G) (GoID, string) {
		w := g.wait.Load()
		obj := int64(w & waitObjMask)
		name := t.names[obj]
		switch uint8(w & waitKindMask >> 32) {
		case onLock:
			if m := t.mutexes[obj]; m != nil {
				h := GoID(m.holder.Load())
				return h, fmt.Sprintf("g%d %q waits for lock %q held by g%d%s", g.id, g.name, m.name, h, nameOf(byID, h))
			}
		case onJoin:
			c := GoID(obj)
			return c, fmt.Sprintf("g%d %q waits to join g%d%s", g.id, g.name, c, nameOf(byID, c))
		case onSend:
			return 0, fmt.Sprintf("g%d %q waits to send on channel %q, and no goroutine will receive", g.id, g.name, name)
		case onRecv:
			return 0, fmt.Sprintf("g%d %q waits to receive on channel %q, and no goroutine will send", g.id, g.name, name)
		case onSelect:
			return 0, fmt.Sprintf("g%d %q waits in a select, and none of its cases will be ready", g.id, g.name)
		}
		return 0, fmt.Sprintf("g%d %q is blocked", g.id, g.name)
	}
	for _, start := range gs {
		seen := map[GoID]int{}
		var path []GoID
		var steps []string
		for g := start; g != nil; {
			if i, ok := seen[g.id]; ok {
				return path[i:], strings.Join(steps[i:], "; ")
			}
			seen[g.id] = len(path)
			path = append(path, g.id)
			to, step := next(g)
			steps = append(steps, step)
			g = byID[to]
		}
	}
	var all []GoID
	var steps []string
	for _, g := range gs {
		all = append(all, g.id)
		_, step := next(g)
		steps = append(steps, step)
	}
	return all, strings.Join(steps, "; ")
}

func nameOf(byID map[GoID]*G, id GoID) string {
	if g := byID[id]; g != nil {
		return fmt.Sprintf(" %q", g.name)
	}
	return ""
}
