package syncplot

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"slices"
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

// Write puts the timeline beside the prefix, and the residual histogram
// when there are sets; a failed write (no such folder) leaves no file.
func TestWrite(t *testing.T) {
	rep := func(sets int) *syncapp.Report {
		r := &syncapp.Report{Sets: sets, Topics: []syncapp.TopicReport{{Topic: "/a"}, {Topic: "/b"}},
			Timelines: [][]int64{{0, 100, 200}, {10, 110, 210}}}
		for range sets {
			r.Spreads = append(r.Spreads, 1e6)
		}
		return r
	}
	for _, tc := range []struct {
		name    string
		rep     *syncapp.Report
		sub     string // folder under the temporary one, which does not exist
		want    []string
		wantErr bool
	}{
		{name: "sets", rep: rep(3), want: []string{"p-residuals.png", "p-timeline.png"}},
		{name: "no sets", rep: rep(0), want: []string{"p-timeline.png"}},
		{name: "no folder", rep: rep(3), sub: "none", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, tc.sub)
			err := Write(filepath.Join(out, "p"), tc.rep)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Write: %v, want error %v", err, tc.wantErr)
			}
			var got []string
			filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					got = append(got, filepath.Base(p))
				}
				return nil
			})
			if !slices.Equal(got, tc.want) {
				t.Errorf("files %q, want %q", got, tc.want)
			}
		})
	}
}
