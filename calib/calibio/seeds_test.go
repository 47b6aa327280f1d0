package calibio

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/camera"
	"github.com/rigsync/rigsync/calib/se3"
)

// syntheticCalibrations returns made-up calibrations, one per format.
func syntheticCalibrations(t testing.TB) map[Format]*Calibration {
	T, err := se3.FromRPY(0.01, -0.02, 1.5, r3.Vec{X: 1.2, Y: -0.3, Z: 1.6})
	if err != nil {
		t.Fatal(err)
	}
	in := camera.Intrinsics{Fx: 800, Fy: 805, Cx: 640.5, Cy: 360.25, Width: 1280, Height: 720}
	pb := Camera{Name: "front", Frame: "front_optical", Model: "plumb_bob", Intrinsics: in, Params: []float64{-0.3, 0.1, 0.001, -0.002, 0}}
	eq := Camera{Name: "cam0", Frame: "cam0", Model: "equidistant", Intrinsics: in, Params: []float64{-0.01, 0.02, -0.003, 0.001}}
	p := [12]float64{700, 0, 600, 45, 0, 700, 180, 0.2, 0, 0, 1, 0.003}
	kitti := Camera{Name: "image_2", Frame: "image_2", Model: "plumb_bob", Intrinsics: camera.Intrinsics{Fx: 700, Fy: 700, Cx: 600, Cy: 180}, P: &p}
	p0 := [12]float64{700, 0, 600, 0, 0, 700, 180, 0, 0, 0, 1, 0}
	kittiRaw := Camera{Name: "image_00", Frame: "image_00", Model: "plumb_bob", Intrinsics: camera.Intrinsics{Fx: 700, Fy: 700, Cx: 600, Cy: 180, Width: 1242, Height: 375}, P: &p0}
	one := []Extrinsic{{Parent: "base_link", Child: "lidar", T: T}}
	return map[Format]*Calibration{
		ROSCameraInfo:    {Cameras: []Camera{pb}},
		ROSCameraInfoMsg: {Cameras: []Camera{pb}},
		OpenCV:           {Cameras: []Camera{pb}, Scalars: map[string]float64{"avg_reprojection_error": 0.3}},
		Kalibr:           {Cameras: []Camera{eq, {Name: "cam1", Frame: "cam1", Model: "eucm", Intrinsics: in, Params: []float64{0.6, 1.1}}, {Name: "cam2", Frame: "cam2", Model: "double_sphere", Intrinsics: in, Params: []float64{-0.2, 0.59}}}, Extrinsics: []Extrinsic{{Parent: KalibrIMUFrame, Child: "cam0", T: T}}, Scalars: map[string]float64{"cam0.timeshift_cam_imu": 0.004}},
		KalibrIMU:        {Scalars: map[string]float64{"imu0.accelerometer_noise_density": 0.01, "imu0.update_rate": 200}},
		KITTIOdometry:    {Cameras: []Camera{kitti}, Extrinsics: []Extrinsic{{Parent: "image_0", Child: KITTIVelodyne, T: T}}},
		KITTIRaw:         {Cameras: []Camera{kittiRaw}},
		KITTIRigid:       {Extrinsics: []Extrinsic{{Parent: "cam_00", Child: KITTIVelodyne, T: T}}},
		NuScenesSensor:   {Strings: map[string]string{"s1.channel": "CAM_FRONT", "s1.modality": "camera"}},
		NuScenes:         {Cameras: []Camera{{Name: "cam", Model: "plumb_bob", Intrinsics: camera.Intrinsics{Fx: 1266, Fy: 1266, Cx: 816, Cy: 491}}}, Extrinsics: []Extrinsic{{Parent: NuScenesEgo, Child: "cam", T: T}}},
		Autoware:         {Extrinsics: one},
		ApolloExtrinsics: {Extrinsics: one},
		OpenCalib:        {Cameras: []Camera{pb}, Extrinsics: one},
	}
}

// TestSynthetic writes and re-reads a made-up calibration in every format.
// With RIGSYNC_WRITE_SEEDS=1 it also refreshes the FuzzRead seed corpus.
func TestSynthetic(t *testing.T) {
	seeds := os.Getenv("RIGSYNC_WRITE_SEEDS") != ""
	for f, c := range syntheticCalibrations(t) {
		var buf bytes.Buffer
		if err := Write(&buf, c, f); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		got, err := Detect(buf.Bytes())
		if err != nil || got != f {
			t.Errorf("%s detected as %s (%v)", f, got, err)
		}
		back, err := ReadFormat(buf.Bytes(), f, "")
		if err != nil {
			t.Fatalf("%s: %v\n%s", f, err, buf.String())
		}
		// Readers derive transforms some formats imply (KITTI baselines
		// from P, R_rect): compare cameras with the input, and everything
		// with a second round trip.
		if err := equal(&Calibration{Cameras: c.Cameras}, &Calibration{Cameras: back.Cameras}, 1e-12, false); err != nil {
			t.Errorf("%s cameras: %v\n%s", f, err, buf.String())
		}
		if err := equal(back, roundTrip(t, back, f), 1e-12, true); err != nil {
			t.Errorf("%s second round trip: %v", f, err)
		}
		if seeds {
			dir := filepath.Join("testdata", "fuzz", "FuzzRead")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", buf.String())
			if err := os.WriteFile(filepath.Join(dir, "seed_"+string(f)), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
