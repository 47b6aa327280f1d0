package nuscenes

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"image"
	"image/jpeg"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/camera"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/fusion/writers/internal/outdir"
)

const t0 = int64(1_700_000_000_000_000_000)

func mustT(t testing.TB, w, x, y, z float64, tr r3.Vec) se3.Transform {
	t.Helper()
	T, err := se3.FromQuatWXYZ(w, x, y, z, tr)
	if err != nil {
		t.Fatal(err)
	}
	return T
}

// rig is the synthetic rig of the tests, with known extrinsics.
type rig struct {
	baseLidar, baseRadar, baseCam se3.Transform
	lidarPts                      []r3.Vec // in the LiDAR frame
	radarPts                      []r3.Vec // in the radar frame
	jpegFront                     []byte
	K                             [9]float64
}

func newRig(t testing.TB) *rig {
	r := &rig{
		baseLidar: mustT(t, 0.9, 0.1, -0.2, 0.3, r3.Vec{X: 0.9, Y: 0.05, Z: 1.8}),
		baseRadar: mustT(t, 0.99, 0, 0, 0.1, r3.Vec{X: 3.6, Y: 0, Z: 0.5}),
		// A front camera: link-to-optical plus a small yaw.
		baseCam: mustT(t, 1, 0, 0, 0.05, r3.Vec{X: 1.5, Y: 0.1, Z: 1.5}).Mul(se3.LinkToOptical),
		K:       [9]float64{40, 0, 32, 0, 40, 24, 0, 0, 1},
	}
	for i := 0; i < 50; i++ {
		a := float64(i) * 0.3
		r.lidarPts = append(r.lidarPts, r3.Vec{X: 10 * math.Cos(a), Y: 10 * math.Sin(a), Z: -1.7 + 0.01*float64(i)})
	}
	for i := 0; i < 7; i++ {
		r.radarPts = append(r.radarPts, r3.Vec{X: 20 + float64(i), Y: -3 + float64(i), Z: 0.2})
	}
	img := image.NewGray(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	r.jpegFront = buf.Bytes()
	return r
}

// egoAt is the test ego's T_world_base at t (ns): it moves 10 m/s along x
// at y = 2, z = 0.1 and yaws 0.2 rad/s, from the origin at t0.
func egoAt(t testing.TB, ns int64) se3.Transform {
	sec := float64(ns-t0) / 1e9
	return mustT(t, math.Cos(0.1*sec), 0, 0, math.Sin(0.1*sec), r3.Vec{X: 10 * sec, Y: 2, Z: 0.1})
}

// frame builds frame i at 10 Hz, with ego moving 1 m per frame along x and
// yawing slowly (egoAt). The camera fires 7 ms after the frame, the radar
// 3 ms before it; both are placed as the pipeline places them, with the
// ego motion between their stamps and the frame's folded in.
func (r *rig) frame(t testing.TB, i int) *fused.Frame {
	stamp := t0 + int64(i)*100_000_000
	ego := egoAt(t, stamp)
	f := &fused.Frame{Index: i, Stamp: stamp, FrameID: "base_link", Ego: ego, EgoSource: "odometry"}
	camStamp, radarStamp := stamp+7_000_000, stamp-3_000_000
	egoRadar := egoAt(t, radarStamp)
	radarMotion := ego.Inverse().Mul(egoRadar).Mul(r.baseRadar) // T_base(S)_radar(radarStamp)
	var pts formats.Points
	for k, p := range r.lidarPts {
		q := r.baseLidar.Apply(p)
		pts.X = append(pts.X, float32(q.X))
		pts.Y = append(pts.Y, float32(q.Y))
		pts.Z = append(pts.Z, float32(q.Z))
		pts.Intensity = append(pts.Intensity, float32(k))
		pts.Ring = append(pts.Ring, uint16(k%32))
	}
	f.Lidar = &fused.Cloud{Points: pts, Sources: []string{"lidar"}, Deskew: "none"}
	rc := &fused.RadarCloud{Sources: []string{"radar_front"}, Ego: []se3.Transform{egoRadar}}
	for k, p := range r.radarPts {
		q := radarMotion.Apply(p)
		rc.X = append(rc.X, float32(q.X))
		rc.Y = append(rc.Y, float32(q.Y))
		rc.Z = append(rc.Z, float32(q.Z))
		rc.RadialVelocity = append(rc.RadialVelocity, float32(k)-3)
		rc.RawRadialVelocity = append(rc.RawRadialVelocity, float32(k)-13)
		rc.RCS = append(rc.RCS, float32(k)*0.5)
		rc.Source = append(rc.Source, 0)
	}
	f.Radar = rc
	f.Cameras = []fused.Camera{{
		Name: "cam_front", Topic: "/cam_front/image", Stamp: camStamp,
		Image:      &formats.CompressedImage{Format: "jpeg", Data: r.jpegFront},
		Info:       formats.CameraInfo{Width: 64, Height: 48, DistortionModel: "plumb_bob", D: []float64{0, 0, 0, 0, 0}, K: r.K},
		BaseCamera: ego.Inverse().Mul(egoAt(t, camStamp)).Mul(r.baseCam),
		Extrinsic:  r.baseCam,
	}}
	f.Sensors = []fused.SensorStatus{{Name: "radar_front", Modality: formats.Radar, Stamp: radarStamp}}
	return f
}

func writeRun(t *testing.T, r *rig, n int, opts Options) string {
	t.Helper()
	dir := t.TempDir()
	opts.BaseLidar = r.baseLidar
	opts.BaseRadar = map[string]se3.Transform{"radar_front": r.baseRadar}
	w, err := New(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := w.Write(context.Background(), r.frame(t, i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

type tables struct {
	Sensor           []sensorRec
	CalibratedSensor []calibratedSensorRec
	EgoPose          []egoPoseRec
	Log              []logRec
	Map              []mapRec
	Scene            []sceneRec
	Sample           []sampleRec
	SampleData       []sampleDataRec
}

func loadTables(t *testing.T, dir, version string) *tables {
	t.Helper()
	var tb tables
	dst := map[string]any{"sensor": &tb.Sensor, "calibrated_sensor": &tb.CalibratedSensor, "ego_pose": &tb.EgoPose,
		"log": &tb.Log, "map": &tb.Map, "scene": &tb.Scene, "sample": &tb.Sample, "sample_data": &tb.SampleData}
	for _, name := range []string{"attribute", "calibrated_sensor", "category", "ego_pose", "instance", "log", "map",
		"sample", "sample_annotation", "sample_data", "scene", "sensor", "visibility"} {
		b, err := os.ReadFile(filepath.Join(dir, version, name+".json"))
		if err != nil {
			t.Fatalf("table %s: %v", name, err)
		}
		var raw []json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			t.Fatalf("table %s is not a JSON array: %v", name, err)
		}
		if d, ok := dst[name]; ok {
			if err := json.Unmarshal(b, d); err != nil {
				t.Fatal(err)
			}
		} else if len(raw) != 0 {
			t.Errorf("table %s has %d records, want 0", name, len(raw))
		}
	}
	return &tb
}

func TestTokensResolve(t *testing.T) {
	r := newRig(t)
	dir := writeRun(t, r, 12, Options{Version: "v1.0-test"})
	tb := loadTables(t, dir, "v1.0-test")
	set := func(toks ...string) map[string]bool {
		m := map[string]bool{}
		for _, s := range toks {
			if len(s) != 32 || strings.Trim(s, "0123456789abcdef") != "" {
				t.Errorf("token %q is not 32 hex digits", s)
			}
			if m[s] {
				t.Errorf("token %s is not unique", s)
			}
			m[s] = true
		}
		return m
	}
	var toks []string
	for _, x := range tb.Sensor {
		toks = append(toks, x.Token)
	}
	sensors := set(toks...)
	toks = nil
	for _, x := range tb.CalibratedSensor {
		toks = append(toks, x.Token)
	}
	calibs := set(toks...)
	toks = nil
	ego := map[string]egoPoseRec{}
	for _, x := range tb.EgoPose {
		toks = append(toks, x.Token)
		ego[x.Token] = x
	}
	set(toks...)
	toks = nil
	for _, x := range tb.Sample {
		toks = append(toks, x.Token)
	}
	samples := set(toks...)
	toks = nil
	for _, x := range tb.SampleData {
		toks = append(toks, x.Token)
	}
	sds := set(toks...)
	logs := set(tb.Log[0].Token)
	scenes := set(tb.Scene[0].Token)

	check := func(what, tok string, in map[string]bool, allowEmpty bool) {
		t.Helper()
		if tok == "" && allowEmpty {
			return
		}
		if !in[tok] {
			t.Errorf("%s %q does not resolve", what, tok)
		}
	}
	for _, c := range tb.CalibratedSensor {
		check("calibrated_sensor.sensor_token", c.SensorToken, sensors, false)
	}
	for _, s := range tb.Sample {
		check("sample.scene_token", s.SceneToken, scenes, false)
		check("sample.prev", s.Prev, samples, true)
		check("sample.next", s.Next, samples, true)
	}
	for _, s := range tb.Scene {
		check("scene.log_token", s.LogToken, logs, false)
		check("scene.first_sample_token", s.FirstSampleToken, samples, false)
		check("scene.last_sample_token", s.LastSampleToken, samples, false)
		if s.NbrSamples != len(tb.Sample) {
			t.Errorf("scene.nbr_samples = %d, want %d", s.NbrSamples, len(tb.Sample))
		}
	}
	for _, m := range tb.Map {
		for _, l := range m.LogTokens {
			check("map.log_tokens", l, logs, false)
		}
		if _, err := os.Stat(filepath.Join(dir, m.Filename)); err != nil {
			t.Errorf("map mask: %v", err)
		}
	}
	for _, sd := range tb.SampleData {
		check("sample_data.sample_token", sd.SampleToken, samples, false)
		check("sample_data.calibrated_sensor_token", sd.CalibratedSensorToken, calibs, false)
		check("sample_data.prev", sd.Prev, sds, true)
		check("sample_data.next", sd.Next, sds, true)
		e, ok := ego[sd.EgoPoseToken]
		if !ok {
			t.Errorf("sample_data %s has no ego pose", sd.Token)
		} else if e.Timestamp != sd.Timestamp {
			t.Errorf("ego pose of %s at %d µs, sample_data at %d µs", sd.Token, e.Timestamp, sd.Timestamp)
		}
		if _, err := os.Stat(filepath.Join(dir, sd.Filename)); err != nil {
			t.Errorf("sample_data file: %v", err)
		}
	}
	// 12 frames × (lidar, radar, camera), each with its own ego pose.
	if len(tb.SampleData) != 36 || len(tb.EgoPose) != 36 {
		t.Errorf("%d sample_data, %d ego poses, want 36 each", len(tb.SampleData), len(tb.EgoPose))
	}
	// No temporary files are left behind.
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if strings.HasPrefix(d.Name(), ".tmp-") || strings.HasPrefix(d.Name(), outdir.TempPrefix) {
			t.Errorf("temporary file left: %s", p)
		}
		return nil
	})
}

func TestKeyframesAndLinks(t *testing.T) {
	r := newRig(t)
	// 12 frames at 10 Hz with 2 Hz keyframes: keyframes 0, 5, 10.
	dir := writeRun(t, r, 12, Options{})
	tb := loadTables(t, dir, "v1.0-rigsync")
	wantKeyUs := []int64{t0 / 1000, (t0 + 500_000_000) / 1000, (t0 + 1_000_000_000) / 1000}
	if len(tb.Sample) != len(wantKeyUs) {
		t.Fatalf("%d samples, want %d", len(tb.Sample), len(wantKeyUs))
	}
	for i, s := range tb.Sample {
		if s.Timestamp != wantKeyUs[i] {
			t.Errorf("sample %d at %d µs, want %d", i, s.Timestamp, wantKeyUs[i])
		}
		if (i == 0) != (s.Prev == "") || (i == len(tb.Sample)-1) != (s.Next == "") {
			t.Errorf("sample %d prev %q next %q", i, s.Prev, s.Next)
		}
	}
	sampleTS := map[string]int64{}
	for _, s := range tb.Sample {
		sampleTS[s.Token] = s.Timestamp
	}
	byToken := map[string]sampleDataRec{}
	for _, sd := range tb.SampleData {
		byToken[sd.Token] = sd
	}
	for _, sd := range tb.SampleData {
		if sd.IsKeyFrame != strings.HasPrefix(sd.Filename, "samples/") {
			t.Errorf("%s: is_key_frame %v", sd.Filename, sd.IsKeyFrame)
		}
		if !strings.Contains(sd.Filename, "/LIDAR_TOP/") {
			continue
		}
		frameUs := sd.Timestamp
		var want int64
		switch {
		case frameUs < wantKeyUs[1]:
			want = wantKeyUs[0]
			if !sd.IsKeyFrame {
				want = wantKeyUs[1]
			}
		case frameUs < wantKeyUs[2]:
			want = wantKeyUs[1]
			if !sd.IsKeyFrame {
				want = wantKeyUs[2]
			}
		default:
			want = wantKeyUs[2]
		}
		if got := sampleTS[sd.SampleToken]; got != want {
			t.Errorf("LiDAR at %d µs (key %v) belongs to sample at %d, want %d", frameUs, sd.IsKeyFrame, got, want)
		}
	}
	// Each channel's prev/next chain walks all of its sample_data in time order.
	for _, ch := range []string{"LIDAR_TOP", "RADAR_FRONT", "CAM_FRONT"} {
		var first *sampleDataRec
		n := 0
		for _, sd := range tb.SampleData {
			if strings.Contains(sd.Filename, "/"+ch+"/") {
				n++
				if sd.Prev == "" {
					if first != nil {
						t.Errorf("%s: two chain heads", ch)
					}
					sd := sd
					first = &sd
				}
			}
		}
		if first == nil {
			t.Fatalf("%s: no chain head", ch)
		}
		walked, last := 1, first.Timestamp
		for tok := first.Next; tok != ""; tok = byToken[tok].Next {
			sd := byToken[tok]
			if sd.Timestamp <= last {
				t.Errorf("%s: chain not in time order", ch)
			}
			last = sd.Timestamp
			walked++
		}
		if walked != n || n != 12 {
			t.Errorf("%s: chain walks %d of %d sample_data, want 12", ch, walked, n)
		}
	}
}

func TestCalibratedSensorAndEgo(t *testing.T) {
	r := newRig(t)
	dir := writeRun(t, r, 3, Options{})
	tb := loadTables(t, dir, "v1.0-rigsync")
	sensorCh := map[string]string{}
	for _, s := range tb.Sensor {
		sensorCh[s.Token] = s.Channel + "/" + s.Modality
	}
	// Input quaternions normalised by hand, in nuScenes order w, x, y, z.
	n := math.Sqrt(0.81 + 0.01 + 0.04 + 0.09)
	nr := math.Sqrt(0.99*0.99 + 0.01)
	want := map[string]struct {
		tr  [3]float64
		rot [4]float64
		K   [][3]float64
	}{
		"LIDAR_TOP/lidar":   {[3]float64{0.9, 0.05, 1.8}, [4]float64{0.9 / n, 0.1 / n, -0.2 / n, 0.3 / n}, [][3]float64{}},
		"RADAR_FRONT/radar": {[3]float64{3.6, 0, 0.5}, [4]float64{0.99 / nr, 0, 0, 0.1 / nr}, [][3]float64{}},
		"CAM_FRONT/camera": {[3]float64{1.5, 0.1, 1.5}, r.baseCam.QuatWXYZ(),
			[][3]float64{{40, 0, 32}, {0, 40, 24}, {0, 0, 1}}},
	}
	if len(tb.CalibratedSensor) != len(want) {
		t.Fatalf("%d calibrated sensors, want %d (one per sensor for static extrinsics)", len(tb.CalibratedSensor), len(want))
	}
	// The camera's optical-frame rotation, checked independently of QuatWXYZ:
	// its z axis (the optical axis) must point forward in base_link.
	zAxis := r.baseCam.Matrix().MulVec(r3.Vec{Z: 1})
	if zAxis.X < 0.99 {
		t.Fatalf("test rig: camera optical axis %v does not point forward", zAxis)
	}
	for _, c := range tb.CalibratedSensor {
		key := sensorCh[c.SensorToken]
		wnt, ok := want[key]
		if !ok {
			t.Errorf("unexpected sensor %s", key)
			continue
		}
		for i := range 3 {
			if math.Abs(c.Translation[i]-wnt.tr[i]) > 1e-12 {
				t.Errorf("%s translation %v, want %v", key, c.Translation, wnt.tr)
			}
		}
		for i := range 4 {
			if math.Abs(c.Rotation[i]-wnt.rot[i]) > 1e-12 {
				t.Errorf("%s rotation %v, want %v (w,x,y,z)", key, c.Rotation, wnt.rot)
				break
			}
		}
		if len(c.CameraIntrinsic) != len(wnt.K) {
			t.Errorf("%s camera_intrinsic %v, want %v", key, c.CameraIntrinsic, wnt.K)
		}
		for i := range wnt.K {
			if c.CameraIntrinsic[i] != wnt.K[i] {
				t.Errorf("%s camera_intrinsic %v, want %v", key, c.CameraIntrinsic, wnt.K)
			}
		}
		if key == "CAM_FRONT/camera" {
			// Rebuild R from the written w,x,y,z and compare the optical axis.
			T, err := se3.FromQuatWXYZ(c.Rotation[0], c.Rotation[1], c.Rotation[2], c.Rotation[3], r3.Vec{})
			if err != nil {
				t.Fatal(err)
			}
			if d := r3.Sub(T.Matrix().MulVec(r3.Vec{Z: 1}), zAxis); r3.Norm(d) > 1e-9 {
				t.Errorf("camera optical axis from the written quaternion is off by %v", d)
			}
		}
	}
	// Ego pose of frame 2: translation (2, 2, 0.1), yaw 0.04 rad as w,x,y,z.
	for _, e := range tb.EgoPose {
		if e.Timestamp != (t0+200_000_000)/1000 {
			continue
		}
		if e.Translation != [3]float64{2, 2, 0.1} {
			t.Errorf("ego translation %v", e.Translation)
		}
		if math.Abs(e.Rotation[0]-math.Cos(0.02)) > 1e-12 || math.Abs(e.Rotation[3]-math.Sin(0.02)) > 1e-12 ||
			e.Rotation[1] != 0 || e.Rotation[2] != 0 {
			t.Errorf("ego rotation %v, want [cos .02, 0, 0, sin .02]", e.Rotation)
		}
	}
}

func TestLidarBinReadBack(t *testing.T) {
	r := newRig(t)
	dir := writeRun(t, r, 1, Options{})
	b, err := os.ReadFile(filepath.Join(dir, "samples", "LIDAR_TOP", "rigsync__LIDAR_TOP__1700000000000000.pcd.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 20*len(r.lidarPts) {
		t.Fatalf("%d bytes, want %d", len(b), 20*len(r.lidarPts))
	}
	for i, p := range r.lidarPts {
		var v [5]float32
		for k := range v {
			v[k] = math.Float32frombits(binary.LittleEndian.Uint32(b[20*i+4*k:]))
		}
		if math.Abs(float64(v[0])-p.X) > 1e-5 || math.Abs(float64(v[1])-p.Y) > 1e-5 || math.Abs(float64(v[2])-p.Z) > 1e-5 {
			t.Errorf("point %d: %v, want %v in the LiDAR frame", i, v[:3], p)
		}
		if v[3] != float32(i) || v[4] != float32(i%32) {
			t.Errorf("point %d: intensity %v ring %v, want %d %d", i, v[3], v[4], i, i%32)
		}
	}
}

// radarHeader is the nuScenes radar PCD header (as in the dataset's
// RADAR_* sweeps) for 7 points.
const radarHeader = "# .PCD v0.7 - Point Cloud Data file format\n" +
	"VERSION 0.7\n" +
	"FIELDS x y z dyn_prop id rcs vx vy vx_comp vy_comp is_quality_valid ambig_state x_rms y_rms invalid_state pdh0 vx_rms vy_rms\n" +
	"SIZE 4 4 4 1 2 4 4 4 4 4 1 1 1 1 1 1 1 1\n" +
	"TYPE F F F I I F F F F F I I I I I I I I\n" +
	"COUNT 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1\n" +
	"WIDTH 7\n" +
	"HEIGHT 1\n" +
	"VIEWPOINT 0 0 0 1 0 0 0\n" +
	"POINTS 7\n" +
	"DATA binary\n"

func TestRadarPCD(t *testing.T) {
	r := newRig(t)
	dir := writeRun(t, r, 1, Options{})
	// The radar's stamp is its own (SensorStatus), 3 ms before the frame.
	b, err := os.ReadFile(filepath.Join(dir, "samples", "RADAR_FRONT", "rigsync__RADAR_FRONT__1699999999997000.pcd"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte(radarHeader)) {
		t.Fatalf("header:\n%s\nwant:\n%s", b[:min(len(b), len(radarHeader))], radarHeader)
	}
	body := b[len(radarHeader):]
	if len(body) != 43*7+1 || body[len(body)-1] != '\n' {
		t.Fatalf("body %d bytes, want 43×7 + 1 trailing newline", len(body))
	}
	f32 := func(off int) float64 { return float64(math.Float32frombits(binary.LittleEndian.Uint32(body[off:]))) }
	for i, p := range r.radarPts {
		o := 43 * i
		if math.Abs(f32(o)-p.X) > 1e-4 || math.Abs(f32(o+4)-p.Y) > 1e-4 || math.Abs(f32(o+8)-p.Z) > 1e-4 {
			t.Errorf("detection %d at (%v %v %v), want %v in the radar frame", i, f32(o), f32(o+4), f32(o+8), p)
		}
		if id := binary.LittleEndian.Uint16(body[o+13:]); int(id) != i {
			t.Errorf("detection %d id %d", i, id)
		}
		if rcs := f32(o + 15); rcs != float64(i)*0.5 {
			t.Errorf("detection %d rcs %v", i, rcs)
		}
		d := math.Hypot(p.X, p.Y)
		raw, comp := float64(i)-13, float64(i)-3
		if math.Abs(f32(o+19)-raw*p.X/d) > 1e-4 || math.Abs(f32(o+23)-raw*p.Y/d) > 1e-4 ||
			math.Abs(f32(o+27)-comp*p.X/d) > 1e-4 || math.Abs(f32(o+31)-comp*p.Y/d) > 1e-4 {
			t.Errorf("detection %d velocities %v %v %v %v", i, f32(o+19), f32(o+23), f32(o+27), f32(o+31))
		}
		// dyn_prop in 0..6, ambig_state 3, invalid_state 0: kept by the devkit's default filters.
		dyn, ambig, invalid := body[o+12], body[o+36], body[o+39]
		if dyn > 6 || ambig != 3 || invalid != 0 {
			t.Errorf("detection %d dyn_prop %d ambig_state %d invalid_state %d", i, dyn, ambig, invalid)
		}
	}
}

func TestRadarPCDEmpty(t *testing.T) {
	b := AppendRadarPCD(nil, nil)
	want := strings.ReplaceAll(strings.ReplaceAll(radarHeader, "WIDTH 7", "WIDTH 1"), "POINTS 7", "POINTS 1")
	if !bytes.HasPrefix(b, []byte(want)) || len(b) != len(want)+44 {
		t.Fatalf("empty scan: %d bytes, header %q", len(b), b[:min(len(b), len(want))])
	}
	if x := math.Float32frombits(binary.LittleEndian.Uint32(b[len(want):])); !math.IsNaN(float64(x)) {
		t.Errorf("empty scan's point x = %v, want NaN", x)
	}
}

func TestCameraUndistorted(t *testing.T) {
	r := newRig(t)
	// A distorted mono8 image whose value encodes the undistorted
	// normalised x coordinate: after undistortion, pixel (u, v) must hold
	// 128 + 150·(u − cx)/fx.
	in := camera.Intrinsics{Fx: 40, Fy: 40, Cx: 32, Cy: 24, Width: 64, Height: 48}
	D := []float64{-0.25, 0.05, 0, 0, 0}
	model, err := camera.New("plumb_bob", in, D)
	if err != nil {
		t.Fatal(err)
	}
	raw := &formats.Image{Width: 64, Height: 48, Encoding: "mono8", Step: 64, Data: make([]byte, 64*48)}
	for v := 0; v < 48; v++ {
		for u := 0; u < 64; u++ {
			ray, ok := model.Unproject(float64(u), float64(v))
			if !ok {
				t.Fatalf("unproject (%d,%d)", u, v)
			}
			raw.Data[v*64+u] = uint8(math.Max(0, math.Min(255, math.Round(128+150*ray.X/ray.Z))))
		}
	}
	f := r.frame(t, 0)
	f.Lidar, f.Radar = nil, nil
	f.Cameras[0].Image = raw
	f.Cameras[0].Info.D = D
	dir := t.TempDir()
	w, err := New(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	jb, err := os.ReadFile(filepath.Join(dir, "samples", "CAM_FRONT", "rigsync__CAM_FRONT__1700000000007000.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(jb))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 64 || b.Dy() != 48 {
		t.Fatalf("image %v, want 64×48", b)
	}
	worst := 0.0
	for v := 12; v < 36; v += 3 {
		for u := 16; u < 48; u += 3 {
			want := 128 + 150*(float64(u)-32)/40
			y, _, _, _ := img.At(u, v).RGBA()
			worst = math.Max(worst, math.Abs(float64(y>>8)-want))
		}
	}
	if worst > 6 {
		t.Errorf("undistorted image off by up to %.1f grey levels, want ≤ 6", worst)
	}
	tb := loadTables(t, dir, "v1.0-rigsync")
	if sd := tb.SampleData[0]; sd.Width != 64 || sd.Height != 48 || sd.FileFormat != "jpg" {
		t.Errorf("sample_data %+v", sd)
	}
}

// A JPEG camera without distortion (all coefficients zero) is copied as
// recorded: not decoded, remapped or re-encoded.
func TestCameraPassThrough(t *testing.T) {
	r := newRig(t)
	f := r.frame(t, 0)
	if undistorted := f.Cameras[0].Info.D; len(undistorted) == 0 || undistorted[0] != 0 {
		t.Fatalf("test rig: camera distortion %v, want zeros", undistorted)
	}
	dir := t.TempDir()
	w, err := New(dir, Options{BaseLidar: r.baseLidar})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	jb, err := os.ReadFile(filepath.Join(dir, "samples", "CAM_FRONT", "rigsync__CAM_FRONT__1700000000007000.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(jb, r.jpegFront) {
		t.Errorf("CAM_FRONT: %d bytes, not the recorded %d-byte JPEG", len(jb), len(r.jpegFront))
	}
}

func TestOutputSafety(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(dir, Options{}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("non-empty dir: err = %v, want refusal", err)
	}
	if _, err := New(dir, Options{Force: true}); err != nil {
		t.Errorf("Force: %v", err)
	}
	if _, err := New(t.TempDir(), Options{LogName: "../evil"}); err == nil {
		t.Error("log name with a path separator accepted")
	}
	if got := sanitize("../a b/c"); got != "_._a_b_c" {
		t.Errorf("sanitize = %q", got)
	}
}

func TestBadFrames(t *testing.T) {
	r := newRig(t)
	tests := []struct {
		name string
		mod  func(f *fused.Frame)
	}{
		{"lidar columns", func(f *fused.Frame) { f.Lidar.Points.Y = f.Lidar.Points.Y[:3] }},
		{"not the ego frame", func(f *fused.Frame) { f.FrameID = "odom" }},
		{"radar columns", func(f *fused.Frame) { f.Radar.RCS = f.Radar.RCS[:1] }},
		{"radar source", func(f *fused.Frame) { f.Radar.Source[0] = 9 }},
		{"radar ego poses", func(f *fused.Frame) { f.Radar.Ego = append(f.Radar.Ego, f.Ego) }},
		{"camera payload", func(f *fused.Frame) { f.Cameras[0].Image = nil }},
		{"raw image short", func(f *fused.Frame) {
			f.Cameras[0].Image = &formats.Image{Width: 64, Height: 48, Encoding: "rgb8", Step: 192, Data: make([]byte, 100)}
		}},
		{"bad jpeg", func(f *fused.Frame) {
			f.Cameras[0].Image = &formats.CompressedImage{Format: "jpeg", Data: []byte{1, 2}}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, err := New(t.TempDir(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			f := r.frame(t, 0)
			tc.mod(f)
			if err := w.Write(context.Background(), f); err == nil || !strings.HasPrefix(err.Error(), "nuscenes: ") {
				t.Errorf("err = %v, want a nuscenes error", err)
			}
		})
	}
}

// TestEgoAtSensorTime checks that every sample_data's ego pose is the ego
// pose at that sensor's own stamp: the test ego moves 10 m/s along x and
// yaws 0.2 rad/s, the camera fires 7 ms after the frame, the radar 3 ms
// before it.
func TestEgoAtSensorTime(t *testing.T) {
	r := newRig(t)
	dir := writeRun(t, r, 4, Options{})
	tb := loadTables(t, dir, "v1.0-rigsync")
	ego := map[string]egoPoseRec{}
	for _, e := range tb.EgoPose {
		ego[e.Token] = e
	}
	for _, sd := range tb.SampleData {
		e := ego[sd.EgoPoseToken]
		sec := float64(sd.Timestamp-t0/1000) / 1e6 // since frame 0
		wantX, wantYaw := 10*sec, 0.2*sec
		if math.Abs(e.Translation[0]-wantX) > 1e-6 || math.Abs(e.Translation[1]-2) > 1e-9 {
			t.Errorf("%s: ego x %v, want %v", sd.Filename, e.Translation[0], wantX)
		}
		if yaw := 2 * math.Atan2(e.Rotation[3], e.Rotation[0]); math.Abs(yaw-wantYaw) > 1e-6 {
			t.Errorf("%s: ego yaw %v, want %v", sd.Filename, yaw, wantYaw)
		}
	}
}

// TestHostileSensorNames (issue 17 item 5): a 1,000-character camera name
// is written (it failed with "file name too long"), and "cam/front" and
// "cam_front", which sanitise alike, keep two channels, each with its own
// sensor and its own calibrated_sensor record holding its own mount (they
// were merged into one channel whose records alternated).
func TestHostileSensorNames(t *testing.T) {
	r := newRig(t)
	long := strings.Repeat("camera_", 143)[:1000]
	other := r.baseCam.Mul(mustT(t, 1, 0, 0, 0, r3.Vec{X: 0.5}))
	dir := t.TempDir()
	opts := Options{BaseLidar: r.baseLidar, BaseRadar: map[string]se3.Transform{"radar_front": r.baseRadar}}
	w, err := New(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	const n = 4
	for i := 0; i < n; i++ {
		f := r.frame(t, i)
		c := f.Cameras[0]
		a, b, l := c, c, c
		a.Name, b.Name, l.Name = "cam/front", "cam_front", long
		b.Extrinsic = other
		b.BaseCamera = b.BaseCamera.Mul(r.baseCam.Inverse()).Mul(other)
		f.Cameras = []fused.Camera{a, b, l}
		if err := w.Write(context.Background(), f); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	tb := loadTables(t, dir, "v1.0-rigsync")
	bySensor := map[string]string{}
	for _, s := range tb.Sensor {
		if len(s.Channel) > 100 {
			t.Errorf("channel of %d bytes", len(s.Channel))
		}
		bySensor[s.Token] = s.Channel
	}
	if len(tb.Sensor) != 5 { // LiDAR, radar, three cameras
		t.Fatalf("%d sensors, want 5: %v", len(tb.Sensor), bySensor)
	}
	calibs := map[string][]calibratedSensorRec{}
	for _, c := range tb.CalibratedSensor {
		calibs[bySensor[c.SensorToken]] = append(calibs[bySensor[c.SensorToken]], c)
	}
	front, alt := "CAM_FRONT", "CAM_FRONT"+outdir.Suffix("cam_front")
	for ch, want := range map[string]se3.Transform{front: r.baseCam, alt: other} {
		cs := calibs[ch]
		if len(cs) != 1 {
			t.Errorf("channel %s: %d calibrated_sensor records, want 1", ch, len(cs))
			continue
		}
		if d := math.Abs(cs[0].Translation[0] - want.Trans.X); d > 1e-9 {
			t.Errorf("channel %s: x = %v, want %v", ch, cs[0].Translation[0], want.Trans.X)
		}
	}
	files := 0
	for _, sd := range tb.SampleData {
		if _, err := os.Stat(filepath.Join(dir, sd.Filename)); err != nil {
			t.Error(err)
		}
		files++
	}
	if files != 5*n {
		t.Errorf("%d sample_data records, want %d", files, 5*n)
	}
}
