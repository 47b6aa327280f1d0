package syncapp

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/formats/stamps"
	"github.com/rigsync/rigsync/sync/clock"
)

// fixtureLog generates the minimal rig for d with faults and returns the
// stamps read back and the truth.
func fixtureLog(t testing.TB, d time.Duration, faults ...fixtures.Fault) (*stamps.Log, *fixtures.Truth) {
	t.Helper()
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Rig.Odometry = &fixtures.OdomSpec{Name: "wheel_odom", RateHz: 50, SpeedScale: 1.01, LatencyMS: 5}
	cfg.Duration, cfg.Seed, cfg.Faults = d, 7, faults
	dir := t.TempDir()
	lp, tp := filepath.Join(dir, "drive.mcap"), filepath.Join(dir, "drive.truth.json")
	lf, _ := os.Create(lp)
	tf, _ := os.Create(tp)
	if err := fixtures.Generate(context.Background(), cfg, lf, tf, nil); err != nil {
		t.Fatal(err)
	}
	lf.Close()
	tf.Close()
	tf, _ = os.Open(tp)
	defer tf.Close()
	tr, err := fixtures.LoadTruth(tf)
	if err != nil {
		t.Fatal(err)
	}
	r, err := mcapread.Open(lp)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	lg, err := stamps.Read(context.Background(), r, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return lg, tr
}

// On a fixture log with an injected 25 ms offset (camera), 80 ppm drift
// (LiDAR) and a camera dropout: clock models are recovered (offset within
// 0.5 ms, drift within 2 ppm), reference grouping after correction puts
// every member within 1 ms of its true sample time, and the dropout is
// reported exactly where it is.
func TestFixtureFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a 20 s log")
	}
	lg, tr := fixtureLog(t, 20*time.Second,
		fixtures.Fault{Kind: fixtures.ClockOffset, Sensor: "cam_front", Offset: 25 * time.Millisecond},
		fixtures.Fault{Kind: fixtures.Drift, Sensor: "lidar_top", DriftPPM: 80},
		fixtures.Fault{Kind: fixtures.Dropout, Sensor: "cam_front", Start: 3 * time.Second, End: 4500 * time.Millisecond},
	)
	for _, name := range []string{"cam_front", "lidar_top", "imu"} {
		st := tr.Sensor(name)
		s := lg.Stream(st.Topic)
		if s == nil || len(s.Stamps) != st.Messages {
			t.Fatalf("%s: stream %v, truth says %d messages", name, s != nil, st.Messages)
		}
		a, err := clock.Analyze(s.Stamps, s.Logs, 0)
		if err != nil {
			t.Fatal(err)
		}
		// Offset of the stamp clock against log time minus the minimum
		// delay, at the first stamp: truth offset + drift·phase − latency.
		first := s.Stamps[0]
		got := first - a.Estimate.Model.Correct(first)
		want := st.Clock.OffsetNS + int64(st.Clock.DriftPPM*1e-6*float64(st.PhaseNS)) - st.LatencyNS
		t.Logf("%s: offset %.4f ms (truth %.4f), drift %.3f ppm (truth %.1f), %d hull points", name, float64(got)/1e6, float64(want)/1e6, a.Estimate.Model.DriftPPM, st.Clock.DriftPPM, a.Estimate.HullPoints)
		if d := got - want; d < -500_000 || d > 500_000 {
			t.Errorf("%s: offset %.3f ms, truth %.3f ms", name, float64(got)/1e6, float64(want)/1e6)
		}
		if d := a.Estimate.Model.DriftPPM - st.Clock.DriftPPM; math.Abs(d) > 2 {
			t.Errorf("%s: drift %.2f ppm, truth %.1f", name, a.Estimate.Model.DriftPPM, st.Clock.DriftPPM)
		}
		if !a.Repair.Identity() || len(a.Jumps) != 0 {
			t.Errorf("%s: spurious repair %v / jumps %v", name, a.Repair, a.Jumps)
		}
	}

	cam, lidar := tr.Sensor("cam_front"), tr.Sensor("lidar_top")
	lat := map[string]time.Duration{}
	for _, s := range tr.Sensors {
		lat[s.Name] = time.Duration(s.LatencyNS)
	}
	var worst int64
	sets, missing := 0, 0
	rep, err := Group(lg, Options{Topics: []string{lidar.Topic, cam.Topic}, Policy: "reference", Reference: lidar.Topic,
		Tolerance: 20 * time.Millisecond, Correct: CorrectFull, Latency: lat,
		OnSet: func(set *Set) {
			stamps, present := set.Stamps, set.Present
			sets++
			for i, s := range []*fixtures.SensorTruth{lidar, cam} {
				if !present[i] {
					missing++
					continue
				}
				// Residual against the nearest true sample time.
				k := math.Round(float64(stamps[i]-tr.Start-s.PhaseNS) / float64(s.PeriodNS))
				r := stamps[i] - s.SampleTime(tr.Start, int64(k))
				worst = max(worst, abs(r))
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sets %d, missing %d, worst residual %.4f ms, gaps %+v", sets, missing, float64(worst)/1e6, rep.Topics[1].Gaps)
	if worst > 1_000_000 {
		t.Errorf("reference grouping residual up to %.3f ms after correction, want ≤ 1 ms", float64(worst)/1e6)
	}
	if sets != lidar.Messages {
		t.Errorf("%d sets, want one per LiDAR sweep (%d)", sets, lidar.Messages)
	}
	// The dropout: 15 camera frames missing from 3 s, each reported missing.
	var ev *fixtures.Event
	for i := range tr.Events {
		if tr.Events[i].Kind == fixtures.Dropout && tr.Events[i].Sensor == "cam_front" {
			ev = &tr.Events[i]
		}
	}
	if ev == nil {
		t.Fatal("truth has no dropout event")
	}
	if missing != ev.Count {
		t.Errorf("%d sets miss the camera, truth dropped %d frames", missing, ev.Count)
	}
	camRep := rep.Topics[1]
	if len(camRep.Gaps) != 1 {
		t.Fatalf("camera gaps %+v, want 1", camRep.Gaps)
	}
	g := camRep.Gaps[0]
	if g.Missing != ev.Count || abs(g.After+cam.PeriodNS-ev.TrueNS) > 1_000_000 ||
		abs(g.Before-(ev.TrueNS+int64(ev.Count)*cam.PeriodNS)) > 1_000_000 {
		t.Errorf("gap %+v, truth: %d frames from %d", g, ev.Count, ev.TrueNS)
	}
	if len(rep.Topics[0].Gaps) != 0 {
		t.Errorf("LiDAR gaps %+v, want none", rep.Topics[0].Gaps)
	}

	// An expected-phase window of ±0.5 ms: around the true camera−LiDAR
	// phase every frame but the dropped ones matches; around 0 none does.
	truePhase := time.Duration(cam.PhaseNS - lidar.PhaseNS)
	for _, tc := range []struct {
		phase time.Duration
		used  int
	}{{truePhase, cam.Messages}, {0, 0}} {
		r, err := Group(lg, Options{Topics: []string{lidar.Topic, cam.Topic}, Policy: "reference", Reference: lidar.Topic,
			Tolerance: 500 * time.Microsecond, Phase: map[string]time.Duration{cam.Topic: tc.phase}, Correct: CorrectFull, Latency: lat})
		if err != nil {
			t.Fatal(err)
		}
		if r.Topics[1].Used != tc.used {
			t.Errorf("phase %v: %d camera frames used, want %d (unmatched %v)", tc.phase, r.Topics[1].Used, tc.used, r.Topics[1].Unmatched)
		}
	}
}

// Cross-correlating the IMU's and the wheel odometry's angular rates finds
// an injected 40 ms odometry clock offset within 1 ms (and 4σ).
func TestFixtureXCorr(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a 30 s log")
	}
	lg, tr := fixtureLog(t, 30*time.Second,
		fixtures.Fault{Kind: fixtures.ClockOffset, Sensor: "wheel_odom", Offset: 40 * time.Millisecond})
	imu, odom := tr.Sensor("imu"), tr.Sensor("wheel_odom")
	x, err := xcorr(lg, [2]string{imu.Topic, odom.Topic}, nil, nil, Options{Correct: CorrectNone})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", x)
	// Both stamp their true sample time; the odometry's clock is 40 ms ahead.
	want := odom.Clock.OffsetNS - imu.Clock.OffsetNS
	if d := x.DelayNS - want; abs(d) > 1_000_000 || abs(d) > 4*x.SigmaNS+500_000 {
		t.Errorf("delay %d ± %d ns, truth %d", x.DelayNS, x.SigmaNS, want)
	}
	if math.Abs(x.Peak) < 0.8 {
		t.Errorf("correlation peak %.3f", x.Peak)
	}
}

// A fixture IMU that writes microseconds where nanoseconds belong: the
// unit error is detected (stamps tick 1000× too slowly), repaired, and the
// repaired clock then matches the log clock.
func TestFixtureWrongUnit(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a 5 s log")
	}
	lg, tr := fixtureLog(t, 5*time.Second, fixtures.Fault{Kind: fixtures.WrongUnit, Sensor: "imu", Unit: "us"})
	imu := tr.Sensor("imu")
	rep, err := Group(lg, Options{Topics: []string{imu.Topic, tr.Sensor("lidar_top").Topic}, Policy: "approximate"})
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Topics[0].Clock
	if c.Repair != "multiply by 1000" || c.Wraps != 0 {
		t.Errorf("repair %q, want multiply by 1000", c.Repair)
	}
	if math.Abs(rep.Topics[0].RateHz-imu.RateHz) > 0.05 {
		t.Errorf("rate %.3f Hz after repair, truth %.0f", rep.Topics[0].RateHz, imu.RateHz)
	}
	// Offset against log time minus the minimum delay = −latency (±1 µs
	// of truncation to whole microseconds, + the delay envelope).
	if d := c.EstimatedOffsetNS + imu.LatencyNS; abs(d) > 500_000 {
		t.Errorf("offset %d ns after repair, want −latency %d", c.EstimatedOffsetNS, -imu.LatencyNS)
	}
}
