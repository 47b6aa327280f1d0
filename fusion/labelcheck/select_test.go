package labelcheck_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rigsync/rigsync/fusion/labelcheck"
)

// TestPartialSorts checks the partial sorts that replace full sorts in the
// box fit against slices.Sort: the k lowest and highest values in order,
// and the i-th value, on random coordinates with and without ties.
func TestPartialSorts(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 1))
	for _, tc := range []struct {
		name   string
		n      int
		levels int // 0: continuous values; else that many distinct values
	}{
		{"three", 3, 0}, {"twelve", 12, 0}, {"thirteen", 13, 0}, {"twenty-four", 24, 0},
		{"hundreds", 700, 0}, {"ties", 500, 5}, {"all-equal", 40, 1}, {"sorted", 300, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for trial := range 50 {
				c := make([]float64, tc.n)
				for i := range c {
					switch {
					case tc.levels > 0:
						c[i] = float64(rng.IntN(tc.levels)) * 0.1
					case tc.levels < 0:
						c[i] = float64(i) * 0.01
					default:
						c[i] = rng.NormFloat64() * 3
					}
				}
				sorted := slices.Sorted(slices.Values(c))
				orig := slices.Clone(c)
				k := min(len(c), 12)
				if got, want := labelcheck.Lowest(c, k, nil), sorted[:k]; !slices.Equal(got, want) {
					t.Fatalf("trial %d: Lowest = %v, want %v", trial, got, want)
				}
				buf := make([]float64, 0, 2)
				if got, want := labelcheck.Highest(c, k, buf), sorted[len(c)-k:]; !slices.Equal(got, want) {
					t.Fatalf("trial %d: Highest = %v, want %v", trial, got, want)
				}
				if !slices.Equal(c, orig) {
					t.Fatalf("trial %d: Lowest/Highest changed their input", trial)
				}
				for _, i := range []int{0, len(c) / 2, len(c) - 1, rng.IntN(len(c))} {
					if got := labelcheck.Nth(slices.Clone(c), i); got != sorted[i] {
						t.Fatalf("trial %d: Nth(%d) = %v, want %v", trial, i, got, sorted[i])
					}
				}
			}
		})
	}
}
