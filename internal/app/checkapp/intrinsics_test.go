package checkapp

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/calib/check"
	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/fixtures"
)

// cameraLog writes a 1 s log of the minimal rig (one camera, one LiDAR,
// /tf for ego motion) with w×h camera images and returns its path and
// truth.
func cameraLog(t *testing.T, w, h int) (string, *fixtures.Truth) {
	t.Helper()
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Duration = time.Second
	cfg.Rig.TF = true
	cfg.Rig.SetCameraSize(w, h)
	return writeFixture(t, cfg, "drive.mcap")
}

// truthRig is the rig file of a fixture's true calibration.
func truthRig(tr *fixtures.Truth) *rig.Rig {
	rg := &rig.Rig{Version: rig.Version, BaseFrame: "base_link"}
	for _, s := range tr.Sensors {
		if s.Kind == "tf" {
			continue
		}
		x := s.Extrinsic
		rs := rig.Sensor{Name: s.Name, Topic: s.Topic, Modality: s.Kind, Frame: s.Name,
			Extrinsic: &rig.Extrinsic{Translation: x.Translation[:], RotationXYZW: x.RotationXYZW[:]}}
		if c := s.Camera; c != nil {
			rs.Intrinsics = &rig.Intrinsics{Model: c.Model, Width: c.Width, Height: c.Height, Fx: c.Fx, Fy: c.Fy, Cx: c.Cx, Cy: c.Cy, Distortion: c.D}
		}
		rg.Sensors = append(rg.Sensors, rs)
	}
	return rg
}

// TestRigIntrinsics: calib check --rig goes through the same fusion as
// fuse: the rig's intrinsics win over the log's CameraInfo, the report
// warns once about a disagreement, images of another size than the rig
// calibrated are an error naming the log, topic and sizes, and with
// ScaleIntrinsics the check runs and the report says the intrinsics were
// scaled.
func TestRigIntrinsics(t *testing.T) {
	small, str := cameraLog(t, 480, 300)
	big, btr := cameraLog(t, 640, 400)
	kinds := []string{check.KindLidarCamera}

	// fx 10% off the log's (true) CameraInfo.
	rg := truthRig(str)
	cam, err := rg.Sensor("cam_front")
	if err != nil {
		t.Fatal(err)
	}
	cam.Intrinsics.Fx *= 0.9
	rep, err := Run(context.Background(), Options{Logs: []string{small}, Rig: rg, RigPath: "rig.yaml", Kinds: kinds, MaxFrames: 5})
	if err != nil {
		t.Fatal(err)
	}
	want := "cam_front: the log's CameraInfo (" + small + " topic /cam_front/camera_info) disagrees with rig.yaml, whose intrinsics are used (log vs rig.yaml): fx 240 vs 216"
	if len(rep.Warnings) != 1 || rep.Warnings[0] != want {
		t.Errorf("warnings %q, want [%q]", rep.Warnings, want)
	}

	// The rig calibrated cam_front at 480×300; the log's images are
	// 640×400.
	rg = truthRig(btr)
	cam, _ = rg.Sensor("cam_front")
	c := str.Sensor("cam_front").Camera
	cam.Intrinsics = &rig.Intrinsics{Model: c.Model, Width: c.Width, Height: c.Height, Fx: c.Fx, Fy: c.Fy, Cx: c.Cx, Cy: c.Cy, Distortion: c.D}
	_, err = Run(context.Background(), Options{Logs: []string{big}, Rig: rg, RigPath: "rig.yaml", Kinds: kinds, MaxFrames: 5})
	for _, w := range []string{big + " topic /cam_front/image_raw/compressed", "a 640×400 image", "calibrated camera cam_front at 480×300"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("640×400 images, rig at 480×300: error %v, want it to say %q", err, w)
		}
	}
	rep, err = Run(context.Background(), Options{Logs: []string{big}, Rig: rg, RigPath: "rig.yaml", Kinds: kinds, MaxFrames: 5, ScaleIntrinsics: true})
	if err != nil {
		t.Fatal(err)
	}
	scaled := 0
	for _, w := range rep.Warnings {
		scaled += strings.Count(w, "cam_front: rig.yaml intrinsics (480×300) scaled to the 640×400 images")
	}
	if scaled != 1 || len(rep.Pairs) == 0 {
		t.Errorf("scaled: warnings %q, %d pairs; want one about scaling", rep.Warnings, len(rep.Pairs))
	}
}
