package exectrace

import (
	"testing"

	"github.com/handoff-viz/handoff/tracer"
)

func validate(t *testing.T, evs []tracer.Event) { t.Helper() }
