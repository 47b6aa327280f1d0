package live

import (
	"math/rand/v2"
	"testing"
	"time"
)

// A camera whose clock is 1.5 s ahead and drifts 50 ppm, with delivery
// delays of 5 ms plus up to 40 ms of jitter: host mapping recovers the
// capture time on the host clock to within the minimum delay plus what
// the drift adds over a bin.
func TestHostMapper(t *testing.T) {
	const (
		offset   = int64(1500 * time.Millisecond)
		minDelay = int64(5 * time.Millisecond)
		ppm      = 50.0
		h0       = int64(1_800_000_000e9)
	)
	cases := []struct {
		mode     string
		wantMode string
		offset   int64
	}{
		{ClockAuto, ClockHost, offset},
		{ClockHost, ClockHost, offset},
		{ClockSender, ClockSender, offset},
		{ClockAuto, ClockSender, 0}, // a synchronised camera keeps its stamps
	}
	for _, c := range cases {
		m, err := NewHostMapper(c.mode)
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(1, 2))
		// Provisional frames pass through.
		if got := m.Map(h0, h0, true); got != h0 || m.Mode() != c.mode {
			t.Fatalf("%s: provisional mapped to %d, mode %s", c.mode, got, m.Mode())
		}
		worst := int64(0)
		for i := range 30 * 60 { // one minute at 30 fps
			capture := h0 + int64(i)*int64(time.Second)/30
			cam := capture + c.offset + int64(ppm*1e-6*float64(capture-h0))
			recv := capture + minDelay + r.Int64N(int64(40*time.Millisecond))
			got := m.Map(cam, recv, false)
			if i < 60 {
				continue // the envelope needs a few frames
			}
			want := capture // on the host clock
			if c.wantMode == ClockSender {
				want = cam
			}
			worst = max(worst, abs(got-want))
		}
		if m.Mode() != c.wantMode {
			t.Errorf("%s (offset %v): mode %s, want %s", c.mode, time.Duration(c.offset), m.Mode(), c.wantMode)
		}
		// Host mapping is late by the minimum delay (one-way ambiguity),
		// plus the envelope's lag behind the drift and the jitter's floor.
		bound := int64(0)
		if c.wantMode == ClockHost {
			bound = minDelay + int64(2*time.Millisecond)
		}
		if worst > bound {
			t.Errorf("%s (offset %v): worst error %v, bound %v", c.mode, time.Duration(c.offset), time.Duration(worst), time.Duration(bound))
		}
	}
	if _, err := NewHostMapper("ptp"); err == nil {
		t.Error("mode ptp accepted")
	}
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}
