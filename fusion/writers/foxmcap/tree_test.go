package foxmcap

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/decode"
	"github.com/rigsync/rigsync/formats/mcapread"
	"github.com/rigsync/rigsync/fusion/fused"
)

// checkTree tells whether the transforms of one message form a tree: no
// self-edge, every child has one parent, one root, no cycle.
func checkTree(trs []formats.Transform) error {
	parent := map[string]string{}
	for _, t := range trs {
		if t.Parent == t.Child {
			return fmt.Errorf("self-edge %s→%s", t.Parent, t.Child)
		}
		if p, ok := parent[t.Child]; ok {
			return fmt.Errorf("%s has two parents (%s and %s)", t.Child, p, t.Parent)
		}
		parent[t.Child] = t.Parent
	}
	roots := map[string]bool{}
	for child := range parent {
		seen := map[string]bool{child: true}
		f := child
		for {
			p, ok := parent[f]
			if !ok {
				roots[f] = true
				break
			}
			if seen[p] {
				return fmt.Errorf("cycle through %s", p)
			}
			seen[p] = true
			f = p
		}
	}
	if len(roots) > 1 {
		return fmt.Errorf("%d roots %v, want one", len(roots), roots)
	}
	return nil
}

func TestCheckTree(t *testing.T) {
	e := func(p, c string) formats.Transform { return formats.Transform{Parent: p, Child: c} }
	tests := []struct {
		name string
		trs  []formats.Transform
		ok   bool
	}{
		{"tree", []formats.Transform{e("world", "base"), e("base", "cam"), e("base", "lidar")}, true},
		{"self-edge", []formats.Transform{e("world", "base"), e("base", "base")}, false},
		{"two parents", []formats.Transform{e("world", "base"), e("base", "cam"), e("world", "cam")}, false},
		{"same edge twice", []formats.Transform{e("world", "base"), e("base", "cam"), e("base", "cam")}, false},
		{"cycle", []formats.Transform{e("a", "b"), e("b", "c"), e("c", "a")}, false},
		{"forest", []formats.Transform{e("world", "base"), e("odom", "cam")}, false},
	}
	for _, tc := range tests {
		if err := checkTree(tc.trs); (err == nil) != tc.ok {
			t.Errorf("%s: checkTree = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}

// TestTFIsATree writes frames with the extrinsics fusion.ReadCalibration
// gives (T_base_base = identity, the cameras' static extrinsics, other
// sensors) and checks every /tf message read back: a tree rooted at the
// world frame, the ego pose on world→base, each camera once with its
// motion-compensated BaseCamera, every other sensor with its extrinsic.
func TestTFIsATree(t *testing.T) {
	baseLidar := mustT(t, 0.9, 0, 0, 0.2, r3.Vec{X: 1, Z: 1.9})
	staticCam := mustT(t, 1, 0, 0, 0, r3.Vec{X: 1.5, Z: 1.4}).Mul(se3.LinkToOptical)
	ext := map[string]se3.Transform{"base_link": se3.Identity(), "lidar_a": baseLidar, "cam_front": staticCam,
		"cam_rear": staticCam.Mul(mustT(t, 0, 0, 1, 0, r3.Vec{}))}
	tests := []struct {
		name   string
		frames func() []*fused.Frame
	}{
		{"cameras in every frame", func() []*fused.Frame {
			return []*fused.Frame{testFrame(t, 0), testFrame(t, 1)}
		}},
		{"a frame without its camera", func() []*fused.Frame {
			f := testFrame(t, 1)
			f.Cameras = nil
			return []*fused.Frame{testFrame(t, 0), f}
		}},
		{"a camera named like the base", func() []*fused.Frame {
			f := testFrame(t, 0)
			f.Cameras[0].Name = "base_link"
			return []*fused.Frame{f}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			frames := tc.frames()
			var buf bytes.Buffer
			w, err := New(&buf, Options{Extrinsics: ext})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range frames {
				if err := w.Write(context.Background(), f); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			r, err := mcapread.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "fused.mcap")
			if err != nil {
				t.Fatal(err)
			}
			it, err := r.Messages(mcapread.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var ds decode.Decoders
			n := 0
			for {
				m, err := it.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if m.Channel.Topic != TopicTF && m.Channel.Topic != "/tf_static" {
					continue
				}
				msg, err := ds.Message(m.Channel.Channel, m.Channel.Schema, &m.Message)
				if err != nil {
					t.Fatal(err)
				}
				f := frames[n]
				n++
				trs := msg.Payload.(*formats.Transforms).Transforms
				if err := checkTree(trs); err != nil {
					t.Errorf("frame %d: %s: %v", f.Index, m.Channel.Topic, err)
				}
				want := map[string]struct {
					parent string
					stamp  int64
					T      se3.Transform
				}{
					"base_link": {"world", f.Stamp, f.Ego},
					"lidar_a":   {"base_link", f.Stamp, baseLidar},
					"cam_front": {"base_link", f.Stamp, staticCam},
					"cam_rear":  {"base_link", f.Stamp, ext["cam_rear"]},
				}
				for _, c := range f.Cameras {
					if c.Name != "base_link" {
						want[c.Name] = struct {
							parent string
							stamp  int64
							T      se3.Transform
						}{"base_link", c.Stamp, c.BaseCamera}
					}
				}
				if len(trs) != len(want) {
					t.Errorf("frame %d: %d transforms, want %d", f.Index, len(trs), len(want))
				}
				for _, tr := range trs {
					wt, ok := want[tr.Child]
					if !ok || tr.Parent != wt.parent || tr.Stamp != wt.stamp {
						t.Errorf("frame %d: transform %s→%s at %d, want %s→%s at %d", f.Index, tr.Parent, tr.Child, tr.Stamp,
							wt.parent, tr.Child, wt.stamp)
						continue
					}
					got := se3.Transform{Rot: tr.Rotation, Trans: tr.Translation}
					p := r3.Vec{X: 1, Y: 2, Z: 3}
					if d := r3.Norm(r3.Sub(got.Apply(p), wt.T.Apply(p))); d > 1e-9 {
						t.Errorf("frame %d: transform %s→%s maps a point %g m off", f.Index, tr.Parent, tr.Child, d)
					}
				}
			}
			if n != len(frames) {
				t.Errorf("%d /tf messages, want %d", n, len(frames))
			}
		})
	}
}
