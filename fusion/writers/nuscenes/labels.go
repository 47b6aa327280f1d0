package nuscenes

import (
	"encoding/json"
	"math"
	"strconv"

	"github.com/rigsync/rigsync/calib/se3"
	"github.com/rigsync/rigsync/formats/labels"
	"github.com/rigsync/rigsync/fusion/fused"
	"gonum.org/v1/gonum/spatial/r3"
)

// addLabels records a keyframe's 3D labels for the annotation tables:
// every box moved from the frame's ego frame into the global frame with
// the frame's ego pose (T_global_ego at the frame's stamp, the LIDAR_TOP
// sample_data's ego_pose), num_lidar_pts and num_radar_pts counted in the
// frame's fused LiDAR cloud and radar detections (points inside the box,
// faces included).
func (w *Writer) addLabels(f *fused.Frame, ego se3.Transform, sampleToken string) {
	lf := labels.Frame{Index: f.Index, Token: sampleToken, StampNS: f.Stamp, Boxes: make([]labels.Box, 0, len(f.Labels))}
	for i := range f.Labels {
		b := &f.Labels[i]
		g := b.Transformed(ego, labels.FrameGlobal)
		if g.Attributes == nil {
			g.Attributes = map[string]string{}
		}
		nl, nr := countInBox(b, f)
		g.Attributes[labels.AttrNumLidarPts] = strconv.Itoa(nl)
		g.Attributes[labels.AttrNumRadarPts] = strconv.Itoa(nr)
		lf.Boxes = append(lf.Boxes, g)
	}
	w.labels = append(w.labels, lf)
}

// countInBox counts the frame's LiDAR points and radar detections inside
// b (both in the frame's FrameID).
func countInBox(b *labels.Box, f *fused.Frame) (lidar, radar int) {
	inv := b.Pose().Inverse()
	hl, hw, hh := b.Size.Length/2, b.Size.Width/2, b.Size.Height/2
	// A bounding radius first, to skip most points cheaply.
	r2 := hl*hl + hw*hw + hh*hh
	in := func(x, y, z float32) bool {
		dx, dy, dz := float64(x)-b.Center.X, float64(y)-b.Center.Y, float64(z)-b.Center.Z
		if dx*dx+dy*dy+dz*dz > r2 {
			return false
		}
		q := inv.Apply(r3.Vec{X: float64(x), Y: float64(y), Z: float64(z)})
		return math.Abs(q.X) <= hl && math.Abs(q.Y) <= hw && math.Abs(q.Z) <= hh
	}
	if c := f.Lidar; c != nil {
		P := &c.Points
		for i := range P.X {
			if in(P.X[i], P.Y[i], P.Z[i]) {
				lidar++
			}
		}
	}
	if r := f.Radar; r != nil {
		for i := range r.X {
			if in(r.X[i], r.Y[i], r.Z[i]) {
				radar++
			}
		}
	}
	return lidar, radar
}

// labelTables returns the attribute, category, instance and
// sample_annotation tables of the recorded labels
// (labels.NuScenesTables), by table name.
func (w *Writer) labelTables() (map[string]any, error) {
	tables, err := labels.NuScenesTables(&labels.Set{Frames: w.labels})
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for _, name := range []string{"attribute", "category", "instance", "sample_annotation"} {
		out[name] = json.RawMessage(tables[name+".json"])
	}
	return out, nil
}
