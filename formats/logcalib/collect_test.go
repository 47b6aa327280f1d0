package logcalib_test

import (
	"fmt"
	"testing"

	"gonum.org/v1/gonum/num/quat"
	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/tftree"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/logcalib"
)

func tfMsg(topic string, static bool, ts ...formats.Transform) formats.Message {
	return formats.Message{Topic: topic, Payload: &formats.Transforms{Static: static, Transforms: ts}}
}

func tf(parent, child string, x float64, q quat.Number) formats.Transform {
	return formats.Transform{Parent: parent, Child: child, Translation: r3.Vec{X: x}, Rotation: q}
}

var unit = quat.Number{Real: 1}

func camMsg(topic, frame string, fx float64) formats.Message {
	return formats.Message{Topic: topic, FrameID: frame, Payload: &formats.CameraInfo{Width: 640, Height: 480,
		DistortionModel: "plumb_bob", D: []float64{0, 0, 0, 0, 0}, K: [9]float64{fx, 0, 320, 0, fx, 240, 0, 0, 1}}}
}

// TestCollector: what the collector keeps of a stream of messages — every
// transform edge (the first T, the first message's topic and static flag,
// a count), the static transforms in order, the first camera calibration
// of each topic — and the error of a static transform that has no valid
// rotation.
func TestCollector(t *testing.T) {
	cases := []struct {
		name       string
		msgs       []formats.Message
		wantErr    int // index of the message whose Add fails (-1: none)
		edges      []string
		static     int
		cams       []string // topic:frame of Infos
		converted  int      // len(Cameras)
		baseToCamX float64  // x of T_base_cam via Tree (NaN: no lookup)
	}{
		{name: "chain and latched copy",
			msgs: []formats.Message{
				tfMsg("/tf_static", true, tf("base", "mount", 1, unit), tf("mount", "cam", 2, unit)),
				tfMsg("/tf_static", true, tf("mount", "cam", 3, unit)), // a later copy replaces
				camMsg("/cam/info", "cam", 500),
				camMsg("/cam/info", "cam", 600), // not the first: ignored
			},
			wantErr: -1, edges: []string{"base→mount static 1 x=1", "mount→cam static 2 x=2"}, static: 3,
			cams: []string{"/cam/info:cam"}, converted: 1, baseToCamX: 4},
		{name: "dynamic transforms are edges, not static",
			msgs: []formats.Message{
				tfMsg("/tf", false, tf("odom", "base", 5, unit)),
				tfMsg("/tf", false, tf("odom", "base", 6, unit)),
			},
			wantErr: -1, edges: []string{"odom→base dynamic 2 x=5"}, static: 0},
		{name: "invalid rotation",
			msgs: []formats.Message{
				tfMsg("/tf_static", true, tf("base", "cam", 1, quat.Number{})),
			},
			wantErr: 0, edges: []string{"base→cam static 1 x=1"}, static: 0},
		{name: "camera that does not convert",
			msgs:    []formats.Message{camMsg("/bad/info", "bad", 0)},
			wantErr: -1, cams: []string{"/bad/info:bad"}, converted: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var col logcalib.Collector
			for i, m := range tc.msgs {
				if err := col.Add(m); (err != nil) != (i == tc.wantErr) {
					t.Errorf("Add(#%d) = %v", i, err)
				}
			}
			c := col.Calibration()
			var edges []string
			for _, e := range c.Edges {
				kind := "dynamic"
				if e.Static {
					kind = "static"
				}
				edges = append(edges, fmt.Sprintf("%s→%s %s %d x=%g", e.Parent, e.Child, kind, e.Count, e.First.Translation.X))
			}
			if fmt.Sprint(edges) != fmt.Sprint(tc.edges) {
				t.Errorf("edges %q, want %q", edges, tc.edges)
			}
			if len(c.Static) != tc.static {
				t.Errorf("%d static transforms, want %d", len(c.Static), tc.static)
			}
			var cams []string
			for _, ci := range c.Infos {
				cams = append(cams, ci.Topic+":"+ci.Frame)
			}
			if fmt.Sprint(cams) != fmt.Sprint(tc.cams) || len(c.Cameras) != tc.converted {
				t.Errorf("cameras %q (%d converted), want %q (%d)", cams, len(c.Cameras), tc.cams, tc.converted)
			}
			if tc.baseToCamX != 0 {
				T, err := c.Tree().Lookup("base", "cam", tftree.Latest)
				if err != nil || T.Trans.X != tc.baseToCamX {
					t.Errorf("T_base_cam = %v, %v; want x = %g", T, err, tc.baseToCamX)
				}
			}
		})
	}
}

// ExampleCollector feeds decoded messages (here built by hand) to a
// Collector and looks up an extrinsic in the resulting tree.
func ExampleCollector() {
	var col logcalib.Collector
	_ = col.Add(formats.Message{Topic: "/tf_static", Payload: &formats.Transforms{Static: true, Transforms: []formats.Transform{
		{Parent: "base_link", Child: "mount", Translation: r3.Vec{X: 1.5, Z: 1}, Rotation: quat.Number{Real: 1}},
		{Parent: "mount", Child: "cam_front", Translation: r3.Vec{X: 0.25}, Rotation: quat.Number{Real: 1}},
	}}})
	c := col.Calibration()
	for _, e := range c.Edges {
		fmt.Printf("%s → %s (%s, %d×)\n", e.Parent, e.Child, e.Topic, e.Count)
	}
	T, err := c.Tree().Lookup("base_link", "cam_front", tftree.Latest)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("T_base_link_cam_front translation: %.2f %.2f %.2f\n", T.Trans.X, T.Trans.Y, T.Trans.Z)
	// Output:
	// base_link → mount (/tf_static, 1×)
	// mount → cam_front (/tf_static, 1×)
	// T_base_link_cam_front translation: 1.75 0.00 1.00
}
