package rtsp

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestDriftFit(t *testing.T) {
	const host0 = int64(1_700_000_000_000_000_000)
	cases := []struct {
		name      string
		ppm       float64
		offset    int64 // camera − host at host0
		jitter    float64
		outliers  float64 // fraction of points delayed by 50 ms
		n         int
		periodNs  int64
		tolPPM    float64
		tolOffset int64
		maxPoints int
	}{
		{"clean +100", 100, 2_500_000_000, 0, 0, 120, 33_333_333, 0.01, 10, 0},
		{"jitter -40", -40, -7_000_000, 200_000, 0, 120, 33_333_333, 10, 200_000, 0},
		{"outliers +100", 100, 0, 50_000, 0.3, 120, 33_333_333, 10, 100_000, 0},
		{"long window", 25, 0, 1_000_000, 0.1, 3000, 33_333_333, 2, 1_000_000, 0},
		{"thinned", -60, 0, 1_000_000, 0.1, 6000, 33_333_333, 2, 1_000_000, 256},
		// A stall: 20 % of the window delivered 2 to 4 ms late throughout.
		{"stall", 80, 0, 50_000, 0, 240, 16_666_667, 10, 100_000, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			maxPoints := 4096
			if tc.maxPoints > 0 {
				maxPoints = tc.maxPoints
			}
			f := NewDriftFit(int64(math.MaxInt64/2), maxPoints)
			const latency = 3_000_000
			var lastHost, lastCam int64
			for i := 0; i < tc.n; i++ {
				h := int64(i) * tc.periodNs
				cam := host0 + tc.offset + h + int64(float64(h)*tc.ppm*1e-6)
				delay := latency + int64(rng.ExpFloat64()*tc.jitter)
				if rng.Float64() < tc.outliers {
					delay += 50_000_000
				}
				if tc.name == "stall" && i > tc.n/2 && i < tc.n/2+tc.n/5 {
					delay += 2_000_000 + rng.Int64N(2_000_000)
				}
				lastHost, lastCam = host0+h+delay, cam
				f.Add(lastHost, cam)
			}
			e, ok := f.Estimate()
			if !ok {
				t.Fatal("no estimate")
			}
			if d := e.DriftPPM - tc.ppm; math.Abs(d) > tc.tolPPM {
				t.Errorf("drift %.3f ppm, want %.1f ± %.2f", e.DriftPPM, tc.ppm, tc.tolPPM)
			}
			// Offset at the newest point: camera − host − minimum latency.
			want := lastCam - (lastHost - (lastHost - host0 - int64(tc.n-1)*tc.periodNs)) - latency
			if d := e.Offset - want; d > tc.tolOffset || d < -tc.tolOffset {
				t.Errorf("offset %d, want %d ± %d", e.Offset, want, tc.tolOffset)
			}
		})
	}
}

func TestDriftFitNeedsData(t *testing.T) {
	f := NewDriftFit(60e9, 64)
	for i := 0; i < 7; i++ {
		f.Add(int64(i)*1e9, int64(i)*1e9)
	}
	if _, ok := f.Estimate(); ok {
		t.Error("estimate from 7 points")
	}
	f.Reset()
	for i := 0; i < 20; i++ {
		f.Add(int64(i)*1e7, int64(i)*1e7) // 0.19 s
	}
	if _, ok := f.Estimate(); ok {
		t.Error("estimate from 0.19 s")
	}
	// The window forgets old points; thinning keeps the count bounded.
	f = NewDriftFit(10e9, 64)
	for i := 0; i < 10000; i++ {
		f.Add(int64(i)*1e7, int64(i)*1e7)
	}
	if f.Len() > 64 || f.Len() < 16 {
		t.Errorf("%d points kept", f.Len())
	}
	if e, ok := f.Estimate(); !ok || e.Span > 10e9 || math.Abs(e.DriftPPM) > 1e-6 {
		t.Errorf("estimate %+v %v", e, ok)
	}
}
