package inspect

import (
	"math"
	"slices"
)

// reservoirSize bounds the samples kept per channel for percentiles, so
// memory does not grow with the length of the log.
const reservoirSize = 1 << 16

// reservoir keeps a uniform sample of a stream (Vitter's algorithm R) with a
// deterministic generator, so reports are reproducible.
type reservoir struct {
	vals []float64
	seen int64
	rng  uint64
}

func (r *reservoir) add(v float64) {
	r.seen++
	if len(r.vals) < reservoirSize {
		r.vals = append(r.vals, v)
		return
	}
	// xorshift64*: deterministic, seeded by the first call.
	if r.rng == 0 {
		r.rng = 0x9E3779B97F4A7C15
	}
	r.rng ^= r.rng >> 12
	r.rng ^= r.rng << 25
	r.rng ^= r.rng >> 27
	j := int64((r.rng * 2685821657736338717) % uint64(r.seen))
	if j < reservoirSize {
		r.vals[j] = v
	}
}

// quantiles returns the given quantiles (0..1) of the sample, NaN if empty.
func (r *reservoir) quantiles(qs ...float64) []float64 {
	out := make([]float64, len(qs))
	if len(r.vals) == 0 {
		for i := range out {
			out[i] = math.NaN()
		}
		return out
	}
	s := slices.Clone(r.vals)
	slices.Sort(s)
	for i, q := range qs {
		pos := q * float64(len(s)-1)
		lo := int(math.Floor(pos))
		hi := min(lo+1, len(s)-1)
		f := pos - float64(lo)
		out[i] = s[lo]*(1-f) + s[hi]*f
	}
	return out
}
