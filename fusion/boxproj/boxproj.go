// Package boxproj projects a fused frame's 3D box labels into its camera
// images: the writers write the 2D boxes beside the 3D ones (fuse
// --labels) and labels check compares them with the images.
//
// The rule: the box's 8 corners (in the frame's FrameID at its Stamp) are
// mapped into the camera with the inverse of fused.Camera.BaseCamera (the
// camera at its own stamp, the ego motion between the two times folded
// in; the object's own motion is not), projected with the camera's
// intrinsics and distortion (calib/camera), and their bounding rectangle
// is clipped to the image, whose pixel (0,0) has its centre at (0,0): the
// image spans [−0.5, W−0.5] × [−0.5, H−0.5]. A box with a corner less
// than MinDepth in front of the camera, or that a corner fails to project
// (beyond a fisheye's field of view), or whose rectangle lies outside the
// image, is skipped. Truncated is the fraction of the unclipped
// rectangle's area outside the image.
package boxproj

import (
	"math"

	"github.com/rigsync/rigsync/calib/camera"
	"github.com/rigsync/rigsync/formats/labels"
	"github.com/rigsync/rigsync/fusion/fused"
)

// MinDepth is the least depth (m, along the optical axis) of every corner
// of a projected box.
const MinDepth = 0.1

// Box2D is one 3D box's projection into one camera image.
type Box2D struct {
	// ID and Class are the 3D box's.
	ID, Class string
	// Left, Top, Right, Bottom bound the projected corners, clipped to
	// the image (px, pixel centres at integers).
	Left, Top, Right, Bottom float64
	// Truncated is the fraction of the unclipped rectangle outside the
	// image, in [0, 1).
	Truncated float64
}

// Model returns the camera model of c's calibration, nil when it has none
// (no focal length or image size) or an unknown distortion model.
func Model(c *fused.Camera) camera.Model {
	in := c.Info
	if in.K[0] == 0 || in.Width <= 0 || in.Height <= 0 {
		return nil
	}
	m, err := camera.New(in.DistortionModel, camera.Intrinsics{Fx: in.K[0], Fy: in.K[4], Cx: in.K[2], Cy: in.K[5],
		Width: in.Width, Height: in.Height}, in.D)
	if err != nil {
		return nil
	}
	return m
}

// Project returns the 2D boxes of f.Labels in camera c, in f.Labels order,
// skipping the boxes the package doc says; nil when c has no usable
// calibration.
func Project(f *fused.Frame, c *fused.Camera) []Box2D {
	m := Model(c)
	if m == nil {
		return nil
	}
	out := []Box2D{}
	for i := range f.Labels {
		if b, ok := ProjectBox(&f.Labels[i], c, m); ok {
			out = append(out, b)
		}
	}
	return out
}

// ProjectBox projects one box into camera c with its model m (Model(c)).
func ProjectBox(b *labels.Box, c *fused.Camera, m camera.Model) (Box2D, bool) {
	T := c.BaseCamera.Inverse()
	l, t, r, bt := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range b.Corners() {
		q := T.Apply(p)
		if q.Z < MinDepth {
			return Box2D{}, false
		}
		u, v, ok := m.Project(q)
		if !ok || math.IsNaN(u) || math.IsNaN(v) {
			return Box2D{}, false
		}
		l, r, t, bt = math.Min(l, u), math.Max(r, u), math.Min(t, v), math.Max(bt, v)
	}
	W, H := float64(c.Info.Width)-0.5, float64(c.Info.Height)-0.5
	cl, cr := math.Max(l, -0.5), math.Min(r, W)
	ct, cb := math.Max(t, -0.5), math.Min(bt, H)
	if cr <= cl || cb <= ct {
		return Box2D{}, false
	}
	out := Box2D{ID: b.ID, Class: b.Class, Left: cl, Top: ct, Right: cr, Bottom: cb}
	if area := (r - l) * (bt - t); area > 0 {
		out.Truncated = 1 - (cr-cl)*(cb-ct)/area
	}
	return out, true
}
