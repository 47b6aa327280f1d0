package fusion

import (
	"bytes"
	"context"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/calib/camera"
	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/fusion/fused"
	"gonum.org/v1/gonum/spatial/r3"
)

// rigCalibration is the log's calibration overridden by rg, as fuse and
// calib check build it.
func rigCalibration(t *testing.T, lf *logFixture, rg *rig.Rig) *Calibration {
	t.Helper()
	r, err := mcapread.NewReader(bytes.NewReader(lf.log), int64(len(lf.log)), "drive.mcap")
	if err != nil {
		t.Fatal(err)
	}
	logCal, err := ReadCalibration(context.Background(), r, "base_link")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := CalibrationFromRig(rg, "base_link")
	if err != nil {
		t.Fatal(err)
	}
	cal, err := logCal.Override(rc)
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

// runNamed fuses lf with p (Reader and Names set here) and returns the
// frames and Run's error.
func runNamed(lf *logFixture, p *Pipeline) ([]*fused.Frame, error) {
	r, err := mcapread.NewReader(bytes.NewReader(lf.log), int64(len(lf.log)), "drive.mcap")
	if err != nil {
		return nil, err
	}
	p.Readers, p.Names = []*mcapread.Reader{r}, []string{"drive.mcap"}
	var c collect
	err = p.Run(context.Background(), &c)
	return c.frames, err
}

// TestRigIntrinsicsWin: a rig whose cam_front fx and cx differ from the
// log's CameraInfo (which carries the truth). Every fused frame carries the
// rig's intrinsics, the sensor status names rig.yaml as their source, the
// LiDAR points are projected with them (checked against the rig's model
// point by point), and Warnings names the disagreement exactly once.
func TestRigIntrinsicsWin(t *testing.T) {
	lf := base1s(t)
	rg := rigFromTruth(lf.truth)
	s, err := rg.Sensor("cam_front")
	if err != nil {
		t.Fatal(err)
	}
	truth := lf.truth.Sensor("cam_front").Camera
	s.Intrinsics.Fx = 0.9 * truth.Fx
	s.Intrinsics.Cx = truth.Cx + 7
	model, err := s.Camera()
	if err != nil {
		t.Fatal(err)
	}
	p := &Pipeline{Calibration: rigCalibration(t, lf, rg)}
	frames, err := runNamed(lf, p)
	if err != nil {
		t.Fatal(err)
	}
	cams, projected := 0, 0
	for _, f := range frames {
		for _, st := range f.Sensors {
			if st.Name == "cam_front" && !st.Missing && st.Calibration != "extrinsic rig.yaml; intrinsics rig.yaml" {
				t.Errorf("frame %d: cam_front calibration source %q", f.Index, st.Calibration)
			}
		}
		for _, c := range f.Cameras {
			cams++
			if c.Info.K[0] != s.Intrinsics.Fx || c.Info.K[2] != s.Intrinsics.Cx || c.Info.K[4] != truth.Fy {
				t.Fatalf("frame %d: %s K %v, want the rig's fx %g cx %g (the log says fx %g cx %g)", f.Index, c.Name, c.Info.K, s.Intrinsics.Fx, s.Intrinsics.Cx, truth.Fx, truth.Cx)
			}
			inv := c.BaseCamera.Inverse()
			P := f.Lidar.Points
			for _, pr := range c.Projected {
				i := pr.Index
				u, v, ok := model.Project(inv.Apply(r3.Vec{X: float64(P.X[i]), Y: float64(P.Y[i]), Z: float64(P.Z[i])}))
				if !ok || math.Abs(u-float64(pr.U)) > 1e-2 || math.Abs(v-float64(pr.V)) > 1e-2 {
					t.Fatalf("frame %d point %d: projected at (%g, %g), the rig's model gives (%g, %g, %v)", f.Index, i, pr.U, pr.V, u, v, ok)
				}
				projected++
			}
		}
	}
	if cams < 10 || projected < 1000 {
		t.Fatalf("%d camera images, %d projected points: too few to tell", cams, projected)
	}
	w := p.Warnings()
	if len(w) != 1 || !strings.HasPrefix(w[0], "cam_front: the log's CameraInfo (drive.mcap topic /cam_front/camera_info) disagrees with rig.yaml") ||
		!strings.HasSuffix(w[0], "(log vs rig.yaml): fx 240 vs 216, cx 242.75 vs 249.75") {
		t.Errorf("warnings %q, want one naming cam_front's fx and cx", w)
	}

	// The same rig with the log's intrinsics: nothing to warn about.
	p = &Pipeline{Calibration: rigCalibration(t, lf, rigFromTruth(lf.truth))}
	if _, err := runNamed(lf, p); err != nil {
		t.Fatal(err)
	}
	if w := p.Warnings(); len(w) != 0 {
		t.Errorf("rig agreeing with the log: warnings %q", w)
	}
}

// TestRigIntrinsicsImageSize: the log's camera delivers 640×400 images,
// the rig calibrated it at 480×300 (the true intrinsics of the same lens
// at that size). Without scaling the run fails naming the log, topic and
// both sizes; with ScaleIntrinsics the rig's K is scaled to the images
// (fx, cx by 4/3, fy, cy by 4/3, pixel centres at integers), checked
// numerically, the projection lands within 2 px of the truth, and the
// warnings say so once.
func TestRigIntrinsicsImageSize(t *testing.T) {
	small := base1s(t) // 480×300
	cfg := testRig(t, time.Second)
	cfg.Rig.SetCameraSize(640, 400)
	big := generate(t, cfg)
	rg := rigFromTruth(big.truth)
	s, err := rg.Sensor("cam_front")
	if err != nil {
		t.Fatal(err)
	}
	c := small.truth.Sensor("cam_front").Camera
	if c.Width != 480 || c.Height != 300 {
		t.Fatalf("base fixture camera %d×%d", c.Width, c.Height)
	}
	s.Intrinsics = &rig.Intrinsics{Model: c.Model, Width: c.Width, Height: c.Height, Fx: c.Fx, Fy: c.Fy, Cx: c.Cx, Cy: c.Cy, Distortion: c.D}

	_, err = runNamed(big, &Pipeline{Calibration: rigCalibration(t, big, rg)})
	want := []string{"drive.mcap topic /cam_front/image_raw/compressed", "a 640×400 image", "rig.yaml calibrated camera cam_front at 480×300", "scale the intrinsics explicitly"}
	for _, w := range want {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Fatalf("640×400 images, rig at 480×300: error %v, want it to contain %q", err, w)
		}
	}

	p := &Pipeline{Calibration: rigCalibration(t, big, rg), ScaleIntrinsics: true}
	frames, err := runNamed(big, p)
	if err != nil {
		t.Fatal(err)
	}
	const k = 640.0 / 480 // = 400/300
	wantK := [9]float64{c.Fx * k, 0, (c.Cx+0.5)*k - 0.5, 0, c.Fy * k, (c.Cy+0.5)*k - 0.5, 0, 0, 1}
	n := 0
	for _, f := range frames {
		for _, cam := range f.Cameras {
			n++
			if cam.Info.Width != 640 || cam.Info.Height != 400 {
				t.Fatalf("frame %d: camera info %d×%d", f.Index, cam.Info.Width, cam.Info.Height)
			}
			for i := range wantK {
				if math.Abs(cam.Info.K[i]-wantK[i]) > 1e-9 {
					t.Fatalf("frame %d: K %v, want %v", f.Index, cam.Info.K, wantK)
				}
			}
			if cam.Info.P[0] != cam.Info.K[0] || cam.Info.P[2] != cam.Info.K[2] || cam.Info.P[5] != cam.Info.K[4] || cam.Info.P[6] != cam.Info.K[5] {
				t.Fatalf("frame %d: P %v does not match K %v", f.Index, cam.Info.P, cam.Info.K)
			}
		}
	}
	if n < 10 {
		t.Fatalf("%d camera images", n)
	}
	// The true 640×400 camera has the same fx (same field of view); its
	// principal point is about 1 px from the scaled one.
	_, total, pixErr := projectionScore(t, big, frames)
	sort.Float64s(pixErr)
	if total < 300 || len(pixErr) == 0 || quantile(pixErr, 0.5) > 2 {
		t.Errorf("scaled intrinsics: %d points, median error %v px, want ≤ 2 px", total, quantile(pixErr, 0.5))
	}
	w := p.Warnings()
	var scaled, disagree int
	for _, x := range w {
		scaled += strings.Count(x, "rig.yaml intrinsics (480×300) scaled to the 640×400 images")
		disagree += strings.Count(x, "disagrees with rig.yaml")
	}
	// The log's CameraInfo is the true 640×400 camera: its principal
	// point differs from the scaled rig's by about 1 px.
	if scaled != 1 || disagree != 1 || len(w) != 2 {
		t.Errorf("warnings %q, want one about scaling and one about the log's CameraInfo", w)
	}
}

func TestScaleCameraInfo(t *testing.T) {
	in := formats.CameraInfo{Width: 480, Height: 300, DistortionModel: "plumb_bob", D: []float64{-0.1, 0.01, 0, 0, 0},
		K: [9]float64{240, 0, 239.5, 0, 250, 149.5, 0, 0, 1}, P: [12]float64{240, 0, 239.5, -12, 0, 250, 149.5, 0, 0, 0, 1, 0}}
	for _, tc := range []struct {
		name   string
		w, h   int
		fx, fy float64
		cx, cy float64
		tx     float64
	}{
		// The centre of a W×H image is at ((W−1)/2, (H−1)/2) and stays there.
		{"double", 960, 600, 480, 500, 479.5, 299.5, -24},
		{"half", 240, 150, 120, 125, 119.5, 74.5, -6},
		{"same", 480, 300, 240, 250, 239.5, 149.5, -12},
		{"anamorphic", 960, 300, 480, 250, 479.5, 149.5, -24},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ScaleCameraInfo(in, tc.w, tc.h)
			want := [9]float64{tc.fx, 0, tc.cx, 0, tc.fy, tc.cy, 0, 0, 1}
			if got.K != want || got.Width != tc.w || got.Height != tc.h || got.P[3] != tc.tx ||
				got.P[0] != tc.fx || got.P[2] != tc.cx || got.P[5] != tc.fy || got.P[6] != tc.cy {
				t.Errorf("K %v P %v %d×%d, want K %v, Tx %g", got.K, got.P, got.Width, got.Height, want, tc.tx)
			}
			if IntrinsicsDiff(formats.CameraInfo{DistortionModel: in.DistortionModel, D: in.D}, formats.CameraInfo{DistortionModel: got.DistortionModel, D: got.D}) != "" {
				t.Errorf("distortion changed: %v %q", got.D, got.DistortionModel)
			}
			// A pixel's ray is unchanged: the same normalised point
			// lands at the scaled pixel (centre convention included).
			m0, _ := camera.New("plumb_bob", camera.Intrinsics{Fx: in.K[0], Fy: in.K[4], Cx: in.K[2], Cy: in.K[5], Width: in.Width, Height: in.Height}, in.D)
			m1, _ := camera.New("plumb_bob", camera.Intrinsics{Fx: got.K[0], Fy: got.K[4], Cx: got.K[2], Cy: got.K[5], Width: got.Width, Height: got.Height}, got.D)
			p := r3.Vec{X: 0.3, Y: -0.2, Z: 1}
			u0, v0, _ := m0.Project(p)
			u1, v1, _ := m1.Project(p)
			sx, sy := float64(tc.w)/480, float64(tc.h)/300
			if math.Abs((u0+0.5)*sx-0.5-u1) > 1e-9 || math.Abs((v0+0.5)*sy-0.5-v1) > 1e-9 {
				t.Errorf("pixel (%g, %g) → (%g, %g), want ((u+0.5)·%g−0.5, (v+0.5)·%g−0.5)", u0, v0, u1, v1, sx, sy)
			}
		})
	}
}

func TestIntrinsicsDiff(t *testing.T) {
	a := formats.CameraInfo{Width: 640, Height: 400, DistortionModel: "plumb_bob", D: []float64{-0.08, 0.015, 0, 0, 0},
		K: [9]float64{457.0073621574767, 0, 322.75, 0, 457.0073621574767, 197, 0, 0, 1}}
	mod := func(f func(*formats.CameraInfo)) formats.CameraInfo {
		b := cloneInfo(a)
		f(&b)
		return b
	}
	for _, tc := range []struct {
		name string
		b    formats.CameraInfo
		want string
	}{
		{"same", a, ""},
		{"alias and fewer zeros", mod(func(b *formats.CameraInfo) { b.DistortionModel, b.D = "radtan", b.D[:4] }), ""},
		{"rounding", mod(func(b *formats.CameraInfo) { b.K[0] += 1e-8 }), ""},
		{"fx", mod(func(b *formats.CameraInfo) { b.K[0] = 400 }), "fx 457.007 vs 400"},
		{"size", mod(func(b *formats.CameraInfo) { b.Width, b.Height = 480, 300 }), "image size 640×400 vs 480×300"},
		{"distortion", mod(func(b *formats.CameraInfo) { b.D[0] = -0.1 }), "distortion [-0.08 0.015 0 0 0] vs [-0.1 0.015 0 0 0]"},
		{"model", mod(func(b *formats.CameraInfo) { b.DistortionModel = "equidistant" }), `distortion model "plumb_bob" vs "equidistant"`},
		{"several", mod(func(b *formats.CameraInfo) { b.K[4], b.K[5] = 450, 199 }), "fy 457.007 vs 450, cy 197 vs 199"},
	} {
		if got := IntrinsicsDiff(a, tc.b); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestIntrinsicsGuard: the guard's decisions image by image, for a rig
// camera calibrated at 480×300 (and one whose rig gives no size) and a
// camera whose intrinsics come from the log.
func TestIntrinsicsGuard(t *testing.T) {
	raw := func(w, h int) formats.Payload { return &formats.Image{Width: w, Height: h, Encoding: "mono8", Step: w} }
	rigInfo := formats.CameraInfo{Width: 480, Height: 300, DistortionModel: "plumb_bob", D: []float64{-0.1, 0.01, 0, 0, 0},
		K: [9]float64{240, 0, 242.75, 0, 240, 147, 0, 0, 1}}
	cal := func() *Calibration {
		c := newCalibration("base_link")
		c.Infos["cam"] = rigInfo
		c.note("cam", "intrinsics "+RigSource)
		nosize := rigInfo
		nosize.Width, nosize.Height = 0, 0
		c.Infos["nosize"] = nosize
		c.note("nosize", "intrinsics "+RigSource)
		c.Infos["logcam"] = rigInfo
		c.note("logcam", "intrinsics /logcam/camera_info")
		return c
	}
	for _, tc := range []struct {
		name     string
		scale    bool
		frame    string
		images   []formats.Payload
		wantErr  string // of the last image ("" none)
		wantSize [2]int // of the intrinsics in force afterwards
		wantWarn string // a substring of the one warning ("" none)
	}{
		{"rig size", false, "cam", []formats.Payload{raw(480, 300), raw(480, 300)}, "", [2]int{480, 300}, ""},
		{"other size", false, "cam", []formats.Payload{raw(640, 400)}, "where: a 640×400 image, but rig.yaml calibrated camera cam at 480×300", [2]int{480, 300}, ""},
		{"scaled", true, "cam", []formats.Payload{raw(640, 400), raw(640, 400)}, "", [2]int{640, 400}, "cam: rig.yaml intrinsics (480×300) scaled to the 640×400 images (where)"},
		{"scaled, then another size", true, "cam", []formats.Payload{raw(640, 400), raw(320, 200)}, "a 320×200 image, but camera cam's earlier images are 640×400", [2]int{640, 400}, "scaled"},
		{"size changed", false, "cam", []formats.Payload{raw(480, 300), raw(640, 400)}, "camera cam's earlier images are 480×300 (the image size changed mid-log", [2]int{480, 300}, ""},
		{"aspect changes", true, "cam", []formats.Payload{raw(640, 300)}, "", [2]int{640, 300}, "the aspect ratio changes (1.600 to 2.133)"},
		{"unreadable", false, "cam", []formats.Payload{&formats.CompressedImage{Format: "jpeg", Data: []byte("nope")}, &formats.CompressedImage{Format: "jpeg"}}, "", [2]int{480, 300}, "cannot be read"},
		{"not an image", false, "cam", []formats.Payload{&formats.CompressedVideo{Format: "h264"}}, "", [2]int{480, 300}, ""},
		{"rig without size", false, "nosize", []formats.Payload{raw(640, 400)}, "", [2]int{640, 400}, "nosize: rig.yaml gives no image size"},
		{"log intrinsics", false, "logcam", []formats.Payload{raw(640, 400)}, "", [2]int{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewIntrinsicsGuard(cal(), tc.scale)
			var err error
			for _, p := range tc.images {
				if err = g.Image(tc.frame, "where", p); err != nil {
					break
				}
			}
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("error %v, want %q", err, tc.wantErr)
			}
			in, guarded := g.Info(tc.frame)
			if guarded != (tc.frame != "logcam") || in.Width != tc.wantSize[0] || in.Height != tc.wantSize[1] {
				t.Errorf("intrinsics in force %d×%d (guarded %v), want %v", in.Width, in.Height, guarded, tc.wantSize)
			}
			w := g.Warnings()
			if tc.wantWarn == "" && len(w) != 0 || tc.wantWarn != "" && (len(w) != 1 || !strings.Contains(w[0], tc.wantWarn)) {
				t.Errorf("warnings %q, want one containing %q", w, tc.wantWarn)
			}
		})
	}
	// A log CameraInfo replaces nothing of a guarded camera; the same one
	// twice, or one agreeing, adds nothing.
	g := NewIntrinsicsGuard(cal(), false)
	other := cloneInfo(rigInfo)
	other.K[0] = 250
	for _, ci := range []formats.CameraInfo{rigInfo, other, other} {
		if !g.CameraInfo("cam", "log topic /cam/camera_info", &ci) {
			t.Error("cam not guarded")
		}
	}
	if g.CameraInfo("logcam", "log topic /logcam/camera_info", &other) {
		t.Error("logcam guarded")
	}
	if in, _ := g.Info("cam"); in.K != rigInfo.K {
		t.Errorf("K %v, want the rig's %v", in.K, rigInfo.K)
	}
	if w := g.Warnings(); len(w) != 1 || w[0] != "cam: the log's CameraInfo (log topic /cam/camera_info) disagrees with rig.yaml, whose intrinsics are used (log vs rig.yaml): fx 250 vs 240" {
		t.Errorf("warnings %q", w)
	}
}
