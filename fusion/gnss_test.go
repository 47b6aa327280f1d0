package fusion

import (
	"math"
	"testing"
	"time"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats"
	"gonum.org/v1/gonum/spatial/r3"
)

// TestENU: the tangent plane against the fixture's own conversion (odom x
// east, y north around its origin) and exact values: the origin maps to
// zero, a point 1 km up is (0, 0, 1000), one arc-second of latitude is
// about 30.9 m north.
func TestENU(t *testing.T) {
	o := Geodetic{Lat: 48.137, Lon: 11.575, Alt: 519}
	e := NewENU(o)
	for _, tc := range []struct {
		name string
		g    Geodetic
		want r3.Vec
		tol  float64
	}{
		{"origin", o, r3.Vec{}, 1e-6},
		{"up", Geodetic{Lat: o.Lat, Lon: o.Lon, Alt: o.Alt + 1000}, r3.Vec{Z: 1000}, 1e-6},
		{"1 arc-second north", Geodetic{Lat: o.Lat + 1.0/3600, Lon: o.Lon, Alt: o.Alt}, r3.Vec{Y: 30.88}, 0.02},
	} {
		if got := e.Local(tc.g); r3.Norm(r3.Sub(got, tc.want)) > tc.tol {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	for _, p := range []r3.Vec{{X: 120, Y: -35, Z: 1.9}, {X: -400, Y: 250, Z: 3}} {
		lat, lon, alt := fixtures.ENUToGeodetic(o.Lat, o.Lon, o.Alt, p)
		got := e.Local(Geodetic{Lat: lat, Lon: lon, Alt: alt})
		// The fixture linearises the ellipsoid with the radii of curvature
		// at the ellipsoid (not at the origin's altitude, a relative error
		// of alt/R ≈ 1e-4); beyond that the two agree to the curvature
		// term |p|²/(2R).
		tol := 1e-3 + 1e-4*r3.Norm(p) + r3.Dot(p, p)/(2*6.37e6)
		if d := r3.Norm(r3.Sub(got, p)); d > tol {
			t.Errorf("%v: %v (off by %.4f m, tolerance %.4f)", p, got, d, tol)
		}
	}
}

// gnssRig is testRig with a 10 Hz GNSS receiver (noise 2 cm, RTK-like)
// as the only ego source (no /tf, no radar).
func gnssRig(tb testing.TB, noise float64) fixtures.Config {
	cfg := testRig(tb, 4*time.Second)
	cfg.Rig.TF = false
	cfg.Rig.Radars = nil
	cfg.Rig.GNSS = &fixtures.GNSSSpec{Name: "gnss", Mount: fixtures.Mount{X: 0.4, Y: 0.1, Z: 1.9}, RateHz: 10, Noise: noise,
		Latitude: 48.137, Longitude: 11.575, Altitude: 519, LatencyMS: 20}
	return cfg
}

// TestGNSSEgo: with GNSS (2 cm noise) as the only ego source, auto picks
// gnss; the ego pose in the ENU plane at the fixture's origin is the true
// odom pose within 6 cm and 1° of heading (the heading from the fitted
// course, held by the gyro), and without an origin the poses are the same
// up to the first fix's offset; the fused sweeps (IMU rotation, GNSS
// translation) lie on the true ground and box surfaces within 3 cm.
func TestGNSSEgo(t *testing.T) {
	cfg := gnssRig(t, 0.02)
	lf := generate(t, cfg)
	tr := lf.truth
	drive, err := tr.Drive()
	if err != nil {
		t.Fatal(err)
	}
	g := cfg.Rig.GNSS
	origin := &Geodetic{Lat: g.Latitude, Lon: g.Longitude, Alt: g.Altitude}
	frames := run(t, lf, Pipeline{GNSSOrigin: origin, NoProject: true})
	free := run(t, lf, Pipeline{Ego: "gnss", NoProject: true})
	if len(frames) < 15 || len(free) != len(frames) {
		t.Fatalf("%d frames (%d without origin)", len(frames), len(free))
	}
	var maxPos, maxYaw float64
	var off r3.Vec
	for k, f := range frames {
		if f.EgoSource != "gnss" || free[k].EgoSource != "gnss" {
			t.Fatalf("frame %d: ego source %q / %q, want gnss", k, f.EgoSource, free[k].EgoSource)
		}
		te := tr.BasePose(drive, f.Stamp)
		d := r3.Norm(r3.Sub(f.Ego.Trans, r3.Vec{X: te.Translation[0], Y: te.Translation[1], Z: te.Translation[2]}))
		maxPos = math.Max(maxPos, d)
		q := te.Quat()
		wantYaw := 2 * math.Atan2(q.Kmag, q.Real)
		r := f.Ego.Rotate(r3.Vec{X: 1})
		dy := math.Remainder(math.Atan2(r.Y, r.X)-wantYaw, 2*math.Pi)
		maxYaw = math.Max(maxYaw, math.Abs(dy))
		// Without an origin the world is the plane at the first fix: the
		// same poses shifted by a constant.
		o := r3.Sub(free[k].Ego.Trans, f.Ego.Trans)
		if k == 0 {
			off = o
		} else if r3.Norm(r3.Sub(o, off)) > 1e-3 {
			t.Errorf("frame %d: poses without an origin shift by %v, at frame 0 by %v", k, o, off)
		}
	}
	t.Logf("GNSS ego vs truth: position up to %.3f m, heading up to %.3f°; first fix at %v from the origin", maxPos, maxYaw*180/math.Pi, r3.Scale(-1, off))
	if maxPos > 0.06 || maxYaw > 1*math.Pi/180 {
		t.Errorf("GNSS ego off the truth by up to %.3f m and %.3f°, want ≤ 0.06 m and 1°", maxPos, maxYaw*180/math.Pi)
	}
	if a := tr.Sensor("gnss").Extrinsic.Translation; r3.Norm(r3.Add(off, r3.Vec{X: a[0], Y: a[1], Z: a[2]})) > 2 {
		t.Errorf("first fix %v from the origin; the antenna starts at %v", r3.Scale(-1, off), a)
	}
	s := surfaces(t, lf, frames)["lidar_top"]
	t.Logf("gnss deskew: ground %d (%d beyond 3 cm), box %d (%d beyond 3 cm)", s.ground, s.groundBad, s.box, s.boxBad)
	if s.ground < 10000 || float64(s.groundBad) > 0.01*float64(s.ground) || s.box < 500 || float64(s.boxBad) > 0.02*float64(s.box) {
		t.Errorf("gnss deskew: ground %d/%d, box %d/%d beyond 3 cm", s.groundBad, s.ground, s.boxBad, s.box)
	}
}

// TestGNSSNoFix: fixes with status −1 or NaN coordinates are skipped, and
// a receiver that never moves gives no heading (no pose) rather than a
// made-up one.
func TestGNSSNoFix(t *testing.T) {
	var g gnssTrack
	var got []int64
	emit := func(ts int64, _ se3.Transform) { got = append(got, ts) }
	for i := range 30 {
		m := &formats.GNSS{Latitude: 48, Longitude: 11, Altitude: 500}
		switch i {
		case 3:
			m.Status = -1
		case 4:
			m.Latitude = math.NaN()
		}
		g.add(int64(i)*1e8, m, r3.Vec{}, emit)
	}
	g.flush(emit)
	if len(got) != 0 {
		t.Errorf("standing still: %d poses", len(got))
	}
	g = gnssTrack{}
	for i := range 30 {
		if i == 3 {
			g.add(int64(i)*1e8, &formats.GNSS{Status: -1, Latitude: 48}, r3.Vec{}, emit)
			continue
		}
		lat, lon, alt := fixtures.ENUToGeodetic(48, 11, 500, r3.Vec{X: float64(i)})
		g.add(int64(i)*1e8, &formats.GNSS{Latitude: lat, Longitude: lon, Altitude: alt}, r3.Vec{}, emit)
	}
	g.flush(emit)
	if len(got) != 29 {
		t.Errorf("moving at 10 m/s with one no-fix: %d poses, want 29", len(got))
	}
}
