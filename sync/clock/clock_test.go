package clock

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// synth returns stamps and log times of a sensor at period p: true time t,
// stamp = t + off + ppm·1e-6·(t − t0), log = t + lat + U[0, 1 ms) plus a
// 40 ms delay spike on every 17th sample.
func synth(n int, p, off int64, ppm float64, lat int64, seed uint64) (ts, stamps, logs []int64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	t0 := int64(1_700_000_000_000_000_000)
	for k := 0; k < n; k++ {
		t := t0 + int64(k)*p
		ts = append(ts, t)
		stamps = append(stamps, t+off+int64(math.Round(ppm*1e-6*float64(t-t0))))
		l := t + lat + rng.Int64N(1_000_000)
		if k%17 == 5 {
			l += 40_000_000
		}
		logs = append(logs, l)
	}
	return
}

func TestEstimateOneWay(t *testing.T) {
	cases := []struct {
		name string
		off  int64
		ppm  float64
		lat  int64
	}{
		{"none", 0, 0, 5_000_000},
		{"offset", 25_000_000, 0, 30_000_000},
		{"drift", 0, 80, 8_000_000},
		{"both", -3_000_000, -120, 2_000_000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts, stamps, logs := synth(600, 100_000_000, tc.off, tc.ppm, tc.lat, 3)
			e, err := EstimateOneWay(stamps, logs)
			if err != nil {
				t.Fatal(err)
			}
			if d := e.Model.DriftPPM - tc.ppm; math.Abs(d) > 0.5 {
				t.Errorf("drift %.3f ppm, want %.1f", e.Model.DriftPPM, tc.ppm)
			}
			// Corrected stamps land on true time + minimum delay.
			var worst int64
			for i, s := range stamps {
				worst = max(worst, abs(e.Model.Correct(s)-(ts[i]+tc.lat)))
			}
			if worst > 100_000 {
				t.Errorf("corrected stamps off by up to %d ns from true time + latency", worst)
			}
			if e.DelayMax < 39_000_000 {
				t.Errorf("DelayMax %d, want the 40 ms spikes", e.DelayMax)
			}
		})
	}
	if _, err := EstimateOneWay([]int64{1}, []int64{2}); err == nil {
		t.Error("one sample accepted")
	}
	if _, err := EstimateOneWay([]int64{1, 1}, []int64{2, 3}); err == nil {
		t.Error("equal stamps accepted")
	}
}

// A least-squares line is biased by the delay spikes; the lower envelope is
// not. (This documents why the one-way method is used.)
func TestEnvelopeBeatsLeastSquares(t *testing.T) {
	ts, stamps, logs := synth(600, 100_000_000, 0, 0, 5_000_000, 9)
	var mean float64
	for i := range stamps {
		mean += float64(logs[i] - stamps[i])
	}
	mean /= float64(len(stamps))
	e, _ := EstimateOneWay(stamps, logs)
	envErr := abs(e.Model.Correct(stamps[300]) - (ts[300] + 5_000_000))
	lsErr := math.Abs(mean - 5_000_000)
	if float64(envErr) >= lsErr {
		t.Errorf("envelope error %d ns not below least-squares bias %.0f ns", envErr, lsErr)
	}
}

func TestModelRoundTrip(t *testing.T) {
	m := Model{Offset: 25_000_000, DriftPPM: 80, Ref: 1_000}
	for _, tt := range []int64{1_000, 5_000_000_000, 60_000_000_000} {
		stamp := tt + m.Offset + int64(math.Round(80e-6*float64(tt-m.Ref)))
		if got := m.Correct(stamp); abs(got-tt) > 1 {
			t.Errorf("Correct(%d) = %d, want %d", stamp, got, tt)
		}
	}
	for _, s := range []string{"25ms", "-3.5ms,80", "0s,-1.5"} {
		m, err := ParseModel(s)
		if err != nil {
			t.Fatal(err)
		}
		if back, _ := ParseModel(m.String()); back != m {
			t.Errorf("%q → %v → %v", s, m, back)
		}
	}
	for _, s := range []string{"", "x", "1ms,abc", "1ms,NaN", "1ms,2e6"} {
		if _, err := ParseModel(s); err == nil {
			t.Errorf("ParseModel(%q) accepted", s)
		}
	}
}

// The real radar log's defect, synthesised: a seconds field counting
// milliseconds (stamp ticks 1000× too fast) that wraps every 2^32 ns of
// true time.
func TestAnalyzeMillisecondWrap(t *testing.T) {
	const period = 50_000_000 // 20 Hz
	mod := int64(1) << 32 * 1000
	var stamps, logs []int64
	for k := int64(0); k < 300; k++ {
		tt := k*period + 1_234_567
		stamps = append(stamps, (tt*1000+77_000_000_000)%mod)
		logs = append(logs, 964_000_000_000+tt+1_000_000+(k*7919)%500_000)
	}
	a, err := Analyze(stamps, logs, 0)
	if err != nil {
		t.Fatal(err)
	}
	if a.Repair.Div != 1000 || a.Repair.Mul != 1 {
		t.Errorf("scale %d/%d, want 1/1000 (ratio %g)", a.Repair.Mul, a.Repair.Div, a.Ratio)
	}
	if a.Repair.WrapModulus != mod || a.Wraps != 3 {
		t.Errorf("wrap %d ×%d, want %d ×3", a.Repair.WrapModulus, a.Wraps, mod)
	}
	if len(a.Jumps) != 0 {
		t.Errorf("jumps %v after repair", a.Jumps)
	}
	p := NewRepairer(a.Repair)
	first, last := p.Fix(stamps[0]), int64(0)
	for _, s := range stamps[1:] {
		last = p.Fix(s)
	}
	if hz := float64(len(stamps)-1) / (float64(last-first) / 1e9); math.Abs(hz-20) > 0.01 {
		t.Errorf("rate after repair %.4f Hz, want 20", hz)
	}
	if math.Abs(a.Estimate.Model.DriftPPM) > 1 {
		t.Errorf("drift %.2f ppm after repair", a.Estimate.Model.DriftPPM)
	}
}

func TestDetectJumps(t *testing.T) {
	_, stamps, logs := synth(200, 100_000_000, 0, 0, 1_000_000, 5)
	for i := 120; i < len(stamps); i++ {
		stamps[i] -= 2_000_000_000 // clock stepped back 2 s
	}
	// A single outlier stamp is not a jump.
	stamps[50] += 500_000_000
	js := DetectJumps(stamps, logs, DefaultJumpThreshold)
	if len(js) != 1 || js[0].Index != 120 || js[0].Kind != Backward || abs(js[0].Step+2_000_000_000) > 50_000_000 {
		t.Fatalf("jumps = %+v, want one backward 2 s jump at 120", js)
	}
	a, err := Analyze(stamps, logs, 0)
	if err != nil {
		t.Fatal(err)
	}
	if a.Segment != [2]int{0, 120} {
		t.Errorf("segment %v, want [0 120]", a.Segment)
	}
}

// Log times that are not capture times are refused with
// ErrUnrelatedLogTimes (and too few samples with ErrTooFewPoints) by both
// Analyze and DetectRepairs, instead of a model fitted to nothing or a
// failure deep inside the estimate; DetectRepairs estimates nothing.
func TestAnalyzeUnrelatedLogTimes(t *testing.T) {
	_, good, goodLogs := synth(50, 100_000_000, 0, 0, 5_000_000, 4)
	t0 := good[0]
	burst := make([]int64, len(good)) // a converter's burst: one log time
	reversed := make([]int64, len(good))
	writeTimes := make([]int64, len(good)) // write time, 10 µs apart
	for i := range good {
		burst[i] = t0 + 60e9
		reversed[i] = t0 + int64(len(good)-i)*100_000_000
		writeTimes[i] = t0 + 60e9 + int64(i)*10_000
	}
	cases := []struct {
		name         string
		stamps, logs []int64
		want         error // nil: a model (Analyze) / repairs (DetectRepairs)
	}{
		{"capture times", good, goodLogs, nil},
		{"burst", good, burst, ErrUnrelatedLogTimes},
		{"reversed", good, reversed, ErrUnrelatedLogTimes},
		{"write times", good, writeTimes, ErrUnrelatedLogTimes},
		{"3 messages in a burst", good[:3], burst[:3], ErrUnrelatedLogTimes},
		{"3 messages", good[:3], goodLogs[:3], nil},
		{"2 messages", good[:2], goodLogs[:2], ErrTooFewPoints},
		{"1 message", good[:1], goodLogs[:1], ErrTooFewPoints},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Analyze(tc.stamps, tc.logs, 0)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("Analyze: %v, want %v", err, tc.want)
			}
			// The true drift is 0: the estimate is within 3 σ of it.
			if e := a.Estimate; err == nil && (e.Points != len(tc.stamps) || math.Abs(e.Model.DriftPPM) > 3*e.DriftSigmaPPM+0.5) {
				t.Errorf("Analyze: estimate %+v, true drift 0", e)
			}
			r, err := DetectRepairs(tc.stamps, tc.logs, 0)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("DetectRepairs: %v, want %v", err, tc.want)
			}
			if r.Estimate != (Estimate{}) {
				t.Errorf("DetectRepairs estimated %+v", r.Estimate)
			}
			if err == nil && (!r.Repair.Identity() || len(r.Jumps) != 0) {
				t.Errorf("DetectRepairs: spurious repair %v, jumps %v", r.Repair, r.Jumps)
			}
		})
	}
}
