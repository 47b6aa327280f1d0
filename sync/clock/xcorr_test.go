package clock

import (
	"math"
	"math/rand/v2"
	"testing"
)

// rate is a yaw-rate-like signal with varying excitation.
func rate(t float64) float64 {
	return 0.4*math.Sin(2*math.Pi*0.31*t) + 0.25*math.Sin(2*math.Pi*0.87*t+1) + 0.1*math.Sin(2*math.Pi*2.3*t+2)
}

func sample(hz float64, dur float64, delay int64, noise float64, seed uint64) Series {
	rng := rand.New(rand.NewPCG(seed, 1))
	var s Series
	p := int64(1e9 / hz)
	for t := int64(0); float64(t) < dur*1e9; t += p {
		// The sensor measured at true time t but stamps it t + delay.
		s.T = append(s.T, t+delay)
		s.V = append(s.V, rate(float64(t)/1e9)+noise*rng.NormFloat64())
	}
	return s
}

// A 200 Hz gyro against 50 Hz odometry whose stamps are late by a known
// delay: recovered to well under one odometry period, within 4σ.
func TestCrossCorrelate(t *testing.T) {
	for _, delay := range []int64{0, 23_400_000, -7_700_000, 61_000_000} {
		a := sample(200, 60, 0, 0.01, 1)
		b := sample(50, 60, delay, 0.02, 2)
		lag, err := CrossCorrelate(a, b, 5_000_000, 200_000_000)
		if err != nil {
			t.Fatal(err)
		}
		errNS := lag.Delay - delay
		t.Logf("delay %d ns: got %d ± %d ns, peak %.4f", delay, lag.Delay, lag.Sigma, lag.Peak)
		if abs(errNS) > 1_000_000 || abs(errNS) > 4*lag.Sigma+250_000 {
			t.Errorf("delay %d ns: got %d ± %d ns (peak %.3f)", delay, lag.Delay, lag.Sigma, lag.Peak)
		}
		if math.Abs(lag.Peak) < 0.95 || lag.Blocks != 4 || lag.Sigma <= 0 || lag.Sigma > 2_000_000 {
			t.Errorf("delay %d: peak %.3f, sigma %d over %d blocks", delay, lag.Peak, lag.Sigma, lag.Blocks)
		}
	}
	flat := Series{T: []int64{0, 1e9, 2e9, 3e9, 4e9, 5e9}, V: []float64{1, 1, 1, 1, 1, 1}}
	if _, err := CrossCorrelate(flat, flat, 1e8, 2e8); err == nil {
		t.Error("flat signal accepted")
	}
	if _, err := CrossCorrelate(flat, flat, 0, 1); err == nil {
		t.Error("zero step accepted")
	}
}
