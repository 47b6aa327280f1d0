package labelcheck_test

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/spatial/r3"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats"
	"github.com/rigsync/rigsync/formats/labels"
	"github.com/rigsync/rigsync/fusion/fused"
	"github.com/rigsync/rigsync/fusion/labelcheck"
)

// origin is the simulated LiDAR's position in base_link (m).
var origin = r3.Vec{Z: 1.9}

// object is a box-shaped object of the simulated scene: its centre at the
// frame's stamp, size, yaw, and velocity over ground (m/s).
type object struct {
	center r3.Vec
	size   labels.Size
	yaw    float64
	vel    r3.Vec
}

// sweep simulates one sweep of a spinning LiDAR at origin over flat ground
// (z = 0) and the objects: 0.2° azimuth steps turning counter-clockwise
// from −x through 100 ms (each ray's time is its point's TimeOffset),
// rings from −15° to +2° every 0.5°. A moving object is hit where it is at
// the ray's time. The ego vehicle stands still, so the cloud is already
// "deskewed" (Deskew "odometry").
func sweep(objs []object) *fused.Frame {
	var P formats.Points
	const nAz = 1800
	for a := range nAz {
		az := -math.Pi + 2*math.Pi*float64(a)/nAz
		t := 0.1 * float64(a) / nAz
		for el := -15.0; el <= 2.0; el += 0.5 {
			e := el * math.Pi / 180
			d := r3.Vec{X: math.Cos(e) * math.Cos(az), Y: math.Cos(e) * math.Sin(az), Z: math.Sin(e)}
			best := 80.0
			if d.Z < 0 {
				best = min(best, -origin.Z/d.Z)
			}
			for _, o := range objs {
				c := r3.Add(o.center, r3.Scale(t, o.vel))
				T, _ := se3.FromRPY(0, 0, o.yaw, c)
				Ti := T.Inverse()
				if s, ok := hitBox(Ti.Apply(origin), Ti.Rotate(d), o.size); ok && s < best {
					best = s
				}
			}
			if best >= 80 {
				continue
			}
			p := r3.Add(origin, r3.Scale(best, d))
			P.X = append(P.X, float32(p.X))
			P.Y = append(P.Y, float32(p.Y))
			P.Z = append(P.Z, float32(p.Z))
			P.TimeOffset = append(P.TimeOffset, int64(t*1e9))
		}
	}
	return &fused.Frame{Stamp: 1e18, FrameID: labels.FrameBase, Ego: se3.Identity(), EgoSource: "odometry",
		Lidar: &fused.Cloud{Points: P, Sources: []string{"lidar"}, Deskew: "odometry"}}
}

// hitBox is the distance along the ray o + s·d to the axis-aligned box of
// size sz centred at 0 (slab test).
func hitBox(o, d r3.Vec, sz labels.Size) (float64, bool) {
	t0, t1 := 0.0, math.Inf(1)
	for _, ax := range [3][3]float64{{o.X, d.X, sz.Length / 2}, {o.Y, d.Y, sz.Width / 2}, {o.Z, d.Z, sz.Height / 2}} {
		if math.Abs(ax[1]) < 1e-12 {
			if math.Abs(ax[0]) > ax[2] {
				return 0, false
			}
			continue
		}
		a, b := (-ax[2]-ax[0])/ax[1], (ax[2]-ax[0])/ax[1]
		if a > b {
			a, b = b, a
		}
		t0, t1 = max(t0, a), min(t1, b)
	}
	return t0, t0 <= t1 && t0 > 0
}

var car = labels.Size{Length: 4.5, Width: 1.8, Height: 1.5}

// truthBox is the true label of an object: base_link at the frame's stamp.
func truthBox(id string, o object) labels.Box {
	v := o.vel
	return labels.Box{ID: id, Class: "car", Frame: labels.FrameBase, Center: o.center, Size: o.size, Yaw: o.yaw, Velocity: &v}
}

// TestBoxChecks: one frame, one object, the label right or wrong in one
// way; the verdict, the kind and the correction against the truth.
func TestBoxChecks(t *testing.T) {
	parked := object{center: r3.Vec{X: 12, Y: 4, Z: 0.75}, size: car, yaw: 0.1}
	moving := object{center: r3.Vec{X: 10, Y: -5, Z: 0.75}, size: car, yaw: 0, vel: r3.Vec{X: 8}}
	for _, tc := range []struct {
		name  string
		obj   object
		edit  func(b *labels.Box)
		want  labelcheck.Verdict
		kind  string
		check func(t *testing.T, r *labelcheck.BoxResult)
	}{
		{name: "right parked", obj: parked, want: labelcheck.OK},
		{name: "right moving", obj: moving, want: labelcheck.OK},
		{name: "shift 0.4 m left", obj: parked, edit: func(b *labels.Box) {
			b.Center = b.Pose().Apply(r3.Vec{Y: 0.4})
		}, want: labelcheck.Wrong, kind: labelcheck.KindShift, check: func(t *testing.T, r *labelcheck.BoxResult) {
			if s := r.Correction.Shift; s == nil || math.Abs(s[1]+0.4) > 0.05 {
				t.Errorf("shift correction %v, want y −0.4 ± 0.05", s)
			}
		}},
		{name: "yaw 4°", obj: parked, edit: func(b *labels.Box) { b.Yaw += 4 * math.Pi / 180 },
			want: labelcheck.Wrong, kind: labelcheck.KindYaw, check: func(t *testing.T, r *labelcheck.BoxResult) {
				if y := r.Correction.YawDeg; y == nil || math.Abs(*y+4) > 0.5 {
					t.Errorf("yaw correction %v, want −4 ± 0.5°", y)
				}
			}},
		{name: "size ×1.15", obj: parked, edit: func(b *labels.Box) {
			b.Size = labels.Size{Length: b.Size.Length * 1.15, Width: b.Size.Width * 1.15, Height: b.Size.Height * 1.15}
		}, want: labelcheck.Wrong, kind: labelcheck.KindSize, check: func(t *testing.T, r *labelcheck.BoxResult) {
			if s := r.Correction.Size; s == nil || math.Abs(s[0]-4.5) > 0.2 {
				t.Errorf("size correction %v, want length 4.5 ± 0.2", s)
			}
		}},
		{name: "time +50 ms", obj: moving, edit: func(b *labels.Box) { b.Center.X += 8 * 0.05 },
			want: labelcheck.Wrong, kind: labelcheck.KindTime, check: func(t *testing.T, r *labelcheck.BoxResult) {
				if d := r.Correction.DtNS; d == nil || math.Abs(float64(*d)-50e6) > 5e6 {
					t.Errorf("dt correction %v, want 50 ± 5 ms", d)
				}
			}},
		{name: "truck class on a car", obj: parked, edit: func(b *labels.Box) { b.Class = "truck" },
			want: labelcheck.Wrong, kind: labelcheck.KindClass},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := sweep([]object{tc.obj})
			b := truthBox("1", tc.obj)
			if tc.edit != nil {
				tc.edit(&b)
			}
			c := labelcheck.New(labelcheck.Options{Origin: &origin, KeepOK: true})
			if err := c.Add(f, &labels.Frame{Index: 0, StampNS: f.Stamp, Boxes: []labels.Box{b}}); err != nil {
				t.Fatal(err)
			}
			rep := c.Finish()
			if len(rep.Findings) != 1 {
				t.Fatalf("%d results, want 1: %+v", len(rep.Findings), rep.Findings)
			}
			r := &rep.Findings[0]
			if !r.Observed || r.Points < 50 {
				t.Fatalf("box observed %v with %d points", r.Observed, r.Points)
			}
			if r.Verdict != tc.want || (tc.kind != "" && !r.HasKind(tc.kind)) {
				t.Fatalf("verdict %s kinds %v (%v), want %s %s; offset %.3f yaw %.2f", r.Verdict, r.Kinds, r.Reasons, tc.want, tc.kind, r.Offset, r.YawErrDeg)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
			if rep.Verdict != tc.want {
				t.Errorf("log verdict %s, want %s", rep.Verdict, tc.want)
			}
		})
	}
}

// TestSpuriousAndOccluded: a box in free space (rays pass through it to
// the ground behind) is spurious; a box hidden behind another object (no
// ray reaches it) is unobserved, not an error.
func TestSpuriousAndOccluded(t *testing.T) {
	front := object{center: r3.Vec{X: 8, Z: 0.75}, size: labels.Size{Length: 2, Width: 6, Height: 3}}
	f := sweep([]object{front})
	ghost := labels.Box{ID: "ghost", Class: "car", Frame: labels.FrameBase, Center: r3.Vec{X: 5, Y: 8, Z: 0.75}, Size: car}
	hidden := labels.Box{ID: "hidden", Class: "car", Frame: labels.FrameBase, Center: r3.Vec{X: 16, Z: 0.75}, Size: car}
	wall := truthBox("wall", front)
	wall.Class = "truck"
	c := labelcheck.New(labelcheck.Options{Origin: &origin, KeepOK: true, Priors: map[string]labelcheck.SizePrior{}})
	if err := c.Add(f, &labels.Frame{StampNS: f.Stamp, Boxes: []labels.Box{ghost, hidden, wall}}); err != nil {
		t.Fatal(err)
	}
	rep := c.Finish()
	got := map[string]labelcheck.BoxResult{}
	for _, r := range rep.Findings {
		got[r.ID] = r
	}
	if g := got["ghost"]; g.Verdict != labelcheck.Wrong || !g.HasKind(labelcheck.KindSpurious) {
		t.Errorf("ghost: %s %v (%d rays through)", g.Verdict, g.Reasons, g.Through)
	}
	if h := got["hidden"]; h.Verdict != labelcheck.OK || h.Observed {
		t.Errorf("hidden: %s observed %v %v (%d rays through)", h.Verdict, h.Observed, h.Reasons, h.Through)
	}
}

// TestTracks: over frames, an id switch between two cars, a box missing
// from its track while its car is still seen, and a class that changes
// along a track are found.
func TestTracks(t *testing.T) {
	a := object{center: r3.Vec{X: 10, Y: 4, Z: 0.75}, size: car}
	b := object{center: r3.Vec{X: 10, Y: -4, Z: 0.75}, size: car}
	c := labelcheck.New(labelcheck.Options{Origin: &origin})
	for k := range 8 {
		f := sweep([]object{a, b})
		f.Stamp += int64(k) * 1e8
		f.Ego = se3.Identity()
		ba, bb := truthBox("a", a), truthBox("b", b)
		switch {
		case k == 4:
			ba.ID, bb.ID = "b", "a" // switched in this frame only
		case k == 6:
			bb.Class = "truck" // a class that does not fit (prior) nor its track
		}
		boxes := []labels.Box{ba, bb}
		if k == 2 {
			boxes = boxes[:1] // b missing
		}
		if err := c.Add(f, &labels.Frame{Index: k, StampNS: f.Stamp, Boxes: boxes}); err != nil {
			t.Fatal(err)
		}
	}
	rep := c.Finish()
	kinds := map[string][]int{}
	for _, r := range rep.Findings {
		for _, k := range r.Kinds {
			kinds[k] = append(kinds[k], r.Frame)
		}
	}
	if fr := kinds[labelcheck.KindMissing]; len(fr) != 1 || fr[0] != 2 {
		t.Errorf("missing found in frames %v, want [2]", fr)
	}
	if fr := kinds[labelcheck.KindIDSwitch]; len(fr) < 2 || fr[0] != 4 {
		t.Errorf("id switch found in frames %v, want both boxes of frame 4 (and the switch back in 5)", fr)
	}
	if fr := kinds[labelcheck.KindClass]; len(fr) != 1 || fr[0] != 6 {
		t.Errorf("class found in frames %v, want [6]", fr)
	}
	for _, k := range []string{labelcheck.KindShift, labelcheck.KindYaw, labelcheck.KindSize, labelcheck.KindSpurious} {
		if len(kinds[k]) > 0 {
			t.Errorf("false %s findings in frames %v", k, kinds[k])
		}
	}
}

// TestFastAtan2: within 0.0016 rad of math.Atan2 all around.
func TestFastAtan2(t *testing.T) {
	worst := 0.0
	for a := -math.Pi; a <= math.Pi; a += 0.001 {
		for _, r := range []float64{0.01, 1, 70} {
			y, x := r*math.Sin(a), r*math.Cos(a)
			worst = max(worst, math.Abs(labels.WrapAngle(labelcheck.FastAtan2(y, x)-math.Atan2(y, x))))
		}
	}
	if worst > 0.0016 {
		t.Errorf("worst error %.5f rad", worst)
	}
}
