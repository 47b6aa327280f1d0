package checkapp

import (
	"context"
	"math"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats/logcalib"
)

// straightLog writes a urban-rig log without cameras plus lidar_rear, on
// a straight drive (fixtures.Config.Straight: no turns) when straight,
// with Δ on lidar_rear and R on radar_front.
func straightLog(t *testing.T, seed uint64, d time.Duration, straight bool, D, R [6]float64) (string, *fixtures.Truth) {
	t.Helper()
	cfg, err := fixtures.Preset("urban")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Seed, cfg.Duration, cfg.Straight = seed, d, straight
	cfg.Rig.Cameras = nil
	cfg.Rig.AddSecondLidar()
	cfg.Faults = []fixtures.Fault{{Kind: fixtures.Miscalibrate, Sensor: "lidar_rear",
		Rotation: [3]float64{D[0], D[1], D[2]}, Translation: [3]float64{D[3], D[4], D[5]}},
		{Kind: fixtures.Miscalibrate, Sensor: "radar_front",
			Rotation: [3]float64{R[0], R[1], R[2]}, Translation: [3]float64{R[3], R[4], R[5]}}}
	return writeFixture(t, cfg, "straight.mcap")
}

// logDOFs logs every pair's per-DOF results.
func logDOFs(t *testing.T, what string, rep *check.Report) {
	t.Helper()
	for _, p := range rep.Pairs {
		var line string
		for _, d := range p.DOFs {
			e, s := math.NaN(), math.NaN()
			if d.Estimate != nil {
				e = *d.Estimate
			}
			if d.Sigma != nil {
				s = *d.Sigma
			}
			line += " " + d.Name + "=" + string(d.Status) + "(" + ftoa(e) + "±" + ftoa(s) + ")"
		}
		t.Logf("%s: %s %s: %s;%s", what, p.Kind, p.Sensor, p.VerdictText, line)
	}
}

// TestStraightDrive: a straight drive (no turns) is degenerate for the
// hand-eye check: without rotation only the direction of travel ties the
// LiDAR to the vehicle, so the rotation about the along-track axis (roll
// for both LiDARs, mounted along x) is not observed and the verdict is
// partial. On the
// straight log lidar_rear is pitched 0.5° and shifted 5 cm along the track
// and radar_front turned 2° in yaw and lifted 5 cm (z, which a planar
// radar cannot see); the rig fixed with the report (FixReport) corrects
// every DOF the applied pair observed within 0.1° / 1 cm (or 3σ where the
// pair's σ is larger: the radar's x, y and yaw), keeps every
// other DOF exactly as it was (the radar's z stays 5 cm off), and says
// which were corrected and which left.
func TestStraightDrive(t *testing.T) {
	if testing.Short() {
		t.Skip("renders a 4 s log")
	}
	D := [6]float64{0, 0.5, 0, 0.05, 0, 0}
	R := [6]float64{0, 0, 2, 0, 0, 0.05}
	path, tr := straightLog(t, 2, 4*time.Second, true, D, R)
	rg, err := logcalib.ReadRig(context.Background(), path, "base_link")
	if err != nil {
		t.Fatal(err)
	}
	rep := runCheck(t, Options{Logs: []string{path}, Rig: rg, RigPath: "rig.yaml"})
	logDOFs(t, "straight", rep)
	for _, name := range []string{"lidar_top", "lidar_rear"} {
		p := pair(t, rep, check.KindHandEye, name)
		if p.DOFs[0].Status == check.Observed {
			t.Errorf("straight: hand-eye %s: roll (about the track) observed", name)
		}
		if p.Verdict == check.OK && len(p.NotObserved) == 0 {
			t.Errorf("straight: hand-eye %s: a bare ok", name)
		}
	}
	fixed, what, err := FixReport(rg, rep, check.Suspicious)
	if err != nil {
		t.Fatal(err)
	}
	for _, sensor := range []string{"lidar_rear", "radar_front"} {
		var fx *Fixed
		for i := range what {
			if what[i].Sensor == sensor {
				fx = &what[i]
			}
		}
		if fx == nil {
			t.Fatalf("FixReport says nothing of %s: %+v", sensor, what)
		}
		p := pair(t, rep, fx.Kind, sensor)
		if p.Verdict != check.Miscalibrated && p.Verdict != check.Suspicious {
			t.Errorf("%s: %s, want the perturbation detected", sensor, p.VerdictText)
		}
		before, after := errorDOFs(t, tr, rg, sensor), errorDOFs(t, tr, fixed, sensor)
		t.Logf("%v; before %.4f, after %.4f", FixText([]Fixed{*fx}), before, after)
		for d := range 6 {
			observed := p.DOFs[d].Status == check.Observed
			if observed != slices.Contains(fx.Corrected, dofNames[d]) || observed == slices.Contains(fx.Kept, dofNames[d]) {
				t.Errorf("%s %s (%s): corrected %v, kept %v", sensor, dofNames[d], p.DOFs[d].Status, fx.Corrected, fx.Kept)
			}
			// 0.1° / 1 cm, or 3σ where the pair's σ says it cannot do
			// better (the radar: a few cm).
			tol := 0.1
			if d >= 3 {
				tol = 0.01
			}
			if s := p.DOFs[d].Sigma; s != nil {
				tol = max(tol, 3**s)
			}
			switch {
			case observed && math.Abs(after[d]) > tol:
				t.Errorf("%s: observed %s fixed to %.4g off the truth, want within %g", sensor, dofNames[d], after[d], tol)
			case !observed && math.Abs(after[d]-before[d]) > 1e-9:
				t.Errorf("%s: %s (%s) moved from %.6g to %.6g, want kept", sensor, dofNames[d], p.DOFs[d].Status, before[d], after[d])
			}
		}
	}
	if p := pair(t, rep, check.KindRadarLidar, "radar_front"); p.DOFs[5].Status == check.Observed || p.DOFs[2].Status != check.Observed {
		t.Errorf("radar_front: z %s, yaw %s; want z not observed, yaw observed", p.DOFs[5].Status, p.DOFs[2].Status)
	}
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', 3, 64) }
