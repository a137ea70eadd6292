package exectrace

import (
	"testing"

	"github.com/handoff-viz/handoff/tracer"
)

func TestTmpRepro(t *testing.T) {
	for _, order := range [][]string{
		{"4 1 1 0 0 0 \"c\" \"\" \"\" \"\" \"\" 0 [] [] []", "1 1 2 0 0 0 \"p\" \"\" \"\" \"\" \"\" 0 [] [] []", "5 2 1 0 0 0 \"\" \"v\" \"\" \"\" \"\" 0 [] [] []", "9 2 1 0 0 1", "1 1 3 0 0 0 \"w\" \"\" \"\" \"\" \"\" 0 [] [] []", "7 3 1 1 8589934593 0", "13 3 1 0 0 0", "6 2 1 1 8589934593 0"},
		{"4 1 1 0 0 0 \"c\" \"\" \"\" \"\" \"\" 0 [] [] []", "1 1 2 0 0 0 \"p\" \"\" \"\" \"\" \"\" 0 [] [] []", "5 2 1 0 0 0 \"\" \"v\" \"\" \"\" \"\" 0 [] [] []", "9 2 1 0 0 1", "1 1 3 0 0 0 \"w\" \"\" \"\" \"\" \"\" 0 [] [] []", "6 2 1 1 8589934593 0", "7 3 1 1 8589934593 0", "13 3 1 0 0 0"},
	} {
		a := tracer.NewAnnotations()
		for i, l := range order {
			if err := a.Add(int64(i*10), int64(100+int(l[2]-'0')), l); err != nil {
				t.Fatal(err)
			}
		}
		evs := a.Events()
		for _, e := range evs {
			t.Logf("%v", &e)
		}
		if err := tracer.Validate(evs); err != nil {
			t.Errorf("%v", err)
		}
	}
}
