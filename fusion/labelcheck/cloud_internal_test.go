package labelcheck

import (
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/fusion/fused"
)

// TestCloudScratch: a cloud indexed with buffers that held a larger and a
// smaller cloud before (points marked covered, azimuth index built) is the
// cloud indexed with new buffers: same grid, covered flags, field-of-view
// tops and azimuth index.
func TestCloudScratch(t *testing.T) {
	ring := func(n int, r, z float64, t0 int64) *fused.Cloud {
		var P formats.Points
		for i := range n {
			a := 2 * math.Pi * float64(i) / float64(n)
			rr := r * (1 + 0.3*math.Sin(5*a))
			P.X = append(P.X, float32(rr*math.Cos(a)))
			P.Y = append(P.Y, float32(rr*math.Sin(a)))
			P.Z = append(P.Z, float32(z+math.Cos(3*a)))
			P.TimeOffset = append(P.TimeOffset, t0+int64(i)*1000)
		}
		if n > 3 {
			P.X[3] = float32(math.NaN()) // off the grid
		}
		return &fused.Cloud{Points: P}
	}
	o := r3.Vec{Z: 1.9}
	var sc cloudScratch
	for _, tc := range []struct {
		name string
		c    *fused.Cloud
	}{
		{"large", ring(5000, 20, 1.5, 0)},
		{"small", ring(700, 8, 1.0, 5)},
		{"none", nil},
		{"medium", ring(2500, 35, 2.2, 9)},
		{"medium again", ring(2500, 12, 0.5, 3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := newCloud(tc.c, o, 0, &sc)
			want := newCloud(tc.c, o, 0, nil)
			got.azimuthIndex()
			want.azimuthIndex()
			same := slices.Equal(got.start, want.start) && slices.Equal(got.idx, want.idx) &&
				slices.Equal(got.covered, want.covered) && slices.Equal(got.t, want.t) &&
				slices.Equal(got.topSlope, want.topSlope) && got.maxSlope == want.maxSlope && got.azRes == want.azRes &&
				slices.Equal(got.azStart, want.azStart) && slices.Equal(got.azIdx, want.azIdx)
			if !same {
				t.Fatalf("cloud indexed in reused buffers differs from a fresh one")
			}
			// Dirty the buffers as a frame's check does.
			for i := range got.covered {
				got.covered[i] = i%3 == 0
			}
		})
	}
}
