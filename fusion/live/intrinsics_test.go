package live_test

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/fusion/live"
)

// twoCameraRig is a rig of two cameras calibrated at 480×300.
func twoCameraRig() *rig.Rig {
	rg := &rig.Rig{Version: rig.Version, BaseFrame: "base_link"}
	for i, name := range []string{"cam_a", "cam_b"} {
		rg.Sensors = append(rg.Sensors, rig.Sensor{Name: name, Topic: "/" + name + "/image", Modality: "camera", Frame: name,
			Intrinsics: &rig.Intrinsics{Model: "plumb_bob", Width: 480, Height: 300, Fx: 250 + 10*float64(i), Fy: 251, Cx: 241.5, Cy: 148,
				Distortion: []float64{-0.1, 0.01, 0, 0, 0}},
			Extrinsic: &rig.Extrinsic{Translation: []float64{1, float64(i), 1.5}, RotationXYZW: []float64{-0.5, 0.5, -0.5, 0.5}}})
	}
	return rg
}

func jpegOf(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, w, h)), nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestLiveRigIntrinsics: live cameras whose rig intrinsics were calibrated
// at 480×300. Images of that size fuse with the rig's K; 640×400 images
// are an error naming the stream and both sizes, or, with
// ScaleIntrinsics, fuse with K scaled to 640×400 (fx, cx by 4/3; fy, cy
// by 4/3; pixel centres at integers) and one warning per camera; a
// CameraInfo seen elsewhere (a --with log) that disagrees is reported
// once per camera and does not replace the rig's K.
func TestLiveRigIntrinsics(t *testing.T) {
	rg := twoCameraRig()
	for _, tc := range []struct {
		name    string
		w, h    int
		scale   bool
		wantErr []string
		scaled  int // scaling warnings expected
	}{
		{name: "rig size", w: 480, h: 300},
		{name: "rig size, scaling allowed", w: 480, h: 300, scale: true},
		{name: "other size", w: 640, h: 400, wantErr: []string{"live: fusion: camera stream cam_a (/cam_a/image), image stamped", "a 640×400 image", "rig.yaml calibrated camera cam_a at 480×300", "scale the intrinsics explicitly"}},
		{name: "other size, scaled", w: 640, h: 400, scale: true, scaled: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cal, err := fusion.CalibrationFromRig(rg, "")
			if err != nil {
				t.Fatal(err)
			}
			sink := &captureSink{clock: &fakeClock{}}
			f, err := live.New(live.Config{Streams: []live.Stream{
				{Name: "cam_a", Topic: "/cam_a/image", Modality: formats.Camera},
				{Name: "cam_b", Topic: "/cam_b/image", Modality: formats.Camera},
			}, Calibration: cal, ScaleIntrinsics: tc.scale, NoProject: true}, sink)
			if err != nil {
				t.Fatal(err)
			}
			// The --with log's CameraInfo of cam_a: fx 5 px off the rig's.
			logInfo := cal.Infos["cam_a"]
			logInfo.K[0] += 5
			f.CameraInfo("cam_a", "with.mcap topic /cam_a/camera_info", &logInfo)
			f.CameraInfo("cam_a", "with.mcap topic /cam_a/camera_info", &logInfo)

			ctx := context.Background()
			img := jpegOf(t, tc.w, tc.h)
			const t0, period = int64(1_900_000_000e9), int64(100 * time.Millisecond)
			var pushErr error
			for k := int64(0); k < 5 && pushErr == nil; k++ {
				for i, name := range []string{"cam_a", "cam_b"} {
					m := formats.Message{Topic: "/" + name + "/image", FrameID: name, Stamp: t0 + k*period, Modality: formats.Camera,
						Payload: &formats.CompressedImage{Format: "jpeg", Data: img}}
					if pushErr = f.Push(ctx, m.Stamp+int64(time.Millisecond), i, live.Input{Msg: m}); pushErr != nil {
						break
					}
				}
			}
			if len(tc.wantErr) > 0 {
				for _, w := range tc.wantErr {
					if pushErr == nil || !strings.Contains(pushErr.Error(), w) {
						t.Fatalf("error %v, want it to say %q", pushErr, w)
					}
				}
				return
			}
			if pushErr != nil {
				t.Fatal(pushErr)
			}
			if err := f.Flush(ctx, t0+time.Hour.Nanoseconds()); err != nil {
				t.Fatal(err)
			}
			if len(sink.frames) != 5 {
				t.Fatalf("%d frames, want 5", len(sink.frames))
			}
			s := float64(tc.w) / 480
			for _, fr := range sink.frames {
				for _, c := range fr.Cameras {
					in, err := rg.Sensor(c.Name)
					if err != nil {
						t.Fatal(err)
					}
					r := in.Intrinsics
					want := [9]float64{r.Fx * s, 0, (r.Cx+0.5)*s - 0.5, 0, r.Fy * s, (r.Cy+0.5)*s - 0.5, 0, 0, 1}
					for i := range want {
						if math.Abs(c.Info.K[i]-want[i]) > 1e-9 || c.Info.Width != tc.w || c.Info.Height != tc.h {
							t.Fatalf("frame %d %s: %d×%d K %v, want %d×%d K %v", fr.Index, c.Name, c.Info.Width, c.Info.Height, c.Info.K, tc.w, tc.h, want)
						}
					}
				}
			}
			var scaled, disagree int
			ws := f.Warnings()
			for _, w := range ws {
				if strings.Contains(w, "intrinsics (480×300) scaled to the 640×400 images (camera stream") {
					scaled++
				}
				if strings.HasPrefix(w, "cam_a: the log's CameraInfo (with.mcap topic /cam_a/camera_info) disagrees with rig.yaml") {
					disagree++
				}
			}
			if scaled != tc.scaled || disagree != 1 || len(ws) != scaled+disagree {
				t.Errorf("warnings %q: want %d about scaling and 1 about cam_a's CameraInfo", ws, tc.scaled)
			}
		})
	}
}
