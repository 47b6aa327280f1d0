package clock

import (
	"fmt"
	"math"
)

// Series is a signal sampled at strictly increasing times T (ns), e.g. the
// angular rate magnitude of an IMU or the yaw rate of wheel odometry.
type Series struct {
	T []int64
	V []float64
}

// Lag is the result of CrossCorrelate.
type Lag struct {
	// Delay is how late b's stamps are relative to a's (ns): b(t+Delay)
	// matches a(t), so subtract Delay from b's stamps to align them.
	Delay int64
	// Sigma is the 1-σ uncertainty of Delay (ns), from the spread of the
	// delays found on separate blocks of the data.
	Sigma int64
	// Peak is the normalised correlation at the peak (1: identical shape,
	// −1: identical but of opposite sign).
	Peak float64
	// Blocks is the number of blocks Sigma comes from.
	Blocks int
}

// CrossCorrelate finds the delay of b against a: both are resampled on a
// grid of step ns over their common span, the means removed, and the
// normalised cross-correlation evaluated for delays within ±maxLag (the
// largest |correlation| wins, so a sign flip between the signals, e.g. an
// axis mounted upside down, does not matter); the
// peak is refined below one step by a parabola through its neighbours.
// The uncertainty comes from repeating that on 4 blocks. The signals need
// excitation (a rate that varies); with a flat signal it returns an error.
func CrossCorrelate(a, b Series, step, maxLag int64) (Lag, error) {
	if step <= 0 || maxLag < step {
		return Lag{}, fmt.Errorf("clock: xcorr: step %d ns and maxLag %d ns: need 0 < step ≤ maxLag", step, maxLag)
	}
	for _, s := range []Series{a, b} {
		if len(s.T) != len(s.V) || len(s.T) < 4 {
			return Lag{}, fmt.Errorf("clock: xcorr: %w: series of %d times and %d values (need ≥ 4)", ErrTooFewPoints, len(s.T), len(s.V))
		}
		for i := 1; i < len(s.T); i++ {
			if s.T[i] <= s.T[i-1] {
				return Lag{}, fmt.Errorf("clock: xcorr: times not increasing at sample %d", i)
			}
		}
	}
	lo := max(a.T[0], b.T[0]) + maxLag
	hi := min(a.T[len(a.T)-1], b.T[len(b.T)-1]) - maxLag
	n := (hi - lo) / step
	if n < 16 {
		return Lag{}, fmt.Errorf("clock: xcorr: %w: common span %d ns leaves %d grid points beyond ±maxLag", ErrTooFewPoints, hi-lo, max(n, 0))
	}
	if n > 1<<24 {
		return Lag{}, fmt.Errorf("clock: xcorr: %d grid points: choose a larger step", n)
	}
	L := maxLag / step
	// a on the grid; b on the grid extended by ±L.
	ga := resample(a, lo, step, int(n))
	gb := resample(b, lo-L*step, step, int(n+2*L))
	full, peak, err := xcorrPeak(ga, gb, int(L))
	if err != nil {
		return Lag{}, err
	}
	out := Lag{Delay: int64(math.Round(full * float64(step))), Peak: peak}
	// Uncertainty from blocks.
	const blocks = 4
	m := int(n) / blocks
	var ds []float64
	if m >= 16 {
		for k := 0; k < blocks; k++ {
			d, _, err := xcorrPeak(ga[k*m:(k+1)*m], gb[k*m:(k+1)*m+2*int(L)], int(L))
			if err == nil {
				ds = append(ds, d*float64(step))
			}
		}
	}
	if len(ds) >= 2 {
		var mean, v float64
		for _, d := range ds {
			mean += d
		}
		mean /= float64(len(ds))
		for _, d := range ds {
			v += (d - mean) * (d - mean)
		}
		v /= float64(len(ds) - 1)
		out.Sigma = int64(math.Ceil(math.Sqrt(v / float64(len(ds)))))
		out.Blocks = len(ds)
	}
	// Never claim better than the interpolation's resolution allows.
	out.Sigma = max(out.Sigma, step/20)
	return out, nil
}

// resample evaluates s by linear interpolation at t0 + i·step, i < n
// (clamped at the ends).
func resample(s Series, t0, step int64, n int) []float64 {
	out := make([]float64, n)
	j := 0
	for i := range out {
		t := t0 + int64(i)*step
		for j+1 < len(s.T)-1 && s.T[j+1] <= t {
			j++
		}
		switch {
		case t <= s.T[0]:
			out[i] = s.V[0]
		case t >= s.T[len(s.T)-1]:
			out[i] = s.V[len(s.V)-1]
		default:
			r := float64(t-s.T[j]) / float64(s.T[j+1]-s.T[j])
			out[i] = s.V[j] + r*(s.V[j+1]-s.V[j])
		}
	}
	return out
}

// xcorrPeak returns the sub-sample lag (in steps) maximising the normalised
// correlation of a[i] with b[i+L+lag], lag in [−L, L], and the peak value.
func xcorrPeak(a, b []float64, L int) (float64, float64, error) {
	n := len(a)
	ma := mean(a)
	var va float64
	for _, x := range a {
		va += (x - ma) * (x - ma)
	}
	c := make([]float64, 2*L+1)
	for lag := -L; lag <= L; lag++ {
		w := b[L+lag : L+lag+n]
		mb := mean(w)
		var s, vb float64
		for i, x := range a {
			y := w[i] - mb
			s += (x - ma) * y
			vb += y * y
		}
		if va == 0 || vb == 0 {
			return 0, 0, fmt.Errorf("clock: xcorr: a signal is constant: no excitation")
		}
		c[lag+L] = s / math.Sqrt(va*vb)
	}
	best := 0
	for i := range c {
		if math.Abs(c[i]) > math.Abs(c[best]) {
			best = i
		}
	}
	sign := 1.0
	if c[best] < 0 {
		sign = -1
		for i := range c {
			c[i] = -c[i]
		}
	}
	d := float64(best - L)
	if best > 0 && best < len(c)-1 {
		cm, c0, cp := c[best-1], c[best], c[best+1]
		if den := cm - 2*c0 + cp; den < 0 {
			d += 0.5 * (cm - cp) / den
		}
	}
	return d, sign * c[best], nil
}

func mean(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}
