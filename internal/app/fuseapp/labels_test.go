package fuseapp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rigsync/rigsync/calib/camera"
	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/fixtures"
	"github.com/rigsync/rigsync/formats/labels"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/fusion"
	"github.com/rigsync/rigsync/internal/app/fuseapp"
	"gonum.org/v1/gonum/spatial/r3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// labelledDrive generates the minimal fixture (2 s, true pose on /tf) and
// its true labels, plus one labelled frame 10 s after the drive that no
// fused frame can match; it returns the truth labels (without that frame).
func labelledDrive(t *testing.T) (dir string, truth *labels.Set, sensors *fixtures.Truth) {
	t.Helper()
	cfg, err := fixtures.Preset("minimal")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Duration, cfg.Labels, cfg.Rig.TF = 2*time.Second, true, true
	dir = t.TempDir()
	log, _ := os.Create(filepath.Join(dir, "drive.mcap"))
	tf, _ := os.Create(filepath.Join(dir, "drive.truth.json"))
	if err := fixtures.Generate(context.Background(), cfg, log, tf, nil); err != nil {
		t.Fatal(err)
	}
	log.Close()
	tf.Close()
	tf, _ = os.Open(filepath.Join(dir, "drive.truth.json"))
	sensors, err = fixtures.LoadTruth(tf)
	tf.Close()
	if err != nil {
		t.Fatal(err)
	}
	if truth, err = fixtures.TrueLabels(cfg); err != nil {
		t.Fatal(err)
	}
	in := &labels.Set{Clock: truth.Clock, Frames: slices.Clone(truth.Frames)}
	last := truth.Frames[len(truth.Frames)-1]
	extra := last
	extra.Index, extra.StampNS, extra.Token = 999, last.StampNS+10e9, ""
	in.Frames = append(in.Frames, extra)
	var buf bytes.Buffer
	if err := labels.WriteJSON(&buf, in); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "drive.labels.json"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, truth, sensors
}

func fuseLabels(t *testing.T, dir, format string) *fuseapp.Summary {
	t.Helper()
	o := fuseapp.Options{Format: format, Out: filepath.Join(dir, format), Frame: "base_link", Tolerance: 50 * time.Millisecond,
		KeyframeHz: 2, Ego: "auto", ImageCheckEvery: fusion.DefaultImageCheckEvery, Workers: 1,
		Labels: filepath.Join(dir, "drive.labels.json")}
	sum, err := fuseapp.Run(context.Background(), o, []string{filepath.Join(dir, "drive.mcap")})
	if err != nil {
		t.Fatalf("fuse %s: %v", format, err)
	}
	return sum
}

func orientErr(a, b se3.Transform) float64 {
	p, q := a.Rot, b.Rot
	return 2 * math.Acos(math.Min(1, math.Abs(p.Real*q.Real+p.Imag*q.Imag+p.Jmag*q.Jmag+p.Kmag*q.Kmag)))
}

// sameBoxes compares boxes read back (in base_link) with the truth frame,
// by id (or by position when the format has no ids): centre within 1 mm,
// orientation within maxDeg, size within 1 mm, class equal.
func sameBoxes(t *testing.T, what string, got []labels.Box, want *labels.Frame, byOrder bool, maxDeg float64) {
	t.Helper()
	if want == nil {
		t.Fatalf("%s: no truth frame", what)
	}
	if len(got) != len(want.Boxes) {
		t.Errorf("%s: %d boxes, want %d", what, len(got), len(want.Boxes))
		return
	}
	for i := range got {
		g := &got[i]
		var w *labels.Box
		if byOrder {
			w = &want.Boxes[i]
		} else {
			for j := range want.Boxes {
				if want.Boxes[j].ID == g.ID {
					w = &want.Boxes[j]
				}
			}
		}
		if w == nil || w.Class != strings.ReplaceAll(g.Class, "_", " ") {
			t.Errorf("%s: box %s (%s) not in the truth", what, g.ID, g.Class)
			continue
		}
		if d := r3.Norm(r3.Sub(g.Center, w.Center)); d > 1e-3 {
			t.Errorf("%s box %s: centre %v, want %v (%.3g m)", what, w.ID, g.Center, w.Center, d)
		}
		if a := orientErr(g.Pose(), w.Pose()); a > maxDeg*math.Pi/180 {
			t.Errorf("%s box %s: orientation off by %.4g°", what, w.ID, a*180/math.Pi)
		}
		ds := math.Max(math.Abs(g.Size.Length-w.Size.Length), math.Max(math.Abs(g.Size.Width-w.Size.Width), math.Abs(g.Size.Height-w.Size.Height)))
		if ds > 1e-3 {
			t.Errorf("%s box %s: size %+v, want %+v", what, w.ID, g.Size, w.Size)
		}
	}
}

// TestFuseLabels fuses the fixture with its true labels into the frames,
// KITTI and nuScenes outputs and reads the boxes back with formats/labels'
// readers: every box equals the truth within 1 mm and 0.01° after the
// documented conversions (KITTI: velodyne → base_link with the LiDAR's
// true extrinsic; nuScenes: global → base_link with the sample's
// ego_pose), and the labelled frame 10 s after the drive is reported
// unmatched.
func TestFuseLabels(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and fuses a drive")
	}
	dir, truth, sensors := labelledDrive(t)
	byStamp := map[int64]*labels.Frame{}
	for i := range truth.Frames {
		byStamp[truth.Frames[i].StampNS] = &truth.Frames[i]
	}

	t.Run("frames", func(t *testing.T) {
		sum := fuseLabels(t, dir, "frames")
		l := sum.Labels
		if l == nil || l.Matched != len(truth.Frames) || l.LabelFrames != len(truth.Frames)+1 || !slices.Equal(l.Unmatched, []int{999}) {
			t.Fatalf("summary labels %+v: want %d matched, frame 999 unmatched", l, len(truth.Frames))
		}
		checked2D := 0
		for i := range sum.Frames {
			data, err := os.ReadFile(filepath.Join(dir, "frames", fmt.Sprintf("%06d", i), "frame.json"))
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				StampNs int64           `json:"stamp_ns"`
				Labels  json.RawMessage `json:"labels"`
				Cameras []struct {
					Name       string `json:"name"`
					Intrinsics struct {
						Width, Height   int
						DistortionModel string    `json:"distortion_model"`
						D               []float64 `json:"D"`
						K               [9]float64
					} `json:"intrinsics"`
					Extrinsic struct {
						Matrix [4][4]float64 `json:"matrix"`
					} `json:"extrinsic"`
					Labels2D []struct {
						ID        string     `json:"id"`
						BBox      [4]float64 `json:"bbox"`
						Truncated float64    `json:"truncated"`
					} `json:"labels_2d"`
				} `json:"cameras"`
			}
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			want := byStamp[doc.StampNs]
			if want == nil {
				t.Fatalf("frame %d at %d: no truth frame", i, doc.StampNs)
			}
			wrapped := fmt.Sprintf(`{"format":"rigsync.labels","version":1,"clock":"true","frames":[{"index":%d,"stamp_ns":%d,"boxes":%s}]}`, i, doc.StampNs, doc.Labels)
			set, err := labels.ReadJSON(strings.NewReader(wrapped), "frame.json")
			if err != nil {
				t.Fatal(err)
			}
			sameBoxes(t, fmt.Sprintf("frames %d", i), set.Frames[0].Boxes, want, false, 0.01)
			// 2D boxes: an independent projection with calib/camera of the
			// frame.json calibration; the object's centre inside its box.
			for _, c := range doc.Cameras {
				in := c.Intrinsics
				m, err := camera.New(in.DistortionModel, camera.Intrinsics{Fx: in.K[0], Fy: in.K[4], Cx: in.K[2], Cy: in.K[5], Width: in.Width, Height: in.Height}, in.D)
				if err != nil {
					t.Fatal(err)
				}
				M := c.Extrinsic.Matrix
				R := se3.Mat3{{M[0][0], M[0][1], M[0][2]}, {M[1][0], M[1][1], M[1][2]}, {M[2][0], M[2][1], M[2][2]}}
				T, err := se3.FromMatrix(R, r3.Vec{X: M[0][3], Y: M[1][3], Z: M[2][3]})
				if err != nil {
					t.Fatal(err)
				}
				inv := T.Inverse()
				expect := map[string][4]float64{}
				for _, b := range want.Boxes {
					l, tp, r, bt := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
					ok := true
					for _, p := range b.Corners() {
						q := inv.Apply(p)
						u, v, pok := m.Project(q)
						if q.Z < 0.1 || !pok {
							ok = false
							break
						}
						l, r, tp, bt = min(l, u), max(r, u), min(tp, v), max(bt, v)
					}
					W, H := float64(in.Width)-0.5, float64(in.Height)-0.5
					if ok && max(l, -0.5) < min(r, W) && max(tp, -0.5) < min(bt, H) {
						expect[b.ID] = [4]float64{max(l, -0.5), max(tp, -0.5), min(r, W), min(bt, H)}
					}
				}
				if len(c.Labels2D) != len(expect) {
					t.Errorf("frame %d %s: %d 2D boxes, want %d", i, c.Name, len(c.Labels2D), len(expect))
				}
				for _, b2 := range c.Labels2D {
					e, ok := expect[b2.ID]
					if !ok {
						t.Errorf("frame %d %s: 2D box of %s, which the camera does not see", i, c.Name, b2.ID)
						continue
					}
					for k := range 4 {
						if math.Abs(e[k]-b2.BBox[k]) > 1e-6 {
							t.Errorf("frame %d %s box %s: bbox %v, want %v", i, c.Name, b2.ID, b2.BBox, e)
							break
						}
					}
					var box *labels.Box
					for j := range want.Boxes {
						if want.Boxes[j].ID == b2.ID {
							box = &want.Boxes[j]
						}
					}
					q := inv.Apply(box.Center)
					u, v, ok := m.Project(q)
					if ok && u >= -0.5 && v >= -0.5 && u <= float64(in.Width)-0.5 && v <= float64(in.Height)-0.5 {
						checked2D++
						if u < b2.BBox[0] || u > b2.BBox[2] || v < b2.BBox[1] || v > b2.BBox[3] {
							t.Errorf("frame %d %s box %s: centre (%.1f, %.1f) outside its 2D box %v", i, c.Name, b2.ID, u, v, b2.BBox)
						}
					}
				}
			}
		}
		if checked2D < 10 {
			t.Errorf("only %d 2D boxes with their centre in view", checked2D)
		}
		t.Logf("frames: %d frames, %d 2D boxes with their centre in view checked", sum.Frames, checked2D)
	})

	t.Run("kitti", func(t *testing.T) {
		sum := fuseLabels(t, dir, "kitti")
		lidar := sensors.Sensor("lidar_top").Extrinsic
		Tbl, err := se3.FromQuatXYZW(lidar.RotationXYZW[0], lidar.RotationXYZW[1], lidar.RotationXYZW[2], lidar.RotationXYZW[3],
			r3.Vec{X: lidar.Translation[0], Y: lidar.Translation[1], Z: lidar.Translation[2]})
		if err != nil {
			t.Fatal(err)
		}
		var manifest []struct {
			Index   int   `json:"index"`
			StampNs int64 `json:"stamp_ns"`
		}
		data, err := os.ReadFile(filepath.Join(dir, "kitti", "manifest.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
			var m struct {
				Index   int   `json:"index"`
				StampNs int64 `json:"stamp_ns"`
			}
			json.Unmarshal(line, &m)
			manifest = append(manifest, m)
		}
		if len(manifest) != sum.Frames {
			t.Fatalf("%d manifest lines, %d frames", len(manifest), sum.Frames)
		}
		worst := 0.0
		for _, m := range manifest {
			name := fmt.Sprintf("%06d.txt", m.Index)
			cf, err := os.ReadFile(filepath.Join(dir, "kitti", "calib", name))
			if err != nil {
				t.Fatal(err)
			}
			calib, err := labels.ReadKITTICalib(bytes.NewReader(cf), name)
			if err != nil {
				t.Fatal(err)
			}
			lf, err := os.ReadFile(filepath.Join(dir, "kitti", "label_2", name))
			if err != nil {
				t.Fatal(err)
			}
			got, err := labels.ReadKITTILabels(bytes.NewReader(lf), name, calib, "velodyne")
			if err != nil {
				t.Fatal(err)
			}
			want := byStamp[m.StampNs]
			if want == nil {
				t.Fatalf("kitti frame %d: no truth frame at %d", m.Index, m.StampNs)
			}
			base := make([]labels.Box, len(got))
			for i, b := range got {
				base[i] = b.Transformed(Tbl, labels.FrameBase)
				// KITTI boxes are upright in the camera frame: compare
				// the heading, with the truth's (zero) roll and pitch.
				fwd := base[i].Pose().Rotate(r3.Vec{X: 1})
				yaw := math.Atan2(fwd.Y, fwd.X)
				if i < len(want.Boxes) {
					worst = max(worst, math.Abs(labels.WrapAngle(yaw-want.Boxes[i].Yaw)))
				}
				base[i].Roll, base[i].Pitch, base[i].Yaw = 0, 0, yaw
			}
			sameBoxes(t, "kitti "+name, base, want, true, 0.01)
		}
		t.Logf("kitti: %d label_2 files, worst heading error %.4f°", len(manifest), worst*180/math.Pi)
	})

	t.Run("mcap", func(t *testing.T) {
		sum := fuseLabels(t, dir, "mcap")
		r, err := mcapread.Open(filepath.Join(dir, "mcap"))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		it, err := r.Messages(mcapread.Options{})
		if err != nil {
			t.Fatal(err)
		}
		scenes, rects := 0, 0
		var md protoreflect.MessageDescriptor
		for {
			m, err := it.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasSuffix(m.Channel.Topic, "/labels") && m.Channel.Topic != "/labels" {
				if m.Channel.Schema.Name != "foxglove.ImageAnnotations" {
					t.Fatalf("%s: schema %s", m.Channel.Topic, m.Channel.Schema.Name)
				}
				rects++
				continue
			}
			if m.Channel.Topic != "/labels" {
				continue
			}
			if m.Channel.Schema.Name != "foxglove.SceneUpdate" || m.Channel.Schema.Encoding != "protobuf" {
				t.Fatalf("/labels schema %s (%s)", m.Channel.Schema.Name, m.Channel.Schema.Encoding)
			}
			if md == nil {
				var set descriptorpb.FileDescriptorSet
				if err := proto.Unmarshal(m.Channel.Schema.Data, &set); err != nil {
					t.Fatal(err)
				}
				files, err := protodesc.NewFiles(&set)
				if err != nil {
					t.Fatal(err)
				}
				d, err := files.FindDescriptorByName("foxglove.SceneUpdate")
				if err != nil {
					t.Fatal(err)
				}
				md = d.(protoreflect.MessageDescriptor)
			}
			msg := dynamicpb.NewMessage(md)
			if err := proto.Unmarshal(m.Data, msg); err != nil {
				t.Fatal(err)
			}
			want := byStamp[int64(m.LogTime)]
			if want == nil {
				t.Fatalf("/labels at %d: no truth frame", m.LogTime)
			}
			get := func(m protoreflect.Message, n string) protoreflect.Value {
				return m.Get(m.Descriptor().Fields().ByName(protoreflect.Name(n)))
			}
			f := func(m protoreflect.Message, n string) float64 { return get(m, n).Float() }
			var boxes []labels.Box
			ents := get(msg, "entities").List()
			for i := range ents.Len() {
				e := ents.Get(i).Message()
				if get(e, "frame_id").String() != "base_link" {
					t.Errorf("entity frame %q", get(e, "frame_id").String())
				}
				var id, class string
				md := get(e, "metadata").List()
				for k := range md.Len() {
					kv := md.Get(k).Message()
					switch get(kv, "key").String() {
					case "id":
						id = get(kv, "value").String()
					case "class":
						class = get(kv, "value").String()
					}
				}
				c := get(e, "cubes").List().Get(0).Message()
				pose := get(c, "pose").Message()
				p, q, sz := get(pose, "position").Message(), get(pose, "orientation").Message(), get(c, "size").Message()
				T, err := se3.FromQuatXYZW(f(q, "x"), f(q, "y"), f(q, "z"), f(q, "w"), r3.Vec{X: f(p, "x"), Y: f(p, "y"), Z: f(p, "z")})
				if err != nil {
					t.Fatal(err)
				}
				b := labels.Box{ID: id, Class: class, Frame: labels.FrameBase, Size: labels.Size{Length: f(sz, "x"), Width: f(sz, "y"), Height: f(sz, "z")}}
				b.SetPose(T)
				boxes = append(boxes, b)
			}
			sameBoxes(t, fmt.Sprintf("mcap /labels at %d", m.LogTime), boxes, want, false, 0.01)
			scenes++
		}
		if scenes != sum.Frames || rects == 0 {
			t.Errorf("%d /labels messages for %d frames, %d camera label messages", scenes, sum.Frames, rects)
		}
	})

	// The annotation tools' formats: boxes in the point cloud's frame
	// (CVAT, Xtreme1: base_link) or Segments' world frame (sample.json's
	// ego poses, re-based on the first).
	frameStamps := func(t *testing.T, out string) []int64 {
		data, err := os.ReadFile(filepath.Join(out, "manifest.jsonl"))
		if os.IsNotExist(err) {
			data, err = os.ReadFile(filepath.Join(out, "rigsync_manifest.jsonl"))
		}
		if err != nil {
			t.Fatal(err)
		}
		var stamps []int64
		for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
			var m struct {
				Index   int   `json:"index"`
				StampNs int64 `json:"stamp_ns"`
			}
			json.Unmarshal(line, &m)
			if m.Index != len(stamps) {
				t.Fatalf("manifest index %d at line %d", m.Index, len(stamps))
			}
			stamps = append(stamps, m.StampNs)
		}
		return stamps
	}
	t.Run("cvat", func(t *testing.T) {
		fuseLabels(t, dir, "cvat")
		out := filepath.Join(dir, "cvat")
		stamps := frameStamps(t, out)
		x, err := os.Open(filepath.Join(out, "tracklet_labels.xml"))
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		fl, err := os.Open(filepath.Join(out, "frame_list.txt"))
		if err != nil {
			t.Fatal(err)
		}
		defer fl.Close()
		set, err := labels.ReadCVAT(x, "tracklet_labels.xml", fl, labels.FrameBase)
		if err != nil {
			t.Fatal(err)
		}
		if len(set.Frames) != len(stamps) {
			t.Fatalf("%d CVAT frames, %d fused", len(set.Frames), len(stamps))
		}
		for _, f := range set.Frames {
			sameBoxes(t, fmt.Sprintf("cvat frame %d", f.Index), f.Boxes, byStamp[stamps[f.Index]], false, 0.01)
		}
	})
	t.Run("xtreme1", func(t *testing.T) {
		fuseLabels(t, dir, "xtreme1")
		out := filepath.Join(dir, "xtreme1")
		for i, st := range frameStamps(t, out) {
			r, err := os.Open(filepath.Join(out, "result", fmt.Sprintf("%06d.json", i)))
			if err != nil {
				t.Fatal(err)
			}
			boxes, err := labels.ReadXtreme1(r, "result", labels.FrameBase)
			r.Close()
			if err != nil {
				t.Fatal(err)
			}
			sameBoxes(t, fmt.Sprintf("xtreme1 frame %d", i), boxes, byStamp[st], false, 0.01)
		}
	})
	t.Run("segments", func(t *testing.T) {
		fuseLabels(t, dir, "segments")
		out := filepath.Join(dir, "segments")
		stamps := frameStamps(t, out)
		data, err := os.ReadFile(filepath.Join(out, "sample.json"))
		if err != nil {
			t.Fatal(err)
		}
		var sample struct {
			Frames []struct {
				EgoPose struct {
					Position struct{ X, Y, Z float64 } `json:"position"`
					Heading  struct {
						QX float64 `json:"qx"`
						QY float64 `json:"qy"`
						QZ float64 `json:"qz"`
						QW float64 `json:"qw"`
					} `json:"heading"`
				} `json:"ego_pose"`
			} `json:"frames"`
		}
		if err := json.Unmarshal(data, &sample); err != nil {
			t.Fatal(err)
		}
		lf, err := os.Open(filepath.Join(out, "labels.json"))
		if err != nil {
			t.Fatal(err)
		}
		var cats []labels.SegmentsCategory
		cj, err := os.ReadFile(filepath.Join(out, "categories.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(cj, &cats); err != nil {
			t.Fatal(err)
		}
		set, err := labels.ReadSegments(lf, "labels.json", cats)
		lf.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(set.Frames) != len(stamps) || len(sample.Frames) != len(stamps) {
			t.Fatalf("%d label frames, %d sample frames, %d fused", len(set.Frames), len(sample.Frames), len(stamps))
		}
		for i, f := range set.Frames {
			e := sample.Frames[i].EgoPose
			T, err := se3.FromQuatXYZW(e.Heading.QX, e.Heading.QY, e.Heading.QZ, e.Heading.QW, r3.Vec{X: e.Position.X, Y: e.Position.Y, Z: e.Position.Z})
			if err != nil {
				t.Fatal(err)
			}
			base := make([]labels.Box, len(f.Boxes))
			for k, b := range f.Boxes {
				base[k] = b.Transformed(T.Inverse(), labels.FrameBase)
			}
			sameBoxes(t, fmt.Sprintf("segments frame %d", i), base, byStamp[f.StampNS], false, 0.01)
		}
	})

	t.Run("nuscenes", func(t *testing.T) {
		fuseLabels(t, dir, "nuscenes")
		ver := filepath.Join(dir, "nuscenes", "v1.0-rigsync")
		samples, err := labels.ReadNuScenesSamples(os.DirFS(ver))
		if err != nil {
			t.Fatal(err)
		}
		back, err := labels.ReadNuScenes(os.DirFS(ver))
		if err != nil {
			t.Fatal(err)
		}
		if len(back.Frames) != len(samples) || len(samples) != 4 {
			t.Fatalf("%d annotated samples of %d, want 4 (2 s at 2 Hz)", len(back.Frames), len(samples))
		}
		egoOf := map[string]se3.Transform{}
		for _, s := range samples {
			egoOf[s.Token] = s.Ego
		}
		for _, f := range back.Frames {
			var want *labels.Frame
			for i := range truth.Frames {
				if truth.Frames[i].StampNS/1000 == f.StampNS/1000 {
					want = &truth.Frames[i]
				}
			}
			if want == nil {
				t.Fatalf("sample %s at %d: no truth frame", f.Token, f.StampNS)
			}
			base := make([]labels.Box, len(f.Boxes))
			for i, b := range f.Boxes {
				base[i] = b.Transformed(egoOf[f.Token].Inverse(), labels.FrameBase)
			}
			sameBoxes(t, "nuscenes "+f.Token, base, want, false, 0.01)
		}
		checkNuScenesSchema(t, ver, truth)
	})
}

// checkNuScenesSchema checks the annotation tables field by field against
// the nuScenes schema (the devkit is not installable here): the exact
// keys of every record, instance counts, first/last tokens and the
// sample_annotation prev/next chains, token references, size w l h.
func checkNuScenesSchema(t *testing.T, ver string, truth *labels.Set) {
	read := func(name string) []map[string]any {
		data, err := os.ReadFile(filepath.Join(ver, name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var out []map[string]any
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return out
	}
	keys := func(name string, recs []map[string]any, want ...string) {
		slices.Sort(want)
		for _, r := range recs {
			var got []string
			for k := range r {
				got = append(got, k)
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("%s record keys %v, want %v", name, got, want)
			}
		}
	}
	anns, insts, cats, samples := read("sample_annotation"), read("instance"), read("category"), read("sample")
	keys("sample_annotation", anns, "token", "sample_token", "instance_token", "attribute_tokens", "visibility_token",
		"translation", "size", "rotation", "prev", "next", "num_lidar_pts", "num_radar_pts")
	keys("instance", insts, "token", "category_token", "nbr_annotations", "first_annotation_token", "last_annotation_token")
	keys("category", cats, "token", "name", "description")
	byTok := map[string]map[string]any{}
	for _, a := range anns {
		byTok[a["token"].(string)] = a
	}
	sampleTok := map[string]bool{}
	for _, s := range samples {
		sampleTok[s["token"].(string)] = true
	}
	catTok := map[string]string{}
	for _, c := range cats {
		catTok[c["token"].(string)] = c["name"].(string)
	}
	withPoints := 0
	for _, a := range anns {
		if !sampleTok[a["sample_token"].(string)] {
			t.Errorf("annotation %s: sample_token not a sample", a["token"])
		}
		if a["num_lidar_pts"].(float64) > 0 {
			withPoints++
		}
		for _, k := range []string{"prev", "next"} {
			if tok := a[k].(string); tok != "" {
				o := byTok[tok]
				if o == nil || o["instance_token"] != a["instance_token"] {
					t.Errorf("annotation %s: %s %s is not an annotation of the same instance", a["token"], k, tok)
				}
			}
		}
	}
	if withPoints < len(anns)/2 {
		t.Errorf("only %d of %d annotations have LiDAR points", withPoints, len(anns))
	}
	for _, in := range insts {
		n := 0
		tok := in["first_annotation_token"].(string)
		last := ""
		for tok != "" {
			a := byTok[tok]
			if a == nil || a["instance_token"] != in["token"] {
				t.Fatalf("instance %s: chain reaches %s", in["token"], tok)
			}
			n++
			last, tok = tok, a["next"].(string)
		}
		if float64(n) != in["nbr_annotations"].(float64) || last != in["last_annotation_token"] {
			t.Errorf("instance %s: chain of %d ending at %s; nbr_annotations %v, last %v", in["token"], n, last, in["nbr_annotations"], in["last_annotation_token"])
		}
		if _, ok := catTok[in["category_token"].(string)]; !ok {
			t.Errorf("instance %s: category_token not a category", in["token"])
		}
	}
	// size is w, l, h: a car of the truth is 1.8 wide, 4.5 long.
	for _, a := range anns {
		var class string
		for _, f := range truth.Frames {
			for _, b := range f.Boxes {
				if b.ID == a["instance_token"] {
					class = b.Class
					s := a["size"].([]any)
					if s[0].(float64) != b.Size.Width || s[1].(float64) != b.Size.Length || s[2].(float64) != b.Size.Height {
						t.Fatalf("annotation %s: size %v, want w l h %v %v %v", a["token"], s, b.Size.Width, b.Size.Length, b.Size.Height)
					}
				}
			}
		}
		if class == "" {
			t.Errorf("annotation %s: instance %s not in the truth", a["token"], a["instance_token"])
		}
	}
}
