package checkapp

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats/logcalib"
	"gonum.org/v1/gonum/spatial/r3"
)

// genCameraLog writes an urban-rig fixture log with cam_front as its only
// camera (the others are slow to render and not checked here), with the
// given seed, duration and faults.
func genCameraLog(t *testing.T, seed uint64, d time.Duration, faults ...string) (string, *fixtures.Truth) {
	t.Helper()
	cfg, err := fixtures.Preset("urban")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Seed, cfg.Duration = seed, d
	for _, c := range cfg.Rig.Cameras {
		if c.Name == "cam_front" {
			cfg.Rig.Cameras = append(cfg.Rig.Cameras[:0], c)
			break
		}
	}
	for _, s := range faults {
		kind, val, _ := cutKind(s)
		f, err := fixtures.ParseFault(fixtures.FaultKind(kind), val)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Faults = append(cfg.Faults, f)
	}
	return writeFixture(t, cfg, "drive.mcap")
}

// TestOpticalAxisRoll: cam_front turned 0.5° about its optical axis (an
// image roll, 2.8 px at the edge of the 640×400 image) on an 8 s urban log
// is found miscalibrated, the rotation about the optical axis estimated
// within 0.1° of the truth (the correction is Δ⁻¹: fixtures publish
// T_true·Δ) and reported observed with a 1σ from the score curvature; the
// rig fixed with the report (--fix) is within 0.1° of the true extrinsic
// and checks ok on the same log.
func TestOpticalAxisRoll(t *testing.T) {
	if testing.Short() {
		t.Skip("renders an 8 s urban log")
	}
	path, tr := genCameraLog(t, 2, 8*time.Second, "miscalibrate:cam_front=0,0,0.5,0,0,0")
	rg, err := logcalib.ReadRig(context.Background(), path, "base_link")
	if err != nil {
		t.Fatal(err)
	}
	kinds := []string{check.KindLidarCamera}
	rep := runCheck(t, Options{Logs: []string{path}, Rig: rg, RigPath: "rig.yaml", Kinds: kinds})
	p := pair(t, rep, check.KindLidarCamera, "cam_front")
	D := delta(t, fault(t, tr, fixtures.Miscalibrate, "cam_front"))
	rot, _ := residual(t, p, D)
	t.Logf("%s: %.3f° ± %.3f°, residual %.3f°; %s", p.VerdictText, p.CorrectionRotationDeg, p.Uncertainty.RotationDeg, rot, p.Note)
	if p.Verdict != check.Miscalibrated {
		t.Errorf("verdict %s, want miscalibrated", p.Verdict)
	}
	if rot > 0.1 {
		t.Errorf("correction off by %.3f°, want within 0.1°", rot)
	}
	if err := Gate(rep); err == nil || err.(*GateError).Verdict != check.Miscalibrated {
		t.Errorf("gate %v, want miscalibrated (exit 4)", err)
	}
	if len(p.DOFs) != 6 {
		t.Fatalf("%d DOFs, want 6", len(p.DOFs))
	}
	yaw := p.DOFs[2] // about the optical z axis
	if yaw.Name != check.DOFYaw || yaw.Status != check.Observed || yaw.Estimate == nil || yaw.Sigma == nil {
		t.Fatalf("optical-axis DOF %+v, want observed with an estimate and σ", yaw)
	}
	if e := math.Abs(*yaw.Estimate + 0.5); e > 0.1 || *yaw.Sigma <= 0 || *yaw.Sigma > 0.1 {
		t.Errorf("optical-axis rotation %.3f° ± %.3f°, want −0.5° within 0.1°, 0 < σ ≤ 0.1°", *yaw.Estimate, *yaw.Sigma)
	}
	fixed, err := Fix(rg, rep, check.Miscalibrated)
	if err != nil {
		t.Fatal(err)
	}
	// The fixed rig's extrinsic against the true one.
	st := tr.Sensor("cam_front")
	if st == nil {
		t.Fatal("no cam_front in the truth")
	}
	e := st.Extrinsic
	qt := e.RotationXYZW
	truth, err := se3.FromQuatXYZW(qt[0], qt[1], qt[2], qt[3], r3.Vec{X: e.Translation[0], Y: e.Translation[1], Z: e.Translation[2]})
	if err != nil {
		t.Fatal(err)
	}
	var got se3.Transform
	for i := range fixed.Sensors {
		if fixed.Sensors[i].Name == "cam_front" {
			if got, err = fixed.Sensors[i].T(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if d := truth.Inverse().Mul(got).Angle() * 180 / math.Pi; d > 0.1 {
		t.Errorf("fixed rig's cam_front is %.3f° from the true extrinsic, want within 0.1°", d)
	} else {
		t.Logf("fixed rig's cam_front is %.3f° from the true extrinsic", d)
	}
	rep2 := runCheck(t, Options{Logs: []string{path}, Rig: fixed, RigPath: "rig.fixed.yaml", Kinds: kinds})
	q := pair(t, rep2, check.KindLidarCamera, "cam_front")
	t.Logf("after the fix: %s, %.3f°", q.VerdictText, q.CorrectionRotationDeg)
	if q.Verdict != check.OK {
		t.Errorf("after the fix: %s (%.3f°)", q.Verdict, q.CorrectionRotationDeg)
	}
}
