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

// A camera reconnects (Reset) after 10 s. Its clock either carries on or
// steps; the frames of the new session arrive in a burst, late (30–70 ms
// on a busy host) for their first 1.5 s, then as before (2–10 ms). Every
// frame of the new session must be stamped on the host clock within the
// minimum delay (+2 ms) of its true capture time; after a step, once the
// new envelope has a few frames (a step back by less than AutoThreshold:
// once the 3 s that tell a step from late frames have passed).
func TestHostMapperReconnect(t *testing.T) {
	const (
		offset   = int64(1500 * time.Millisecond)
		minDelay = int64(2 * time.Millisecond)
		h0       = int64(1_800_000_000e9)
		fps      = 30
	)
	cases := []struct {
		name  string
		step  int64 // camera clock step at the reconnect
		late  bool  // the first 1.5 s of the new session arrive late
		grace int64 // host time after the reconnect with a looser bound
	}{
		{"carries on, late burst", 0, true, 0},
		{"carries on", 0, false, 0},
		// After a step the envelope starts over: it needs a few frames
		// (and the late ones to pass).
		{"steps forward 300 ms, late burst", int64(300 * time.Millisecond), true, int64(1700 * time.Millisecond)},
		{"steps forward 300 ms", int64(300 * time.Millisecond), false, int64(300 * time.Millisecond)},
		{"steps back 300 ms", -int64(300 * time.Millisecond), false, int64(3300 * time.Millisecond)},
		{"steps back 5 s", -int64(5 * time.Second), false, int64(300 * time.Millisecond)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := NewHostMapper(ClockAuto)
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(3, 4))
			frame := func(i int, off int64, late bool) (capture, got int64) {
				capture = h0 + int64(i)*int64(time.Second)/fps
				delay := minDelay + r.Int64N(int64(8*time.Millisecond))
				if late {
					delay = int64(30*time.Millisecond) + r.Int64N(int64(40*time.Millisecond))
				}
				return capture, m.Map(capture+off, capture+delay, false)
			}
			n1 := 10 * fps
			for i := range n1 {
				frame(i, offset, false)
			}
			m.Reset()
			start := n1 + fps/2 // a 0.5 s outage
			from := h0 + int64(start)*int64(time.Second)/fps
			worst, worstAt := int64(0), int64(0)
			for i := start; i < start+8*fps; i++ {
				capture := h0 + int64(i)*int64(time.Second)/fps
				late := c.late && capture-from < int64(1500*time.Millisecond)
				capture, got := frame(i, offset+c.step, late)
				if capture-from < c.grace {
					continue
				}
				if e := abs(got - capture); e > worst {
					worst, worstAt = e, capture-from
				}
			}
			if bound := minDelay + int64(2*time.Millisecond); worst > bound {
				t.Errorf("worst error %v at %v after the reconnect, bound %v", time.Duration(worst), time.Duration(worstAt), time.Duration(bound))
			}
		})
	}
}

// The first frames of a host-mapped camera: the very first arrive late
// (a busy host starting up: 20–60 ms), later ones on time (2–10 ms).
// Observed until Settled and stamped then, every frame is within the
// delay of an on-time frame (≤ 10 ms) of its capture time when one is
// among the first WarmFrames; mapped one by one (Map, what live did
// before), the first frames are as late as they arrived.
func TestHostMapperWarmUp(t *testing.T) {
	const (
		offset   = int64(1500 * time.Millisecond)
		minDelay = int64(2 * time.Millisecond)
		h0       = int64(1_800_000_000e9)
		fps      = 30
	)
	for _, c := range []struct {
		name string
		late int // leading late frames
	}{
		{"first late", 1},
		{"first three late", 3},
		{"none late", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, _ := NewHostMapper(ClockAuto)
			direct, _ := NewHostMapper(ClockAuto)
			r := rand.New(rand.NewPCG(5, 6))
			type obs struct{ capture, cam int64 }
			var pending []obs
			worst, worstDirect := int64(0), int64(0)
			settledAt := -1
			for i := range 2 * fps {
				capture := h0 + int64(i)*int64(time.Second)/fps
				delay := minDelay + r.Int64N(int64(8*time.Millisecond))
				if i < c.late {
					delay = int64(20*time.Millisecond) + r.Int64N(int64(40*time.Millisecond))
				}
				cam, recv := capture+offset, capture+delay
				worstDirect = max(worstDirect, abs(direct.Map(cam, recv, false)-capture))
				m.Observe(cam, recv, false)
				pending = append(pending, obs{capture, cam})
				if !m.Settled(recv) {
					continue
				}
				if settledAt < 0 {
					settledAt = i
				}
				for _, p := range pending {
					worst = max(worst, abs(m.Stamp(p.cam)-p.capture))
				}
				pending = pending[:0]
			}
			if m.Mode() != ClockHost {
				t.Fatalf("mode %s", m.Mode())
			}
			if settledAt < 0 || settledAt >= WarmFrames || int64(settledAt)*int64(time.Second)/fps > int64(WarmTime) {
				t.Errorf("settled at frame %d, want within %d frames and %v", settledAt, WarmFrames, WarmTime)
			}
			if bound := minDelay + int64(8*time.Millisecond); worst > bound {
				t.Errorf("worst error %v, bound %v (one by one: %v)", time.Duration(worst), time.Duration(bound), time.Duration(worstDirect))
			}
			if c.late > 0 && worstDirect < int64(18*time.Millisecond) {
				t.Errorf("mapped one by one, the late first frames were only %v off: the test shows nothing", time.Duration(worstDirect))
			}
		})
	}
	// A reconnect whose clock carries on is settled at once.
	m, _ := NewHostMapper(ClockHost)
	m.Observe(h0+offset, h0+minDelay, false)
	m.Reset()
	if !m.Settled(h0 + int64(time.Second)) {
		t.Error("not settled after a reconnect with earlier evidence")
	}
}
