package tftree

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/se3"
)

func mk(t *testing.T, yaw float64, x, y, z float64) se3.Transform {
	t.Helper()
	tf, err := se3.FromRPY(0, 0, yaw, r3.Vec{X: x, Y: y, Z: z})
	if err != nil {
		t.Fatal(err)
	}
	return tf
}

// A small vehicle: map → odom(dynamic) → base_link → {lidar, camera_link →
// camera_optical}, plus a separate tree world → gps.
func vehicle(t *testing.T) *Tree {
	tr := New()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(tr.SetStatic("base_link", "lidar", mk(t, 0, 1, 0, 2)))
	must(tr.SetStatic("base_link", "camera_link", mk(t, math.Pi/2, 0.5, 0.2, 1.5)))
	must(tr.SetStatic("camera_link", "camera_optical", se3.LinkToOptical))
	// odom → base_link: moves along x at 1 m/s and turns 90° over 10 s.
	must(tr.Add("odom", "base_link", 10e9, mk(t, math.Pi/2, 10, 0, 0)))
	must(tr.Add("odom", "base_link", 0, mk(t, 0, 0, 0, 0))) // out of order
	must(tr.Add("map", "odom", 0, mk(t, 0, 100, 0, 0)))
	must(tr.Add("map", "odom", 20e9, mk(t, 0, 100, 0, 0)))
	must(tr.SetStatic("world", "gps", mk(t, 0, 0, 0, 0)))
	return tr
}

func TestLookup(t *testing.T) {
	tr := vehicle(t)
	cases := []struct {
		name           string
		target, source string
		at             int64
		p, want        r3.Vec
	}{
		// lidar origin in base_link.
		{"static", "base_link", "lidar", 0, r3.Vec{}, r3.Vec{X: 1, Z: 2}},
		// Inverse direction.
		{"inverse", "lidar", "base_link", 0, r3.Vec{}, r3.Vec{X: -1, Z: -2}},
		// camera optical z (forward) is camera_link x, which is base_link y.
		{"optical axis", "base_link", "camera_optical", 0, r3.Vec{Z: 1}, r3.Vec{X: 0.5, Y: 1.2, Z: 1.5}},
		// At 5 s base_link is at x=5 yawed 45°: lidar (1,0,2) → (5+cos45, sin45, 2).
		{"interpolated", "odom", "lidar", 5e9, r3.Vec{}, r3.Vec{X: 5 + math.Sqrt2/2, Y: math.Sqrt2 / 2, Z: 2}},
		{"through map", "map", "lidar", 10e9, r3.Vec{}, r3.Vec{X: 110, Y: 1, Z: 2}},
		// Sibling branches: lidar seen from the camera.
		{"siblings", "camera_link", "lidar", 0, r3.Vec{}, r3.Vec{X: -0.2, Y: -0.5, Z: 0.5}},
		// Latest: odom→base_link ends at 10 s, map→odom at 20 s → 10 s.
		{"latest", "map", "base_link", Latest, r3.Vec{X: 1}, r3.Vec{X: 110, Y: 1}},
		{"same frame", "lidar", "lidar", 123, r3.Vec{X: 3}, r3.Vec{X: 3}},
	}
	for _, c := range cases {
		tf, err := tr.Lookup(c.target, c.source, c.at)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := tf.Apply(c.p); r3.Norm(r3.Sub(got, c.want)) > 1e-9 {
			t.Errorf("%s: T_%s_%s·%v = %v, want %v", c.name, c.target, c.source, c.p, got, c.want)
		}
	}
}

func TestErrors(t *testing.T) {
	tr := vehicle(t)
	cases := []struct {
		name           string
		target, source string
		at             int64
		want           error
	}{
		{"unknown", "base_link", "radar", 0, ErrUnknownFrame},
		{"disconnected", "gps", "lidar", 0, ErrDisconnected},
		{"before", "odom", "lidar", -1, ErrExtrapolation},
		{"after", "odom", "lidar", 10e9 + 1, ErrExtrapolation},
	}
	for _, c := range cases {
		_, err := tr.Lookup(c.target, c.source, c.at)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
	if err := tr.SetStatic("lidar", "map", se3.Identity()); !errors.Is(err, ErrCycle) {
		t.Errorf("cycle: err = %v", err)
	}
	if err := tr.SetStatic("x", "x", se3.Identity()); !errors.Is(err, ErrCycle) {
		t.Errorf("self loop: err = %v", err)
	}
	if err := tr.SetStatic("gps", "lidar", se3.Identity()); !errors.Is(err, ErrReparent) {
		t.Errorf("reparent: err = %v", err)
	}
	if err := tr.Add("base_link", "lidar", 5, se3.Identity()); err == nil {
		t.Error("static edge given a dynamic sample: no error")
	}
	if err := tr.Add("a", "b", Latest, se3.Identity()); err == nil {
		t.Error("sample at Latest: no error")
	}
}

// TestLookupComposesFromAncestor: a lookup from an ancestor is the chain
// composed from that ancestor down, bit for bit ((I·T1)·T2)·T3 — the
// extrinsic every reader of a log's /tf_static gets — and a lookup
// between siblings composes the inverse of the target's chain.
func TestLookupComposesFromAncestor(t *testing.T) {
	q := func(w, x, y, z, tx, ty, tz float64) se3.Transform {
		tf, err := se3.FromQuatWXYZ(w, x, y, z, r3.Vec{X: tx, Y: ty, Z: tz})
		if err != nil {
			t.Fatal(err)
		}
		return tf
	}
	t1, t2, t3 := q(0.9, 0.1, -0.2, 0.37, 0.731, -0.123, 1.377), q(0.3, -0.7, 0.1, 0.2, -0.05, 0.42, 0.013), q(0.5, 0.5, -0.5, 0.5, 1.6, 0, 1.5)
	tr := New()
	for _, e := range []struct {
		p, c string
		tf   se3.Transform
	}{{"base", "mount", t1}, {"mount", "bracket", t2}, {"bracket", "cam", t3}, {"mount", "lidar", t3}} {
		if err := tr.SetStatic(e.p, e.c, e.tf); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		target, source string
		want           se3.Transform
	}{
		{"base", "mount", se3.Identity().Mul(t1)},
		{"base", "cam", se3.Identity().Mul(t1).Mul(t2).Mul(t3)},
		{"mount", "cam", se3.Identity().Mul(t2).Mul(t3)},
		{"lidar", "cam", se3.Identity().Mul(t3).Inverse().Mul(se3.Identity().Mul(t2).Mul(t3))},
		{"cam", "cam", se3.Identity()},
	} {
		got, err := tr.Lookup(tc.target, tc.source, Latest)
		if err != nil {
			t.Fatalf("%s←%s: %v", tc.target, tc.source, err)
		}
		if got != tc.want {
			t.Errorf("%s←%s = %v, want %v", tc.target, tc.source, got, tc.want)
		}
	}
}
