package nuscenes

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/camera"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/fixtures/traj"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/fused"
)

// drive is a fused moving fixture log: the minimal rig (a 15 Hz camera, so
// its exposures fall at varying offsets from the 10 Hz LiDAR sweeps) with
// two radars, driving at 10 m/s with the true pose on /tf, fused with
// the /tf ego source; and the truth it was generated from.
type drive struct {
	frames []*fused.Frame
	truth  *fixtures.Truth
	traj   *traj.Trajectory
	// lidar and radars are the true T_base_sensor, as rigsync fuse passes
	// them to Options.
	lidar  se3.Transform
	radars map[string]se3.Transform
}

var (
	driveOnce sync.Once
	driveLog  *drive
	driveErr  string
)

// movingDrive generates and fuses the drive once per test binary.
func movingDrive(t *testing.T) *drive {
	t.Helper()
	driveOnce.Do(func() { driveLog, driveErr = newDrive() })
	if driveLog == nil {
		t.Fatal(driveErr)
	}
	return driveLog
}

func newDrive() (*drive, string) {
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		return nil, err.Error()
	}
	cfg.Duration = 1500 * time.Millisecond
	cfg.Speed = 10
	cfg.Rig.TF = true
	cfg.Rig.Cameras[0].RateHz = 15
	// Two radars: the fixture phases the second a third of a period after
	// the first, so its scans are 1/60 s off the sweeps.
	cfg.Rig.Radars = []fixtures.RadarSpec{
		{Name: "radar_front", Mount: fixtures.Mount{X: 3.7, Z: 0.5, Yaw: 3}, HFOV: 90, VFOV: 12,
			MaxRange: 100, RateHz: 20, RangeNoise: 0.08, AzimuthNoise: 0.3, DopplerNoise: 0.05, MaxPerObject: 6, LatencyMS: 15},
		{Name: "radar_left", Mount: fixtures.Mount{X: 3.4, Y: 0.8, Z: 0.5, Yaw: 60}, HFOV: 120, VFOV: 12,
			MaxRange: 100, RateHz: 20, RangeNoise: 0.08, AzimuthNoise: 0.3, DopplerNoise: 0.05, MaxPerObject: 6, LatencyMS: 15},
	}
	var log, truth bytes.Buffer
	if err := fixtures.Generate(context.Background(), cfg, &log, &truth, nil); err != nil {
		return nil, "Generate: " + err.Error()
	}
	tr, err := fixtures.LoadTruth(&truth)
	if err != nil {
		return nil, err.Error()
	}
	r, err := mcapread.NewReader(bytes.NewReader(log.Bytes()), int64(log.Len()), "drive.mcap")
	if err != nil {
		return nil, err.Error()
	}
	var c collector
	if err := (&fusion.Pipeline{Reader: r, Ego: "tf"}).Run(context.Background(), &c); err != nil {
		return nil, "Run: " + err.Error()
	}
	d := &drive{frames: c.frames, truth: tr, radars: map[string]se3.Transform{}}
	if d.traj, err = tr.Drive(); err != nil {
		return nil, err.Error()
	}
	for _, s := range tr.Sensors {
		e := s.Extrinsic
		q := e.RotationXYZW
		T, err := se3.FromQuatWXYZ(q[3], q[0], q[1], q[2], r3.Vec{X: e.Translation[0], Y: e.Translation[1], Z: e.Translation[2]})
		if err != nil {
			return nil, err.Error()
		}
		switch s.Kind {
		case "lidar":
			d.lidar = T
		case "radar":
			d.radars[s.Name] = T
		}
	}
	return d, ""
}

// collector is a fused.Sink keeping every frame.
type collector struct{ frames []*fused.Frame }

func (c *collector) Write(_ context.Context, f *fused.Frame) error {
	c.frames = append(c.frames, f)
	return nil
}
func (c *collector) Close() error { return nil }

// wxyzMatrix is the rotation matrix of a unit quaternion in nuScenes'
// [w, x, y, z] order (pyquaternion's rotation_matrix), written out here
// rather than taken from se3 so the check does not share its code.
func wxyzMatrix(q [4]float64) [3][3]float64 {
	w, x, y, z := q[0], q[1], q[2], q[3]
	return [3][3]float64{
		{1 - 2*(y*y+z*z), 2 * (x*y - w*z), 2 * (x*z + w*y)},
		{2 * (x*y + w*z), 1 - 2*(x*x+z*z), 2 * (y*z - w*x)},
		{2 * (x*z - w*y), 2 * (y*z + w*x), 1 - 2*(x*x+y*y)},
	}
}

// forward applies p' = R·p + t (the devkit's rotate then translate).
func forward(R [3][3]float64, t [3]float64, p [3]float64) [3]float64 {
	var o [3]float64
	for i := range 3 {
		o[i] = R[i][0]*p[0] + R[i][1]*p[1] + R[i][2]*p[2] + t[i]
	}
	return o
}

// backward applies p' = Rᵀ·(p − t) (the devkit's translate(−t) then
// rotate(R.T)).
func backward(R [3][3]float64, t [3]float64, p [3]float64) [3]float64 {
	d := [3]float64{p[0] - t[0], p[1] - t[1], p[2] - t[2]}
	var o [3]float64
	for i := range 3 {
		o[i] = R[0][i]*d[0] + R[1][i]*d[1] + R[2][i]*d[2]
	}
	return o
}

// exported indexes the tables of a nuScenes export for the devkit chain.
type exported struct {
	dir   string
	ego   map[string]egoPoseRec
	calib map[string]calibratedSensorRec
	// byChannelUs finds a sample_data by "<CHANNEL>@<µs>".
	byChannelUs map[string]sampleDataRec
}

func loadExport(t *testing.T, dir string) *exported {
	t.Helper()
	tb := loadTables(t, dir, "v1.0-rigsync")
	x := &exported{dir: dir, ego: map[string]egoPoseRec{}, calib: map[string]calibratedSensorRec{}, byChannelUs: map[string]sampleDataRec{}}
	for _, e := range tb.EgoPose {
		x.ego[e.Token] = e
	}
	for _, c := range tb.CalibratedSensor {
		x.calib[c.Token] = c
	}
	chOf := map[string]string{}
	for _, s := range tb.Sensor {
		chOf[s.Token] = s.Channel
	}
	for _, sd := range tb.SampleData {
		ch := chOf[x.calib[sd.CalibratedSensorToken].SensorToken]
		x.byChannelUs[ch+"@"+itoa(sd.Timestamp)] = sd
	}
	return x
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// channelOf is the default channel of a sensor name (Options.Channels unset).
func channelOf(name string) string { return sanitize(strings.ToUpper(name)) }

func (x *exported) sampleData(t *testing.T, ch string, stampNs int64) sampleDataRec {
	t.Helper()
	sd, ok := x.byChannelUs[ch+"@"+itoa(stampNs/1000)]
	if !ok {
		t.Fatalf("no %s sample_data at %d µs", ch, stampNs/1000)
	}
	return sd
}

// lidarPoints reads a LIDAR_TOP .pcd.bin as the devkit's
// LidarPointCloud.from_file does (5 float32 per point, x y z used).
func (x *exported) lidarPoints(t *testing.T, sd sampleDataRec) [][3]float64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(x.dir, filepath.FromSlash(sd.Filename)))
	if err != nil {
		t.Fatal(err)
	}
	if len(b)%20 != 0 {
		t.Fatalf("%s: %d bytes, not 5 float32 per point", sd.Filename, len(b))
	}
	pts := make([][3]float64, len(b)/20)
	for i := range pts {
		for k := range 3 {
			pts[i][k] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[20*i+4*k:])))
		}
	}
	return pts
}

// devkitToCamera is the devkit's map_pointcloud_to_image chain up to the
// camera frame: point sensor frame → ego at the point sensor's time
// (calibrated_sensor) → global (its ego_pose) → ego at the camera's time
// (inverse of the camera's ego_pose) → camera (inverse of its
// calibrated_sensor).
func (x *exported) devkitToCamera(point, cam sampleDataRec) func(p [3]float64) [3]float64 {
	pc, pe := x.calib[point.CalibratedSensorToken], x.ego[point.EgoPoseToken]
	cc, ce := x.calib[cam.CalibratedSensorToken], x.ego[cam.EgoPoseToken]
	Rpc, Rpe, Rce, Rcc := wxyzMatrix(pc.Rotation), wxyzMatrix(pe.Rotation), wxyzMatrix(ce.Rotation), wxyzMatrix(cc.Rotation)
	return func(p [3]float64) [3]float64 {
		p = forward(Rpc, pc.Translation, p)
		p = forward(Rpe, pe.Translation, p)
		p = backward(Rce, ce.Translation, p)
		return backward(Rcc, cc.Translation, p)
	}
}

// TestDevkitProjectionMatchesFrames exports a fused moving drive to
// nuScenes, rebuilds the devkit's map_pointcloud_to_image chain from the
// exported tables and LiDAR files, and checks that it puts every LiDAR
// point where rigsync's own projection (Camera.Projected, what the frames
// output writes) does, within 0.05 px, for a one-frame and a many-frame
// run. It also checks every camera's and radar's ego_pose against the
// fixture's true trajectory at the sensor's stamp, and that the devkit
// places the exported radar detections where the frame has them.
func TestDevkitProjectionMatchesFrames(t *testing.T) {
	d := movingDrive(t)
	if len(d.frames) < 8 {
		t.Fatalf("%d frames from the drive, want ≥ 8", len(d.frames))
	}
	// The one-frame run takes the frame whose camera is farthest in time
	// from its sweep (the LiDAR-time pose is then most wrong for it).
	one, worst := -1, int64(0)
	for i, f := range d.frames {
		if f.Lidar == nil || len(f.Cameras) != 1 {
			continue
		}
		if dt := abs64(f.Cameras[0].Stamp - f.Stamp); dt > worst {
			one, worst = i, dt
		}
	}
	if one < 0 || worst < 10_000_000 {
		t.Fatalf("no frame with its camera ≥ 10 ms from the sweep (worst %d ns)", worst)
	}
	runs := []struct {
		name   string
		frames []*fused.Frame
	}{
		{"one frame", d.frames[one : one+1]},
		{"all frames", d.frames},
	}
	for _, run := range runs {
		t.Run(run.name, func(t *testing.T) {
			dir := t.TempDir()
			w, err := New(dir, Options{BaseLidar: d.lidar, BaseRadar: d.radars})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range run.frames {
				if err := w.Write(context.Background(), f); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			x := loadExport(t, dir)
			checkProjections(t, d, x, run.frames)
			checkEgoTruth(t, d, x, run.frames)
			checkRadar(t, x, run.frames)
		})
	}
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// checkProjections compares the devkit chain's pixels with
// Camera.Projected. The exported images are undistorted with the same K,
// so the devkit's pinhole pixel is carried into the distorted image the
// projections refer to through the camera model.
func checkProjections(t *testing.T, d *drive, x *exported, frames []*fused.Frame) {
	t.Helper()
	var n int
	var worst, sum float64
	for _, f := range frames {
		if f.Lidar == nil {
			continue
		}
		lsd := x.sampleData(t, LidarChannel, f.Stamp)
		pts := x.lidarPoints(t, lsd)
		if len(pts) != f.Lidar.Points.Len() {
			t.Fatalf("frame %d: %d exported points, frame has %d", f.Index, len(pts), f.Lidar.Points.Len())
		}
		for ci := range f.Cameras {
			c := &f.Cameras[ci]
			csd := x.sampleData(t, channelOf(c.Name), c.Stamp)
			K := x.calib[csd.CalibratedSensorToken].CameraIntrinsic
			in := camera.Intrinsics{Fx: c.Info.K[0], Fy: c.Info.K[4], Cx: c.Info.K[2], Cy: c.Info.K[5], Width: c.Info.Width, Height: c.Info.Height}
			model, err := camera.New(c.Info.DistortionModel, in, c.Info.D)
			if err != nil {
				t.Fatal(err)
			}
			toCam := x.devkitToCamera(lsd, csd)
			seen := 0
			for _, pr := range c.Projected {
				q := toCam(pts[pr.Index])
				if q[2] <= 1 { // the devkit's min_dist
					continue
				}
				// view_points(normalize=True) with camera_intrinsic.
				u := (K[0][0]*q[0] + K[0][1]*q[1] + K[0][2]*q[2]) / q[2]
				v := (K[1][0]*q[0] + K[1][1]*q[1] + K[1][2]*q[2]) / q[2]
				// The same ray in the distorted image.
				ud, vd, ok := model.Project(r3.Vec{X: (u - K[0][2]) / K[0][0], Y: (v - K[1][2]) / K[1][1], Z: 1})
				if !ok {
					t.Errorf("frame %d %s point %d: devkit pixel (%.2f, %.2f) outside the camera model", f.Index, c.Name, pr.Index, u, v)
					continue
				}
				e := math.Hypot(ud-float64(pr.U), vd-float64(pr.V))
				worst = math.Max(worst, e)
				sum += e
				n++
				seen++
			}
			if seen < 100 {
				t.Errorf("frame %d %s: only %d projected points to compare", f.Index, c.Name, seen)
			}
		}
	}
	if n == 0 {
		t.Fatal("no projected points compared")
	}
	t.Logf("devkit chain vs rigsync projection: %d points, mean %.2e px, worst %.2e px", n, sum/float64(n), worst)
	if worst > 0.05 {
		t.Errorf("devkit chain from the export is up to %.3f px (mean %.3f) from rigsync's projection, want ≤ 0.05 px", worst, sum/float64(n))
	}
}

// checkEgoTruth checks every camera's and radar's ego_pose against the
// true base_link pose at its stamp (the fixture's clocks are true, and the
// /tf ego source is the true pose at 50 Hz, interpolated).
func checkEgoTruth(t *testing.T, d *drive, x *exported, frames []*fused.Frame) {
	t.Helper()
	const posTol, yawTol = 1e-4, 1e-5 // m, rad: the 50 Hz interpolation's error is far below
	var worstPos, worstYaw float64
	check := func(what string, sd sampleDataRec, stampNs int64) {
		e := x.ego[sd.EgoPoseToken]
		want := d.truth.BasePose(d.traj, stampNs)
		dp := math.Hypot(e.Translation[0]-want.Translation[0], e.Translation[1]-want.Translation[1])
		dp = math.Hypot(dp, e.Translation[2]-want.Translation[2])
		R := wxyzMatrix(e.Rotation)
		wq := want.RotationXYZW
		W := wxyzMatrix([4]float64{wq[3], wq[0], wq[1], wq[2]})
		// Angle of Rᵀ·W from its trace.
		tr := 0.0
		for i := range 3 {
			for k := range 3 {
				tr += R[k][i] * W[k][i]
			}
		}
		ang := math.Acos(math.Max(-1, math.Min(1, (tr-1)/2)))
		worstPos, worstYaw = math.Max(worstPos, dp), math.Max(worstYaw, ang)
		if dp > posTol || ang > yawTol {
			t.Errorf("%s: ego_pose %.4f m, %.6f rad from the true pose at its stamp", what, dp, ang)
		}
	}
	for _, f := range frames {
		for ci := range f.Cameras {
			c := &f.Cameras[ci]
			check(fmt.Sprintf("frame %d %s", f.Index, c.Name), x.sampleData(t, channelOf(c.Name), c.Stamp), c.Stamp)
		}
		for _, st := range f.Sensors {
			if st.Modality == formats.Radar && !st.Missing {
				check(fmt.Sprintf("frame %d %s", f.Index, st.Name), x.sampleData(t, channelOf(st.Name), st.Stamp), st.Stamp)
			}
		}
	}
	t.Logf("camera and radar ego_pose vs truth: worst %.2e m, %.2e rad", worstPos, worstYaw)
}

// checkRadar maps the exported radar detections into the global frame as
// the devkit does (calibrated_sensor, then the radar's ego_pose) and
// compares them with the frame's detections mapped by the frame's ego pose.
func checkRadar(t *testing.T, x *exported, frames []*fused.Frame) {
	t.Helper()
	n := 0
	worst := 0.0
	for _, f := range frames {
		r := f.Radar
		if r == nil {
			continue
		}
		for s, name := range r.Sources {
			stamp := int64(0)
			for _, st := range f.Sensors {
				if st.Name == name {
					stamp = st.Stamp
				}
			}
			sd := x.sampleData(t, channelOf(name), stamp)
			b, err := os.ReadFile(filepath.Join(x.dir, filepath.FromSlash(sd.Filename)))
			if err != nil {
				t.Fatal(err)
			}
			i := bytes.Index(b, []byte("DATA binary\n"))
			if i < 0 {
				t.Fatalf("%s: no DATA line", sd.Filename)
			}
			body := b[i+len("DATA binary\n"):]
			cs, e := x.calib[sd.CalibratedSensorToken], x.ego[sd.EgoPoseToken]
			Rc, Re := wxyzMatrix(cs.Rotation), wxyzMatrix(e.Rotation)
			k := 0
			for j := range r.X {
				if int(r.Source[j]) != s {
					continue
				}
				o := 43 * k
				k++
				if o+43 > len(body) {
					t.Fatalf("%s: %d detections in the file, more in the frame", sd.Filename, k-1)
				}
				f32 := func(off int) float64 { return float64(math.Float32frombits(binary.LittleEndian.Uint32(body[o+off:]))) }
				g := forward(Re, e.Translation, forward(Rc, cs.Translation, [3]float64{f32(0), f32(4), f32(8)}))
				want := f.Ego.Apply(r3.Vec{X: float64(r.X[j]), Y: float64(r.Y[j]), Z: float64(r.Z[j])})
				dist := r3.Norm(r3.Sub(r3.Vec{X: g[0], Y: g[1], Z: g[2]}, want))
				worst = math.Max(worst, dist)
				n++
			}
		}
	}
	if n == 0 {
		t.Fatal("no radar detections compared")
	}
	t.Logf("radar detections, devkit global vs frame: %d, worst %.2e m", n, worst)
	if worst > 1e-3 {
		t.Errorf("devkit places exported radar detections up to %.3f m from the frame's, want ≤ 1 mm", worst)
	}
}
