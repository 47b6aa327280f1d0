package labels_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats/labels"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/internal/app/fuseapp"
	"gonum.org/v1/gonum/spatial/r3"
)

// exportDrive generates the minimal fixture (2 s, true pose on /tf) and
// fuses it into rigsync's nuScenes and KITTI layouts.
func exportDrive(t *testing.T) (cfg fixtures.Config, truth *fixtures.Truth, dir string) {
	t.Helper()
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Duration, cfg.Labels, cfg.Rig.TF = 2*time.Second, true, true
	dir = t.TempDir()
	log, err := os.Create(filepath.Join(dir, "drive.mcap"))
	if err != nil {
		t.Fatal(err)
	}
	tf, err := os.Create(filepath.Join(dir, "drive.truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := fixtures.Generate(context.Background(), cfg, log, tf, nil); err != nil {
		t.Fatal(err)
	}
	log.Close()
	tf.Close()
	tf, _ = os.Open(filepath.Join(dir, "drive.truth.json"))
	defer tf.Close()
	if truth, err = fixtures.LoadTruth(tf); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"nuscenes", "kitti"} {
		o := fuseapp.Options{Format: format, Out: filepath.Join(dir, format), Frame: "base_link", Tolerance: 50 * time.Millisecond,
			KeyframeHz: 2, Ego: "auto", ImageCheckEvery: fusion.DefaultImageCheckEvery, Workers: 1}
		if _, err := fuseapp.Run(context.Background(), o, []string{filepath.Join(dir, "drive.mcap")}); err != nil {
			t.Fatalf("fuse %s: %v", format, err)
		}
	}
	return cfg, truth, dir
}

func angle(a, b se3.Transform) float64 {
	p, q := a.Rot, b.Rot
	return 2 * math.Acos(math.Min(1, math.Abs(p.Real*q.Real+p.Imag*q.Imag+p.Jmag*q.Jmag+p.Kmag*q.Kmag)))
}

// TestRigsyncExports puts the fixture's true labels into rigsync's own
// nuScenes and KITTI exports of the same drive and reads them back:
//   - nuScenes: each keyframe's boxes, moved into the global frame with the
//     export's ego pose, are where the scene's objects truly are in odom
//     (the ego comes from /tf, the true pose) and come back to base_link
//     within 1 mm / 0.01°;
//   - KITTI: the export's calib/000000.txt parses; boxes moved into its
//     velodyne frame (the LiDAR's, see rigsync_kitti.json) come back with
//     their centre within 1 mm and heading within 0.1° (KITTI boxes are
//     upright in the camera frame: the camera's 2° pitch tilts them).
func TestRigsyncExports(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and fuses a drive")
	}
	cfg, truth, dir := exportDrive(t)
	set, err := fixtures.TrueLabels(cfg)
	if err != nil {
		t.Fatal(err)
	}
	byStamp := map[int64]*labels.Frame{}
	for i := range set.Frames {
		byStamp[set.Frames[i].StampNS/1000] = &set.Frames[i]
	}

	// nuScenes.
	ver := filepath.Join(dir, "nuscenes", "v1.0-rigsync")
	samples, err := labels.ReadNuScenesSamples(os.DirFS(ver))
	if err != nil {
		t.Fatal(err)
	}
	global := &labels.Set{Clock: set.Clock}
	egoOf := map[string]se3.Transform{}
	for _, s := range samples {
		f := byStamp[s.TimestampUS]
		if f == nil || s.Channel != "LIDAR_TOP" {
			t.Fatalf("sample %s at %d µs (%s): no truth frame", s.Token, s.TimestampUS, s.Channel)
		}
		egoOf[s.Token] = s.Ego
		g := labels.Frame{Index: f.Index, Token: s.Token, StampNS: f.StampNS}
		for _, b := range f.Boxes {
			gb := b.Transformed(s.Ego, labels.FrameGlobal)
			// Where the object truly is (odom = the export's global frame).
			id := 0
			fmt.Sscan(b.ID, &id)
			o := truth.Scene.Objects[id]
			want := o.CenterAt(float64(f.StampNS-truth.Start) / 1e9)
			if d := r3.Norm(r3.Sub(gb.Center, want)); d > 1e-3 {
				t.Errorf("sample %s box %s: global centre %v, the object is at %v (%.3g m)", s.Token, b.ID, gb.Center, want, d)
			}
			if d := math.Abs(labels.WrapAngle(gb.Yaw - o.Yaw)); d > 1e-4 {
				t.Errorf("sample %s box %s: global yaw off by %.3g rad", s.Token, b.ID, d)
			}
			g.Boxes = append(g.Boxes, gb)
		}
		global.Frames = append(global.Frames, g)
	}
	if len(global.Frames) != 4 {
		t.Errorf("%d keyframes, want 4 (2 s at 2 Hz)", len(global.Frames))
	}
	if err := labels.WriteNuScenes(ver, global); err != nil {
		t.Fatal(err)
	}
	back, err := labels.ReadNuScenes(os.DirFS(ver))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range back.Frames {
		tf := byStamp[f.StampNS/1000]
		if tf == nil {
			t.Fatalf("read back a frame at %d ns that is not in the truth", f.StampNS)
		}
		for _, gb := range f.Boxes {
			b := gb.Transformed(egoOf[f.Token].Inverse(), labels.FrameBase)
			var want *labels.Box
			for i := range tf.Boxes {
				if tf.Boxes[i].ID == b.ID {
					want = &tf.Boxes[i]
				}
			}
			if want == nil || want.Class != b.Class {
				t.Errorf("frame %d: box %s (%s) not in the truth", f.Index, b.ID, b.Class)
				continue
			}
			n++
			if d := r3.Norm(r3.Sub(b.Center, want.Center)); d > 1e-3 {
				t.Errorf("nuscenes frame %d box %s: centre off by %.3g m", f.Index, b.ID, d)
			}
			if a := angle(b.Pose(), want.Pose()); a > 0.01*math.Pi/180 {
				t.Errorf("nuscenes frame %d box %s: orientation off by %.4g°", f.Index, b.ID, a*180/math.Pi)
			}
		}
	}
	if n == 0 {
		t.Error("no box read back from the nuScenes tables")
	}

	// KITTI: frame 0.
	cf, err := os.Open(filepath.Join(dir, "kitti", "calib", "000000.txt"))
	if err != nil {
		t.Fatal(err)
	}
	calib, err := labels.ReadKITTICalib(cf, "calib/000000.txt")
	cf.Close()
	if err != nil {
		t.Fatal(err)
	}
	lidar := truth.Sensor("lidar_top").Extrinsic
	Tbl, err := se3.FromQuatXYZW(lidar.RotationXYZW[0], lidar.RotationXYZW[1], lidar.RotationXYZW[2], lidar.RotationXYZW[3],
		r3.Vec{X: lidar.Translation[0], Y: lidar.Translation[1], Z: lidar.Translation[2]})
	if err != nil {
		t.Fatal(err)
	}
	f0 := &set.Frames[0]
	var velo []labels.Box
	for _, b := range f0.Boxes {
		velo = append(velo, b.Transformed(Tbl.Inverse(), "lidar_top"))
	}
	path := filepath.Join(dir, "kitti", "label_2", "000000.txt")
	os.MkdirAll(filepath.Dir(path), 0o755)
	lf, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := labels.WriteKITTILabels(lf, velo, calib, 480, 300); err != nil {
		t.Fatal(err)
	}
	lf.Close()
	lf, _ = os.Open(path)
	got, err := labels.ReadKITTILabels(lf, "label_2/000000.txt", calib, "lidar_top")
	lf.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(f0.Boxes) {
		t.Fatalf("KITTI: %d boxes back, want %d", len(got), len(f0.Boxes))
	}
	worst := 0.0
	for i, kb := range got {
		b := kb.Transformed(Tbl, labels.FrameBase)
		want := &f0.Boxes[i]
		if d := r3.Norm(r3.Sub(b.Center, want.Center)); d > 1e-3 {
			t.Errorf("kitti box %s: centre off by %.3g m", want.ID, d)
		}
		fwd := b.Pose().Rotate(r3.Vec{X: 1})
		d := math.Abs(labels.WrapAngle(math.Atan2(fwd.Y, fwd.X) - want.Yaw))
		worst = max(worst, d)
		if d > 0.1*math.Pi/180 {
			t.Errorf("kitti box %s: heading off by %.4g°", want.ID, d*180/math.Pi)
		}
	}
	t.Logf("KITTI: %d boxes, worst heading error %.4f° (camera pitched 2°)", len(got), worst*180/math.Pi)
}
