package exectrace

import (
	"testing"

	"github.com/handoff-viz/handoff/tracer"
)

// validate runs the model's own checks on imported events.
func validate(t *testing.T, evs []tracer.Event) {
	t.Helper()
	if err := tracer.Validate(evs); err != nil {
		t.Errorf("tracer.Validate: %v", err)
	}
}
