package edge

import (
	"bytes"
	"context"
	"math"
	"testing"
	"time"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/fused"
	"gonum.org/v1/gonum/spatial/r3"
)

// testConfig is the minimal preset (one 480×300 camera, one 32×512 LiDAR,
// IMU) with the true ego pose on /tf, d long.
func testConfig(tb testing.TB, d time.Duration, seed uint64) fixtures.Config {
	tb.Helper()
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Duration, cfg.Seed, cfg.Rig.TF = d, seed, true
	return cfg
}

func fault(tb testing.TB, kind fixtures.FaultKind, s string) fixtures.Fault {
	tb.Helper()
	f, err := fixtures.ParseFault(kind, s)
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// sinkFunc adapts a function to fused.Sink.
type sinkFunc func(f *fused.Frame) error

func (s sinkFunc) Write(_ context.Context, f *fused.Frame) error { return s(f) }
func (sinkFunc) Close() error                                    { return nil }

// checkLog generates the log of cfg, fuses it with the log's own
// (/tf_static) calibration and runs the cam_front checker over it.
func checkLog(tb testing.TB, cfg fixtures.Config, opt Options) ([]check.PairResult, []check.Overlay, *fixtures.Truth) {
	tb.Helper()
	var log, truth bytes.Buffer
	if err := fixtures.Generate(context.Background(), cfg, &log, &truth, nil); err != nil {
		tb.Fatalf("Generate: %v", err)
	}
	tr, err := fixtures.LoadTruth(&truth)
	if err != nil {
		tb.Fatal(err)
	}
	r, err := mcapread.NewReader(bytes.NewReader(log.Bytes()), int64(log.Len()), "drive.mcap")
	if err != nil {
		tb.Fatal(err)
	}
	for _, s := range tr.Sensors {
		if s.Name == "lidar_top" {
			e := s.Published.Translation
			opt.LidarOrigin = r3.Vec{X: e[0], Y: e[1], Z: e[2]}
		}
	}
	c := NewCameraChecker("cam_front", "lidar_top", opt)
	p := fusion.Pipeline{Reader: r, NoProject: true}
	if err := p.Run(context.Background(), sinkFunc(c.Add)); err != nil {
		tb.Fatalf("Pipeline.Run: %v", err)
	}
	res, ovs, err := c.Results()
	if err != nil {
		tb.Fatalf("Results: %v", err)
	}
	if len(res) != 2 || res[0].Kind != check.KindLidarCamera || res[1].Kind != check.KindCameraTime {
		tb.Fatalf("results %+v: want lidar-camera then camera-time", res)
	}
	return res, ovs, tr
}

// transformOf converts a 4×4 row-major correction.
func transformOf(tb testing.TB, m [16]float64) se3.Transform {
	tb.Helper()
	var M [4][4]float64
	for i := range 16 {
		M[i/4][i%4] = m[i]
	}
	T, err := se3.FromMatrix4(M)
	if err != nil {
		tb.Fatal(err)
	}
	return T
}

// se3Of converts a truth transform (quaternion in x, y, z, w order).
func se3Of(tb testing.TB, t fixtures.Transform) se3.Transform {
	tb.Helper()
	q := t.RotationXYZW
	T, err := se3.FromQuatXYZW(q[0], q[1], q[2], q[3], r3.Vec{X: t.Translation[0], Y: t.Translation[1], Z: t.Translation[2]})
	if err != nil {
		tb.Fatal(err)
	}
	return T
}

// trueCorrection is the correction the truth calls for at true time tns:
// T_base_cam(true) = T_base_cam(published) · C.
func trueCorrection(tb testing.TB, tr *fixtures.Truth, cam string, tns int64) se3.Transform {
	tb.Helper()
	s := tr.Sensor(cam)
	return se3Of(tb, s.Published).Inverse().Mul(se3Of(tb, s.ExtrinsicAt(tns)))
}

// residualDeg is the rotation left after applying the estimate, as a
// rotation vector in degrees in the optical frame (x right, y down, z
// forward): the angle of C_est⁻¹ · C_true.
func residualDeg(got, want se3.Transform) r3.Vec {
	return r3.Scale(180/math.Pi, got.Inverse().Mul(want).AxisAngle())
}

// opticalLookingForward is T_base_optical of a camera at 2 m height looking
// along base x (optical z forward, x right, y down).
var opticalLookingForward = func() se3.Transform {
	T := se3.LinkToOptical
	T.Trans = r3.Vec{Z: 2}
	return T
}()
