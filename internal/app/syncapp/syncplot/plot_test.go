package syncplot

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/rigsync/rigsync/internal/app/syncapp"
)

func TestPlots(t *testing.T) {
	rep := &syncapp.Report{Sets: 3, Spread: syncapp.Spread{P50: 2e6, P95: 3e6, Max: 3e6},
		Topics: []syncapp.TopicReport{
			{Topic: "/a", Gaps: []syncapp.Gap{{After: 200, Before: 500, Missing: 2}}},
			{Topic: "/b"},
		},
		Timelines: [][]int64{{0, 100, 200, 500, 600}, {10, 110, 210, 310, 410, 510, 610}},
		Spreads:   []int64{1e6, 2e6, 3e6},
	}
	dir := t.TempDir()
	for name, f := range map[string]func(*syncapp.Report, string) error{"timeline.png": Timeline, "residuals.png": Histogram} {
		p := filepath.Join(dir, name)
		if err := f(rep, p); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r := img.Bounds(); r.Dx() < 300 || r.Dy() < 150 {
			t.Errorf("%s: %v pixels", name, r)
		}
	}
	if err := Histogram(&syncapp.Report{}, filepath.Join(dir, "x.png")); err == nil {
		t.Error("empty report plotted")
	}
}
