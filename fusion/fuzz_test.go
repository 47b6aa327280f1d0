package fusion

import (
	"bytes"
	"context"
	"math"
	"testing"
	"time"

	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/fusion/fused"
)

// tinyConfig is a very small rig (4×32 LiDAR, 32×20 camera, radar, /tf,
// IMU) for fuzz seeds.
func tinyConfig(tb testing.TB) fixtures.Config {
	cfg := testRig(tb, 250*time.Millisecond)
	cfg.Compression = "none"
	cfg.Rig.Lidars[0].Beams, cfg.Rig.Lidars[0].Columns = 4, 32
	cfg.Rig.SetCameraSize(32, 20)
	cfg.Rig.IMU.RateHz = 50
	return cfg
}

// checkFrame verifies a frame's internal consistency (column lengths,
// projection indices).
func checkFrame(t *testing.T, f *fused.Frame) {
	t.Helper()
	if c := f.Lidar; c != nil {
		n := c.Points.Len()
		if len(c.Points.Y) != n || len(c.Points.Z) != n || len(c.Source) != n || len(c.Points.TimeOffset) != n ||
			c.Points.Intensity != nil && len(c.Points.Intensity) != n || c.Points.Ring != nil && len(c.Points.Ring) != n {
			t.Fatalf("frame %d: LiDAR columns of different lengths", f.Index)
		}
		for _, s := range c.Source {
			if int(s) >= len(c.Sources) {
				t.Fatalf("frame %d: source id %d of %d", f.Index, s, len(c.Sources))
			}
		}
		for _, cam := range f.Cameras {
			for _, p := range cam.Projected {
				if p.Index < 0 || int(p.Index) >= n {
					t.Fatalf("frame %d: projection index %d of %d", f.Index, p.Index, n)
				}
			}
		}
	}
	if r := f.Radar; r != nil {
		n := len(r.X)
		if len(r.Y) != n || len(r.Z) != n || len(r.RCS) != n || len(r.Source) != n || len(r.RadialVelocity) != n || len(r.RawRadialVelocity) != n {
			t.Fatalf("frame %d: radar columns of different lengths", f.Index)
		}
	}
}

// maxFuzzRunLog bounds FuzzRun's inputs: the pipeline's cost grows with
// the log, and larger inputs only slow the fuzzer down (the seed is
// smaller).
const maxFuzzRunLog = 64 << 10

// fuzzRunConfig is tinyConfig cut to two LiDAR sweeps with a 2×16 LiDAR
// and a 16×10 camera: FuzzRun's seed, small enough for thousands of runs
// a second.
func fuzzRunConfig(tb testing.TB) fixtures.Config {
	cfg := tinyConfig(tb)
	cfg.Duration = 150 * time.Millisecond
	cfg.Rig.Lidars[0].Beams, cfg.Rig.Lidars[0].Columns = 2, 16
	cfg.Rig.SetCameraSize(16, 10)
	return cfg
}

// FuzzRun feeds arbitrary bytes (seeded with a tiny valid log) to the
// pipeline: it must return (frames or an error) without panicking or
// hanging, and every frame must be consistent. Inputs above
// maxFuzzRunLog are skipped; FuzzReadCalibration covers the log's
// calibration, the pipeline's first parse, at a far higher rate.
func FuzzRun(f *testing.F) {
	var log bytes.Buffer
	if err := fixtures.Generate(context.Background(), fuzzRunConfig(f), &log, nil, nil); err != nil {
		f.Fatal(err)
	}
	if log.Len() > maxFuzzRunLog {
		f.Fatalf("seed of %d bytes, more than maxFuzzRunLog", log.Len())
	}
	f.Add(log.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzRunLog {
			return
		}
		r, err := mcapread.NewReader(bytes.NewReader(data), int64(len(data)), "fuzz.mcap")
		if err != nil {
			return
		}
		var c collect
		if err := (&Pipeline{Reader: r}).Run(context.Background(), &c); err != nil {
			return
		}
		for _, fr := range c.frames {
			checkFrame(t, fr)
		}
	})
}

// FuzzReadCalibration: the calibration a log carries (/tf_static composed
// to the base, the first camera info per frame) is read from arbitrary
// bytes without a panic, and what is read is finite.
func FuzzReadCalibration(f *testing.F) {
	var log bytes.Buffer
	if err := fixtures.Generate(context.Background(), fuzzRunConfig(f), &log, nil, nil); err != nil {
		f.Fatal(err)
	}
	f.Add(log.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzRunLog {
			return
		}
		r, err := mcapread.NewReader(bytes.NewReader(data), int64(len(data)), "fuzz.mcap")
		if err != nil {
			return
		}
		cal, err := ReadCalibration(context.Background(), r, "base_link")
		if err != nil {
			return
		}
		for frame, T := range cal.Extrinsics {
			q := T.Rot
			for _, v := range []float64{T.Trans.X, T.Trans.Y, T.Trans.Z, q.Real, q.Imag, q.Jmag, q.Kmag} {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("extrinsic of %s is not finite: %+v", frame, T)
				}
			}
		}
	})
}

// FuzzRadarColumns: radar point clouds with arbitrary layouts never panic
// and give columns of equal length.
func FuzzRadarColumns(f *testing.F) {
	f.Add([]byte{0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64}, 1, 20, 12, 16, false)
	f.Add([]byte{63, 128, 0, 0, 64, 0, 0, 0}, 2, 4, 0, 4, true)
	f.Fuzz(func(t *testing.T, data []byte, width, step, dopOff, rcsOff int, big bool) {
		pc := &formats.PointCloud{Width: width, Height: 1, PointStep: step, RowStep: width * step, BigEndian: big, Data: data,
			Fields: []formats.PointField{
				{Name: "x", Offset: 0, Type: formats.PointFloat32, Count: 1},
				{Name: "y", Offset: 4, Type: formats.PointFloat32, Count: 1},
				{Name: "z", Offset: 8, Type: formats.PointFloat32, Count: 1},
				{Name: "doppler", Offset: dopOff, Type: formats.PointFloat32, Count: 1},
				{Name: "rcs", Offset: rcsOff, Type: formats.PointFloat32, Count: 1},
			}}
		x, y, z, dop, rcs, err := RadarColumns(pc)
		if err != nil {
			return
		}
		n := len(x)
		if len(y) != n || len(z) != n || dop != nil && len(dop) != n || rcs != nil && len(rcs) != n {
			t.Fatalf("columns %d %d %d %d %d", len(x), len(y), len(z), len(dop), len(rcs))
		}
	})
}

// TestTinyLog: the fuzz seed's rig fuses into one frame per sweep with
// every sensor present, so mutations of it exercise the whole pipeline.
func TestTinyLog(t *testing.T) {
	lf := generate(t, tinyConfig(t))
	frames := run(t, lf, Pipeline{})
	if len(frames) != lf.truth.Sensor("lidar_top").Messages || len(frames) == 0 {
		t.Fatalf("%d frames, want %d", len(frames), lf.truth.Sensor("lidar_top").Messages)
	}
	for _, f := range frames {
		checkFrame(t, f)
		if f.Lidar == nil || f.Radar == nil || len(f.Cameras) != 1 || len(f.IMU) == 0 {
			t.Errorf("frame %d: lidar %v radar %v cameras %d imu %d", f.Index, f.Lidar != nil, f.Radar != nil, len(f.Cameras), len(f.IMU))
		}
	}
}
