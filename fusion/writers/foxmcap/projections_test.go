package foxmcap

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rigsync/rigsync/formats/foxglove"
	"github.com/rigsync/rigsync/fusion/fused"
)

// projectionsViaFoxglove is appendProjections as it was first written: the
// points gathered per depth bin, then encoded by foxglove's generic
// ImageAnnotations encoder. It is the reference the in-place encoder must
// match byte for byte.
func projectionsViaFoxglove(b []byte, c *fused.Camera) []byte {
	var bins [DepthColorBins][]foxglove.Point2
	for _, p := range c.Projected {
		if finite(p.U) && finite(p.V) {
			k := depthBin(p.Depth)
			bins[k] = append(bins[k], foxglove.Point2{X: float64(p.U) + 0.5, Y: float64(p.V) + 0.5})
		}
	}
	a := &foxglove.ImageAnnotations{}
	for k, pts := range bins {
		if len(pts) > 0 {
			a.Points = append(a.Points, foxglove.PointsAnnotation{Stamp: max(c.Stamp, 0), Type: foxglove.PointsPoints,
				Points: pts, OutlineColor: binColor(k), Thickness: 2})
		}
	}
	return foxglove.AppendImageAnnotations(b, a)
}

// TestAppendProjectionsSameAsFoxglove: the in-place encoder writes what
// foxglove.AppendImageAnnotations writes for the same bins, for stamps
// with and without whole seconds or nanoseconds, pixels at -0.5 (a +0
// coordinate, left out of the message), non-finite pixels and depths,
// depths past the colour ramp, empty and single-bin cameras, and never
// more than projectionsSize, in a buffer full of old bytes.
func TestAppendProjectionsSameAsFoxglove(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	special := []float32{-0.5, 0, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 1e9, -3}
	cases := []struct {
		name  string
		stamp int64
		n     int
		mix   bool // special values among the points
		depth float32
	}{
		{"empty", 1_700_000_000_123_456_789, 0, false, 0},
		{"one bin", 1_700_000_000_000_000_000, 50, false, 10},
		{"random", 1_700_000_000_123_456_789, 5000, false, -1},
		{"specials", 999_999_999, 3000, true, -1},
		{"stamp zero", 0, 100, true, -1},
		{"negative stamp", -5, 100, false, -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &fused.Camera{Stamp: tc.stamp}
			for range tc.n {
				p := fused.Projection{U: r.Float32() * 1920, V: r.Float32() * 1080, Depth: tc.depth}
				if tc.depth < 0 {
					p.Depth = r.Float32() * 70
				}
				if tc.mix {
					switch r.IntN(6) {
					case 0:
						p.U = special[r.IntN(len(special))]
					case 1:
						p.V = special[r.IntN(len(special))]
					case 2:
						p.Depth = special[r.IntN(len(special))]
					}
				}
				c.Projected = append(c.Projected, p)
			}
			prefix := []byte("prefix")
			want := projectionsViaFoxglove(bytes.Clone(prefix), c)
			// A recycled buffer: its spare room holds old bytes, which the
			// encoder must overwrite, not assume cleared.
			buf := bytes.Repeat([]byte{0xaa}, len(prefix)+projectionsSize(c))
			got := appendProjections(append(buf[:0], prefix...), c)
			if !bytes.Equal(got, want) {
				t.Fatalf("%d bytes, foxglove's encoder %d", len(got), len(want))
			}
			if n := len(got) - len(prefix); n > projectionsSize(c) {
				t.Errorf("%d bytes, above projectionsSize %d", n, projectionsSize(c))
			}
		})
	}
}

// BenchmarkAppendProjections encodes one camera's projections of a 131072-
// point sweep (about a sixth of the points) in place and, for comparison,
// through foxglove's generic encoder.
func BenchmarkAppendProjections(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	c := &fused.Camera{Stamp: 1_700_000_000_123_456_789}
	for range 131072 / 6 {
		c.Projected = append(c.Projected, fused.Projection{U: r.Float32() * 1920, V: r.Float32() * 1080, Depth: r.Float32() * 70})
	}
	for _, enc := range []struct {
		name string
		f    func([]byte, *fused.Camera) []byte
	}{{"inplace", appendProjections}, {"foxglove", projectionsViaFoxglove}} {
		b.Run(enc.name, func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, projectionsSize(c))
			for b.Loop() {
				buf = enc.f(buf[:0], c)
			}
			b.SetBytes(int64(len(buf)))
		})
	}
}
