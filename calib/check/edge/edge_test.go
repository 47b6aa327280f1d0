package edge

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/fixtures"
)

// A 0.5° yaw error of the front camera in base-frame terms (a turn about
// the vehicle's up axis, which for a forward camera is the optical −y
// axis: the fault's Δ pitch in optical axes) is found miscalibrated and
// corrected: the optical-y (base yaw) part of the residual within 0.1°,
// the whole residual within 0.35° (the in-image vertical direction is
// weakly observed by ring-wise depth edges; see Options.SearchImageRotation).
func TestMiscalibratedYaw(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, 6*time.Second, 1)
	cfg.Faults = []fixtures.Fault{fault(t, fixtures.Miscalibrate, "cam_front=0,0.5,0,0,0,0")}
	res, ovs, tr := checkLog(t, cfg, Options{})
	r := res[0]
	t.Logf("%s: %s, correction %.3f°, ±%.3f°; %s", r.Kind, r.Verdict, r.CorrectionRotationDeg, r.Uncertainty.RotationDeg, r.Note)
	want := trueCorrection(t, tr, "cam_front", tr.Start)
	if a := want.Angle() * 180 / math.Pi; math.Abs(a-0.5) > 1e-6 {
		t.Fatalf("truth correction %.4f°, want 0.5°", a)
	}
	if r.Verdict != check.Miscalibrated {
		t.Errorf("verdict %s, want miscalibrated", r.Verdict)
	}
	got := transformOf(t, r.Correction)
	res3 := residualDeg(got, want)
	t.Logf("residual (optical x, y, z) = (%.3f, %.3f, %.3f)°", res3.X, res3.Y, res3.Z)
	if math.Abs(res3.Y) > 0.1 {
		t.Errorf("base-yaw (optical y) residual %.3f°, want within 0.1°", res3.Y)
	}
	if n := math.Sqrt(res3.X*res3.X + res3.Y*res3.Y + res3.Z*res3.Z); n > 0.35 {
		t.Errorf("residual %.3f°, want within 0.35°", n)
	}
	if r.Score >= 1 || r.BestScore != 1 || len(r.Search) == 0 || len(r.Windows) == 0 {
		t.Errorf("score %v best %v, %d search points, %d windows", r.Score, r.BestScore, len(r.Search), len(r.Windows))
	}
	if len(ovs) != 1 || ovs[0].Before == nil || ovs[0].After == nil || ovs[0].Sensor != "cam_front" || ovs[0].Reference != "lidar_top" {
		t.Fatalf("overlays %+v", ovs)
	}
	if b := ovs[0].Before.Bounds(); b.Dx() != 480 || b.Dy() != 300 {
		t.Errorf("overlay size %v", b)
	}
}

// With the true calibration every seed gives ok for the extrinsic and the
// camera time, with no change found.
func TestTrueCalibrationOK(t *testing.T) {
	seeds := []uint64{1, 2, 3, 4, 5}
	if testing.Short() {
		seeds = seeds[:2]
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			t.Parallel()
			res, ovs, _ := checkLog(t, testConfig(t, 6*time.Second, seed), Options{})
			for _, r := range res {
				t.Logf("%s: %s score %.3f; %s", r.Kind, r.Verdict, r.Score, r.Note)
				if r.Verdict != check.OK {
					t.Errorf("%s: verdict %s, want ok", r.Kind, r.Verdict)
				}
				if r.ChangedAt != nil {
					t.Errorf("%s: change at %d on a log without one", r.Kind, *r.ChangedAt)
				}
				if r.Correction != [16]float64{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1} || r.TimeOffsetNs != 0 {
					t.Errorf("%s: ok but a correction is suggested: %v, %d ns", r.Kind, r.Correction, r.TimeOffsetNs)
				}
			}
			var ws []string
			for _, w := range res[0].Windows {
				ws = append(ws, fmt.Sprintf("%.3f %s", w.Score, w.Verdict))
			}
			t.Logf("windows: %v", ws)
			if len(ovs) != 1 || ovs[0].After != nil {
				t.Errorf("overlays %+v: want one, without an After", ovs)
			}
		})
	}
}

// A camera clock 25 ms late (stamps = true + 25 ms) is found by the time
// check: TimeOffsetNs ≈ −25 ms (to add to the stamps).
func TestCameraClockOffset(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, 8*time.Second, 1)
	cfg.Faults = []fixtures.Fault{fault(t, fixtures.ClockOffset, "cam_front=25ms")}
	res, _, tr := checkLog(t, cfg, Options{})
	r := res[1]
	t.Logf("%s: %s, offset %.1f ms ± %.1f ms; %s", r.Kind, r.Verdict, float64(r.TimeOffsetNs)/1e6, float64(r.Uncertainty.TimeNs)/1e6, r.Note)
	want := -tr.Sensor("cam_front").Clock.OffsetNS
	if r.Verdict != check.Miscalibrated {
		t.Errorf("verdict %s, want miscalibrated", r.Verdict)
	}
	if d := r.TimeOffsetNs - want; d < -4e6 || d > 4e6 {
		t.Errorf("time offset %.1f ms, want %.1f ± 4 ms", float64(r.TimeOffsetNs)/1e6, float64(want)/1e6)
	}
	if len(r.Search) < 10 || r.Search[0].TimeNs == 0 && r.Search[1].TimeNs == 0 {
		t.Errorf("time search points %v", r.Search)
	}
}

// A camera knocked by 1° mid-log is dated within 2 s, and the correction
// from the frames after the knock undoes it to within 0.25° about the
// knocked axis (fewer frames than a whole-log estimate: 13 of 40 kept).
func TestKnockDated(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, 10*time.Second, 1)
	cfg.Faults = []fixtures.Fault{fault(t, fixtures.Knock, "cam_front=4.5s:0,1,0,0,0,0")}
	res, _, tr := checkLog(t, cfg, Options{})
	r := res[0]
	t.Logf("%s: %s; %s", r.Kind, r.Verdict, r.Note)
	knock := tr.Sensor("cam_front").Knocks[0].AtNS
	if r.ChangedAt == nil {
		t.Fatalf("no change found; windows %+v", r.Windows)
	}
	t.Logf("changed at %+.3f s from the knock, ± %.3f s", float64(*r.ChangedAt-knock)/1e9, float64(r.ChangeUncertaintyNs)/1e9)
	if d := *r.ChangedAt - knock; d < -2e9 || d > 2e9 {
		t.Errorf("change dated %.2f s from the knock, want within 2 s", float64(d)/1e9)
	}
	if r.Verdict != check.Miscalibrated {
		t.Errorf("verdict %s, want miscalibrated", r.Verdict)
	}
	res3 := residualDeg(transformOf(t, r.Correction), trueCorrection(t, tr, "cam_front", tr.End))
	t.Logf("residual after the knock (optical x, y, z) = (%.3f, %.3f, %.3f)°", res3.X, res3.Y, res3.Z)
	if math.Abs(res3.Y) > 0.25 {
		t.Errorf("residual about optical y %.3f°, want within 0.25°", res3.Y)
	}
	// The windows before the knock score higher on average than those
	// after it (window scores are indicative: a few frames each).
	var before, after []float64
	for _, w := range r.Windows {
		t.Logf("window %+.1f s from the knock: %.3f %s", float64(w.Start-knock)/1e9, w.Score, w.Verdict)
		switch {
		case w.End <= knock:
			before = append(before, w.Score)
		case w.Start >= knock:
			after = append(after, w.Score)
		}
	}
	mean := func(v []float64) float64 {
		s := 0.0
		for _, x := range v {
			s += x
		}
		return s / float64(max(1, len(v)))
	}
	if len(before) == 0 || len(after) == 0 || mean(after) >= mean(before) {
		t.Errorf("window scores before the knock %v, after %v: want lower after", before, after)
	}
}

// Short logs (3 s, 30 frames) of the true calibration give no false
// alarm either. They are the hard case: one facade with periodic stripes
// can fill the view, so the score has several peaks in the vertical image
// direction (seed 2 once reported a confident −2.76° correction, far
// outside the ±1° grid, with σ 0.04° from subsets searched only near it),
// and on a straight drive the camera-time score rises towards the edge of
// its range (seed 1 once reported −52.5 ms, beyond the ±50 ms searched,
// and the joint search let that shift drag the rotation by 0.23°). A
// correction is never reported outside the searched range.
func TestTrueCalibrationShortLogs(t *testing.T) {
	seeds := []uint64{1, 2, 3, 4, 5}
	if testing.Short() {
		seeds = seeds[:2]
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			t.Parallel()
			o := Options{NoOverlays: true}
			res, _, _ := checkLog(t, testConfig(t, 3*time.Second, seed), o)
			o.defaults()
			for _, r := range res {
				t.Logf("%s: %s; %s", r.Kind, r.Verdict, r.Note)
				// The camera time is skipped when the vehicle hardly
				// turns (3 s logs: 1–2°/s), never a false alarm.
				timeSkipped := r.Kind == check.KindCameraTime && r.Verdict == check.Skipped && strings.Contains(r.Note, "hardly turns")
				if r.Verdict != check.OK && !timeSkipped {
					t.Errorf("%s: verdict %s, want ok", r.Kind, r.Verdict)
				}
				lim := searchBoundDeg * o.RotationRangeDeg
				for _, p := range r.Search {
					a := p.RotationDeg
					d := time.Duration(p.TimeNs)
					if max(math.Abs(a[0]), math.Abs(a[1]), math.Abs(a[2])) > lim+1e-9 || d > o.TimeRange || d < -o.TimeRange {
						t.Errorf("%s: candidate %v° %v outside the ±%g°, ±%v search", r.Kind, a, d, lim, o.TimeRange)
						break
					}
				}
			}
		})
	}
}

// With Options.SearchImageRotation a 0.5° turn of the camera about its
// optical axis (an image roll) is found miscalibrated on the minimal rig
// for seeds 1 and 2, the optical-z part of the residual within 0.1°, the
// DOF reported observed with a curvature σ below 0.1°; the true
// calibration stays ok.
func TestOpticalAxisRotation(t *testing.T) {
	for _, seed := range []uint64{1, 2} {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(t, 8*time.Second, seed)
			cfg.Faults = []fixtures.Fault{fault(t, fixtures.Miscalibrate, "cam_front=0,0,0.5,0,0,0")}
			res, _, tr := checkLog(t, cfg, Options{SearchImageRotation: true})
			r := res[0]
			t.Logf("%s: %s, %.3f° ± %.3f°; %s", r.Kind, r.Verdict, r.CorrectionRotationDeg, r.Uncertainty.RotationDeg, r.Note)
			if r.Verdict != check.Miscalibrated {
				t.Errorf("verdict %s, want miscalibrated", r.Verdict)
			}
			res3 := residualDeg(transformOf(t, r.Correction), trueCorrection(t, tr, "cam_front", tr.Start))
			if math.Abs(res3.Z) > 0.1 {
				t.Errorf("optical-axis residual %.3f°, want within 0.1°", res3.Z)
			}
			if len(r.DOFs) != 6 {
				t.Fatalf("%d DOFs", len(r.DOFs))
			}
			if d := r.DOFs[2]; d.Status != check.Observed || d.Sigma == nil || *d.Sigma > 0.1 {
				t.Errorf("optical-axis DOF %+v, want observed with σ ≤ 0.1°", d)
			}
			good, _, _ := checkLog(t, testConfig(t, 8*time.Second, seed), Options{SearchImageRotation: true})
			if good[0].Verdict != check.OK {
				t.Errorf("true calibration: %s (%s)", good[0].Verdict, good[0].Note)
			}
		})
	}
}

// A 5 cm sideways shift of the camera is not searched (the rotations
// absorb most of it: on the fixture rig its 1-D optimum with the rotations
// held stays within 1 cm of zero): the result must never be a plain ok,
// but list the translation as not observed, with a status from the full
// curvature.
func TestTranslationNotObservedIsPartial(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, 8*time.Second, 1)
	cfg.Faults = []fixtures.Fault{fault(t, fixtures.Miscalibrate, "cam_front=0,0,0,0.05,0,0")}
	res, _, _ := checkLog(t, cfg, Options{SearchImageRotation: true})
	r := res[0]
	r.Cover()
	t.Logf("%s: %s; %+v", r.Kind, r.VerdictText, r.DOFs[3:])
	if r.Verdict == check.OK && !r.Partial() {
		t.Errorf("plain ok for an unsearched 5 cm translation")
	}
	for _, d := range r.DOFs[3:] {
		if d.Status == check.Observed || d.Estimate != nil || d.Note == "" {
			t.Errorf("%s: %+v, want not observed, no estimate, a note", d.Name, d)
		}
	}
	if !strings.Contains(r.VerdictText, "x") {
		t.Errorf("verdict text %q does not name x", r.VerdictText)
	}
}
