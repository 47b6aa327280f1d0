package checkapp

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/calib/se3"
)

func TestVerdict(t *testing.T) {
	th := thresholds{okRotDeg: 0.1, okTransM: 0.01, badRotDeg: 0.3, badTransM: 0.03, sigmas: 3}
	for _, c := range []struct {
		name               string
		rot, tr, sRot, sTr float64
		want               check.Verdict
	}{
		{"tiny", 0.05, 0.005, 0.01, 0.001, check.OK},
		{"large rotation, significant", 0.5, 0.005, 0.05, 0.001, check.Miscalibrated},
		{"large translation, significant", 0.05, 0.05, 0.01, 0.005, check.Miscalibrated},
		{"large but not significant", 0.5, 0.005, 0.2, 0.001, check.Suspicious},
		{"between ok and bad", 0.2, 0.005, 0.01, 0.001, check.Suspicious},
		{"insignificant with a small sigma", 0.12, 0.005, 0.1, 0.001, check.OK},
		{"insignificant with a large sigma", 0.25, 0.005, 0.2, 0.001, check.Suspicious},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := th.verdict(c.rot, c.tr, c.sRot, c.sTr); got != c.want {
				t.Errorf("verdict(%g°, %g m ± %g°, %g m) = %s, want %s", c.rot, c.tr, c.sRot, c.sTr, got, c.want)
			}
		})
	}
}

// series is n estimates 100 ms apart with translation x from f(i) plus a
// deterministic ±1 mm wiggle.
func series(n int, f func(i int) float64) []estimate {
	es := make([]estimate, n)
	for i := range es {
		es[i] = estimate{stamp: int64(i) * 1e8, xi: [6]float64{f(i) + 0.001*float64(i%3-1)}}
	}
	return es
}

func TestChange(t *testing.T) {
	th := lidarLidarThresholds
	for _, c := range []struct {
		name string
		es   []estimate
		want int
	}{
		{"step at 25", series(40, func(i int) float64 {
			if i >= 25 {
				return 0.08
			}
			return 0
		}), 25},
		{"constant offset", series(40, func(int) float64 { return 0.05 }), -1},
		{"two outliers", series(40, func(i int) float64 {
			if i == 3 || i == 30 {
				return 0.2
			}
			return 0
		}), -1},
		{"step too small", series(40, func(i int) float64 {
			if i >= 20 {
				return 0.02
			}
			return 0
		}), -1},
		{"too few", series(4, func(i int) float64 { return float64(i) }), -1},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := change(c.es, th, [6]float64{}); got != c.want {
				t.Errorf("change = %d, want %d", got, c.want)
			}
		})
	}
}

func TestResultFromEstimates(t *testing.T) {
	es := series(30, func(int) float64 { return 0.05 })
	for i := range es {
		es[i].score, es[i].best = 0.09, 0.08
	}
	pr := result(check.KindLidarLidar, "l2", "l1", "icp_rmse_m", es, 0, 1e9, lidarLidarThresholds, [6]float64{})
	if pr.Verdict != check.Miscalibrated || math.Abs(pr.CorrectionTranslationM-0.05) > 0.002 {
		t.Errorf("verdict %s, correction %.4f m", pr.Verdict, pr.CorrectionTranslationM)
	}
	if len(pr.Windows) != 3 || pr.Windows[0].Frames != 10 || pr.Windows[2].End != 3e9 {
		t.Errorf("windows %+v", pr.Windows)
	}
	if pr.Score != 0.09 || pr.BestScore != 0.08 {
		t.Errorf("score %g → %g", pr.Score, pr.BestScore)
	}
	C, err := transformOf(pr.Correction)
	if err != nil || math.Abs(C.Trans.X-0.05) > 0.002 {
		t.Errorf("correction matrix %v (%v)", pr.Correction, err)
	}
	if pr := result(check.KindLidarLidar, "l2", "l1", "icp_rmse_m", nil, 0, 1e9, lidarLidarThresholds, [6]float64{}); pr.Verdict != check.Skipped || pr.Note == "" {
		t.Errorf("no estimates: %s %q", pr.Verdict, pr.Note)
	}
}

func TestWorstAndOrder(t *testing.T) {
	rep := &check.Report{Pairs: []check.PairResult{
		{Kind: check.KindRadarLidar, Sensor: "b", Verdict: check.OK},
		{Kind: check.KindLidarLidar, Sensor: "z", Verdict: check.Skipped},
		{Kind: check.KindLidarLidar, Sensor: "a", Verdict: check.Suspicious},
	}}
	finish(rep)
	var got []string
	for _, p := range rep.Pairs {
		got = append(got, p.Kind+"/"+p.Sensor)
	}
	if s := strings.Join(got, " "); s != "lidar-lidar/a lidar-lidar/z radar-lidar/b" {
		t.Errorf("order %s", s)
	}
	if rep.Verdict != check.Suspicious || rep.CheckedPairs != 2 || rep.SkippedPairs != 1 {
		t.Errorf("verdict %s, %d checked, %d skipped; want suspicious, 2, 1", rep.Verdict, rep.CheckedPairs, rep.SkippedPairs)
	}
	// Nothing scored is not ok: the report says so.
	if v := Worst([]check.PairResult{{Verdict: check.Skipped}}); v != check.Unchecked {
		t.Errorf("only skipped: %s, want %s", v, check.Unchecked)
	}
	only := &check.Report{Pairs: []check.PairResult{{Kind: check.KindHandEye, Verdict: check.Skipped}, {Kind: check.KindLidarCamera, Verdict: check.Skipped}}}
	finish(only)
	if only.Verdict != check.Unchecked || only.CheckedPairs != 0 || only.SkippedPairs != 2 {
		t.Errorf("every pair skipped: verdict %s, %d checked, %d skipped; want unchecked, 0, 2", only.Verdict, only.CheckedPairs, only.SkippedPairs)
	}
	if v := Worst([]check.PairResult{{Verdict: check.Suspicious}, {Verdict: check.Miscalibrated}, {Verdict: check.OK}}); v != check.Miscalibrated {
		t.Errorf("worst %s", v)
	}
}

// testRig is a rig with a LiDAR, a second LiDAR and a camera.
func testRig(t *testing.T) *rig.Rig {
	t.Helper()
	rg := &rig.Rig{Version: rig.Version, BaseFrame: "base_link", Sensors: []rig.Sensor{
		{Name: "top", Modality: "lidar", Frame: "lidar_top"},
		{Name: "rear", Modality: "lidar", Frame: "lidar_rear"},
		{Name: "front", Modality: "camera", Frame: "cam_front", Clock: &rig.Clock{OffsetNs: 1000}},
	}}
	for i, v := range []r3.Vec{{X: 1.1, Z: 1.9}, {X: -0.7, Z: 1.8}, {X: 1.6, Z: 1.5}} {
		T, err := se3.FromRPY(0.01*float64(i), -0.02, 0.5*float64(i), v)
		if err != nil {
			t.Fatal(err)
		}
		rg.Sensors[i].SetT(T)
	}
	return rg
}

func sensorT(t *testing.T, rg *rig.Rig, name string) se3.Transform {
	t.Helper()
	s, err := rg.Sensor(name)
	if err != nil {
		t.Fatal(err)
	}
	T, err := s.T()
	if err != nil {
		t.Fatal(err)
	}
	return T
}

func TestFix(t *testing.T) {
	C1, _ := se3.FromRPY(0, 0, 0.01, r3.Vec{X: 0.05})
	C2, _ := se3.FromRPY(0.003, 0, 0, r3.Vec{})
	rep := &check.Report{Pairs: []check.PairResult{
		{Kind: check.KindLidarLidar, Sensor: "lidar_rear", Reference: "lidar_top", Verdict: check.Miscalibrated, Correction: C1.RowMajor()},
		{Kind: check.KindLidarCamera, Sensor: "cam_front", Reference: "lidar_top", Verdict: check.Suspicious, Correction: C2.RowMajor()},
		{Kind: check.KindCameraTime, Sensor: "cam_front", Reference: "lidar_top", Verdict: check.Miscalibrated, TimeOffsetNs: 250, Correction: se3.Identity().RowMajor()},
		{Kind: check.KindRadarLidar, Sensor: "radar_x", Reference: "lidar_top", Verdict: check.Skipped, Correction: C1.RowMajor()},
	}}
	for _, c := range []struct {
		name      string
		only      check.Verdict
		rear, cam bool
		camOffset int64
	}{
		{"miscalibrated only", check.Miscalibrated, true, false, 750},
		{"default is miscalibrated", "", true, false, 750},
		{"suspicious and worse", check.Suspicious, true, true, 750},
	} {
		t.Run(c.name, func(t *testing.T) {
			rg := testRig(t)
			want := map[string]se3.Transform{"lidar_top": sensorT(t, rg, "top"), "lidar_rear": sensorT(t, rg, "rear"), "cam_front": sensorT(t, rg, "front")}
			if c.rear {
				want["lidar_rear"] = want["lidar_rear"].Mul(C1)
			}
			if c.cam {
				want["cam_front"] = want["cam_front"].Mul(C2)
			}
			fixed, err := Fix(rg, rep, c.only)
			if err != nil {
				t.Fatal(err)
			}
			for i, name := range []string{"top", "rear", "front"} {
				frame := rg.Sensors[i].Frame
				if a, d := se3.Diff(sensorT(t, fixed, name), want[frame]); a > 1e-9 || d > 1e-9 {
					t.Errorf("%s off by %g rad, %g m", name, a, d)
				}
			}
			if got := fixed.Sensors[2].Clock.OffsetNs; got != c.camOffset {
				t.Errorf("camera clock offset %d, want %d", got, c.camOffset)
			}
			if rg.Sensors[2].Clock.OffsetNs != 1000 {
				t.Error("input clock modified")
			}
			for _, name := range []string{"top", "rear", "front"} {
				if a, d := se3.Diff(sensorT(t, rg, name), sensorT(t, testRig(t), name)); a > 1e-12 || d > 1e-12 {
					t.Errorf("input extrinsic of %s modified", name)
				}
			}
		})
	}
	t.Run("reference corrected too", func(t *testing.T) {
		rg := testRig(t)
		G, _ := se3.FromRPY(0, 0.01, 0, r3.Vec{})
		rep := &check.Report{Pairs: []check.PairResult{
			{Kind: check.KindHandEye, Sensor: "lidar_top", Reference: "base_link (odometry)", Verdict: check.Miscalibrated, Correction: G.RowMajor()},
			{Kind: check.KindLidarLidar, Sensor: "lidar_rear", Reference: "lidar_top", Verdict: check.Miscalibrated, Correction: C1.RowMajor()},
		}}
		fixed, err := Fix(rg, rep, check.Miscalibrated)
		if err != nil {
			t.Fatal(err)
		}
		top, rear := sensorT(t, rg, "top"), sensorT(t, rg, "rear")
		topNew := top.Mul(G)
		// lidar_rear keeps its corrected pose relative to lidar_top.
		wantRear := topNew.Mul(top.Inverse()).Mul(rear.Mul(C1))
		if a, d := se3.Diff(sensorT(t, fixed, "rear"), wantRear); a > 1e-9 || d > 1e-9 {
			t.Errorf("rear off by %g rad, %g m", a, d)
		}
		if a, d := se3.Diff(sensorT(t, fixed, "top"), topNew); a > 1e-9 || d > 1e-9 {
			t.Errorf("top off by %g rad, %g m", a, d)
		}
	})
	t.Run("unknown sensor", func(t *testing.T) {
		rep := &check.Report{Pairs: []check.PairResult{{Kind: check.KindLidarLidar, Sensor: "nope", Verdict: check.Miscalibrated, Correction: C1.RowMajor()}}}
		if _, err := Fix(testRig(t), rep, check.Miscalibrated); err == nil || !strings.Contains(err.Error(), "nope") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("bad correction", func(t *testing.T) {
		rep := &check.Report{Pairs: []check.PairResult{{Kind: check.KindLidarLidar, Sensor: "lidar_rear", Verdict: check.Miscalibrated}}}
		if _, err := Fix(testRig(t), rep, check.Miscalibrated); err == nil {
			t.Error("all-zero correction accepted")
		}
	})
}

// A window with fewer than 3 estimates does not call a correction
// suspicious or miscalibrated: it is inconclusive and says why; with
// enough estimates the same correction is miscalibrated, and a small one
// from few estimates stays ok.
func TestWindowedFewEstimates(t *testing.T) {
	const w = int64(1e9)
	for _, tc := range []struct {
		name string
		n    int     // estimates, 0.1 s apart, from 0
		tx   float64 // m, the estimates' correction
		want []check.Verdict
	}{
		{"ten then two, large", 12, 0.05, []check.Verdict{check.Miscalibrated, check.Inconclusive}},
		{"two, large", 2, 0.05, []check.Verdict{check.Inconclusive}},
		{"two, small", 2, 0.002, []check.Verdict{check.OK}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws := windowed(series(tc.n, func(int) float64 { return tc.tx }), 0, w, lidarLidarThresholds, [6]float64{})
			if len(ws) != len(tc.want) {
				t.Fatalf("%d windows, want %d: %+v", len(ws), len(tc.want), ws)
			}
			for i, win := range ws {
				if win.Verdict != tc.want[i] {
					t.Errorf("window %d (%d estimates): %s, want %s", i, win.Frames, win.Verdict, tc.want[i])
				}
				if (win.Verdict == check.Inconclusive) != strings.Contains(win.Note, "estimate(s) in the window") {
					t.Errorf("window %d: %s with note %q", i, win.Verdict, win.Note)
				}
			}
		})
	}
}
