package labels

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/rigsync/rigsync/calib/se3"
	"gonum.org/v1/gonum/spatial/r3"
)

// Tolerances of a round trip (issue 19): 1 mm and 0.01°.
const (
	tolM   = 1e-3
	tolRad = 0.01 * math.Pi / 180
)

// testSet is a labelled sequence with the awkward cases: yaw at ±π, pitch
// and roll, tiny and huge boxes, far centres, velocities and times.
func testSet(withRollPitch bool) *Set {
	v := r3.Vec{X: 3.5, Y: -0.25, Z: 0}
	boxes := []Box{
		{ID: "0", Class: "car", Center: r3.Vec{X: 12.3456789, Y: -4.5, Z: 0.8}, Size: Size{4.5, 1.9, 1.6}, Yaw: 0.3, Velocity: &v},
		{ID: "1", Class: "truck", Center: r3.Vec{X: -30, Y: 7.25, Z: 1.75}, Size: Size{10, 2.5, 3.5}, Yaw: math.Pi},
		{ID: "2", Class: "car", Center: r3.Vec{X: 5, Y: 5, Z: 0.7}, Size: Size{4, 1.8, 1.4}, Yaw: -math.Pi + 1e-9},
		{ID: "3", Class: "pole", Center: r3.Vec{X: 0.5, Y: -2, Z: 0.005}, Size: Size{0.01, 0.01, 0.01}, Yaw: -1.2},
		{ID: "4", Class: "building", Center: r3.Vec{X: 1234.5, Y: -4321.25, Z: 60}, Size: Size{200, 150, 120}, Yaw: 2.9},
		{ID: "5", Class: "pedestrian", Center: r3.Vec{X: 8, Y: 2, Z: 0.9}, Size: Size{0.6, 0.7, 1.8}, Yaw: math.Pi / 2, TimeNS: 1709294400012345678},
	}
	if withRollPitch {
		boxes[0].Pitch, boxes[0].Roll = 0.05, -0.03
		boxes[1].Pitch = -0.2
		boxes[4].Roll = 0.4
	}
	s := &Set{Clock: "true"}
	for i := range 3 {
		f := Frame{Index: i, Token: fmt.Sprintf("tok%02d", i), StampNS: 1709294400000000000 + int64(i)*100_000_000}
		for _, b := range boxes {
			b.Center.X += float64(i) * 0.5
			b.Frame = FrameBase
			f.Boxes = append(f.Boxes, b)
		}
		s.Frames = append(s.Frames, f)
	}
	return s
}

func withFrame(s *Set, frame string) *Set {
	out := &Set{Clock: s.Clock}
	for _, f := range s.Frames {
		g := f
		g.Boxes = slices.Clone(f.Boxes)
		for i := range g.Boxes {
			g.Boxes[i].Frame = frame
		}
		out.Frames = append(out.Frames, g)
	}
	return out
}

// kittiTestCalib: the velodyne (base_link) → camera axes of a camera 1.6 m
// forward, 1.5 m up, turned 10° to the left about the vertical (its y axis
// stays vertical, as KITTI's yaw-only boxes need), R0_rect identity.
func kittiTestCalib() *KITTICalib {
	axes := se3.Mat3{{0, -1, 0}, {0, 0, -1}, {1, 0, 0}} // cam = axes · base
	turn := se3.Ry(-10 * math.Pi / 180)
	R := turn.Mul(axes)
	t := R.MulVec(r3.Vec{X: -1.6, Y: 0, Z: -1.5})
	T, err := se3.FromMatrix(R, t)
	if err != nil {
		panic(err)
	}
	return &KITTICalib{P2: [12]float64{700, 0, 640, 0, 0, 700, 360, 0, 0, 0, 1, 0},
		R0Rect: se3.Mat3{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, VeloToCam: T}
}

type format struct {
	name string
	// frame the boxes must be in; rollPitch, ids, velocity, times, stamps:
	// what survives.
	frame                                  string
	rollPitch, ids, velocity, times, stamp bool
	rt                                     func(t *testing.T, s *Set) *Set
}

var formatsUnderTest = []format{
	{name: "rigsync-json", frame: FrameBase, rollPitch: true, ids: true, velocity: true, times: true, stamp: true,
		rt: func(t *testing.T, s *Set) *Set {
			var b bytes.Buffer
			if err := WriteJSON(&b, s); err != nil {
				t.Fatal(err)
			}
			out, err := ReadJSON(&b, "labels.json")
			if err != nil {
				t.Fatal(err)
			}
			return out
		}},
	{name: "nuscenes", frame: FrameGlobal, rollPitch: true, ids: true, stamp: true,
		rt: func(t *testing.T, s *Set) *Set {
			tables, err := NuScenesTables(s)
			if err != nil {
				t.Fatal(err)
			}
			fsys := fstest.MapFS{}
			for n, d := range tables {
				fsys[n] = &fstest.MapFile{Data: d}
			}
			var samples strings.Builder
			samples.WriteString("[")
			for i, f := range s.Frames {
				if i > 0 {
					samples.WriteString(",")
				}
				fmt.Fprintf(&samples, `{"token":%q,"timestamp":%d}`, f.Token, f.StampNS/1000)
			}
			samples.WriteString("]")
			fsys["sample.json"] = &fstest.MapFile{Data: []byte(samples.String())}
			out, err := ReadNuScenes(fsys)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}},
	{name: "kitti-label_2", frame: FrameBase,
		rt: func(t *testing.T, s *Set) *Set {
			c := kittiTestCalib()
			out := &Set{}
			for _, f := range s.Frames {
				var b bytes.Buffer
				if err := WriteKITTILabels(&b, f.Boxes, c, 1280, 720); err != nil {
					t.Fatal(err)
				}
				boxes, err := ReadKITTILabels(&b, "000000.txt", c, FrameBase)
				if err != nil {
					t.Fatal(err)
				}
				// label_2 has no ids: boxes come back in line order.
				for i := range boxes {
					boxes[i].ID = f.Boxes[i].ID
				}
				out.Frames = append(out.Frames, Frame{Index: f.Index, Boxes: boxes})
			}
			return out
		}},
	{name: "kitti-tracking", frame: FrameBase, ids: true,
		rt: func(t *testing.T, s *Set) *Set {
			c := kittiTestCalib()
			var b bytes.Buffer
			if err := WriteKITTITracking(&b, s, c, 0, 0); err != nil {
				t.Fatal(err)
			}
			out, err := ReadKITTITracking(&b, "0000.txt", c, FrameBase)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}},
	{name: "segments", frame: FrameWorld, rollPitch: true, ids: true, stamp: true,
		rt: func(t *testing.T, s *Set) *Set {
			var b bytes.Buffer
			cats, err := WriteSegments(&b, s, []SegmentsCategory{{ID: 7, Name: "car"}})
			if err != nil {
				t.Fatal(err)
			}
			if cats[0] != (SegmentsCategory{7, "car"}) || len(cats) != 5 {
				t.Errorf("categories %v", cats)
			}
			out, err := ReadSegments(&b, "label.json", cats)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}},
	{name: "cvat", frame: FrameBase, rollPitch: true, ids: true,
		rt: func(t *testing.T, s *Set) *Set {
			var x, fl bytes.Buffer
			if err := WriteCVAT(&x, &fl, s); err != nil {
				t.Fatal(err)
			}
			out, err := ReadCVAT(&x, "tracklet_labels.xml", &fl, FrameBase)
			if err != nil {
				t.Fatal(err)
			}
			for i, f := range out.Frames {
				if f.Token != s.Frames[i].Token {
					t.Errorf("cvat: frame %d token %q, want %q", i, f.Token, s.Frames[i].Token)
				}
			}
			return out
		}},
	{name: "xtreme1", frame: FrameBase, rollPitch: true, ids: true,
		rt: func(t *testing.T, s *Set) *Set {
			out := &Set{}
			for _, f := range s.Frames {
				var b bytes.Buffer
				if err := WriteXtreme1(&b, &f); err != nil {
					t.Fatal(err)
				}
				boxes, err := ReadXtreme1(&b, "000000.json", FrameBase)
				if err != nil {
					t.Fatal(err)
				}
				out.Frames = append(out.Frames, Frame{Index: f.Index, Boxes: boxes})
			}
			return out
		}},
}

// angleBetween is the angle of the rotation from a to b (q and −q are the
// same rotation).
func angleBetween(a, b se3.Transform) float64 {
	p, q := a.Rot, b.Rot
	d := math.Abs(p.Real*q.Real + p.Imag*q.Imag + p.Jmag*q.Jmag + p.Kmag*q.Kmag)
	return 2 * math.Acos(math.Min(1, d))
}

// sameBox reports how b differs from want beyond the tolerances.
func sameBox(got, want *Box, f format) error {
	if got.ID != want.ID || got.Class != want.Class || got.Frame != want.Frame {
		return fmt.Errorf("id/class/frame %s/%s/%s, want %s/%s/%s", got.ID, got.Class, got.Frame, want.ID, want.Class, want.Frame)
	}
	if d := r3.Norm(r3.Sub(got.Center, want.Center)); d > tolM {
		return fmt.Errorf("centre off by %.3g m", d)
	}
	for _, d := range []float64{got.Size.Length - want.Size.Length, got.Size.Width - want.Size.Width, got.Size.Height - want.Size.Height} {
		if math.Abs(d) > tolM {
			return fmt.Errorf("size %+v, want %+v", got.Size, want.Size)
		}
	}
	if ang := angleBetween(got.Pose(), want.Pose()); ang > tolRad {
		return fmt.Errorf("orientation off by %.4g°", ang*180/math.Pi)
	}
	if f.velocity && (got.Velocity == nil) != (want.Velocity == nil) {
		return fmt.Errorf("velocity %v, want %v", got.Velocity, want.Velocity)
	}
	if f.velocity && want.Velocity != nil && r3.Norm(r3.Sub(*got.Velocity, *want.Velocity)) > 1e-9 {
		return fmt.Errorf("velocity %v, want %v", *got.Velocity, *want.Velocity)
	}
	if f.times && got.TimeNS != want.TimeNS {
		return fmt.Errorf("time %d, want %d", got.TimeNS, want.TimeNS)
	}
	return nil
}

// TestRoundTrip writes the test set in every format and reads it back:
// ids, classes and geometry within 1 mm and 0.01° (roll and pitch where
// the format has them), stamps, velocity and times where it carries them.
func TestRoundTrip(t *testing.T) {
	for _, f := range formatsUnderTest {
		t.Run(f.name, func(t *testing.T) {
			want := withFrame(testSet(f.rollPitch), f.frame)
			got := f.rt(t, want)
			if len(got.Frames) != len(want.Frames) {
				t.Fatalf("%d frames, want %d", len(got.Frames), len(want.Frames))
			}
			for i := range want.Frames {
				wf, gf := &want.Frames[i], &got.Frames[i]
				if gf.Index != wf.Index {
					t.Errorf("frame %d: index %d", wf.Index, gf.Index)
				}
				if f.stamp && math.Abs(float64(gf.StampNS-wf.StampNS)) >= 1000 {
					t.Errorf("frame %d: stamp %d, want %d", wf.Index, gf.StampNS, wf.StampNS)
				}
				if len(gf.Boxes) != len(wf.Boxes) {
					t.Fatalf("frame %d: %d boxes, want %d", wf.Index, len(gf.Boxes), len(wf.Boxes))
				}
				for _, wb := range wf.Boxes {
					j := slices.IndexFunc(gf.Boxes, func(b Box) bool { return b.ID == wb.ID })
					if j < 0 {
						t.Errorf("frame %d: box %s lost", wf.Index, wb.ID)
						continue
					}
					if err := sameBox(&gf.Boxes[j], &wb, f); err != nil {
						t.Errorf("frame %d box %s: %v", wf.Index, wb.ID, err)
					}
				}
			}
		})
	}
}

// TestRoundTripCatchesErrors: the comparison of TestRoundTrip fails on a
// box moved by 2 mm, turned by 0.02° or renamed.
func TestRoundTripCatchesErrors(t *testing.T) {
	f := formatsUnderTest[0]
	b := testSet(true).Frames[0].Boxes[0]
	for _, mod := range []func(*Box){
		func(b *Box) { b.Center.X += 0.002 },
		func(b *Box) { b.Yaw += 0.02 * math.Pi / 180 },
		func(b *Box) { b.Pitch += 0.02 * math.Pi / 180 },
		func(b *Box) { b.Size.Height *= 1.01 },
		func(b *Box) { b.ID = "x" },
	} {
		c := b
		mod(&c)
		if sameBox(&c, &b, f) == nil {
			t.Errorf("a changed box %+v passes as %+v", c, b)
		}
	}
}

// TestKITTIConventions: a box straight ahead of a level camera facing
// along the camera's +z (away) has rotation_y −π/2, its location at the
// bottom face, alpha = rotation_y (atan2(x, z) = 0) and h w l order.
func TestKITTIConventions(t *testing.T) {
	axes := se3.Mat3{{0, -1, 0}, {0, 0, -1}, {1, 0, 0}}
	T, _ := se3.FromMatrix(axes, r3.Vec{})
	c := &KITTICalib{P2: [12]float64{700, 0, 640, 0, 0, 700, 360, 0, 0, 0, 1, 0}, R0Rect: se3.Mat3{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, VeloToCam: T}
	var b bytes.Buffer
	box := Box{ID: "1", Class: "Car", Frame: FrameBase, Center: r3.Vec{X: 20, Y: 0, Z: 0.8}, Size: Size{4, 2, 1.6}}
	if err := WriteKITTILabels(&b, []Box{box}, c, 0, 0); err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(b.String())
	want := map[int]string{0: "Car", 3: "-1.570796", 8: "1.600000", 9: "2.000000", 10: "4.000000", 11: "0.000000", 12: "0.000000", 13: "20.000000", 14: "-1.570796"}
	for i, w := range want {
		if f[i] != w {
			t.Errorf("field %d = %s, want %s (line %q)", i+1, f[i], w, b.String())
		}
	}
}

// TestNuScenesConventions: size is w l h, rotation w x y z.
func TestNuScenesConventions(t *testing.T) {
	s := &Set{Frames: []Frame{{Token: "s0", Boxes: []Box{{ID: "i", Class: "car", Frame: FrameGlobal, Size: Size{4, 2, 1.5}, Yaw: math.Pi / 2}}}}}
	tables, err := NuScenesTables(s)
	if err != nil {
		t.Fatal(err)
	}
	var recs []struct {
		Size     [3]float64 `json:"size"`
		Rotation [4]float64 `json:"rotation"`
	}
	if err := json.Unmarshal(tables["sample_annotation.json"], &recs); err != nil || len(recs) != 1 {
		t.Fatal(err, len(recs))
	}
	h := math.Sqrt(0.5)
	if recs[0].Size != [3]float64{2, 4, 1.5} {
		t.Errorf("size %v, want w l h = [2 4 1.5]", recs[0].Size)
	}
	if r := recs[0].Rotation; math.Abs(r[0]-h) > 1e-12 || r[1] != 0 || r[2] != 0 || math.Abs(r[3]-h) > 1e-12 {
		t.Errorf("rotation %v, want w x y z = [%v 0 0 %v]", r, h, h)
	}
}

// TestReadErrors: bad input names the file and the record.
func TestReadErrors(t *testing.T) {
	c := kittiTestCalib()
	for _, tc := range []struct {
		name string
		read func() error
		want string
	}{
		{"json syntax", func() error {
			_, err := ReadJSON(strings.NewReader("{\n\"format\": \"rigsync.labels\",\n\"version\": 1,\n\"frames\": [ { \"boxes\": [ {\"id\": 1} ] } ]}"), "a.json")
			return err
		}, "a.json: line 4"},
		{"json bad size", func() error {
			_, err := ReadJSON(strings.NewReader(`{"format":"rigsync.labels","version":1,"frames":[{"index":0,"boxes":[{"id":"1","class":"car","frame":"base_link","center":[0,0,0],"size":[0,1,1],"yaw":0}]}]}`), "b.json")
			return err
		}, "b.json: frames[0].boxes[0]: box 1: size"},
		{"json format", func() error {
			_, err := ReadJSON(strings.NewReader(`{"format":"x","version":1}`), "c.json")
			return err
		}, "c.json: format"},
		{"kitti fields", func() error {
			_, err := ReadKITTILabels(strings.NewReader("Car 0 0 0 1 2 3 4 1 1 1 0 0 5\n"), "000001.txt", c, FrameBase)
			return err
		}, "000001.txt: line 1: 14 fields"},
		{"kitti number", func() error {
			_, err := ReadKITTILabels(strings.NewReader("\nCar 0 0 0 1 2 3 4 1 1 x 0 0 5 0\n"), "000002.txt", c, FrameBase)
			return err
		}, "000002.txt: line 2: field 11"},
		{"kitti calib", func() error {
			_, err := ReadKITTICalib(strings.NewReader("P2: 1 2 3\n"), "calib/000003.txt")
			return err
		}, "calib/000003.txt: line 1: P2 has 3 numbers"},
		{"segments category", func() error {
			_, err := ReadSegments(strings.NewReader(`{"format_version":"0.2","frames":[{"annotations":[{"id":1,"category_id":9,"type":"cuboid","dimensions":{"x":1,"y":1,"z":1},"track_id":1}]}]}`), "seg.json", nil)
			return err
		}, "seg.json: frames[0].annotations[0]: unknown category_id 9"},
		{"xtreme1 size", func() error {
			_, err := ReadXtreme1(strings.NewReader(`[{"objects":[{"type":"3D_BOX","className":"car","trackId":"a","contour":{"size3D":{"x":-1,"y":1,"z":1}}}]}]`), "r.json", FrameBase)
			return err
		}, "r.json: [0].objects[0]"},
		{"cvat frame list", func() error {
			_, err := ReadCVAT(strings.NewReader(`<boost_serialization><tracklets></tracklets></boost_serialization>`), "tracklet_labels.xml", strings.NewReader("0 a b\n"), FrameBase)
			return err
		}, "frame_list.txt: line 1"},
		{"nuscenes instance", func() error {
			_, err := ReadNuScenes(fstest.MapFS{"sample_annotation.json": {Data: []byte(`[{"token":"a1","instance_token":"nope","size":[1,1,1],"rotation":[1,0,0,0]}]`)},
				"instance.json": {Data: []byte(`[]`)}, "category.json": {Data: []byte(`[]`)}})
			return err
		}, "sample_annotation.json: record 0 (token a1): unknown instance_token"},
	} {
		err := tc.read()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", tc.name, err, tc.want)
		}
	}
}

// TestJSONCameraBoxes: camera-synced boxes survive a JSON round trip,
// follow their box through Transformed, and a camera box without a camera
// name is refused with the record named.
func TestJSONCameraBoxes(t *testing.T) {
	v := r3.Vec{X: 8}
	s := &Set{Clock: "true", Frames: []Frame{{Index: 3, StampNS: 100, Boxes: []Box{{ID: "7", Class: "car", Frame: FrameBase,
		Center: r3.Vec{X: 10, Y: 2, Z: 0.75}, Size: Size{4.5, 1.8, 1.5}, Yaw: 0.1, Velocity: &v,
		Cameras: []CameraBox{{Camera: "cam_front", TimeNS: 140, Center: r3.Vec{X: 10.32, Y: 2, Z: 0.75}, Yaw: 0.1}}}}}}}
	var b bytes.Buffer
	if err := WriteJSON(&b, s); err != nil {
		t.Fatal(err)
	}
	got, err := ReadJSON(&b, "cams.json")
	if err != nil {
		t.Fatal(err)
	}
	cb := got.Frames[0].Boxes[0].Cameras
	if len(cb) != 1 || cb[0] != s.Frames[0].Boxes[0].Cameras[0] {
		t.Fatalf("camera boxes %+v, want %+v", cb, s.Frames[0].Boxes[0].Cameras)
	}
	// Moved 100 m along x and turned 90°: the camera box moves with it.
	T, err := se3.FromRPY(0, 0, math.Pi/2, r3.Vec{X: 100})
	if err != nil {
		t.Fatal(err)
	}
	g := s.Frames[0].Boxes[0].Transformed(T, FrameGlobal)
	want := T.Apply(r3.Vec{X: 10.32, Y: 2, Z: 0.75})
	if c := g.Cameras[0]; r3.Norm(r3.Sub(c.Center, want)) > 1e-9 || math.Abs(c.Yaw-(0.1+math.Pi/2)) > 1e-9 {
		t.Errorf("transformed camera box %+v, want centre %v yaw %v", c, want, 0.1+math.Pi/2)
	}
	b.Reset()
	_ = WriteJSON(&b, s)
	bad := strings.Replace(b.String(), `"camera":"cam_front"`, `"camera":""`, 1)
	if _, err := ReadJSON(strings.NewReader(bad), "bad.json"); err == nil || !strings.Contains(err.Error(), "bad.json: frames[0].boxes[0]") {
		t.Errorf("camera box without a name: %v", err)
	}
}
