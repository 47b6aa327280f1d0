package kdtree

import (
	"math/rand/v2"
	"sort"
	"testing"

	"gonum.org/v1/gonum/spatial/r3"
)

func randPts(rng *rand.Rand, n int) []r3.Vec {
	p := make([]r3.Vec, n)
	for i := range p {
		p[i] = r3.Vec{X: rng.NormFloat64() * 10, Y: rng.NormFloat64() * 10, Z: rng.NormFloat64()}
	}
	return p
}

// TestAgainstBruteForce checks Nearest and KNearest against exhaustive
// search, including duplicate points and radius limits.
func TestAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 7, 1000} {
		pts := randPts(rng, n)
		if n > 10 {
			pts = append(pts, pts[:10]...) // duplicates
		}
		tr := New(pts)
		for q := 0; q < 200; q++ {
			qp := r3.Vec{X: rng.NormFloat64() * 12, Y: rng.NormFloat64() * 12, Z: rng.NormFloat64()}
			d := make([]Neighbor, len(pts))
			for i, p := range pts {
				d[i] = Neighbor{i, r3.Norm2(r3.Sub(p, qp))}
			}
			sort.Slice(d, func(i, j int) bool { return d[i].Dist2 < d[j].Dist2 })
			i, d2 := tr.Nearest(qp, 1e300)
			if len(pts) == 0 {
				if i != -1 {
					t.Fatal("empty tree returned a point")
				}
				continue
			}
			if d2 != d[0].Dist2 {
				t.Fatalf("n=%d nearest d2 %g, want %g", n, d2, d[0].Dist2)
			}
			k := 8
			got := tr.KNearest(nil, qp, k, 1e300)
			want := d[:min(k, len(d))]
			if len(got) != len(want) {
				t.Fatalf("n=%d knn len %d want %d", n, len(got), len(want))
			}
			for j := range got {
				if got[j].Dist2 != want[j].Dist2 {
					t.Fatalf("n=%d knn[%d] %g want %g", n, j, got[j].Dist2, want[j].Dist2)
				}
			}
			// Radius-limited.
			r2 := d[0].Dist2 * 0.99
			if i, _ := tr.Nearest(qp, r2); i != -1 {
				t.Fatal("found a point beyond the radius")
			}
		}
	}
}

func BenchmarkNearest(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	pts := randPts(rng, 100000)
	tr := New(pts)
	qs := randPts(rng, 1000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tr.Nearest(qs[i%len(qs)], 1e300)
	}
}
