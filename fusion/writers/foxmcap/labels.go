package foxmcap

import (
	"hash/fnv"
	"slices"

	"github.com/rigsync/rigsync/formats/foxglove"
	"github.com/rigsync/rigsync/fusion/boxproj"
	"github.com/rigsync/rigsync/fusion/fused"
)

// TopicLabels is the topic of the 3D box labels (fuse --labels).
const TopicLabels = "/labels"

const sceneUpdateSchemaName = "foxglove.SceneUpdate"

// labelColor is a class's colour (the same class, the same colour),
// 40% opaque so that the points inside stay visible.
func labelColor(class string) foxglove.Color {
	h := fnv.New32a()
	h.Write([]byte(class))
	hue := float64(h.Sum32()%360) / 60
	x := 1 - abs(mod2(hue)-1)
	var r, g, b float64
	switch int(hue) {
	case 0:
		r, g = 1, x
	case 1:
		r, g = x, 1
	case 2:
		g, b = 1, x
	case 3:
		g, b = x, 1
	case 4:
		r, b = x, 1
	default:
		r, b = 1, x
	}
	return foxglove.Color{R: r, G: g, B: b, A: 0.4}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

func mod2(v float64) float64 { return v - 2*float64(int(v/2)) }

// appendLabels appends the frame's labels as a foxglove.SceneUpdate: first
// a deletion of every earlier entity (the previous frame's boxes), then
// one entity per box, id "<class>/<id>", in the frame's shared frame at
// the frame's stamp, one cube at the box's centre with the box's
// orientation (quaternion x, y, z, w, Foxglove's order) and size (length
// along x, width along y, height along z); metadata id, class and the
// box's attributes.
func appendLabels(b []byte, f *fused.Frame) []byte {
	u := &foxglove.SceneUpdate{DeleteAll: true, DeleteStamp: max(f.Stamp, 0)}
	for i := range f.Labels {
		l := &f.Labels[i]
		q := l.Pose().Rot
		e := foxglove.SceneEntity{Stamp: max(f.Stamp, 0), FrameID: frameOf(f), ID: l.Class + "/" + l.ID,
			Metadata: [][2]string{{"id", l.ID}, {"class", l.Class}},
			Cubes: []foxglove.Cube{{Position: [3]float64{l.Center.X, l.Center.Y, l.Center.Z},
				Orientation: [4]float64{q.Imag, q.Jmag, q.Kmag, q.Real},
				Size:        [3]float64{l.Size.Length, l.Size.Width, l.Size.Height}, Color: labelColor(l.Class)}}}
		for _, k := range sortedKeys(l.Attributes) {
			e.Metadata = append(e.Metadata, [2]string{k, l.Attributes[k]})
		}
		u.Entities = append(u.Entities, e)
	}
	return foxglove.AppendSceneUpdate(b, u)
}

// appendLabels2D appends the labels projected into camera c (boxproj) as
// foxglove.ImageAnnotations: one closed LINE_LOOP rectangle per box in its
// class colour (opaque), shifted by half a pixel to Foxglove's pixel
// origin (the corner of the top-left pixel).
func appendLabels2D(b []byte, f *fused.Frame, c *fused.Camera) []byte {
	a := &foxglove.ImageAnnotations{}
	for _, r := range boxproj.Project(f, c) {
		col := labelColor(r.Class)
		col.A = 1
		l, t, rt, bt := r.Left+0.5, r.Top+0.5, r.Right+0.5, r.Bottom+0.5
		a.Points = append(a.Points, foxglove.PointsAnnotation{Stamp: max(c.Stamp, 0), Type: foxglove.PointsLineLoop,
			Points: []foxglove.Point2{{X: l, Y: t}, {X: rt, Y: t}, {X: rt, Y: bt}, {X: l, Y: bt}}, OutlineColor: col, Thickness: 2})
	}
	return foxglove.AppendImageAnnotations(b, a)
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
