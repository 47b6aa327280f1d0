package labelsapp

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/camera"
	"github.com/rigsync/rigsync/calib/rig"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats/labels"
	"github.com/rigsync/rigsync/fusion/fused"
)

// TestSyncRollingShutter: on a fixture drive whose cameras read their rows
// out top to bottom in 40 ms (the stamp is the first row's mid-exposure),
// the camera-synced boxes that labels sync writes with that readout in
// --rig project within 1 px of the truth: the true object centre at the
// time its row was exposed, seen from the true camera pose then (the
// fixtures' trajectory, not the fused frames' ego), found by iterating
// the row on the truth itself. Without the readout (global shutter at
// the stamp) the same boxes are more than 5 px off for fast objects and
// for near static ones passed at speed.
func TestSyncRollingShutter(t *testing.T) {
	cfg, err := fixtures.Preset("urban")
	if err != nil {
		t.Fatal(err)
	}
	const readout = 40 * time.Millisecond
	cfg.Seed, cfg.Duration, cfg.Speed = 1, 2*time.Second, 15
	cfg.Rig.Radars = nil
	rg := &rig.Rig{Version: rig.Version, BaseFrame: "base_link"}
	for i := range cfg.Rig.Cameras {
		c := &cfg.Rig.Cameras[i]
		c.ReadoutMS = float64(readout) / 1e6
		rg.Sensors = append(rg.Sensors, rig.Sensor{Name: c.Name, Modality: "camera", RollingShutter: &rig.RollingShutter{ReadoutNs: int64(readout)}})
	}
	if err := rg.Validate(); err != nil {
		t.Fatal(err)
	}
	log, lp, _, truth, _ := genFromConfig(t, cfg)
	tt := &fixtures.Truth{Config: cfg, Start: cfg.Start, World: "odom", Base: "base_link"}
	drive, err := tt.Drive()
	if err != nil {
		t.Fatal(err)
	}
	basePose := func(tns int64) se3.Transform {
		p := tt.BasePose(drive, tns)
		return se3.Transform{Rot: p.Quat(), Trans: r3.Vec{X: p.Translation[0], Y: p.Translation[1], Z: p.Translation[2]}}
	}
	dir := t.TempDir()
	run := func(name string, rg *rig.Rig) (*SyncResult, map[int]labels.Frame) {
		out := filepath.Join(dir, name+".json")
		res, err := Sync(context.Background(), Options{Logs: []string{log}, Labels: lp, Rig: rg}, out)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		set, err := labels.ReadJSON(f, out)
		if err != nil {
			t.Fatal(err)
		}
		by := map[int]labels.Frame{}
		for _, fr := range set.Frames {
			by[fr.Index] = fr
		}
		return res, by
	}
	rres, rolling := run("rolling", rg)
	gres, global := run("global", nil)
	if !strings.Contains(rres.Shutter, "cam_front rolling (40ms readout top_to_bottom") || !strings.HasPrefix(gres.Shutter, "global") {
		t.Errorf("shutter: rolling run %q, global run %q", rres.Shutter, gres.Shutter)
	}
	trueByFrame := map[int]labels.Frame{}
	for _, fr := range truth.Frames {
		trueByFrame[fr.Index] = fr
	}
	cameraBox := func(fr labels.Frame, id, cam string) *labels.CameraBox {
		for _, b := range fr.Boxes {
			if b.ID != id {
				continue
			}
			for k := range b.Cameras {
				if b.Cameras[k].Camera == cam {
					return &b.Cameras[k]
				}
			}
		}
		return nil
	}
	var checked, far, farMoving int
	var worstRolling, worstGlobal float64
	_, err = Frames(context.Background(), Options{Logs: []string{log}, WithCameras: true}, truth, func(fr *fused.Frame, lf *labels.Frame, _ r3.Vec) error {
		if lf == nil {
			return nil
		}
		tf := trueByFrame[lf.Index]
		frameBase := basePose(fr.Stamp)
		for ci := range fr.Cameras {
			cam := &fr.Cameras[ci]
			if cam.Stamp == 0 {
				continue
			}
			in := camera.Intrinsics{Fx: cam.Info.K[0], Fy: cam.Info.K[4], Cx: cam.Info.K[2], Cy: cam.Info.K[5], Width: cam.Info.Width, Height: cam.Info.Height}
			m, err := camera.New(cam.Info.DistortionModel, in, cam.Info.D)
			if err != nil {
				t.Fatal(err)
			}
			ext := cam.StaticExtrinsic()
			proj := func(toCam se3.Transform, p r3.Vec) (float64, float64, bool) {
				q := toCam.Apply(p)
				if q.Z <= 0.1 {
					return 0, 0, false
				}
				return m.Project(q)
			}
			for _, tb := range tf.Boxes {
				if tb.Velocity == nil {
					continue
				}
				rb, gb := cameraBox(rolling[lf.Index], tb.ID, cam.Name), cameraBox(global[lf.Index], tb.ID, cam.Name)
				if rb == nil || gb == nil {
					continue
				}
				// The truth: iterate the row on the true geometry.
				at := cam.Stamp
				var wu, wv float64
				ok := true
				for range 8 {
					x := r3.Add(tb.Center, r3.Scale(float64(at-fr.Stamp)*1e-9, *tb.Velocity))
					camPose := frameBase.Inverse().Mul(basePose(at)).Mul(ext) // T_base(frame)_camera(at)
					if wu, wv, ok = proj(camPose.Inverse(), x); !ok {
						break
					}
					at = cam.Stamp + int64(wv/float64(in.Height)*float64(readout))
				}
				if !ok || wv < 0 || wv >= float64(in.Height) {
					continue
				}
				toCam := cam.BaseCamera.Inverse()
				ru, rv, ok1 := proj(toCam, rb.Center)
				gu, gv, ok2 := proj(toCam, gb.Center)
				if !ok1 || !ok2 {
					continue
				}
				dr, dg := math.Hypot(ru-wu, rv-wv), math.Hypot(gu-wu, gv-wv)
				checked++
				worstRolling = max(worstRolling, dr)
				if dg > 5 {
					far++
					if math.Hypot(tb.Velocity.X, tb.Velocity.Y) > 1 {
						farMoving++
					}
					worstGlobal = max(worstGlobal, dg)
				}
				if dr > 1 {
					t.Errorf("frame %d box %s %s (row %.0f): rolling-shutter box %.2f px off the truth (global %.1f px)", lf.Index, tb.ID, cam.Name, wv, dr, dg)
				}
				if d := rb.TimeNS - (lf.StampNS + at - fr.Stamp); d < -int64(time.Millisecond) || d > int64(time.Millisecond) {
					t.Errorf("frame %d box %s %s: camera box time %d ns off the row's true time", lf.Index, tb.ID, cam.Name, d)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d camera boxes: rolling within %.3f px of the truth; global > 5 px off for %d (%d of moving objects, worst %.1f px)", checked, worstRolling, far, farMoving, worstGlobal)
	if far == 0 || farMoving == 0 {
		t.Fatalf("no global-shutter box > 5 px off (%d, %d moving): the test shows nothing", far, farMoving)
	}
}
